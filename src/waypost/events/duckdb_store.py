"""Embedded event store on a DuckDB file."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waypost.events.activity_cache import ActivityCache
from waypost.events.duckdb_identity import (
    Identities,
    activity_statements,
    apply_identity,
    carries_traits,
    first_of_each,
    fold_activity,
    update_traits,
)
from waypost.events.ingest import Ingestion
from waypost.events.journal import Journal
from waypost.events.schema import (
    BACKFILL_PERSONS,
    BACKFILL_PREVIEW,
    EVENTS_ARROW_SCHEMA,
    IDENTITY_DDL,
    PREVIEW_COLUMN,
    PREVIEW_SQL,
    STORED_COLUMNS,
    added_columns_ddl,
    events_ddl,
)
from waypost.events.store import (
    AppendResult,
    ContentActivity,
    Erasure,
    EventCount,
    EventFilter,
    EventStoreError,
    IngestHealth,
    PersonActivity,
    PersonCondition,
    PersonProfile,
)

log = logging.getLogger("waypost.events")
# Message ids are remembered at least this long, so client retries are stored once (the promise
# is 7 days; a day more absorbs clock differences between senders).
DEDUPE_WINDOW = timedelta(days=8)

SEEN_DDL = """
CREATE TABLE IF NOT EXISTS seen_messages (
  app_id VARCHAR NOT NULL,
  message_id VARCHAR NOT NULL,
  seen_at TIMESTAMP NOT NULL,
  PRIMARY KEY (app_id, message_id)
)
"""
# The last journal frame the store has taken in, written in the same transaction as its rows.
JOURNAL_DDL = (
    "CREATE TABLE IF NOT EXISTS journal_position (loaded_seq BIGINT NOT NULL)",
    "INSERT INTO journal_position SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM journal_position)",
)
# Frames replayed when the store opens are loaded this many rows at a time.
REPLAY_ROWS = 100_000
# How long a read waits for acknowledged events to be loaded before it reads without them (only
# when loading is failing, since loads take well under a second).
READ_WAIT_SECONDS = 30.0
_COLUMN_LIST = ", ".join(c.name for c in STORED_COLUMNS)
# The store fills the preview flag from each event's properties as it stores it.
_INSERT_EVENTS = (
    f"INSERT INTO events ({_COLUMN_LIST}) SELECT "
    + ", ".join(
        f"{PREVIEW_SQL} AS {c.name}" if c is PREVIEW_COLUMN else c.name for c in STORED_COLUMNS
    )
    + " FROM incoming"
)
# The write-ahead log is folded into the file when it grows past this. Each checkpoint rewrites
# the key indexes whole, so DuckDB's small default made checkpoints a large share of every
# append; a larger log costs a few seconds more replay after a crash.
CHECKPOINT_THRESHOLD = "256MB"


class DuckDBEventStore:
    """Events in one DuckDB file. DuckDB lets one process write it, so only the server opens it.
    An `EventStore`; ingestion goes through a journal beside the file (`<name>.journal/`)."""

    def __init__(self, path: Path, max_waiting_rows: int = 200_000) -> None:
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
        connection = self._connection
        connection.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        had = {
            str(name)
            for (name,) in connection.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'events' "
                "AND database_name = current_database()"
            ).fetchall()
        }
        for statement in (
            events_ddl(),
            *added_columns_ddl(),
            SEEN_DDL,
            *IDENTITY_DDL,
            *JOURNAL_DDL,
        ):
            connection.execute(statement)
        if had and "person_id" not in had:
            connection.execute(BACKFILL_PERSONS)
        if had and PREVIEW_COLUMN.name not in had:
            connection.execute(BACKFILL_PREVIEW)
        row = connection.execute("SELECT max(loaded_seq) FROM journal_position").fetchone()
        self._loaded_seq = int(row[0]) if row and row[0] is not None else 0
        self._loaded = threading.Condition()
        self._load_failing = False  # the last load from the journal failed
        # The mirror of person_ids is loaded by the first write: commands that only read the
        # store (insights, `persons show`) never pay for it.
        self._identities: Identities | None = None
        self._lock = threading.Lock()
        # One writer at a time: appends, erasures and pruning change the same tables.
        self._write_lock = threading.Lock()
        # Appends are serialised by the writer; one cursor of their own keeps them off readers.
        self._append_cursor = self._connection.cursor()
        self._activity = ActivityCache()
        self._warming = False
        self._warmer: threading.Thread | None = None
        self._closing = False
        self._journal = Journal(path.with_suffix(".journal"), after=self._loaded_seq)
        try:
            self._replay_journal()
        except Exception as exc:
            self._journal.close()
            self._connection.close()  # so that the file is free for whatever comes next
            raise EventStoreError(
                f"events acknowledged before the last stop could not be loaded from the journal "
                f"{self._journal.directory} into {path}: {exc}. Nothing is lost: they stay in "
                "the journal and are loaded at the next start once the cause is fixed."
            ) from None
        self._ingestion = Ingestion(self, self._journal, max_waiting_rows=max_waiting_rows)

    def _replay_journal(self) -> None:
        """Load the journal's frames the store has not recorded (acknowledged before a crash),
        then delete the segments it no longer needs."""
        tables: list[pa.Table] = []
        count, expected = 0, self._loaded_seq + 1
        for seq, table in self._journal.frames_after(self._loaded_seq):
            if seq != expected:
                log.warning(
                    "journal frames %d to %d are missing (damaged, or the journal was not "
                    "kept with this event file); loading the frames after them",
                    expected,
                    seq - 1,
                )
            expected = seq + 1
            tables.append(_conformed(table))
            count += table.num_rows
            if count >= REPLAY_ROWS:
                self.load(pa.concat_tables(tables), seq)
                tables, count = [], 0
        if tables:
            self.load(pa.concat_tables(tables), self._journal.last_seq)
        self._journal.release_through(self._loaded_seq)

    def start(self) -> None:
        """Begin taking events through `ingest`: start the journal and load threads, and read
        persons' activity into memory in the background for the first decisions."""
        self._ingestion.start()
        self._warming = True
        self._warmer = threading.Thread(
            target=self._warm, name="waypost-activity-warm", daemon=True
        )
        self._warmer.start()

    def _warm(self) -> None:
        """Remember every person's activity, most recently active first, until the cache is
        full; reads go on meanwhile, and loads forget whom they change as usual."""
        try:
            with self._reading() as cursor:
                apps = [
                    r[0] for r in cursor.execute("SELECT DISTINCT app_id FROM persons").fetchall()
                ]
            for app_id in apps:
                with self._reading() as cursor:
                    ids = [int(r[0]) for r in cursor.execute(_BY_RECENT, [app_id]).fetchall()]
                for start in range(0, len(ids), WARM_BATCH):
                    if self._activity.full or self._closing:
                        return
                    generation = self._activity.generation
                    chunk = ids[start : start + WARM_BATCH]
                    with self._reading() as cursor:
                        batch = _activities(cursor, app_id, chunk, WARM_SINCE)
                    for activity in batch:
                        self._activity.put(app_id, activity, WARM_SINCE, generation)
        except (EventStoreError, duckdb.Error):  # closed under it, or the file failed
            log.debug("warming the activity cache stopped", exc_info=True)
        finally:
            self._warming = False

    async def ingest(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Return once the rows are synced to the journal; the load thread stores them soon
        after (see `EventStore.ingest`)."""
        await self._ingestion.ingest(rows)

    def ingest_health(self) -> IngestHealth:
        """Events acknowledged and not yet loaded, and what is failing."""
        return self._ingestion.health()

    @property
    def loaded_seq(self) -> int:
        """The last journal frame the store has taken in."""
        return self._loaded_seq

    def wait_for_journal(self, timeout: float = READ_WAIT_SECONDS) -> bool:
        """Wait until every frame in the journal now has been loaded; False on timeout, and at
        once while loads are failing (readers then go ahead without the unloaded events, and
        the server's readiness check says why)."""
        target = self._journal.last_seq
        with self._loaded:
            self._loaded.wait_for(lambda: self._loaded_seq >= target or self._load_failing, timeout)
            return self._loaded_seq >= target

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread's reads, which see every event acknowledged before this call
        (it waits for the journal's frames to be loaded)."""
        self.wait_for_journal()
        with self._lock:
            return self._connection.cursor()

    def ping(self) -> None:
        """Run a trivial query on a cursor of the shared connection (without waiting for the
        journal, so a health check answers at once under load)."""
        try:
            with self._lock:
                cursor = self._connection.cursor()
            try:
                cursor.execute("SELECT 1").fetchone()
            finally:
                cursor.close()
        except duckdb.Error as exc:
            raise EventStoreError(f"event store {self.path} does not answer: {exc}") from None

    def append(self, rows: pa.Table, now: datetime | None = None) -> AppendResult:
        """Store the rows in one transaction, skipping message ids already stored for the app,
        and bring identities, traits and accounts up to date in the same transaction. Profile
        counts land in a backlog in that transaction too; `fold_activity` adds them up later,
        and readers count the backlog meanwhile."""
        with self._write_lock:
            return self._append(rows, now or datetime.now(UTC), None)

    def load(self, rows: pa.Table, journal_seq: int) -> None:
        """Append rows of journal frames up to `journal_seq`, recording that number in the
        same transaction (the load thread's and the replay's way in); readers waiting for the
        journal are woken, or told that loads fail."""
        try:
            with self._write_lock:
                self._append(rows, datetime.now(UTC), journal_seq)
        except Exception:
            self._loaded_changed(failing=True)
            raise
        self._loaded_changed(failing=False, seq=journal_seq)

    def _loaded_changed(self, failing: bool, seq: int = 0) -> None:
        with self._loaded:
            self._loaded_seq = max(self._loaded_seq, seq)
            self._load_failing = failing
            self._loaded.notify_all()

    def _append(self, rows: pa.Table, now: datetime, journal_seq: int | None) -> AppendResult:
        # Arrival order breaks ties between messages with the same timestamp (traits, links).
        rows = rows.append_column("seq", pa.array(np.arange(rows.num_rows), pa.int64()))
        unique = first_of_each(rows, ["app_id", "message_id"])
        cursor = self._append_cursor
        if self._identities is None:
            self._identities = Identities(cursor)
        identities = self._identities
        try:
            cursor.register("arriving", unique)
            # Each call into DuckDB gives up the interpreter lock and must win it back from the
            # event loop, so statements that return nothing go in one call where they can.
            seen = cursor.sql(
                "BEGIN TRANSACTION; INSERT INTO seen_messages SELECT app_id, message_id, "
                "received_at FROM arriving ON CONFLICT DO NOTHING RETURNING app_id, message_id"
            ).to_arrow_table()
            if seen.num_rows < unique.num_rows:
                unique = unique.filter(_is_among(unique, seen))
            statements: list[str] = []
            if unique.num_rows:
                persons = apply_identity(cursor, unique, now, identities)
                cursor.register("incoming", unique.append_column("person_id", persons))
                statements = [_INSERT_EVENTS, *activity_statements(unique)]
                if carries_traits(unique):
                    cursor.execute(";\n".join(statements))
                    update_traits(cursor)
                    statements = []
            if journal_seq is not None:
                seq = int(journal_seq)
                statements.append(
                    f"UPDATE journal_position SET loaded_seq = greatest(loaded_seq, {seq})"
                )
            cursor.execute(";\n".join([*statements, "COMMIT"]))
        except Exception as exc:
            identities.discard()
            _rollback(cursor)
            if isinstance(exc, duckdb.Error):
                raise EventStoreError(f"could not store events in {self.path}: {exc}") from None
            raise
        finally:
            cursor.unregister("arriving")
            cursor.unregister("incoming")
        identities.commit()
        self._forget_changed(unique, persons if unique.num_rows else None)
        stored = np.zeros(rows.num_rows, dtype=bool)
        stored[unique.column("seq").to_numpy()] = True
        return AppendResult(stored=pa.array(stored))

    def _forget_changed(self, rows: pa.Table, persons: pa.Array | None) -> None:
        """Tell the activity cache whom the stored rows may have changed."""
        if persons is None:
            self._activity.forget(())  # nothing was stored
            return
        if self._activity.empty and not self._warming:
            self._activity.forget((), known=False)  # nobody to forget; not worth working out
            return
        apps = rows.column("app_id").to_pylist()
        changed = set(zip(apps, persons.to_pylist(), strict=True))
        ids = {
            (app, distinct)
            for column in ("distinct_id", "anonymous_id", "user_id", "previous_id")
            for app, distinct in zip(apps, rows.column(column).to_pylist(), strict=True)
            if distinct is not None
        }
        groups = pc.equal(rows.column("type"), "group")
        accounts: set[tuple[str, str]] = set()
        if pc.any(groups).as_py():
            grouped = rows.filter(groups)
            accounts = set(
                zip(
                    grouped.column("app_id").to_pylist(),
                    grouped.column("account_id").to_pylist(),
                    strict=True,
                )
            )
        self._activity.forget(changed, ids, accounts)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cursor = self.cursor()
        try:
            yield cursor
        except duckdb.Error as exc:
            raise EventStoreError(f"could not read the event store {self.path}: {exc}") from None
        finally:
            cursor.close()

    def _person_id(self, cursor: duckdb.DuckDBPyConnection, app_id: str, any_id: str) -> int | None:
        """The person a sender's id names; failing that, `any_id` read as a person id."""
        row = cursor.execute(
            "SELECT person_id FROM person_ids WHERE app_id = ? AND distinct_id = ?",
            [app_id, any_id],
        ).fetchone()
        if row is None and any_id.isascii() and any_id.isdigit() and len(any_id) < 19:
            row = cursor.execute(
                "SELECT person_id FROM persons WHERE app_id = ? AND person_id = ?",
                [app_id, int(any_id)],
            ).fetchone()
        return int(row[0]) if row else None

    def find_person(self, app_id: str, any_id: str) -> PersonProfile | None:
        """The person one of whose ids (or whose person id) is `any_id`, or None."""
        with self._reading() as cursor:
            person_id = self._person_id(cursor, app_id, any_id)
            if person_id is None:
                return None
            return _profiles(cursor, app_id, [person_id]).get(person_id)

    def remembered_activity(
        self, app_id: str, any_id: str, since: date
    ) -> tuple[bool, PersonActivity | None]:
        """See `EventStore.remembered_activity`."""
        known, remembered = self._activity.get(app_id, any_id, since)
        if not known:
            return False, None
        ids = [any_id] if remembered is None else _ids_of(remembered.profile)
        if self._ingestion.waits_for(app_id, ids):
            return False, None
        return True, remembered

    def person_activity(self, app_id: str, any_id: str, since: date) -> PersonActivity | None:
        """The person's profile, daily counts from `since` on and guidance activity, from the
        tables kept at ingest (plus the backlog not folded yet); None when unknown."""
        known, remembered = self.remembered_activity(app_id, any_id, since)
        if known:
            return remembered
        if self._activity.get(app_id, any_id, since)[0]:
            # Events of theirs are acknowledged and about to load: read them as reads do.
            self.wait_for_journal()
            known, remembered = self._activity.get(app_id, any_id, since)
            if known:
                return remembered
        generation = self._activity.generation
        with self._reading() as cursor:
            person_id = self._person_id(cursor, app_id, any_id)
            if person_id is None:
                self._activity.put_unknown(app_id, any_id, generation)
                return None
            found = _activities(cursor, app_id, [person_id], since)[0]
        self._activity.put(app_id, found, since, generation)
        return found

    def person_activities(
        self, app_id: str, since: date, batch: int = 5_000, where: PersonCondition | None = None
    ) -> Iterator[PersonActivity]:
        """Every person of the app (or those `where` keeps) with their activity (as
        `person_activity`), in person id order, read `batch` persons at a time."""
        condition = where or PersonCondition("true")
        statement = (
            f"SELECT p.person_id FROM persons p WHERE p.app_id = $app_id AND ({condition.sql}) "
            "ORDER BY p.person_id"
        )
        with self._reading() as cursor:
            rows = cursor.execute(statement, {**condition.params, "app_id": app_id}).fetchall()
        ids = [int(row[0]) for row in rows]
        for start in range(0, len(ids), batch):
            with self._reading() as cursor:
                chunk = _activities(cursor, app_id, ids[start : start + batch], since)
            yield from chunk

    def person_count(self, app_id: str) -> int:
        """How many persons the app has."""
        with self._reading() as cursor:
            row = cursor.execute(
                "SELECT count(*) FROM persons WHERE app_id = ?", [app_id]
            ).fetchone()
        return int(row[0]) if row else 0

    def person_ids(self, app_id: str, any_id: str) -> tuple[str, ...]:
        """Every id of the person `any_id` names (empty when nobody has it)."""
        with self._reading() as cursor:
            person_id = self._person_id(cursor, app_id, any_id)
            if person_id is None:
                return ()
            rows = cursor.execute(
                "SELECT distinct_id FROM person_ids WHERE app_id = ? AND person_id = ?",
                [app_id, person_id],
            ).fetchall()
            return tuple(sorted(row[0] for row in rows))

    def list_events(self, app_id: str, where: EventFilter) -> list[dict[str, Any]]:
        """Events of the app matching `where`, newest first (timestamp, then message id)."""
        clauses: list[str] = ["app_id = ?"]
        params: list[Any] = [app_id]
        if where.event is not None:
            clauses.append("event = ?")
            params.append(where.event)
        if where.distinct_ids is not None:
            clauses.append("distinct_id IN (SELECT unnest(?))")
            params.append(list(where.distinct_ids))
        if where.url is not None:
            clauses.append("contains(lower(url), lower(?))")
            params.append(where.url)
        if where.since is not None:
            clauses.append("timestamp >= ?")
            params.append(_naive(where.since))
        if where.until is not None:
            clauses.append("timestamp < ?")
            params.append(_naive(where.until))
        if where.before is not None:
            clauses.append("(timestamp < ? OR (timestamp = ? AND message_id < ?))")
            at = _naive(where.before[0])
            params.extend([at, at, where.before[1]])
        sql = (
            "SELECT * EXCLUDE (app_id, preview) FROM resolved_events "
            f"WHERE {' AND '.join(clauses)} ORDER BY timestamp DESC, message_id DESC LIMIT ?"
        )
        with self._reading() as cursor:
            result = cursor.execute(sql, [*params, where.limit])
            names = [column[0] for column in result.description or ()]
            rows = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        for row in rows:
            row["person_id"] = None if row["person_id"] is None else str(row["person_id"])
            row["properties"] = json.loads(row["properties"])
            row["context"] = json.loads(row["context"])
        return rows

    def query(self, sql: str, params: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read-only statement with named parameters; column names and rows."""
        with self._reading() as cursor:
            result = cursor.execute(sql, params)
            columns = [column[0] for column in result.description or ()]
            return columns, result.fetchall()

    def query_arrow(self, sql: str, params: dict[str, Any]) -> pa.Table:
        """Run one read-only statement with named parameters; its rows as one Arrow table, for
        results too long to pass through Python tuples."""
        with self._reading() as cursor:
            return cursor.sql(sql, params=params).to_arrow_table()

    def erase_person(self, app_id: str, any_id: str) -> Erasure | None:
        """Delete the person, all their ids, traits, profile and events; None when unknown."""
        # Events acknowledged but not loaded yet would come back after the erasure.
        if not self.wait_for_journal():
            raise EventStoreError(
                f"acknowledged events are not all loaded into {self.path} yet, so the erasure "
                "could not be complete; nothing was erased, try again once /readyz is ok"
            )
        with self._write_lock:
            cursor = self._append_cursor
            try:
                person_id = self._person_id(cursor, app_id, any_id)
                if person_id is None:
                    return None
                cursor.execute("BEGIN TRANSACTION")
                ids = [
                    row[0]
                    for row in cursor.execute(
                        "SELECT distinct_id FROM person_ids WHERE app_id = ? AND person_id = ?",
                        [app_id, person_id],
                    ).fetchall()
                ]
                deleted = cursor.execute(
                    "DELETE FROM events WHERE app_id = ? AND distinct_id IN (SELECT unnest(?))",
                    [app_id, ids],
                ).fetchone()
                for statement in _ERASE_STATEMENTS:
                    cursor.execute(statement, [app_id, person_id])
                cursor.execute("COMMIT")
            except duckdb.Error as exc:
                _rollback(cursor)
                raise EventStoreError(f"could not erase {any_id!r} in {self.path}: {exc}") from None
            if self._identities is not None:
                self._identities.forget(app_id, ids, person_id)
            self._activity.forget([(app_id, person_id)], [(app_id, i) for i in ids])
            # The journal still holds the loaded events in its open segment: start a new
            # segment so that every loaded one can be deleted now, not when it fills up.
            self._journal.close()
            try:
                self._journal.release_through(self._loaded_seq)
            except OSError:  # the erasure is done; the load thread's next release retries
                log.exception("deleting journal segments after an erasure failed")
        return Erasure(str(person_id), tuple(sorted(ids)), int(deleted[0]) if deleted else 0)

    def fold_activity(self) -> None:
        """Add the profile backlog into the per-person and per-account tables, in one
        transaction. The writer calls it between appends; readers see the same totals before
        and after."""
        with self._write_lock:
            cursor = self._append_cursor
            try:
                cursor.execute("BEGIN TRANSACTION")
                fold_activity(cursor)
                cursor.execute("COMMIT")
            except duckdb.Error as exc:
                _rollback(cursor)
                raise EventStoreError(f"could not fold profiles in {self.path}: {exc}") from None

    def forget_old_message_ids(self, now: datetime) -> int:
        """Drop remembered message ids older than the dedupe window; returns how many."""
        cutoff = (now - DEDUPE_WINDOW).replace(tzinfo=None)
        with self._write_lock:
            result = self._append_cursor.execute(
                "DELETE FROM seen_messages WHERE seen_at < ?", [cutoff]
            ).fetchone()
        return int(result[0]) if result else 0

    def close(self) -> None:
        """Load what was acknowledged and stop ingesting, fold the profile backlog and close the
        file; further use raises EventStoreError."""
        self._closing = True
        self._ingestion.stop()
        if self._warmer is not None:
            # It stops at its next batch; closing the connection under a call of its own
            # would fail ("connection is busy").
            self._warmer.join(timeout=CLOSE_WAIT_SECONDS)
        with contextlib.suppress(EventStoreError):  # already closed, or the file failed
            self.fold_activity()
        self._append_cursor.close()
        with self._lock:  # not while a reader is taking a cursor from it
            self._connection.close()
        self._journal.close()


# A person's counts: those folded so far plus the backlog's.
# The background read of persons into memory: this many at a time, every day of their counts.
WARM_BATCH = 2_000
# How long closing waits for that read to stop (it checks between batches).
CLOSE_WAIT_SECONDS = 30.0
WARM_SINCE = date(1970, 1, 1)
_BY_RECENT = """
SELECT p.person_id FROM persons p
LEFT JOIN (SELECT person_id, max(last_seen) AS seen FROM person_event_stats
           WHERE app_id = $1 GROUP BY person_id) s ON s.person_id = p.person_id
WHERE p.app_id = $1 ORDER BY s.seen DESC NULLS LAST, p.person_id
"""


def _ids_of(profile: PersonProfile) -> list[str]:
    return [*profile.user_ids, *profile.anonymous_ids]


# Many persons' activity at once ($2: their ids): each statement answers for all of them. For
# one person the condition is an equality, which DuckDB answers from the key index instead of
# scanning the table (the `{_MANY}` placeholder is filled with one or the other).
_MANY = "{persons}"
_ONE_PERSON = "app_id = $1 AND person_id = $2"
_SOME_PERSONS = "app_id = $1 AND person_id IN (SELECT unnest($2::BIGINT[]))"
_MANY_PERSONS = f"SELECT person_id, created_at, account_id FROM persons WHERE {_MANY}"
_MANY_IDS = (
    f"SELECT person_id, distinct_id, is_user FROM person_ids WHERE {_MANY} "
    "ORDER BY person_id, created_at, distinct_id"
)
_MANY_TRAITS = f"SELECT person_id, trait, value FROM person_traits WHERE {_MANY} ORDER BY trait"
_MANY_ACCOUNT_TRAITS = """SELECT account_id, trait, value FROM account_traits
WHERE app_id = $1 AND account_id IN (SELECT unnest($2::VARCHAR[])) ORDER BY trait"""
_MANY_COUNTS = f"""
SELECT person_id, event, sum(count)::BIGINT AS count, min(first_seen), max(last_seen)
FROM (
  SELECT person_id, event, count, first_seen, last_seen FROM person_event_stats WHERE {_MANY}
  UNION ALL
  SELECT person_id, event, count, first_seen, last_seen FROM activity_backlog WHERE {_MANY}
)
GROUP BY person_id, event ORDER BY person_id, count DESC, event
"""
_MANY_DAILY = f"""
SELECT person_id, event, day, sum(count)::BIGINT FROM (
  SELECT person_id, event, day, count FROM person_daily_events WHERE {_MANY} AND day >= $3
  UNION ALL
  SELECT person_id, event, day, count FROM activity_backlog WHERE {_MANY} AND day >= $3
)
GROUP BY person_id, event, day
"""
_MANY_CONTENT = f"""
SELECT person_id, content_id, event, sum(count)::BIGINT, min(first_seen), max(last_seen),
       arg_max(last_version, last_seen), arg_max(last_step, last_seen)
FROM (
  SELECT person_id, content_id, event, count, first_seen, last_seen, last_version, last_step
  FROM content_activity WHERE {_MANY}
  UNION ALL
  SELECT person_id, content_id, event, count, first_seen, last_seen, last_version, last_step
  FROM content_backlog WHERE {_MANY}
)
GROUP BY person_id, content_id, event ORDER BY person_id, content_id, event
"""


def _where(person_ids: list[int]) -> tuple[str, Any]:
    """The condition naming the persons, and its parameter."""
    if len(person_ids) == 1:
        return _ONE_PERSON, person_ids[0]
    return _SOME_PERSONS, person_ids


def _profiles(
    cursor: duckdb.DuckDBPyConnection, app_id: str, person_ids: list[int]
) -> dict[int, PersonProfile]:
    """The profile of each of the persons that exists, in five statements whatever their
    number."""
    where, named = _where(person_ids)

    def run(statement: str) -> list[Any]:
        return cursor.execute(statement.replace(_MANY, where), [app_id, named]).fetchall()

    persons = {row[0]: row for row in run(_MANY_PERSONS)}
    ids: dict[int, list[tuple[str, bool]]] = {}
    for person_id, distinct_id, is_user in run(_MANY_IDS):
        ids.setdefault(person_id, []).append((distinct_id, is_user))
    traits: dict[int, dict[str, Any]] = {}
    for person_id, trait, value in run(_MANY_TRAITS):
        traits.setdefault(person_id, {})[trait] = json.loads(value)
    accounts = sorted({row[2] for row in persons.values() if row[2]})
    account_traits: dict[str, dict[str, Any]] = {}
    if accounts:
        rows = cursor.execute(_MANY_ACCOUNT_TRAITS, [app_id, accounts]).fetchall()
        for account_id, trait, value in rows:
            account_traits.setdefault(account_id, {})[trait] = json.loads(value)
    counts: dict[int, list[EventCount]] = {}
    for person_id, *count in run(_MANY_COUNTS):
        counts.setdefault(person_id, []).append(EventCount(*count))
    profiles = {}
    for person_id, created_at, account_id in persons.values():
        person_ids_of = ids.get(person_id, [])
        profiles[person_id] = PersonProfile(
            person_id=str(person_id),
            user_ids=tuple(i for i, is_user in person_ids_of if is_user),
            anonymous_ids=tuple(i for i, is_user in person_ids_of if not is_user),
            traits=traits.get(person_id, {}),
            account_id=account_id,
            account_traits=account_traits.get(account_id, {}) if account_id else {},
            created_at=created_at,
            event_counts=tuple(counts.get(person_id, ())),
        )
    return profiles


def _activities(
    cursor: duckdb.DuckDBPyConnection, app_id: str, person_ids: list[int], since: date
) -> list[PersonActivity]:
    """The activity of each of the persons, in the order given (persons that do not exist are
    left out): their profiles, then two statements more whatever their number."""
    profiles = _profiles(cursor, app_id, person_ids)
    where, named = _where(person_ids)
    daily: dict[int, dict[tuple[str, date], int]] = {}
    statement = _MANY_DAILY.replace(_MANY, where)
    for person_id, event, day, count in cursor.execute(
        statement, [app_id, named, since]
    ).fetchall():
        daily.setdefault(person_id, {})[(event, day)] = int(count)
    content: dict[int, list[ContentActivity]] = {}
    statement = _MANY_CONTENT.replace(_MANY, where)
    for person_id, *row in cursor.execute(statement, [app_id, named]).fetchall():
        content.setdefault(person_id, []).append(ContentActivity(*row))
    return [
        PersonActivity(profiles[p], daily.get(p, {}), tuple(content.get(p, ())))
        for p in person_ids
        if p in profiles
    ]


_ERASE_STATEMENTS = (
    "DELETE FROM person_ids WHERE app_id = ? AND person_id = ?",
    "DELETE FROM persons WHERE app_id = ? AND person_id = ?",
    "DELETE FROM person_event_stats WHERE app_id = ? AND person_id = ?",
    "DELETE FROM activity_backlog WHERE app_id = ? AND person_id = ?",
    "DELETE FROM person_daily_events WHERE app_id = ? AND person_id = ?",
    "DELETE FROM content_activity WHERE app_id = ? AND person_id = ?",
    "DELETE FROM content_backlog WHERE app_id = ? AND person_id = ?",
    "DELETE FROM person_overrides WHERE app_id = ? AND person_id = ?",
    "DELETE FROM person_traits WHERE app_id = ? AND person_id = ?",
    "DELETE FROM trait_history WHERE app_id = ? AND entity = 'person' AND entity_id = ?::VARCHAR",
)


def _is_among(rows: pa.Table, keys: pa.Table) -> pa.BooleanArray:
    """For each row, whether its (app_id, message_id) is one of `keys`'."""
    found = np.zeros(rows.num_rows, dtype=bool)
    for app_id in pc.unique(rows.column("app_id")).to_pylist():
        ids = keys.filter(pc.equal(keys.column("app_id"), app_id)).column("message_id")
        in_app = pc.equal(rows.column("app_id"), app_id)
        found |= pc.and_(in_app, pc.is_in(rows.column("message_id"), value_set=ids)).to_numpy(
            zero_copy_only=False
        )
    return pa.array(found)


def _naive(moment: datetime) -> datetime:
    """UTC without a zone, as the store's TIMESTAMP columns hold it."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _rollback(cursor: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction was open
        cursor.execute("ROLLBACK")


def _conformed(rows: pa.Table) -> pa.Table:
    """Rows from the journal with exactly the events table's columns: a frame written by an
    older version lacks the columns added since (they are left empty)."""
    if rows.schema.equals(EVENTS_ARROW_SCHEMA):
        return rows
    columns = [
        rows.column(field.name).cast(field.type)
        if field.name in rows.column_names
        else pa.nulls(rows.num_rows, field.type)
        for field in EVENTS_ARROW_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=EVENTS_ARROW_SCHEMA)


@dataclass(frozen=True)
class Compaction:
    """The event store's file size before and after `compact`."""

    bytes_before: int
    bytes_after: int


def compact(path: Path) -> Compaction:
    """Rewrite the event store at `path` into a fresh file holding only what it holds now.

    Deleting rows (an erasure, the dedupe window's pruning) only marks DuckDB's blocks free; the
    bytes stay in the file until the blocks are reused. The rewritten file has none of them, so
    an erased person's events, ids and traits are gone from the disk too. The store needs the
    file to itself (a running server holds it, and so would a store open in this process).
    Journaled events not yet loaded stay in the journal, and the journal position is copied
    with everything else. A failure leaves the old file as it was.
    """
    fresh = path.with_name(path.name + ".compacting")
    for leftover in (fresh, _wal(fresh)):  # from a compaction that was cut off
        leftover.unlink(missing_ok=True)
    before = path.stat().st_size
    try:
        connection = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise EventStoreError(
            f"cannot open the event store {path}: {exc}. Stop the server that uses it first."
        ) from None
    try:
        name = str(connection.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
        connection.execute(f"ATTACH '{_quoted(fresh)}' AS compacted")
        connection.execute(f'COPY FROM DATABASE "{name}" TO compacted')
        connection.execute("DETACH compacted")
    except duckdb.Error as exc:
        fresh.unlink(missing_ok=True)
        raise EventStoreError(f"could not compact {path}: {exc}") from None
    finally:
        connection.close()
    if _wal(path).exists() or _wal(fresh).exists():
        # Closing checkpoints both; a log left beside the new file would be replayed into it.
        fresh.unlink(missing_ok=True)
        raise EventStoreError(f"could not compact {path}: its write-ahead log was not folded in")
    with fresh.open("rb") as file:
        os.fsync(file.fileno())
    os.replace(fresh, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
    return Compaction(before, path.stat().st_size)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
