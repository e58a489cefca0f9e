"""Embedded event store on a DuckDB file."""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from waypost.events.schema import EVENT_COLUMNS, events_ddl
from waypost.events.store import AppendResult, EventStoreError

# Message ids are remembered at least this long, so client retries are stored once (the promise
# is 7 days; a day more absorbs clock differences between senders).
DEDUPE_WINDOW = timedelta(days=8)

_SEEN_DDL = """
CREATE TABLE IF NOT EXISTS seen_messages (
  app_id VARCHAR NOT NULL,
  message_id VARCHAR NOT NULL,
  seen_at TIMESTAMP NOT NULL,
  PRIMARY KEY (app_id, message_id)
)
"""
_COLUMN_LIST = ", ".join(c.name for c in EVENT_COLUMNS)


class DuckDBEventStore:
    """Events in one DuckDB file. DuckDB lets one process write it, so only the server opens it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = duckdb.connect(str(path))
        except duckdb.IOException as exc:
            # Most often another process (a second server) holds the file's write lock.
            raise EventStoreError(
                f"cannot open the event store {path}: {exc}. Only one Waypost server may use a "
                "data directory's event store; admin commands do not need it."
            ) from None
        except duckdb.Error as exc:
            raise EventStoreError(f"cannot open the event store {path}: {exc}") from None
        self._connection.execute(events_ddl())
        self._connection.execute(_SEEN_DDL)
        self._lock = threading.Lock()
        # Appends are serialised by the writer; one cursor of their own keeps them off readers.
        self._append_cursor = self._connection.cursor()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread's reads."""
        with self._lock:
            return self._connection.cursor()

    def ping(self) -> None:
        """Run a trivial query on a cursor of the shared connection."""
        try:
            cursor = self.cursor()
            try:
                cursor.execute("SELECT 1").fetchone()
            finally:
                cursor.close()
        except duckdb.Error as exc:
            raise EventStoreError(f"event store {self.path} does not answer: {exc}") from None

    def append(self, rows: pa.Table) -> AppendResult:
        """Store the rows in one transaction, skipping message ids already stored for the app."""
        keys = list(
            zip(
                rows.column("app_id").to_pylist(),
                rows.column("message_id").to_pylist(),
                strict=True,
            )
        )
        first_seen: dict[tuple[str, str], int] = {}
        for index, key in enumerate(keys):
            first_seen.setdefault(key, index)
        unique = rows.take(sorted(first_seen.values())) if len(first_seen) < len(keys) else rows
        cursor = self._append_cursor
        try:
            cursor.register("incoming", unique)
            cursor.execute("BEGIN TRANSACTION")
            new = {
                (app_id, message_id)
                for app_id, message_id in cursor.execute(
                    "INSERT INTO seen_messages SELECT app_id, message_id, received_at "
                    "FROM incoming ON CONFLICT DO NOTHING RETURNING app_id, message_id"
                ).fetchall()
            }
            if len(new) < unique.num_rows:
                mask = [
                    key in new
                    for key in zip(
                        unique.column("app_id").to_pylist(),
                        unique.column("message_id").to_pylist(),
                        strict=True,
                    )
                ]
                cursor.unregister("incoming")
                cursor.register("incoming", unique.filter(pa.array(mask)))
            cursor.execute(
                f"INSERT INTO events ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM incoming"
            )
            cursor.execute("COMMIT")
        except duckdb.Error as exc:
            _rollback(cursor)
            raise EventStoreError(f"could not store events in {self.path}: {exc}") from None
        finally:
            cursor.unregister("incoming")
        return AppendResult(stored=frozenset(new), duplicates=frozenset(set(keys) - new))

    def forget_old_message_ids(self, now: datetime) -> int:
        """Drop remembered message ids older than the dedupe window; returns how many."""
        cutoff = (now - DEDUPE_WINDOW).replace(tzinfo=None)
        result = self._append_cursor.execute(
            "DELETE FROM seen_messages WHERE seen_at < ?", [cutoff]
        ).fetchone()
        return int(result[0]) if result else 0

    def close(self) -> None:
        """Close the file; further use raises EventStoreError."""
        self._append_cursor.close()
        self._connection.close()


def _rollback(cursor: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction was open
        cursor.execute("ROLLBACK")
