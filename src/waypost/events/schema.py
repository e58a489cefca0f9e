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
