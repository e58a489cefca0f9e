"""Group commit: requests that arrive together share one durable write to the event store.

Each request hands its rows to the writer and waits. One thread takes everything waiting,
appends it in one transaction, and only then answers every request, so an acknowledged event is
always on disk. When too many rows wait, new requests are told to come back later (429) rather
than letting memory grow without bound.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from waypost.db.base import utcnow
from waypost.errors import TooManyRequests
from waypost.events import DuckDBEventStore
from waypost.tracking.rows import to_table

log = logging.getLogger("waypost.writer")
PRUNE_EVERY_SECONDS = 3600.0
# Profile counts are folded from the store's backlog when the writer is idle, and at least this
# often under constant load (each fold is one statement per table, however long the backlog).
FOLD_EVERY_SECONDS = 2.0


@dataclass
class _Pending:
    rows: Sequence[dict[str, Any]]
    future: asyncio.Future[int]
    loop: asyncio.AbstractEventLoop


class EventWriter:
    """Owns all appends to the event store; start() before use, stop() to drain and finish."""

    def __init__(
        self, store: DuckDBEventStore, max_waiting_rows: int = 200_000, max_batch_rows: int = 50_000
    ) -> None:
        self._store = store
        self._max_waiting = max_waiting_rows
        self._max_batch = max_batch_rows
        self._waiting: deque[_Pending] = deque()
        self._waiting_rows = 0
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="waypost-event-writer", daemon=True)
        self._last_prune = 0.0
        self._last_fold = 0.0
        self._unfolded = False

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def stop(self) -> None:
        """Write everything still waiting, then end the thread."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self._thread.join()

    async def write(self, rows: Sequence[dict[str, Any]]) -> int:
        """Store the rows durably; returns how many were new (the rest were duplicates)."""
        if not rows:
            return 0
        loop = asyncio.get_running_loop()
        pending = _Pending(rows, loop.create_future(), loop)
        with self._condition:
            if self._stopping:
                raise TooManyRequests("the server is shutting down; retry shortly", retry_after=5)
            if self._waiting_rows + len(rows) > self._max_waiting and self._waiting:
                raise TooManyRequests(
                    "too many events are waiting to be written; retry shortly",
                    retry_after=1,
                    code="overloaded",
                )
            self._waiting.append(pending)
            self._waiting_rows += len(rows)
            self._condition.notify()
        return await pending.future

    def _take(self) -> list[_Pending] | None:
        with self._condition:
            if not self._waiting and not self._stopping:
                self._condition.wait(
                    timeout=FOLD_EVERY_SECONDS if self._unfolded else PRUNE_EVERY_SECONDS
                )
            if not self._waiting:
                return None if self._stopping else []
            taken, count = [], 0
            while self._waiting and (
                not taken or count + len(self._waiting[0].rows) <= self._max_batch
            ):
                item = self._waiting.popleft()
                taken.append(item)
                count += len(item.rows)
            self._waiting_rows -= count
            return taken

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            if taken:
                self._write(taken)
                self._unfolded = True
            now = time.monotonic()
            if self._unfolded and (not taken or now - self._last_fold > FOLD_EVERY_SECONDS):
                self._fold(now)
            if now - self._last_prune > PRUNE_EVERY_SECONDS:
                self._last_prune = now
                self._store.forget_old_message_ids(utcnow())

    def _fold(self, now: float) -> None:
        self._last_fold = now
        try:
            self._store.fold_activity()
            self._unfolded = False
        except Exception:  # the backlog stays and is counted by readers; the next fold retries
            log.exception("folding profile counts failed")

    def _write(self, taken: list[_Pending]) -> None:
        rows = [row for item in taken for row in item.rows]
        try:
            result = self._store.append(to_table(rows))
        except Exception as exc:  # every waiting request must get an answer, whatever failed
            log.exception("event write failed")
            for item in taken:
                item.loop.call_soon_threadsafe(_fail, item.future, exc)
            return
        start = 0
        for item in taken:
            stored = result.stored_between(start, start + len(item.rows))
            start += len(item.rows)
            item.loop.call_soon_threadsafe(_succeed, item.future, stored)


def _succeed(future: asyncio.Future[int], value: int) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[int], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
