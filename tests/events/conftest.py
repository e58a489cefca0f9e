"""Fixtures for the event store's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from waypost.events import DuckDBEventStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBEventStore]:
    events = DuckDBEventStore(tmp_path / "events.duckdb")
    yield events
    events.close()
