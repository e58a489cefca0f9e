"""Embedded event store on a DuckDB file."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from waypost.events.store import EventStoreError


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
        self._lock = threading.Lock()

    def ping(self) -> None:
        """Run a trivial query on a cursor of the shared connection."""
        try:
            with self._lock:
                cursor = self._connection.cursor()
            try:
                cursor.execute("SELECT 1").fetchone()
            finally:
                cursor.close()
        except duckdb.Error as exc:
            raise EventStoreError(f"event store {self.path} does not answer: {exc}") from None

    def close(self) -> None:
        """Close the file; further use raises EventStoreError."""
        self._connection.close()
