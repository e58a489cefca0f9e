"""The event table's columns: promoted columns for what queries filter on, JSON for the rest.

One definition serves the DuckDB DDL, the Arrow batches the writer builds, and (later) ClickHouse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    """One column of the events table."""

    name: str
    duckdb_type: str
    arrow_type: pa.DataType
    doc: str


EVENT_COLUMNS: tuple[Column, ...] = (
    Column("app_id", "VARCHAR NOT NULL", pa.string(), "the app the write key belongs to"),
    Column("message_id", "VARCHAR NOT NULL", pa.string(), "sender's messageId/uuid, or ours"),
    Column("type", "VARCHAR NOT NULL", pa.string(), "track, page, screen, identify, group, alias"),
    Column("event", "VARCHAR NOT NULL", pa.string(), "track name, or $page, $screen, $identify…"),
    Column("name", "VARCHAR", pa.string(), "page or screen name"),
    Column("distinct_id", "VARCHAR NOT NULL", pa.string(), "userId when given, else anonymousId"),
    Column("user_id", "VARCHAR", pa.string(), "the sender's userId"),
    Column("anonymous_id", "VARCHAR", pa.string(), "the sender's anonymousId"),
    Column("previous_id", "VARCHAR", pa.string(), "an alias message's previousId"),
    Column("account_id", "VARCHAR", pa.string(), "context.groupId, or the group message's id"),
    Column("timestamp", "TIMESTAMP NOT NULL", pa.timestamp("us"), "when it happened (UTC)"),
    Column("received_at", "TIMESTAMP NOT NULL", pa.timestamp("us"), "when we got it (UTC)"),
    Column("session_id", "VARCHAR", pa.string(), "the sender's session, if any"),
    Column("url", "VARCHAR", pa.string(), "page URL"),
    Column("path", "VARCHAR", pa.string(), "page path"),
    Column("referrer", "VARCHAR", pa.string(), "page referrer"),
    Column("element_selector", "VARCHAR", pa.string(), "autocaptured element's CSS selector"),
    Column("element_text", "VARCHAR", pa.string(), "autocaptured element's text"),
    Column("content_id", "VARCHAR", pa.string(), "guidance content the event is about"),
    Column("content_step", "INTEGER", pa.int32(), "guidance step the event is about"),
    Column("properties", "JSON", pa.string(), "event properties (or identify/group traits)"),
    Column("context", "JSON", pa.string(), "the sender's context object"),
)

EVENTS_ARROW_SCHEMA = pa.schema([(c.name, c.arrow_type) for c in EVENT_COLUMNS])


def to_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows (one mapping per event, keyed by EVENT_COLUMNS' names) as an Arrow table of the
    events schema: the form every store takes in, columnar for one bulk insert. Aware times
    are stored as UTC."""
    return pa.Table.from_pydict(
        {column.name: [row[column.name] for row in rows] for column in EVENT_COLUMNS},
        schema=EVENTS_ARROW_SCHEMA,
    )


# The store fills this one itself: the person the event's distinct id belonged to when it was
# stored. Merges never rewrite it; `person_overrides` points a merged person to the survivor.
PERSON_COLUMN = Column("person_id", "BIGINT", pa.int64(), "the person, as of storing the event")
# And this one: true for the guidance events a builder sent while previewing a draft (their
# properties say `$preview: true`), NULL for the rest. Measurement leaves them out; a column
# read costs far less than parsing every guidance event's properties at each query.
PREVIEW_COLUMN = Column("preview", "BOOLEAN", pa.bool_(), "a builder's preview event, else NULL")
STORED_COLUMNS = (*EVENT_COLUMNS, PERSON_COLUMN, PREVIEW_COLUMN)
# The preview column from the properties: a text search first, so only the rare events that
# mention `$preview` are parsed (compared as text: a value that is not a boolean never raises).
PREVIEW_SQL = """CASE WHEN contains(properties, '"$preview"')
  AND json_extract_string(properties, '$."$preview"') = 'true' THEN true END"""


def events_ddl(table: str = "events") -> str:
    """CREATE TABLE statement for the events table."""
    columns = ",\n  ".join(f"{c.name} {c.duckdb_type}" for c in STORED_COLUMNS)
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  {columns}\n)"


def added_columns_ddl(table: str = "events") -> list[str]:
    """Statements that add columns newer than a store's file (nullable ones only), in order."""
    return [
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {c.name} {c.duckdb_type}"
        for c in STORED_COLUMNS
        if "NOT NULL" not in c.duckdb_type
    ]


# Who did what: every id a sender used maps to one person. Each event is stored with the person
# its id had then; a merge repoints the loser's ids and adds an override, and never rewrites
# events, so a person's earlier events follow them through the override.
IDENTITY_DDL: tuple[str, ...] = (
    # Person ids are integers: cheaper to index, join and group by than the ids senders use.
    "CREATE SEQUENCE IF NOT EXISTS person_seq START 1",
    """CREATE TABLE IF NOT EXISTS person_ids (
  app_id VARCHAR NOT NULL,
  distinct_id VARCHAR NOT NULL,
  person_id BIGINT NOT NULL,
  is_user BOOLEAN NOT NULL,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (app_id, distinct_id)
)""",
    """CREATE TABLE IF NOT EXISTS persons (
  app_id VARCHAR NOT NULL,
  person_id BIGINT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  account_id VARCHAR,
  account_set_at TIMESTAMP,
  PRIMARY KEY (app_id, person_id)
)""",
    # Current trait values, one row per trait, for breakdowns and targeting.
    """CREATE TABLE IF NOT EXISTS person_traits (
  app_id VARCHAR NOT NULL,
  person_id BIGINT NOT NULL,
  trait VARCHAR NOT NULL,
  value JSON,
  set_at TIMESTAMP NOT NULL,
  PRIMARY KEY (app_id, person_id, trait)
)""",
    """CREATE TABLE IF NOT EXISTS account_traits (
  app_id VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  trait VARCHAR NOT NULL,
  value JSON,
  set_at TIMESTAMP NOT NULL,
  PRIMARY KEY (app_id, account_id, trait)
)""",
    # Each change of a trait's value, so "plan was trial until March" can be answered.
    """CREATE TABLE IF NOT EXISTS trait_history (
  app_id VARCHAR NOT NULL,
  entity VARCHAR NOT NULL,
  entity_id VARCHAR NOT NULL,
  trait VARCHAR NOT NULL,
  value JSON,
  set_at TIMESTAMP NOT NULL
)""",
    # Profiles: per person and event name, kept current at ingest so guidance never scans events.
    """CREATE TABLE IF NOT EXISTS person_event_stats (
  app_id VARCHAR NOT NULL,
  person_id BIGINT NOT NULL,
  event VARCHAR NOT NULL,
  count BIGINT NOT NULL,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  PRIMARY KEY (app_id, person_id, event)
)""",
    # Profile counts of recent appends, not yet added into person_event_stats and accounts: a
    # plain insert per append is cheap where an upsert into a large keyed table is not.
    """CREATE TABLE IF NOT EXISTS activity_backlog (
  app_id VARCHAR NOT NULL,
  person_id BIGINT NOT NULL,
  account_id VARCHAR,
  event VARCHAR NOT NULL,
  count BIGINT NOT NULL,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL
)""",
    # Files from before the backlog carried the day (the backlog is empty after every fold).
    "ALTER TABLE activity_backlog ADD COLUMN IF NOT EXISTS day DATE",
    # Per person, event and UTC day: "did X at least N times in the last D days" for guidance.
    """CREATE TABLE IF NOT EXISTS person_daily_events (
  app_id VARCHAR NOT NULL,
  person_id BIGINT NOT NULL,
  event VARCHAR NOT NULL,
  day DATE NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (app_id, person_id, event, day)
)""",
    # Per person and content item, each guidance event ($guide_shown, $task_completed, ...):
    # how often, when first and last, and the version and step of the latest. The guidance
    # engine reads a person's state from it.
    """CREATE TABLE IF NOT EXISTS content_activity (
  app_id VARCHAR NOT NULL,
  person_id BIGINT NOT NULL,
  content_id VARCHAR NOT NULL,
  event VARCHAR NOT NULL,
  count BIGINT NOT NULL,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  last_version INTEGER,
  last_step INTEGER,
  PRIMARY KEY (app_id, person_id, content_id, event)
)""",
    """CREATE TABLE IF NOT EXISTS content_backlog (
  app_id VARCHAR NOT NULL,
  person_id BIGINT NOT NULL,
  content_id VARCHAR NOT NULL,
  event VARCHAR NOT NULL,
  count BIGINT NOT NULL,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  last_version INTEGER,
  last_step INTEGER
)""",
    """CREATE TABLE IF NOT EXISTS accounts (
  app_id VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  PRIMARY KEY (app_id, account_id)
)""",
    # A merged person's id → the person it became (flattened: always the final survivor).
    """CREATE TABLE IF NOT EXISTS person_overrides (
  app_id VARCHAR NOT NULL,
  old_person_id BIGINT NOT NULL,
  person_id BIGINT NOT NULL,
  PRIMARY KEY (app_id, old_person_id)
)""",
    # Events as queries see them: with the person they belong to now, and the account: the
    # event's own group when it named one, else the person's current account.
    # The same without the account fallback, for queries that never look at accounts: the
    # join to persons is a noticeable share of a funnel and DuckDB does not drop it on its own.
    """CREATE OR REPLACE VIEW person_events AS
SELECT e.* REPLACE (coalesce(o.person_id, e.person_id) AS person_id)
FROM events e
LEFT JOIN person_overrides o ON o.app_id = e.app_id AND o.old_person_id = e.person_id""",
    # Only events without a group of their own look up their person: in two branches, because
    # DuckDB joins every row to persons for a coalesce, and a column's statistics let each
    # branch skip the row groups where its events cannot be (all grouped, or none).
    """CREATE OR REPLACE VIEW resolved_events AS
SELECT * FROM person_events WHERE account_id IS NOT NULL
UNION ALL
SELECT e.* REPLACE (p.account_id AS account_id)
FROM person_events e
LEFT JOIN persons p ON p.app_id = e.app_id AND p.person_id = e.person_id
WHERE e.account_id IS NULL""",
)
# A builder's preview keeps its own guidance state, under the item's key with this suffix (no
# key can hold it): seeing a draft must not count as seeing the item, nor spend the builder's
# attention budget, while a walkthrough previewed across pages still resumes where it was.
PREVIEW_STATE_SUFFIX = "#preview"
# Files from before events carried their preview flag: fill it in from the properties, once.
BACKFILL_PREVIEW = f"UPDATE events SET preview = true WHERE {PREVIEW_SQL}"
# Files from before events carried their person: fill it in from the ids, once.
BACKFILL_PERSONS = """UPDATE events SET person_id = i.person_id FROM person_ids i
WHERE events.person_id IS NULL
  AND i.app_id = events.app_id AND i.distinct_id = events.distinct_id"""
