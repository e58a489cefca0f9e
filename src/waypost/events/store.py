"""The event store protocol, so DuckDB (embedded) and ClickHouse (scale-out) are interchangeable.

The store owns ingestion end to end: callers hand it validated rows (`ingest` for the tracking
API, `append` for bulk imports) and read through the methods below; the journal, its threads,
replay after a crash and the release of loaded segments are the backend's business. Tracking,
imports, insights and the command line are typed against `EventStore` only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

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
class ContentActivity:
    """How often a person sent one guidance event about one content item (`$guide_shown` of
    `first-project`), when first and last, and the version and step the latest named."""

    content_id: str
    event: str
    count: int
    first_seen: datetime
    last_seen: datetime
    last_version: int | None
    last_step: int | None


@dataclass(frozen=True)
class PersonActivity:
    """What the guidance engine decides from: the profile, counts per event and UTC day since
    a day, and the person's guidance events per content item."""

    profile: PersonProfile
    daily: dict[tuple[str, date], int]
    content: tuple[ContentActivity, ...]


@dataclass(frozen=True)
class PersonCondition:
    """Which persons a read keeps: a SQL condition on the persons table as `p`, in which
    `$app_id` names the app, with its own named parameters (never one called `app_id`)."""

    sql: str
    params: Mapping[str, Any] = field(default_factory=dict)


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
    url: str | None = None  # the page URL holds this (case-insensitive)
    since: datetime | None = None
    until: datetime | None = None
    before: tuple[datetime, str] | None = None
    limit: int = 100


@dataclass(frozen=True)
class IngestFailure:
    """Writing to the journal, or loading into the store, has failed since `since`; `error` is
    the latest reason."""

    since: datetime
    error: str


@dataclass(frozen=True)
class IngestHealth:
    """How ingestion is doing: events acknowledged and not yet readable, and what is failing."""

    waiting_events: int
    journal_failure: IngestFailure | None
    load_failure: IngestFailure | None


class EventQueries(Protocol):
    """Read-only SQL over the store's tables, for the insights compilers."""

    def query(self, sql: str, params: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one statement with named parameters; column names and rows."""

    def query_arrow(self, sql: str, params: dict[str, Any]) -> pa.Table:
        """Run one statement with named parameters; its rows as one Arrow table."""


class EventStore(EventQueries, Protocol):
    """What the rest of Waypost may ask of an event store.

    Life cycle: opening a store (`open_event_store`) makes everything acknowledged before the
    last stop readable; `start` begins taking events through `ingest`; `close` finishes what
    was acknowledged and releases files and connections. Reads (`find_person`, `list_events`,
    `query`, ...) see every event whose `ingest` or `append` returned before the read began,
    except while loading is failing (`ingest_health` says so), when they go ahead without the
    events that wait. Every row is the app's: no read answers for another app than the one
    it names.
    """

    def start(self) -> None:
        """Begin taking events through `ingest` (background work, if any, starts here)."""

    async def ingest(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Durably accept rows (one mapping per event, keyed by EVENT_COLUMNS' names); return
        once they survive a crash. A row whose (app_id, message_id) was stored before is
        skipped when it is loaded. Raises TooManyRequests when too much waits (or the store is
        stopping), Unavailable when the disk refuses; nothing was accepted then."""

    def ingest_health(self) -> IngestHealth:
        """How many acknowledged events wait to be readable, and what is failing."""

    def append(self, rows: pa.Table, now: datetime | None = None) -> AppendResult:
        """Store rows of EVENTS_ARROW_SCHEMA now, in one transaction, skipping (app_id,
        message_id) pairs seen within the dedupe window (`now` is the time that window is
        measured from); for bulk imports, which need no journal."""

    def find_person(self, app_id: str, any_id: str) -> PersonProfile | None:
        """The person one of whose ids (or whose person id) is `any_id`, or None."""

    def person_ids(self, app_id: str, any_id: str) -> tuple[str, ...]:
        """Every id of the person `any_id` names (empty when nobody has it)."""

    def list_events(self, app_id: str, where: EventFilter) -> list[dict[str, Any]]:
        """Events of the app matching `where`, newest first (timestamp, then message id)."""

    def person_activity(self, app_id: str, any_id: str, since: date) -> PersonActivity | None:
        """The person's profile, daily event counts from `since` on and guidance activity, kept
        current at ingest (no scan of raw events); None when nobody has the id."""

    def remembered_activity(
        self, app_id: str, any_id: str, since: date
    ) -> tuple[bool, PersonActivity | None]:
        """`(True, what person_activity would answer)` when that is known without reading or
        waiting (the store remembers the person, and nothing of theirs is waiting to load);
        `(False, None)` when only `person_activity` can tell. Never blocks."""

    def person_activities(
        self, app_id: str, since: date, batch: int = 5_000, where: PersonCondition | None = None
    ) -> Iterator[PersonActivity]:
        """Every person of the app (or those `where` keeps) with their activity, in person id
        order, `batch` persons read at a time (for segment previews and caches)."""

    def person_count(self, app_id: str) -> int:
        """How many persons the app has."""

    def erase_person(self, app_id: str, any_id: str) -> Erasure | None:
        """Delete the person, all their ids, traits, profile and events, leaving no copy in the
        store's files but those a compaction removes; None when unknown. Raises
        EventStoreError rather than erase part of them."""

    def forget_old_message_ids(self, now: datetime) -> int:
        """Drop remembered message ids older than the dedupe window before `now`; how many."""

    def ping(self) -> None:
        """Raise EventStoreError when the store cannot answer a trivial query (without waiting
        for events to load, so a health check answers at once)."""

    def close(self) -> None:
        """Load what was acknowledged, stop background work and release files and connections;
        further use raises EventStoreError."""


def open_event_store(settings: Settings) -> EventStore:
    """The event store the settings name (DuckDB in the data directory by default), with
    everything acknowledged before the last stop readable; `start()` it to ingest."""
    from waypost.events.duckdb_store import DuckDBEventStore

    return DuckDBEventStore(settings.events_path, max_waiting_rows=settings.max_waiting_events)
