"""The event store protocol, so DuckDB (embedded) and ClickHouse (scale-out) are interchangeable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

    from waypost.events.duckdb_store import DuckDBEventStore
    from waypost.settings import Settings


class EventStoreError(Exception):
    """The event store cannot be used; the message says which and why."""


@dataclass(frozen=True)
class AppendResult:
    """What an append did with each row it was given, in their order: `stored` is true for a row
    it wrote, false for one whose (app_id, message_id) was stored before (by an earlier append,
    or by an earlier row of the same one)."""

    stored: pa.BooleanArray

    @property
    def stored_count(self) -> int:
        """How many of the rows were written."""
        return int(self.stored.true_count)

    @property
    def duplicate_count(self) -> int:
        """How many of the rows were skipped as already stored."""
        return len(self.stored) - int(self.stored.true_count)


@dataclass(frozen=True)
class EventCount:
    """How often a person did one event, and when first and last."""

    event: str
    count: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class PersonProfile:
    """Everything known about one person: ids, traits, account and what they did."""

    person_id: str
    user_ids: tuple[str, ...]
    anonymous_ids: tuple[str, ...]
    traits: dict[str, Any]
    account_id: str | None
    account_traits: dict[str, Any]
    created_at: datetime
    event_counts: tuple[EventCount, ...]

    @property
    def first_seen(self) -> datetime | None:
        """The time of the person's earliest event."""
        return min((c.first_seen for c in self.event_counts), default=None)

    @property
    def last_seen(self) -> datetime | None:
        """The time of the person's latest event."""
        return max((c.last_seen for c in self.event_counts), default=None)


@dataclass(frozen=True)
class Erasure:
    """What deleting a person removed."""

    person_id: str
    distinct_ids: tuple[str, ...]
    events_deleted: int


@dataclass(frozen=True)
class EventFilter:
    """Which events to list: all of them unless narrowed; newest first, `before` a position."""

    event: str | None = None
    distinct_ids: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: tuple[datetime, str] | None = None
    limit: int = 100


class EventQueries(Protocol):
    """Read-only SQL over the store's tables, for the insights compilers."""

    def query(self, sql: str, params: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one statement with named parameters; column names and rows."""

    def query_arrow(self, sql: str, params: dict[str, Any]) -> pa.Table:
        """Run one statement with named parameters; its rows as one Arrow table."""


class EventStore(Protocol):
    """What the rest of Waypost may ask of an event store."""

    def append(self, rows: pa.Table) -> AppendResult:
        """Durably store rows of EVENTS_ARROW_SCHEMA, skipping (app_id, message_id) pairs seen
        before; returns only after the rows are committed."""

    def find_person(self, app_id: str, any_id: str) -> PersonProfile | None:
        """The person one of whose ids (or whose person id) is `any_id`, or None."""

    def list_events(self, app_id: str, where: EventFilter) -> list[dict[str, Any]]:
        """Events of the app matching `where`, newest first (timestamp, then message id)."""

    def erase_person(self, app_id: str, any_id: str) -> Erasure | None:
        """Delete the person, all their ids, traits, profile and events; None when unknown."""

    def ping(self) -> None:
        """Raise EventStoreError when the store cannot answer a trivial query."""

    def close(self) -> None:
        """Release files and connections."""


def open_event_store(settings: Settings) -> DuckDBEventStore:
    """The event store the settings name (DuckDB in the data directory by default)."""
    from waypost.events.duckdb_store import DuckDBEventStore

    return DuckDBEventStore(settings.events_path)
