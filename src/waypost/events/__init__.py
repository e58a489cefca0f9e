"""Event store: the protocol every backend implements, and the embedded DuckDB backend."""

from waypost.events.duckdb_store import DuckDBEventStore
from waypost.events.schema import EVENT_COLUMNS, EVENTS_ARROW_SCHEMA, to_table
from waypost.events.store import (
    AppendResult,
    ContentActivity,
    Erasure,
    EventCount,
    EventFilter,
    EventStore,
    EventStoreError,
    PersonActivity,
    PersonCondition,
    PersonProfile,
    open_event_store,
)

__all__ = [
    "EVENTS_ARROW_SCHEMA",
    "EVENT_COLUMNS",
    "AppendResult",
    "ContentActivity",
    "DuckDBEventStore",
    "Erasure",
    "EventCount",
    "EventFilter",
    "EventStore",
    "EventStoreError",
    "PersonActivity",
    "PersonCondition",
    "PersonProfile",
    "open_event_store",
    "to_table",
]
