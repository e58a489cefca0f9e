"""Event store: the protocol every backend implements, and the embedded DuckDB backend."""

from waypost.events.duckdb_store import DuckDBEventStore
from waypost.events.store import EventStore, EventStoreError, open_event_store

__all__ = ["DuckDBEventStore", "EventStore", "EventStoreError", "open_event_store"]
