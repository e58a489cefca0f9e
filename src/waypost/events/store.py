"""The event store protocol, so DuckDB (embedded) and ClickHouse (scale-out) are interchangeable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

    from waypost.events.duckdb_store import DuckDBEventStore
    from waypost.settings import Settings


class EventStoreError(Exception):
    """The event store cannot be used; the message says which and why."""


@dataclass(frozen=True)
class AppendResult:
    """What an append stored: the ids it wrote, and those it had seen before (duplicates)."""

    stored: frozenset[tuple[str, str]]
    duplicates: frozenset[tuple[str, str]]


class EventStore(Protocol):
    """What the rest of Waypost may ask of an event store."""

    def append(self, rows: pa.Table) -> AppendResult:
        """Durably store rows of EVENTS_ARROW_SCHEMA, skipping (app_id, message_id) pairs seen
        before; returns only after the rows are committed."""

    def ping(self) -> None:
        """Raise EventStoreError when the store cannot answer a trivial query."""

    def close(self) -> None:
        """Release files and connections."""


def open_event_store(settings: Settings) -> DuckDBEventStore:
    """The event store the settings name (DuckDB in the data directory by default)."""
    from waypost.events.duckdb_store import DuckDBEventStore

    return DuckDBEventStore(settings.events_path)
