"""Funnel benchmark: Waypost's ordered funnel beside ClickHouse's windowFunnel (chDB), same data.

Generates an onboarding-shaped event set (10M events, 500k persons, 20 event names, 90 days by
default) into one Parquet file and loads it twice: into a Waypost DuckDB event store (events,
person_ids, persons), and into a chDB MergeTree table ordered by (person_id, timestamp), merged
into one part, in a persistent chDB session (`<data-dir>/chdb/`), as a product built on
ClickHouse keeps its events; the load is timed once and not counted. Then it times a 4-step,
7-day ordered funnel, each side in a subprocess of its own so that its peak memory is its own:

- chDB over MergeTree: `windowFunnel` over the table, per person; the baseline of every ratio;
- chDB over Parquet: `windowFunnel` over the Parquet file, per person three ways: by a person_id
  column in the file, by the distinct id, and joined to the store's person_ids (as Waypost's
  `resolved_events` view does); the baseline before MergeTree, kept for comparison;
- Waypost in-process: `run_funnel(store, app_id, FunnelQuery(...))`, the code the API and the
  CLI run;
- Waypost over HTTP: `POST /api/v1/insights/query` with the same query, to a `waypost serve` of
  its own on 127.0.0.1 over the same store (a fresh metadata database holds the benchmark's app
  and a secret key); its CPU seconds and memory are the server process's.

Each side runs once to warm up, then `--repeat` times (3); the best time counts. Every side's
per-step counts are printed and must agree (docs/performance.md says why they should). Heavy
imports happen inside the functions that need them, so each side's process holds only its own
engine and its peak memory is its own. `--data-dir` keeps the Parquet file, the store and the
chDB session for the next run; they are made again when the shape or the generator changes.

    .venv/bin/python bench/funnel.py                  # or: make bench-funnel
    .venv/bin/python bench/funnel.py --data-dir /tmp/funnel --variant source=no-message-id
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from waypost.insights.queries import FunnelQuery

APP = "app_bench"
START = datetime(2026, 1, 5, tzinfo=UTC)
US = 1_000_000
MINUTE, HOUR, DAY = 60 * US, 3600 * US, 86400 * US
WINDOW_SECONDS = 7 * 86400
# Bump when generate() or the store layout changes, so that kept data is made again.
GENERATOR_VERSION = 2
# How the chDB side finds each event's person: a person_id column in the Parquet file, the
# distinct id itself (one per person here), or a join to the store's person_ids.
BY = ("person_id", "distinct_id", "person_ids-join")

# The funnel's four steps come first; the rest are everyday events.
STEPS = ("Signed Up", "Connected Data Source", "Created Dashboard", "Invited Teammate")
OTHERS = (
    "Page Viewed",
    "Dashboard Viewed",
    "Logged In",
    "Feature Used",
    "Search Performed",
    "Filter Applied",
    "Chart Edited",
    "Notification Opened",
    "Report Exported",
    "Comment Added",
    "Logged Out",
    "Settings Changed",
    "Help Opened",
    "File Uploaded",
    "Alert Created",
    "Plan Upgraded",
)
NAMES = STEPS + OTHERS
# How often each name turns up among everyday events (Signed Up never does): a long tail.
EVERYDAY_WEIGHTS = {
    "Page Viewed": 300,
    "Dashboard Viewed": 170,
    "Logged In": 80,
    "Feature Used": 80,
    "Search Performed": 60,
    "Filter Applied": 50,
    "Chart Edited": 45,
    "Notification Opened": 40,
    "Created Dashboard": 30,
    "Report Exported": 25,
    "Comment Added": 20,
    "Logged Out": 20,
    "Settings Changed": 15,
    "Help Opened": 12,
    "File Uploaded": 10,
    "Alert Created": 8,
    "Connected Data Source": 5,
    "Invited Teammate": 4,
    "Plan Upgraded": 2,
}


@dataclass(frozen=True)
class Shape:
    """What to generate; the same shape and seed give the same events."""

    persons: int
    events: int
    days: int
    seed: int

    @property
    def end(self) -> datetime:
        return START + timedelta(days=self.days)


# ---------------------------------------------------------------- the events


def _delays(rng: np.random.Generator, size: int, median_us: float, sigma: float) -> np.ndarray:
    """Log-normal waits in microseconds: most quick, a long tail."""
    import numpy as np

    return np.exp(rng.normal(np.log(median_us), sigma, size)).astype(np.int64) + 1


def generate(shape: Shape) -> pa.Table:
    """Events as person_id, event_code (an index into NAMES) and ts_us columns, in time order.

    85% of persons sign up inside the range and go through onboarding with falling conversion
    and long-tailed waits, some beyond the 7-day window; the rest were users before it. Activity
    per person is log-normal. A few persons sign up twice, skip a step, do a step at the very
    moment they signed up, or finish exactly at the window's edge (or a microsecond after).
    """
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(shape.seed)
    n = shape.persons
    start_us = int(START.timestamp() * US)
    span_us = shape.days * DAY
    end_us = start_us + span_us
    none = np.int64(-1)

    is_new = rng.random(n) < 0.85
    t0 = np.where(is_new, start_us + (rng.random(n) * span_us).astype(np.int64), none)
    reached = [is_new]
    times = [t0]
    # (share of the previous step that goes on, median wait, spread of the wait)
    for share, median, sigma in ((0.62, 20 * MINUTE, 1.6), (0.58, DAY, 1.3), (0.45, 2 * DAY, 1.2)):
        goes_on = reached[-1] & (rng.random(n) < share)
        times.append(np.where(goes_on, times[-1] + _delays(rng, n, median, sigma), none))
        reached.append(goes_on)
    # Same-moment ties: the data source connected in the sign-up request itself.
    tie = reached[1] & (rng.random(n) < 0.01)
    times[1] = np.where(tie, t0, times[1])
    # The window's edge: the last step exactly 7 days after signing up (counts) or 1 µs later.
    edge = t0 + WINDOW_SECONDS * US
    at_edge = reached[3] & (times[2] < edge) & (rng.random(n) < 0.004)
    offset = (rng.random(n) < 0.5).astype(np.int64)
    times[3] = np.where(at_edge, edge + offset, times[3])

    flow_person, flow_event, flow_ts = [], [], []
    for k in range(4):
        who = np.flatnonzero(times[k] >= 0)
        flow_person.append(who)
        flow_event.append(np.full(who.size, k, np.uint8))
        flow_ts.append(times[k][who])
    # Out of order: invited a teammate without creating a dashboard first.
    skipped = np.flatnonzero(reached[1] & ~reached[2] & (rng.random(n) < 0.05))
    flow_person.append(skipped)
    flow_event.append(np.full(skipped.size, 3, np.uint8))
    flow_ts.append(times[1][skipped] + _delays(rng, skipped.size, HOUR, 1.0))
    # Signed up again, up to a month later.
    again = np.flatnonzero(is_new & (rng.random(n) < 0.03))
    flow_person.append(again)
    flow_event.append(np.zeros(again.size, np.uint8))
    flow_ts.append(t0[again] + DAY + (rng.random(again.size) * 29 * DAY).astype(np.int64))

    person = np.concatenate(flow_person)
    event = np.concatenate(flow_event)
    ts = np.concatenate(flow_ts)
    inside = ts < end_us
    person, event, ts = person[inside], event[inside], ts[inside]

    # Everyday events: persons weighted by a log-normal activity and how long they were around;
    # everyone who was a user before the range has at least one.
    active_from = np.where(is_new, t0, start_us)
    weight = np.exp(rng.normal(0.0, 1.4, n)) * (end_us - active_from) / span_us
    everyday = shape.events - person.size
    extra = np.flatnonzero(~is_new)
    counts = rng.multinomial(everyday - extra.size, weight / weight.sum())
    counts[extra] += 1
    who = np.repeat(np.arange(n), counts)
    names = np.array([NAMES.index(name) for name in EVERYDAY_WEIGHTS], np.uint8)
    p = np.array(list(EVERYDAY_WEIGHTS.values()), float)
    what = rng.choice(names, size=who.size, p=p / p.sum())
    # Busier early on: a person's events lean towards the start of their time around.
    when = active_from[who] + ((end_us - active_from[who]) * rng.random(who.size) ** 1.7).astype(
        np.int64
    )
    # A step's event only repeats once the person has reached it (a new user cannot invite a
    # teammate before onboarding got there); otherwise it was a page view.
    for k in range(1, 4):
        mine = what == k
        first = times[k][who]
        early = mine & is_new[who] & ((first < 0) | (when < first))
        what[early] = NAMES.index("Page Viewed")
    person = np.concatenate([person, who])
    event = np.concatenate([event, what])
    ts = np.concatenate([ts, when])
    order = np.argsort(ts, kind="stable")
    return pa.table(
        {
            "person_id": pa.array(person[order] + 1, pa.int64()),
            "event_code": pa.array(event[order], pa.uint8()),
            "ts_us": pa.array(ts[order], pa.int64()),
        }
    )


def write_parquet(shape: Shape, path: Path) -> None:
    """The events as the events table's columns, plus the person_id they belong to."""
    import duckdb

    generated = generate(shape)
    names = ", ".join(f"'{name}'" for name in NAMES)
    con = duckdb.connect()
    con.register("generated", generated)
    # Rows stay in time order (DuckDB keeps insertion order), as a store receives them.
    con.execute(
        f"""COPY (
  SELECT '{APP}' AS app_id, h[1:8] || '-' || h[9:12] || '-' || h[13:16] || '-' || h[17:20] || '-'
           || h[21:32] AS message_id,
         'track' AS type, [{names}][event_code + 1] AS event, 'u' || person_id AS distinct_id,
         'u' || person_id AS user_id, make_timestamp(ts_us) AS timestamp,
         make_timestamp(ts_us + 1500000) AS received_at,
         '{{"plan":"' || ['free', 'pro', 'team'][1 + person_id % 3] || '"}}' AS properties,
         '{{"library":{{"name":"analytics.js","version":"5.2.0"}}}}' AS context,
         person_id
  FROM (SELECT *, md5(shape_seed || ':' || row_number() OVER ()) AS h
        FROM generated, (SELECT '{shape.seed}' AS shape_seed))
) TO '{path}' (FORMAT parquet, COMPRESSION zstd)"""
    )
    con.close()


def load_store(parquet: Path, store_path: Path) -> None:
    """A Waypost event store holding the Parquet file's events, person ids and persons."""
    from waypost.events import DuckDBEventStore
    from waypost.events.schema import STORED_COLUMNS

    given = {"app_id", "message_id", "type", "event", "distinct_id", "user_id", "timestamp"}
    given |= {"received_at", "properties", "context", "person_id"}
    columns = [c.name for c in STORED_COLUMNS]
    select = ", ".join(c if c in given else f"NULL AS {c}" for c in columns)
    source = f"read_parquet('{parquet}')"
    store = DuckDBEventStore(store_path)
    cursor = store.cursor()
    try:
        cursor.execute(f"INSERT INTO events ({', '.join(columns)}) SELECT {select} FROM {source}")
        cursor.execute(
            "INSERT INTO person_ids SELECT app_id, distinct_id, any_value(person_id), true, "
            f"min(timestamp) FROM {source} GROUP BY app_id, distinct_id"
        )
        cursor.execute(
            "INSERT INTO persons SELECT app_id, person_id, min(created_at), NULL, NULL "
            "FROM person_ids GROUP BY app_id, person_id"
        )
        cursor.execute("CHECKPOINT")
    finally:
        cursor.close()
        store.close()


def prepare(shape: Shape, data_dir: Path) -> tuple[Path, Path, Path]:
    """The Parquet files and the loaded store, reused when `data_dir` already holds this shape."""
    import duckdb

    parquet, ids, store = (
        data_dir / "events.parquet",
        data_dir / "person_ids.parquet",
        data_dir / "events.duckdb",
    )
    manifest = data_dir / "manifest.json"
    wanted = {**asdict(shape), "generator": GENERATOR_VERSION}
    if manifest.exists() and json.loads(manifest.read_text()) == wanted and store.exists():
        print(f"reusing the events in {data_dir}")
        return parquet, ids, store
    data_dir.mkdir(parents=True, exist_ok=True)
    for path in (manifest, parquet, ids, store, store.with_suffix(".duckdb.wal")):
        path.unlink(missing_ok=True)
    shutil.rmtree(data_dir / CHDB_DIR, ignore_errors=True)
    started = time.perf_counter()
    write_parquet(shape, parquet)
    print(
        f"generated {shape.events:,} events into {parquet} in {time.perf_counter() - started:.1f}s"
    )
    started = time.perf_counter()
    load_store(parquet, store)
    con = duckdb.connect(str(store), read_only=True)
    con.execute(f"COPY person_ids TO '{ids}' (FORMAT parquet)")
    con.close()
    print(f"loaded them into {store} in {time.perf_counter() - started:.1f}s")
    manifest.write_text(json.dumps(wanted))
    return parquet, ids, store


# The columns of chDB's MergeTree copy of the events, as a product on ClickHouse would declare
# them: low-cardinality strings for the few distinct values, microsecond timestamps.
CHDB_COLUMNS = {
    "app_id": "LowCardinality(String)",
    "message_id": "String",
    "type": "LowCardinality(String)",
    "event": "LowCardinality(String)",
    "distinct_id": "String",
    "user_id": "Nullable(String)",
    "timestamp": "DateTime64(6, 'UTC')",
    "received_at": "DateTime64(6, 'UTC')",
    "properties": "String",
    "context": "String",
    "person_id": "Int64",
}
CHDB_DIR = "chdb"  # the chDB session's directory, beside the other generated data
CHDB_TABLE = "events"


def load_chdb(parquet: Path, directory: Path) -> dict[str, Any]:
    """The Parquet file's events in a MergeTree table ordered by (person_id, timestamp), in a
    persistent chDB session in `directory`, merged into one part (ClickHouse's best case).

    The table is filled under another name and renamed once complete, so that a load cut short
    leaves no table that looks whole."""
    from chdb import session

    columns = ", ".join(CHDB_COLUMNS)
    loading = f"{CHDB_TABLE}_loading"
    db = session.Session(str(directory))
    try:
        db.query(f"DROP TABLE IF EXISTS {loading}")
        declared = ", ".join(f"{name} {kind}" for name, kind in CHDB_COLUMNS.items())
        db.query(
            f"CREATE TABLE {loading} ({declared}) ENGINE = MergeTree "
            "ORDER BY (person_id, timestamp)"
        )
        started = time.perf_counter()
        db.query(
            f"INSERT INTO {loading} ({columns}) SELECT {columns} FROM file('{parquet}', Parquet)"
        )
        db.query(f"OPTIMIZE TABLE {loading} FINAL")
        seconds = time.perf_counter() - started
        db.query(f"RENAME TABLE {loading} TO {CHDB_TABLE}")
        rows, parts, size = (
            str(
                db.query(
                    "SELECT sum(rows), count(), sum(bytes_on_disk) FROM system.parts "
                    f"WHERE database = currentDatabase() AND table = '{CHDB_TABLE}' AND active",
                    "CSV",
                )
            )
            .strip()
            .split(",")
        )
    finally:
        db.close()
    return {"seconds": seconds, "rows": int(rows), "parts": int(parts), "mb": int(size) / 2**20}


def prepare_chdb(parquet: Path, data_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The chDB session directory holding the MergeTree table and how its load went, loading it
    (in a process of its own) unless `data_dir` already holds it for these events and columns."""
    directory = data_dir / CHDB_DIR
    loaded = directory / "loaded.json"
    wanted = {"data": json.loads((data_dir / "manifest.json").read_text()), "columns": CHDB_COLUMNS}
    if loaded.exists():
        kept = json.loads(loaded.read_text())
        if {key: kept.get(key) for key in wanted} == wanted:
            print(f"reusing the chDB MergeTree table in {directory}")
            return directory, {**kept, "reused": True}
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    loader = [sys.executable, __file__, "--side", "chdb-load", "--parquet", str(parquet)]
    done = subprocess.run(
        [*loader, "--table", str(directory)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"loading chDB's MergeTree table failed:\n{done.stderr}")
    load = {**json.loads(done.stdout.splitlines()[-1]), **wanted}
    loaded.write_text(json.dumps(load))
    print(f"loaded them into chDB's MergeTree table in {directory} in {load['seconds']:.1f}s")
    return directory, {**load, "reused": False}


# ---------------------------------------------------------------- the sides


def funnel_query(shape: Shape) -> FunnelQuery:
    """The benchmark's funnel: the four onboarding steps, in order, within 7 days."""
    from waypost.insights.queries import FunnelQuery

    return FunnelQuery(
        steps=[{"event": name} for name in STEPS],
        window_seconds=WINDOW_SECONDS,
        order="ordered",
        date_from=START,
        date_to=shape.end,
    )


@dataclass
class Timing:
    """One side's result: every timed run's wall and CPU seconds, its answer and its memory.

    `counts` is the answer both sides must agree on: the per-step counts for a funnel, another
    insight's result as JSON-able lists (bench/insights.py)."""

    side: str
    wall: list[float]
    cpu: list[float]
    counts: list[Any]
    setup_mb: float
    peak_mb: float
    maxrss_mb: float
    settings: dict[str, str]


def _timed(
    run: Callable[[], list[Any]], repeat: int, cpu_clock: Callable[[], float] = time.process_time
) -> tuple[list[float], list[float], list[Any]]:
    """Runs once to warm up, then `repeat` times; every run must give the same counts.
    `cpu_clock` reads the CPU seconds of whoever does the work (this process by default)."""
    counts = run()
    wall, cpu = [], []
    for _ in range(repeat):
        started, used = time.perf_counter(), cpu_clock()
        again = run()
        wall.append(time.perf_counter() - started)
        cpu.append(cpu_clock() - used)
        if again != counts:
            raise SystemExit(f"counts changed between runs: {counts} then {again}")
    return wall, cpu, counts


def _peak_mb(pid: int | None = None) -> float:
    """This process's (or process `pid`'s) peak resident memory, in MiB.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a side started by a
    big parent would report at least the parent's size. Falls back to ru_maxrss without /proc.
    """
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# FROM clauses to run the compiled funnel over instead of the view, to see what it costs. Same
# counts on this data; not the same answer in general (no accounts; ties not by message id).
SOURCES = {
    "view": "resolved_events e",
    "no-overrides": "events e",
    "no-message-id": "(SELECT * REPLACE ('' AS message_id) FROM person_events) e",
}


def waypost_side(args: argparse.Namespace) -> Timing:
    """`run_funnel` on the store, as the API and the CLI call it (or its SQL over another FROM)."""
    import duckdb

    from waypost.events import DuckDBEventStore
    from waypost.insights.funnels import compile_funnel, run_funnel

    store = DuckDBEventStore(Path(args.store))
    cursor = store.cursor()
    if args.threads:
        cursor.execute(f"SET GLOBAL threads = {int(args.threads)}")
    if args.memory_limit:
        cursor.execute("SET GLOBAL memory_limit = $limit", {"limit": args.memory_limit})
    query = funnel_query(Shape(**json.loads(args.shape)))
    compiled = compile_funnel(query, APP)
    sql = compiled.sql
    for view in ("resolved_events e", "person_events e"):
        sql = sql.replace(f"FROM {view}", f"FROM {SOURCES[args.source]}")

    def run() -> list[int]:
        if args.source == "view":
            return [step.count for step in run_funnel(store, APP, query).steps]
        rows = cursor.execute(sql, compiled.params).fetchall()
        return [int(rows[0][k]) for k in (1, 2, 5, 8)]  # c0..c3 among the averages and medians

    (threads, limit), *_ = cursor.execute(
        "SELECT current_setting('threads'), current_setting('memory_limit')"
    ).fetchall()
    setup_mb = _peak_mb()
    wall, cpu, counts = _timed(run, args.repeat)
    if args.profile:
        cursor.execute("PRAGMA enable_profiling = 'json'")
        cursor.execute("SET profiling_output = $path", {"path": args.profile})
        cursor.execute(sql, compiled.params).fetchall()
    cursor.close()
    store.close()
    settings = {"threads": str(threads), "memory_limit": str(limit), "source": args.source}
    settings["duckdb"] = duckdb.__version__
    return Timing("waypost", wall, cpu, counts, setup_mb, _peak_mb(), _maxrss_mb(), settings)


def chdb_sql(shape: Shape, source: str, ids: str, by: str) -> str:
    """windowFunnel over `source` (the Parquet file or the MergeTree table), per person, with the
    same window and date range.

    Microsecond timestamps as UInt64 so that sub-second order and the window's edge are exact;
    DateTime (seconds) would make events within a second ties.
    """
    conditions = ", ".join(f"event = '{name}'" for name in STEPS)
    names = ", ".join(f"'{name}'" for name in STEPS)
    start = int(START.timestamp() * US)
    end = int(shape.end.timestamp() * US)
    events = f"""SELECT app_id, distinct_id, person_id, event,
         toUInt64(toUnixTimestamp64Micro(timestamp)) AS ts
  FROM {source}
  WHERE app_id = '{APP}' AND event IN ({names})
    AND toUnixTimestamp64Micro(timestamp) >= {start}
    AND toUnixTimestamp64Micro(timestamp) < {end}"""
    if by == "person_ids-join":
        events = f"""SELECT e.event AS event, e.ts AS ts, i.person_id AS unit
  FROM ({events}) e
  JOIN file('{ids}', Parquet) i ON i.app_id = e.app_id AND i.distinct_id = e.distinct_id"""
    else:
        events = f"SELECT event, ts, {by} AS unit FROM ({events})"
    levels = f"""SELECT unit, windowFunnel({WINDOW_SECONDS * US})(ts, {conditions}) AS level
  FROM ({events}) GROUP BY unit"""
    counts = ", ".join(f"countIf(level >= {k + 1})" for k in range(len(STEPS)))
    return f"SELECT {counts} FROM ({levels})"


def chdb_side(args: argparse.Namespace) -> Timing:
    """ClickHouse's windowFunnel in-process (chDB) over the same events: the MergeTree table in
    the chDB session `--table` when given, else the Parquet file."""
    import chdb
    from chdb import session

    db = session.Session(args.table) if args.table else None
    query = db.query if db else chdb.query
    source = CHDB_TABLE if db else f"file('{args.parquet}', Parquet)"
    sql = chdb_sql(Shape(**json.loads(args.shape)), source, args.ids, args.by)

    def run() -> list[int]:
        return [int(v) for v in str(query(sql, "CSV")).strip().split(",")]

    version = str(query("SELECT version()", "CSV")).strip().strip('"')
    threads = str(query("SELECT getSetting('max_threads')", "CSV")).strip().strip('"')
    setup_mb = _peak_mb()
    wall, cpu, counts = _timed(run, args.repeat)
    if db:
        db.close()
    settings = {"clickhouse": version, "max_threads": threads, "by": args.by}
    settings["source"] = "MergeTree" if db else "Parquet"
    return Timing("chdb", wall, cpu, counts, setup_mb, _peak_mb(), _maxrss_mb(), settings)


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) process `pid` has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bench_app(data_dir: Path) -> str:
    """A metadata database in `data_dir` holding the benchmark's app (id `APP`, the app the
    store's events belong to) in a workspace of its own; returns a secret key for it."""
    from waypost.db import create_engine_for, session_factory, upgrade
    from waypost.tenancy.keys import KeyKind, issue_key
    from waypost.tenancy.models import App
    from waypost.tenancy.workspaces import create_workspace

    engine = create_engine_for(f"sqlite:///{(data_dir / 'metadata.db').resolve()}")
    try:
        upgrade(engine)
        with session_factory(engine)() as db, db.begin():
            workspace = create_workspace(db, "Benchmark")
            db.add(App(id=APP, workspace_id=workspace.id, name="Benchmark"))
            db.flush()
            return issue_key(db, APP, KeyKind.SECRET).value
    finally:
        engine.dispose()


def _wait_ready(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Returns once the server answers /readyz with 200; stops the run if it exits first."""
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"waypost serve exited with {server.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"waypost serve was not ready in 300s:\n{log.read_text()}")


def api_side(args: argparse.Namespace) -> Timing:
    """The funnel as a client sees it: `POST /api/v1/insights/query` to a `waypost serve` of its
    own over the store, on 127.0.0.1, keep-alive, JSON both ways. CPU and memory are the
    server's: its process is separate from this one, the client."""
    import httpx

    # A SIGTERM to this side still stops the server (in the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    body = funnel_query(Shape(**json.loads(args.shape))).model_dump(mode="json")
    data_dir = Path(tempfile.mkdtemp(prefix="funnel-serve-"))
    log = data_dir / "server.log"
    server: subprocess.Popen[bytes] | None = None
    try:
        key = _bench_app(data_dir)
        port = _free_port()
        env = {name: value for name, value in os.environ.items() if not name.startswith("WAYPOST_")}
        env |= {"WAYPOST_DATA_DIR": str(data_dir), "WAYPOST_EVENTS_URL": f"duckdb://{args.store}"}
        env |= {"WAYPOST_LOG_LEVEL": "warning", "WAYPOST_LOG_FORMAT": "text"}
        command = [sys.executable, "-m", "waypost", "serve", "--host", "127.0.0.1"]
        with log.open("wb") as out:
            server = subprocess.Popen(
                [*command, "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        _wait_ready(server, url, log)
        setup_mb = _peak_mb(server.pid)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url, headers=headers, timeout=600) as client:

            def run() -> list[int]:
                answer = client.post("/api/v1/insights/query", json=body)
                if answer.status_code != 200:
                    raise SystemExit(f"the API answered {answer.status_code}: {answer.text}")
                return [step["count"] for step in answer.json()["steps"]]

            pid = server.pid
            wall, cpu, counts = _timed(run, args.repeat, lambda: _cpu_seconds(pid))
        peak_mb = _peak_mb(server.pid)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
    # The server was this process's only child: its ru_maxrss, for what that is worth.
    maxrss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    settings = {"url": "POST /api/v1/insights/query"}
    return Timing("api", wall, cpu, counts, setup_mb, peak_mb, maxrss_mb, settings)


# ---------------------------------------------------------------- the run


def _side(side: str, options: list[str], script: str = __file__) -> Timing:
    """One side in a process of its own (`script --side …`), so its peak memory is its own."""
    done = subprocess.run(
        [sys.executable, script, "--side", side, *options], capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"the {side} side failed:\n{done.stderr}")
    return Timing(**json.loads(done.stdout.splitlines()[-1]))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.release()}"
    )


def commit(script: str = __file__) -> str:
    """The commit the run measured, marked when src/ or the script differ from it."""
    git = ["git", "-C", str(Path(__file__).resolve().parents[1])]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "src", script], capture_output=True)
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def _line(label: str, t: Timing, baseline: float | None = None, against: str = "chDB") -> str:
    best = min(t.wall)
    ratio = f"  {best / baseline:4.2f}x {against}" if baseline else ""
    return (
        f"{label:38s} best {best:6.3f}s  (runs {', '.join(f'{w:.2f}' for w in t.wall)}; "
        f"cpu {min(t.cpu):5.2f}s)  peak {t.peak_mb:6.0f} MB (after setup {t.setup_mb:4.0f}){ratio}"
    )


def _variant_options(variant: str) -> dict[str, str]:
    """A --variant as the Waypost side's options: threads=N, memory_limit=SIZE or source=NAME."""
    name, _, value = variant.partition("=")
    option = {"threads": "--threads", "memory_limit": "--memory-limit", "source": "--source"}
    if name not in option or not value:
        raise SystemExit(f"unknown variant {variant!r}: threads=N, memory_limit=SIZE, source=NAME")
    return {option[name]: value}


def _merge(before: Timing | None, after: Timing) -> Timing:
    """Two rounds of one side as one: every run's times, the higher peaks."""
    if before is None:
        return after
    if before.counts != after.counts:
        raise SystemExit(f"counts changed between rounds: {before.counts} then {after.counts}")
    return Timing(
        after.side,
        before.wall + after.wall,
        before.cpu + after.cpu,
        after.counts,
        max(before.setup_mb, after.setup_mb),
        max(before.peak_mb, after.peak_mb),
        max(before.maxrss_mb, after.maxrss_mb),
        after.settings,
    )


# The sides' labels; the MergeTree side is the baseline every ratio is computed against.
MERGETREE = "chDB windowFunnel, MergeTree"
PARQUET = {by: f"chDB, Parquet by {by}" for by in BY}
IN_PROCESS = "Waypost run_funnel, in-process"
API = "Waypost POST /api/v1/insights/query"


def run(args: argparse.Namespace) -> int:
    shape = Shape(args.persons, args.events, args.days, args.seed)
    workdir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="funnel-"))
    try:
        parquet, ids, store = prepare(shape, workdir)
        table, load = prepare_chdb(parquet, workdir)
        common = {"--shape": json.dumps(asdict(shape)), "--repeat": str(args.repeat)}
        chdb = {**common, "--parquet": str(parquet), "--ids": str(ids)}
        waypost = {**common, "--store": str(store)}
        if args.threads:
            waypost["--threads"] = str(args.threads)
        if args.memory_limit:
            waypost["--memory-limit"] = args.memory_limit
        # label -> (side, options)
        entries = {MERGETREE: ("chdb", {**common, "--table": str(table), "--by": "person_id"})}
        entries |= {PARQUET[by]: ("chdb", {**chdb, "--by": by}) for by in BY}
        entries[IN_PROCESS] = ("waypost", waypost)
        entries[API] = ("api", {**common, "--store": str(store)})
        for variant in args.variants:
            entries[f"  variant {variant}"] = ("waypost", {**waypost, **_variant_options(variant)})
        # Rounds take turns, so that load from elsewhere on the machine falls on every side.
        timings: dict[str, Timing] = {}
        for _ in range(args.rounds):
            for label, (side, options) in entries.items():
                flat = [part for pair in options.items() for part in pair]
                timings[label] = _merge(timings.get(label), _side(side, flat))

        baseline, ours, api = timings[MERGETREE], timings[IN_PROCESS], timings[API]
        print(f"\nmachine  {machine()}")
        print(f"commit   {commit()}")
        print(
            f"versions Python {platform.python_version()}, DuckDB {ours.settings['duckdb']}, "
            f"chDB {baseline.settings['clickhouse']}; DuckDB threads {ours.settings['threads']}, "
            f"chDB max_threads {baseline.settings['max_threads']}"
        )
        print(
            f"data     {shape.events:,} events, {shape.persons:,} persons, {len(NAMES)} names, "
            f"{shape.days} days (seed {shape.seed})"
        )
        print(
            f"funnel   {' → '.join(STEPS)}; ordered, {WINDOW_SECONDS // 86400}-day window; "
            f"best of {args.rounds} x {args.repeat} runs, each process warmed up first"
        )
        when = "in an earlier run" if load["reused"] else "in this run"
        print(
            f"MergeTree {load['rows']:,} rows ORDER BY (person_id, timestamp), {load['parts']} "
            f"part, {load['mb']:.0f} MB; loaded {when} in {load['seconds']:.1f}s (not timed "
            "below)\n"
        )
        best = min(baseline.wall)
        for label, timing in timings.items():
            compared = timing.side in ("waypost", "api")
            print(_line(label, timing, best if compared else None, "MergeTree"))
        # CPU too: on a busy machine the wall-clock difference is mostly other processes' noise.
        wall, cpu = min(api.wall) - min(ours.wall), min(api.cpu) - min(ours.cpu)
        print(
            f"\nthe API round trip adds {wall * 1000:+.0f} ms wall, {cpu * 1000:+.0f} ms CPU (the "
            "server's) to run_funnel in-process, best against best"
        )
        print("Parquet: chDB reading events.parquet per query, as measured before MergeTree")

        columns = {"Waypost": ours, "API": api, "MergeTree": baseline}
        columns |= {by: timings[PARQUET[by]] for by in BY}
        print(f"\n{'step':24s} " + " ".join(f"{name:>15s}" for name in columns))
        for k, name in enumerate(STEPS):
            row = " ".join(f"{timing.counts[k]:15,d}" for timing in columns.values())
            print(f"{k} {name:22s} {row}")
        differ = [name for name, timing in columns.items() if timing.counts != ours.counts]
        if differ:
            print(f"\ncounts DIFFER from Waypost's ({', '.join(differ)}): see docs/performance.md")
            return 1
        print("\ncounts agree")
        return 0
    finally:
        if not args.data_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark on these events shares: the data's shape (the same defaults
    find the same kept data) and how many times each side runs."""
    parser.add_argument("--persons", type=int, default=500_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after the warm-up")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every side this many times, taking turns"
    )
    parser.add_argument(
        "--data-dir", help="keep the generated data here and reuse it next time (default: temp)"
    )


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    add_run_arguments(parser)
    parser.add_argument("--threads", type=int, help="DuckDB threads for Waypost (default: cores)")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for Waypost, e.g. 1GB")
    parser.add_argument(
        "--variant",
        dest="variants",
        action="append",
        default=[],
        help=(
            "also time Waypost with threads=N, memory_limit=SIZE, or source=NAME (its SQL over "
            f"another FROM: {', '.join(s for s in SOURCES if s != 'view')}); repeatable"
        ),
    )
    # A side, run in a subprocess of its own by `run`.
    parser.add_argument(
        "--side", choices=("waypost", "chdb", "api", "chdb-load"), help=argparse.SUPPRESS
    )
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--parquet", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    parser.add_argument("--table", help=argparse.SUPPRESS)
    parser.add_argument("--by", choices=BY, help=argparse.SUPPRESS)
    parser.add_argument("--source", choices=tuple(SOURCES), default="view", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help="write DuckDB's JSON profile of Waypost's SQL here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.side == "chdb-load":
        print(json.dumps(load_chdb(Path(args.parquet), Path(args.table))))
        return 0
    if args.side:
        sides = {"waypost": waypost_side, "chdb": chdb_side, "api": api_side}
        print(json.dumps(asdict(sides[args.side](args))))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
