"""Segment messages for store tests: built, validated and appended as the tracking API would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from waypost.events import DuckDBEventStore, to_table
from waypost.tracking.messages import validate_message
from waypost.tracking.rows import to_row

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_serial = iter(range(1, 10**9))


def at(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def table(*messages: dict[str, Any], app_id: str = "app1") -> pa.Table:
    """The events-table rows of the messages, each given a fresh messageId unless it has one."""
    received = START + timedelta(days=1)
    rows = []
    for message in messages:
        message = {"messageId": f"m{next(_serial)}", **message}
        rows.append(to_row(app_id, validate_message(message, received)))
    return to_table(rows)


def send(store: DuckDBEventStore, *messages: dict[str, Any], app_id: str = "app1") -> None:
    store.append(table(*messages, app_id=app_id))


def track(event: str, minute: int, **ids: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "timestamp": at(minute), **ids}


def identify(minute: int, traits: dict[str, Any] | None = None, **ids: Any) -> dict[str, Any]:
    return {"type": "identify", "timestamp": at(minute), "traits": traits or {}, **ids}
