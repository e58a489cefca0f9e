"""Import benchmark: `waypost import events` on generated Segment history, beside DuckDB reading
the same file (the ceiling) and the least a store's inserts cost (the floor).

Generates N events (2,000,000 by default) shaped like analytics.js sends them: 70% track, 25% page,
5% identify; about 600 bytes each, with a context holding page, user agent, library and groupId;
from `--users` people, each with an anonymousId and, for two in three, a userId (so most messages
link two ids, as after a sign-in). The same events are written as JSON Lines, CSV (objects as JSON
text) and Parquet (objects as structs). Then, for each format, three timings on the same file:

1. ceiling: DuckDB reads the file and decodes every value (for JSON Lines, every line), no checks;
2. checks: `import_events` into a store that keeps nothing: read, every rule checked (SQL, and
   Python for the messages SQL does not accept), rows mapped to the events table;
3. store floor: the rows the checks produced, inserted into a fresh DuckDB file with only what
   any durable, deduplicating store must do: the message ids under their primary key and the
   events, one transaction per chunk (no identities, traits or profiles);
4. import: `import_events` into a fresh DuckDB event store, as `waypost import events` runs it:
   dedupe, events, identities, traits, accounts and profiles.

Each line prints events/s and the CPU seconds the process used (all threads), with the machine's
load average, since another job on the machine slows every number alike.

    .venv/bin/python bench/import.py                                  # 2M events, every format
    .venv/bin/python bench/import.py --events 200000 --formats jsonl --users 2000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from waypost.events import EVENT_COLUMNS, AppendResult, DuckDBEventStore
from waypost.events.duckdb_store import CHECKPOINT_THRESHOLD, SEEN_DDL
from waypost.events.schema import events_ddl
from waypost.integrations import ImportFormat, import_events

APP = "app_bench"
EVENT_NAMES = (
    "Report Exported",
    "Dashboard Viewed",
    "Invoice Paid",
    "Step Completed",
    "Item Added",
)
PAGES = ("/reports", "/dashboards/42", "/settings/billing", "/onboarding/step-2", "/projects")
USER_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)


def _events_sql(count: int, users: int) -> str:
    """One row per Segment message; objects as structs (written as JSON objects or JSON text)."""
    names = "[" + ", ".join(f"'{n}'" for n in EVENT_NAMES) + "]"
    pages = "[" + ", ".join(f"'{p}'" for p in PAGES) + "]"
    return f"""
SELECT
  CASE WHEN r < 70 THEN 'track' WHEN r < 95 THEN 'page' ELSE 'identify' END AS type,
  printf('ajs-%012d', i) AS messageId,
  strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 3), '%Y-%m-%dT%H:%M:%S.%g') || 'Z'
    AS timestamp,
  'anon-' || u AS anonymousId,
  CASE WHEN u % 3 <> 0 THEN 'user-' || u END AS userId,
  CASE WHEN r < 70 THEN {names}[1 + i % 5] END AS event,
  CASE WHEN r >= 70 AND r < 95 THEN 'Reports' END AS name,
  CASE WHEN r < 95 THEN {{'plan': 'pro', 'value': i % 100, 'currency': 'EUR', 'format': 'csv'}}
  END AS properties,
  CASE WHEN r >= 95
       THEN {{'email': 'u' || u || '@example.com', 'plan': 'pro', 'name': 'User ' || u}}
  END AS traits,
  {{'page': {{'url': 'https://app.example.com' || {pages}[1 + u % 5], 'path': {pages}[1 + u % 5],
             'referrer': 'https://www.google.com/', 'title': 'Example'}},
    'userAgent': '{USER_AGENT}', 'library': {{'name': 'analytics.js', 'version': '4.1.0'}},
    'locale': 'en-US', 'groupId': 'acct-' || (u % 500)}} AS context
FROM (SELECT range AS i, (hash(range) % 100)::BIGINT AS r,
             (hash(range * 7919) % {users})::BIGINT AS u
      FROM range({count}))
ORDER BY i
"""


def generate(folder: Path, count: int, users: int, formats: list[ImportFormat]) -> dict[str, Path]:
    """The events written once per format; returns each file."""
    connection = duckdb.connect()
    connection.execute(f"CREATE TABLE messages AS {_events_sql(count, users)}")
    files: dict[str, Path] = {}
    for file_format in formats:
        path = folder / f"events.{file_format.value}"
        started = time.perf_counter()
        if file_format is ImportFormat.JSONL:
            connection.execute(f"COPY messages TO '{path}' (FORMAT json)")
        elif file_format is ImportFormat.CSV:
            connection.execute(
                "COPY (SELECT * REPLACE (to_json(properties)::VARCHAR AS properties, "
                "to_json(traits)::VARCHAR AS traits, to_json(context)::VARCHAR AS context) "
                f"FROM messages) TO '{path}' (FORMAT csv, HEADER)"
            )
        else:
            connection.execute(f"COPY messages TO '{path}' (FORMAT parquet)")
        size = path.stat().st_size / 1e6
        print(f"  wrote {path.name}: {size:,.0f} MB in {time.perf_counter() - started:.1f} s")
        files[file_format.value] = path
    connection.close()
    return files


def _ceiling_sql(path: Path, file_format: ImportFormat) -> str:
    if file_format is ImportFormat.JSONL:
        return (
            "SELECT count(*), sum(strlen(json::VARCHAR)) FROM "
            f"read_json_objects('{path}', format = 'newline_delimited')"
        )
    scan = (
        f"read_csv('{path}', header = true, all_varchar = true)"
        if file_format is ImportFormat.CSV
        else f"read_parquet('{path}')"
    )
    # Every value decoded and turned into text, so no column is skipped or answered from metadata.
    return f"SELECT max(length(COLUMNS(*)::VARCHAR)) FROM {scan}"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, count: int, run: Callable[[], object]) -> float:
    """Run once; print and return events/s."""
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), _cpu()
    run()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    rate = count / wall
    print(
        f"  {label:<8} {rate:>12,.0f} events/s  {wall:>7.1f} s  cpu {cpu:>7.1f} s  "
        f"(load before {load:.1f})",
        flush=True,
    )
    return rate


class DiscardingStore:
    """An event store that stores nothing: what the import costs before the store's share. It
    keeps the checked rows for `store_floor`."""

    def __init__(self) -> None:
        self.tables: list[pa.Table] = []

    def append(self, rows: pa.Table) -> AppendResult:
        """Keep the rows in memory only."""
        self.tables.append(rows)
        return AppendResult(stored=pa.array(np.zeros(rows.num_rows, dtype=bool)))


def store_floor(path: Path, tables: list[pa.Table]) -> None:
    """The least any durable, deduplicating store of these rows costs here: per chunk, one
    transaction that inserts the message ids (with their primary key) and the events, nothing
    else (no identities, traits or profiles)."""
    connection = duckdb.connect(str(path))
    connection.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    connection.execute(events_ddl())
    connection.execute(SEEN_DDL)
    columns = ", ".join(column.name for column in EVENT_COLUMNS)
    for table in tables:
        connection.register("incoming", table)
        connection.execute("BEGIN TRANSACTION")
        connection.execute(
            "INSERT INTO seen_messages SELECT app_id, message_id, received_at FROM incoming "
            "ON CONFLICT DO NOTHING"
        )
        connection.execute(f"INSERT INTO events ({columns}) SELECT {columns} FROM incoming")
        connection.execute("COMMIT")
        connection.unregister("incoming")
    connection.close()


def run_format(
    folder: Path, path: Path, file_format: ImportFormat, count: int, args: argparse.Namespace
) -> tuple[float, float, float | None, float | None]:
    """The read ceiling, checks-only, store-floor and full-import rates for one file."""
    options = {"chunk_rows": args.chunk_rows} if args.chunk_rows else {}
    print(f"{file_format.value}:")
    reader = duckdb.connect()
    ceiling = timed(
        "ceiling", count, lambda: reader.execute(_ceiling_sql(path, file_format)).fetchall()
    )
    reader.close()
    discarding = DiscardingStore()
    checks = timed("checks", count, lambda: import_events(discarding, APP, path, **options))
    if args.skip_store:
        return ceiling, checks, None, None
    floor_file = folder / f"floor-{file_format.value}.duckdb"
    floor = timed("store", count, lambda: store_floor(floor_file, discarding.tables))
    discarding.tables.clear()
    store = DuckDBEventStore(folder / f"events-{file_format.value}.duckdb")
    summaries = []
    full = timed(
        "import", count, lambda: summaries.append(import_events(store, APP, path, **options))
    )
    store.close()
    summary = summaries[0]
    print(f"  stored {summary.stored:,} of {summary.read:,}, rejected {summary.rejected:,}")
    return ceiling, checks, floor, full


def main() -> None:
    """Generate, then time the ceiling, the checks and the import for each format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--formats", default="jsonl,csv,parquet")
    parser.add_argument("--chunk-rows", type=int, default=None, help="import chunk size")
    parser.add_argument(
        "--skip-store", action="store_true", help="time the ceiling and checks only"
    )
    args = parser.parse_args()
    formats = [ImportFormat(name) for name in args.formats.split(",")]
    print(
        f"{args.events:,} events, {args.users:,} people, {os.cpu_count()} CPUs, "
        f"DuckDB {duckdb.__version__}, Python {sys.version.split()[0]}"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="waypost-import-bench-") as name:
        folder = Path(name)
        files = generate(folder, args.events, args.users, formats)
        for file_format in formats:
            rates = run_format(folder, files[file_format.value], file_format, args.events, args)
            results.append((file_format.value, *rates))
    print("\n| format | DuckDB read (ceiling) | checks only | store floor | full import |")
    print("| --- | --- | --- | --- | --- |")
    for name, ceiling, checks, floor, full in results:
        stored = [f"{rate:,.0f}" if rate is not None else "not run" for rate in (floor, full)]
        print(f"| {name} | {ceiling:,.0f} | {checks:,.0f} | {stored[0]} | {stored[1]} |")


if __name__ == "__main__":
    main()
