"""The event store protocol, so DuckDB (embedded) and ClickHouse (scale-out) are interchangeable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from waypost.settings import Settings


class EventStoreError(Exception):
    """The event store cannot be used; the message says which and why."""


class EventStore(Protocol):
    """What the rest of Waypost may ask of an event store."""

    def ping(self) -> None:
        """Raise EventStoreError when the store cannot answer a trivial query."""

    def close(self) -> None:
        """Release files and connections."""


def open_event_store(settings: Settings) -> EventStore:
    """The event store the settings name (DuckDB in the data directory by default)."""
    from waypost.events.duckdb_store import DuckDBEventStore

    return DuckDBEventStore(settings.events_path)
