"""The event table's columns: promoted columns for what queries filter on, JSON for the rest.

One definition serves the DuckDB DDL, the Arrow batches the writer builds, and (later) ClickHouse.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def events_ddl(table: str = "events") -> str:
    """CREATE TABLE statement for the events table."""
    columns = ",\n  ".join(f"{c.name} {c.duckdb_type}" for c in EVENT_COLUMNS)
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  {columns}\n)"


def added_columns_ddl(table: str = "events") -> list[str]:
    """Statements that add columns newer than a store's file (nullable ones only), in order."""
    return [
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {c.name} {c.duckdb_type}"
        for c in EVENT_COLUMNS
        if "NOT NULL" not in c.duckdb_type
    ]


# Who did what: every id a sender used maps to one person; merges repoint ids, never rewrite
# events, so a person's earlier events follow them (queries join events to person_ids).
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
    """CREATE TABLE IF NOT EXISTS accounts (
  app_id VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  PRIMARY KEY (app_id, account_id)
)""",
    # Events as queries see them: with the person they belong to now, and the account: the
    # event's own group when it named one, else the person's current account.
    # The same without the account fallback, for queries that never look at accounts: the
    # join to persons costs a tenth of a funnel's time and DuckDB does not drop it on its own.
    """CREATE OR REPLACE VIEW person_events AS
SELECT e.*, i.person_id
FROM events e
LEFT JOIN person_ids i ON i.app_id = e.app_id AND i.distinct_id = e.distinct_id""",
    """CREATE OR REPLACE VIEW resolved_events AS
SELECT e.* REPLACE (coalesce(e.account_id, p.account_id) AS account_id), i.person_id
FROM events e
LEFT JOIN person_ids i ON i.app_id = e.app_id AND i.distinct_id = e.distinct_id
LEFT JOIN persons p ON p.app_id = i.app_id AND p.person_id = i.person_id""",
)
