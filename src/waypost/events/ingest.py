"""How events get into a store: group commit into the journal, then large loads behind it.

Each caller of `Ingestion.ingest` hands over its rows and waits. The journal thread takes
everything waiting, writes it to the journal as one frame, syncs it to disk and only then
answers every caller, so an acknowledged event is always on disk. The load thread moves journal
frames into the store in large transactions, many requests at a time, and the store's reads wait
for it, so what was acknowledged is always visible. When too many rows wait to be journaled or
loaded, new callers are told to come back later (429) rather than letting memory grow without
bound. A backend supplies the loading (`LoadTarget`); the journal and both threads are shared.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pyarrow as pa
from prometheus_client import CollectorRegistry, Gauge

from waypost.db.base import utcnow
from waypost.errors import TooManyRequests, Unavailable
from waypost.events.journal import Journal
from waypost.events.schema import to_table
from waypost.events.store import IngestFailure, IngestHealth

if TYPE_CHECKING:
    from waypost.events.store import EventStore

log = logging.getLogger("waypost.ingest")
PRUNE_EVERY_SECONDS = 3600.0
# Profile counts are folded from the store's backlog when the writer is idle, and at least this
# often under constant load (each fold is one statement per table, however long the backlog).
FOLD_EVERY_SECONDS = 2.0
# A load that failed (the disk, most likely) is tried again after this long; its rows stay in
# the journal meanwhile, and in memory, counted against the waiting limit.
RETRY_LOAD_SECONDS = 1.0
# After a load of fewer than GATHER_ROWS rows the load thread rests GATHER_SECONDS, so that a
# trickle of events (browsers send one per request) gathers into fewer, larger loads: a load
# costs about as much for ten rows as for a thousand (a dozen statements and a commit), and
# every wake-up takes the interpreter lock from the event loop. The first events after a quiet
# spell load at once; acknowledgements never wait for loads, and reads wait at most this more.
GATHER_ROWS = 5_000
GATHER_SECONDS = 0.05


class LoadTarget(Protocol):
    """What a backend gives the load thread: loading journaled rows, and housekeeping."""

    def load(self, rows: pa.Table, journal_seq: int) -> None:
        """Store rows of journal frames up to `journal_seq` and record that number with them, in
        one transaction, so a frame is loaded exactly once; raise when it fails."""

    def fold_activity(self) -> None:
        """Fold whatever the loads left for later (profile counts) while the thread is idle."""

    def forget_old_message_ids(self, now: datetime) -> int:
        """Drop remembered message ids older than the dedupe window."""


@dataclass
class _Pending:
    rows: Sequence[Mapping[str, Any]]
    future: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop


@dataclass
class _Frame:
    seq: int
    rows: pa.Table


_Item = TypeVar("_Item", _Pending, _Frame)


class Ingestion:
    """Owns the journal's appends and the store's loads; start() before use, stop() to drain
    and finish. Private to the events slice: callers use `EventStore.ingest`."""

    def __init__(
        self,
        target: LoadTarget,
        journal: Journal,
        max_waiting_rows: int = 200_000,
        max_batch_rows: int = 50_000,
    ) -> None:
        self._target = target
        self._journal_file = journal
        self._max_waiting = max_waiting_rows
        self._max_batch = max_batch_rows
        self._waiting: deque[_Pending] = deque()
        self._journaled: deque[_Frame] = deque()
        # Rows waiting for the journal or for the store: the limit behind 429 answers.
        self._waiting_rows = 0
        self._condition = threading.Condition()
        self._stopping = False
        self._journaling = True  # until the journal thread has written everything it was given
        self._journal_thread = threading.Thread(
            target=self._journal_run, name="waypost-journal", daemon=True
        )
        self._load_thread = threading.Thread(
            target=self._load_run, name="waypost-event-loader", daemon=True
        )
        self._started = False
        # Every (app, id) that journaled rows name and that is not loaded yet, with the last
        # frame naming it: a read about one person waits for loads only when it must.
        self._unloaded_ids: dict[tuple[str, str], int] = {}
        self._load_failure: IngestFailure | None = None
        self._journal_failure: IngestFailure | None = None
        self._last_prune = float("-inf")  # the first prune runs at start
        self._last_fold = 0.0
        self._unfolded = False

    def start(self) -> None:
        """Start the journal and load threads."""
        self._started = True
        self._journal_thread.start()
        self._load_thread.start()

    def stop(self) -> None:
        """Journal and load everything still waiting, then end both threads (at once when they
        never started)."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._started:
            self._journal_thread.join()
            self._load_thread.join()

    def waits_for(self, app_id: str, ids: Sequence[str]) -> bool:
        """Whether any of the ids has journaled rows that are not loaded yet."""
        with self._condition:
            unloaded = self._unloaded_ids
            return bool(unloaded) and any((app_id, i) in unloaded for i in ids)

    def health(self) -> IngestHealth:
        """How many events wait to be loaded, and what is failing, if anything."""
        return IngestHealth(self._waiting_rows, self._journal_failure, self._load_failure)

    async def ingest(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Return once the rows are durably in the journal; the store loads them shortly after
        (duplicates of stored message ids are skipped then)."""
        if not rows:
            return
        loop = asyncio.get_running_loop()
        pending = _Pending(rows, loop.create_future(), loop)
        with self._condition:
            if self._stopping:
                raise TooManyRequests("the server is shutting down; retry shortly", retry_after=5)
            if not self._started:
                raise Unavailable("the event store is not taking events yet", retry_after=1)
            if self._waiting_rows + len(rows) > self._max_waiting and self._waiting_rows:
                raise TooManyRequests(
                    "too many events are waiting to be written; retry shortly",
                    retry_after=1,
                    code="overloaded",
                )
            self._waiting.append(pending)
            self._waiting_rows += len(rows)
            self._condition.notify_all()
        await pending.future

    # ------------------------------------------------------------ the journal thread

    def _take_pending(self) -> list[_Pending] | None:
        with self._condition:
            self._condition.wait_for(lambda: self._waiting or self._stopping)
            if not self._waiting:
                return None
            return _take_up_to(self._waiting, self._max_batch)

    def _journal_run(self) -> None:
        try:
            while (taken := self._take_pending()) is not None:
                self._journal(taken)
        finally:
            with self._condition:
                self._journaling = False
                self._condition.notify_all()

    def _journal(self, taken: list[_Pending]) -> None:
        rows = [row for item in taken for row in item.rows]
        try:
            table = to_table(rows)
            seq = self._journal_file.append(table)
        except Exception as exc:  # every waiting request must get an answer, whatever failed
            log.exception("writing to the journal failed")
            self._journal_failure = _failure(self._journal_failure, exc)
            with self._condition:
                self._waiting_rows -= len(rows)
            answer: Exception = exc
            if isinstance(exc, OSError):  # the disk: nothing was acknowledged; retrying is safe
                answer = Unavailable(
                    f"events cannot be written to disk now ({exc.strerror or exc}); retry shortly",
                    retry_after=5,
                )
            _settle(taken, answer)
            return
        self._journal_failure = None
        named = {
            (row["app_id"], value): seq
            for row in rows
            for column in ("distinct_id", "user_id", "anonymous_id", "previous_id")
            if (value := row[column]) is not None
        }
        with self._condition:
            self._unloaded_ids.update(named)
            self._journaled.append(_Frame(seq, table))
            self._condition.notify_all()
        _settle(taken, None)

    # ------------------------------------------------------------ the load thread

    def _take_frames(self) -> list[_Frame] | None:
        with self._condition:
            if not self._journaled and self._journaling:
                self._condition.wait(
                    timeout=FOLD_EVERY_SECONDS if self._unfolded else PRUNE_EVERY_SECONDS
                )
            if not self._journaled:
                return None if not self._journaling else []
            return _take_up_to(self._journaled, self._max_batch)

    def _load_run(self) -> None:
        while (taken := self._take_frames()) is not None:
            try:
                if taken:
                    if not self._load(taken):
                        return  # stopping: the next opening of the store loads the rest
                    self._unfolded = True
                    if not self._stopping and sum(len(f.rows) for f in taken) < GATHER_ROWS:
                        time.sleep(GATHER_SECONDS)
                now = time.monotonic()
                if self._unfolded and (not taken or now - self._last_fold > FOLD_EVERY_SECONDS):
                    self._fold(now)
                if now - self._last_prune > PRUNE_EVERY_SECONDS:
                    self._last_prune = now
                    self._target.forget_old_message_ids(utcnow())
            except Exception:  # the thread must live on: every acknowledged event needs it
                log.exception("the event loader's housekeeping failed; it carries on")

    def _load(self, taken: list[_Frame]) -> bool:
        """Load the frames, trying again until it works; False when the writer stops first
        (the frames stay in the journal, and nothing after them may be loaded)."""
        rows = pa.concat_tables([frame.rows for frame in taken])
        while True:
            try:
                self._target.load(rows, taken[-1].seq)
                self._load_failure = None
                break
            except Exception as exc:  # the frames are safe in the journal; try again shortly
                log.exception("loading %d journaled events failed", rows.num_rows)
                self._load_failure = _failure(self._load_failure, exc)
                if self._stopping:
                    return False
                time.sleep(RETRY_LOAD_SECONDS)
        last = taken[-1].seq
        with self._condition:
            self._waiting_rows -= rows.num_rows
            self._unloaded_ids = {k: s for k, s in self._unloaded_ids.items() if s > last}
        try:
            self._journal_file.release_through(taken[-1].seq)
        except OSError:  # an undeleted segment is only disk space; the next release retries
            log.exception("deleting loaded journal segments failed")
        return True

    def _fold(self, now: float) -> None:
        self._last_fold = now
        try:
            self._target.fold_activity()
            self._unfolded = False
        except Exception:  # the backlog stays and is counted by readers; the next fold retries
            log.exception("folding profile counts failed")


def _take_up_to(queue: deque[_Item], limit: int) -> list[_Item]:
    """The items at the head of `queue`, taken off it, up to `limit` rows in all (at least one
    item, however many rows it has)."""
    taken: list[_Item] = []
    count = 0
    while queue and (not taken or count + len(queue[0].rows) <= limit):
        item = queue.popleft()
        taken.append(item)
        count += len(item.rows)
    return taken


def _failure(ongoing: IngestFailure | None, exc: Exception) -> IngestFailure:
    """The failure record after `exc`: since when it has been failing, and the latest reason."""
    return IngestFailure(ongoing.since if ongoing else utcnow(), str(exc) or type(exc).__name__)


def _settle(taken: list[_Pending], error: BaseException | None) -> None:
    """Answer the requests: one call into each event loop for all of its requests, since each
    call wakes that loop's thread and takes the interpreter lock from whatever runs."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for item in taken:
        by_loop.setdefault(item.loop, []).append(item.future)
    for loop, futures in by_loop.items():
        loop.call_soon_threadsafe(_settle_futures, futures, error)


def _settle_futures(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():  # the request was cancelled (its client went away)
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def register_ingest_metrics(registry: CollectorRegistry, store: Callable[[], EventStore]) -> None:
    """Gauges of the store's ingest backlog and of how long loads and journal writes have been
    failing, read from the running store (`store()`) at each scrape."""
    Gauge(
        "waypost_ingest_waiting_events",
        "Events acknowledged or being journaled and not yet loaded into the event store.",
        registry=registry,
    ).set_function(lambda: store().ingest_health().waiting_events)

    def seconds(failure: IngestFailure | None) -> float:
        return 0.0 if failure is None else (utcnow() - failure.since).total_seconds()

    Gauge(
        "waypost_ingest_load_failing_seconds",
        "How long loads into the event store have been failing (0 while they succeed).",
        registry=registry,
    ).set_function(lambda: seconds(store().ingest_health().load_failure))
    Gauge(
        "waypost_ingest_journal_failing_seconds",
        "How long writes to the ingest journal have been failing (0 while they succeed).",
        registry=registry,
    ).set_function(lambda: seconds(store().ingest_health().journal_failure))
