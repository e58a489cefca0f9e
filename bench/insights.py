"""Retention and paths benchmark: Waypost's run_retention and run_paths beside chDB, same data.

Uses bench/funnel.py's events (10M events, 500k persons, 20 event names, 90 days by default; kept
in `--data-dir` and shared with the funnel benchmark) and its way of timing: each side of each
insight in a subprocess of its own, warmed up once, then run `--repeat` times (3), `--rounds`
times taking turns; the best time counts. Three insights:

- retention, recurring: weekly active persons (any event) and how many are active again in each
  later week, weeks from Monday in UTC over the 90 days;
- retention, first time: sign-up cohorts (a person's first Signed Up ever) since a Thursday 24
  days in, and how many view a dashboard in each later week;
- paths: the 50 most common 5-step paths from Signed Up within a session (30 minutes of quiet
  ends one), repeats collapsed.

Waypost runs `run_retention` / `run_paths` on the store, the code behind the API and the CLI;
chDB runs a query of ClickHouse's own idiom over the same Parquet file: one aggregation per
person (a bitmask of weeks for retention, the sorted events for paths) and array functions.
Both sides' answers are printed in full (every cell of the cohort matrix, every path with its
count and the number of sessions with the anchor) and the exit status is 1 if they differ. The
comments in `chdb_retention_sql` and `chdb_paths_sql` say which of Waypost's rules
(docs/insights.md) each part of the SQL reproduces.

    .venv/bin/python bench/insights.py                  # or: make bench-insights
    .venv/bin/python bench/insights.py --data-dir /tmp/funnel --rounds 3 --insight paths
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from funnel import (
    APP,
    START,
    US,
    Shape,
    Timing,
    _line,
    _maxrss_mb,
    _merge,
    _peak_mb,
    _side,
    _timed,
    add_run_arguments,
    commit,
    machine,
    prepare,
)

if TYPE_CHECKING:
    from waypost.events import DuckDBEventStore
    from waypost.insights.queries import PathsQuery, RetentionQuery

# Retention's weeks start on Monday in this zone on both sides (Waypost's bucket is the local
# week of the UTC timestamp; chDB's toMonday takes the zone, and weeks are counted in calendar
# days, so a week with a daylight-saving change is still one week).
ZONE = "UTC"


@dataclass(frozen=True)
class Retention:
    """A weekly retention query: who did `start` in a week (None: any event) and came back to do
    `returning` in a later week; `first_time` counts a person only in the week of their first
    start event ever. The range starts `since` after the data does and ends with it."""

    start: str | None
    returning: str | None
    first_time: bool
    since: timedelta = timedelta(0)

    def dates(self, shape: Shape) -> tuple[datetime, datetime]:
        return START + self.since, shape.end

    def describe(self, shape: Shape) -> str:
        kind = "first time" if self.first_time else "recurring"
        start, returning = self.start or "any event", self.returning or "any event"
        since, until = self.dates(shape)
        return (
            f"retention, {kind}: {start} → {returning}, weekly from Monday ({ZONE}), "
            f"{since:%a %Y-%m-%d} to {until:%a %Y-%m-%d} (exclusive)"
        )


RETENTION = {
    # Weekly active persons, and how many are active again in each later week.
    "retention-recurring": Retention(None, None, first_time=False),
    # Sign-up cohorts since a Thursday 24 days in: the first week is partial, and the 3% who sign
    # up again within a month include some whose first sign-up came before the range, whom a
    # first time "ever" must leave out.
    "retention-first-time": Retention(
        "Signed Up", "Dashboard Viewed", first_time=True, since=timedelta(days=24)
    ),
}
PATHS_START = "Signed Up"
PATHS_LENGTH = 5
PATHS_LIMIT = 50
SESSION_GAP_SECONDS = 30 * 60
# PathsQuery's default exclude_events, passed to Waypost explicitly so both sides read this list.
EXCLUDED = ("$identify", "$group", "$alias")
INSIGHTS = (*RETENTION, "paths")


def describe(insight: str, shape: Shape) -> str:
    if insight in RETENTION:
        return RETENTION[insight].describe(shape)
    return (
        f"paths: from {PATHS_START}, {PATHS_LENGTH} steps, sessions end after "
        f"{SESSION_GAP_SECONDS // 60} minutes of quiet, repeats collapsed, top {PATHS_LIMIT}"
    )


def weeks(since: datetime, until: datetime) -> tuple[date, int]:
    """The local Monday starting the first week that overlaps [since, until), and how many do."""
    zone = ZoneInfo(ZONE)
    first = since.astimezone(zone).date()
    first -= timedelta(days=first.weekday())
    end = until.astimezone(zone).replace(tzinfo=None)
    count = 0
    while datetime.combine(first + timedelta(weeks=count), datetime.min.time()) < end:
        count += 1
    return first, count


# ---------------------------------------------------------------- Waypost


def retention_query(spec: Retention, shape: Shape) -> RetentionQuery:
    from waypost.insights.queries import RetentionQuery

    return RetentionQuery(
        start={"event": spec.start},
        returning={"event": spec.returning},
        cohort_type="first_time" if spec.first_time else "recurring",
        interval="week",
        timezone=ZONE,
        date_from=spec.dates(shape)[0],
        date_to=spec.dates(shape)[1],
    )


def paths_query(shape: Shape) -> PathsQuery:
    from waypost.insights.queries import PathsQuery

    return PathsQuery(
        start_event=PATHS_START,
        length=PATHS_LENGTH,
        limit=PATHS_LIMIT,
        session_gap_seconds=SESSION_GAP_SECONDS,
        collapse_repeats=True,
        exclude_events=list(EXCLUDED),
        date_from=START,
        date_to=shape.end,
    )


def waypost_run(
    insight: str, store: DuckDBEventStore, shape: Shape
) -> tuple[Callable[[], list[Any]], str, dict[str, Any]]:
    """A call of the insight's runner giving the compared answer, and the SQL it runs."""
    from waypost.insights.paths import compile_paths, run_paths
    from waypost.insights.retention import compile_retention, run_retention

    if insight in RETENTION:
        retention = retention_query(RETENTION[insight], shape)

        def cohorts() -> list[Any]:
            result = run_retention(store, APP, retention)
            return [[c.start.date().isoformat(), *c.values] for c in result.cohorts]

        compiled = compile_retention(retention, APP)
        return cohorts, compiled.sql, compiled.params
    paths = paths_query(shape)

    def top() -> list[Any]:
        result = run_paths(store, APP, paths)
        return [result.sessions, [[p.sessions, p.steps] for p in result.paths]]

    compiled = compile_paths(paths, APP)
    return top, compiled.sql, compiled.params


def waypost_side(args: argparse.Namespace, insight: str) -> Timing:
    """The insight's runner on the store, as the API and the CLI call it."""
    import duckdb

    from waypost.events import DuckDBEventStore

    store = DuckDBEventStore(Path(args.store))
    cursor = store.cursor()
    if args.threads:
        cursor.execute(f"SET GLOBAL threads = {int(args.threads)}")
    run, sql, params = waypost_run(insight, store, Shape(**json.loads(args.shape)))
    (threads,) = cursor.execute("SELECT current_setting('threads')").fetchone() or ("?",)
    setup_mb = _peak_mb()
    wall, cpu, answer = _timed(run, args.repeat)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        cursor.execute("PRAGMA enable_profiling = 'json'")
        cursor.execute("SET profiling_output = $path", {"path": f"{args.profile}/{insight}.json"})
        cursor.execute(sql, params).fetchall()
    cursor.close()
    store.close()
    settings = {"threads": str(threads), "duckdb": duckdb.__version__}
    return Timing("waypost", wall, cpu, answer, setup_mb, _peak_mb(), _maxrss_mb(), settings)


# ---------------------------------------------------------------- chDB


def _is(event: str | None) -> str:
    return "true" if event is None else f"event = '{event}'"


def chdb_retention_sql(spec: Retention, shape: Shape, parquet: str) -> str:
    """Rows (week number of the cohort, its size and how many came back in each later week).

    One pass over the file, grouped by person: the weeks a person started in and the weeks they
    came back in, each as a bitmask (bit k: week k of the range). Each started week then adds
    the person to that cohort's row: 1 for the size, then bit k + j of the returns for week j.
    A join of (person, week) pairs, as Waypost's SQL does, and a `groupUniqArray` of weeks were
    slower in chDB (figures in docs/lab/performance-history.md); `retention()` checks conditions
    relative to one cohort per row, so a whole matrix needs the events once per cohort.
    """
    since, until = spec.dates(shape)
    monday, periods = weeks(since, until)
    if periods > 64:
        raise SystemExit(f"{periods} weeks do not fit in the 64-bit masks; use at most 448 days")
    start_us, end_us = int(since.timestamp() * US), int(until.timestamp() * US)
    started, returning = _is(spec.start), _is(spec.returning)

    def in_range(timestamp: str) -> str:
        # [date_from, date_to) to the microsecond, as Waypost's `timestamp >= from AND
        # timestamp < to`.
        us = f"toUnixTimestamp64Micro({timestamp})"
        return f"{us} >= {start_us} AND {us} < {end_us}"

    def week(timestamp: str) -> str:
        # Bit k is week k after the Monday of date_from's week; the first and the last week may
        # be partial (the first-time query's first: Thursday to Sunday; both queries' last: 6 of
        # its 7 days) and hold only the events in range.
        # greatest(): a first-time start may come before the range, where the bit is never
        # used (it is out of range) but the shift must still be computable.
        number = f"intDiv(toMonday({timestamp}, '{ZONE}') - toDate('{monday}'), 7)"
        return f"bitShiftLeft(toUInt64(1), greatest({number}, 0))"

    events = f"""SELECT person_id, event, timestamp FROM file('{parquet}', Parquet)
    WHERE app_id = '{APP}' AND person_id IS NOT NULL"""
    if spec.first_time:
        # First time: the person's first start event ever, before the range included (Waypost
        # looks over all history, so a person who started before date_from is in no cohort);
        # comebacks only inside the range. minIf is 1970 for a person who never started.
        persons = f"""SELECT if({in_range("first")}, {week("first")}, 0) AS started, returned FROM (
    SELECT minIf(timestamp, {started}) AS first,
           groupBitOrIf({week("timestamp")}, {returning} AND {in_range("timestamp")}) AS returned
    FROM ({events} AND ({started} OR {returning})) GROUP BY person_id
  )"""
    else:
        # Recurring: a person is in the cohort of every week in which they did the start event.
        persons = f"""SELECT groupBitOrIf({week("timestamp")}, {started}) AS started,
         groupBitOrIf({week("timestamp")}, {returning}) AS returned
  FROM ({events} AND ({started} OR {returning}) AND {in_range("timestamp")})
  GROUP BY person_id"""
    # Cell j > 0 counts a return in week cohort + j only: activity in the cohort's own week is
    # not a comeback (Waypost joins on `a.period > c.period`); cell 0 is the cohort's size.
    return f"""SELECT cohort,
       sumForEach(arrayMap(j -> toUInt64(j = 0 OR bitTest(returned, cohort + j)),
                           range({periods} - cohort)))
FROM ({persons})
ARRAY JOIN arrayFilter(k -> bitTest(started, k), range({periods})) AS cohort
GROUP BY cohort ORDER BY cohort"""


def chdb_paths_sql(shape: Shape, parquet: str) -> str:
    """Rows (path, sessions, all sessions with the anchor), most common first.

    One aggregation per person collects their events; array functions then sort them, cut them
    into sessions, collapse repeats and take the path from the anchor. `sequenceNextNode`,
    ClickHouse's built-in for "what comes next", gives one next event per group: it would need
    the sessions cut first, and one call per step of the path.
    """
    start_us, end_us = int(START.timestamp() * US), int(shape.end.timestamp() * US)
    excluded = ", ".join(f"'{name}'" for name in EXCLUDED)
    gap_us = SESSION_GAP_SECONDS * US
    # persons: the events Waypost keeps (the app's, with a person, in [date_from, date_to), not
    # excluded: an excluded event neither shows in a path nor bridges a pause), of persons with
    # the anchor. A step is the event's name; Waypost shows a page view ($page) as its page's
    # path instead, and the file has no page views. Three arrays, sorted together afterwards:
    # one array of (time, id, name) tuples was slower to collect (the file's columns are
    # Nullable, and tuples of them are slow to build).
    #
    # ordered: by (time, message id), Waypost's order. About 1% of sign-ups have their data
    # source connected at the same microsecond, and the message id decides which comes first.
    #
    # sessions: a new one starts after a pause of more than the gap; exactly 30 minutes still
    # belongs to the session (Waypost: `pause > gap`). arraySplit never splits before the first
    # event.
    #
    # collapsed: a run of one step becomes one step, within each session and before anything
    # is counted, so the anchor is the first event of its first run.
    #
    # The path is the anchor's first occurrence in the session and the steps after it, `length`
    # in all (fewer when the session ends). Ties in count are listed by the steps compared item
    # by item, a path that begins another coming first: DuckDB orders lists so, ClickHouse
    # arrays too.
    return f"""WITH persons AS (
  SELECT groupArray(toUnixTimestamp64Micro(timestamp)) AS stamps, groupArray(message_id) AS ids,
         groupArray(event) AS names
  FROM file('{parquet}', Parquet)
  WHERE app_id = '{APP}' AND person_id IS NOT NULL
    AND toUnixTimestamp64Micro(timestamp) >= {start_us}
    AND toUnixTimestamp64Micro(timestamp) < {end_us}
    AND event NOT IN ({excluded})
  GROUP BY person_id HAVING countIf(event = '{PATHS_START}') > 0
), ordered AS (
  SELECT arraySort((name, ts, id) -> (ts, id), names, stamps, ids) AS steps,
         arraySort(stamps) AS times
  FROM persons
), sessions AS (
  SELECT arrayJoin(arraySplit((step, new) -> new, steps,
           arrayMap((ts, before) -> ts - before > {gap_us}, times,
                    arrayPushFront(arrayPopBack(times), 0)))) AS session
  FROM ordered
), collapsed AS (
  SELECT arrayFilter((step, i) -> i = 1 OR step != session[i - 1], session,
                     arrayEnumerate(session)) AS steps
  FROM sessions
)
SELECT arraySlice(steps, indexOf(steps, '{PATHS_START}'), {PATHS_LENGTH}) AS path,
       count() AS sessions, sum(count()) OVER () AS total
FROM collapsed WHERE has(steps, '{PATHS_START}')
GROUP BY path ORDER BY sessions DESC, path LIMIT {PATHS_LIMIT}"""


def chdb_run(insight: str, shape: Shape, parquet: str) -> tuple[str, Callable[[Any], list[Any]]]:
    """The insight's chDB SQL, and how its rows become the answer Waypost's result gives."""
    if insight in RETENTION:
        monday, periods = weeks(*RETENTION[insight].dates(shape))

        def cohorts(rows: Any) -> list[Any]:
            cells = {int(cohort): [int(v) for v in values] for cohort, values in rows}
            return [
                [(monday + timedelta(weeks=k)).isoformat(), *cells.get(k, [0] * (periods - k))]
                for k in range(periods)
            ]

        return chdb_retention_sql(RETENTION[insight], shape, parquet), cohorts

    def top(rows: Any) -> list[Any]:
        return [int(rows[0][2]) if rows else 0, [[int(n), list(path)] for path, n, _ in rows]]

    return chdb_paths_sql(shape, parquet), top


def chdb_side(args: argparse.Namespace, insight: str) -> Timing:
    """ClickHouse in-process (chDB) over the same Parquet file."""
    import chdb

    sql, answer = chdb_run(insight, Shape(**json.loads(args.shape)), args.parquet)

    def run() -> list[Any]:
        return answer(json.loads(chdb.query(sql, "JSONCompact").bytes())["data"])

    version = str(chdb.query("SELECT version()", "CSV")).strip().strip('"')
    threads = str(chdb.query("SELECT getSetting('max_threads')", "CSV")).strip().strip('"')
    setup_mb = _peak_mb()
    wall, cpu, result = _timed(run, args.repeat)
    settings = {"clickhouse": version, "max_threads": threads}
    return Timing("chdb", wall, cpu, result, setup_mb, _peak_mb(), _maxrss_mb(), settings)


# ---------------------------------------------------------------- the run


def _print_retention(ours: list[Any], theirs: list[Any]) -> None:
    periods = len(ours)
    print(
        f"  {'cohort':10s} {'side':7s} {'size':>7s} "
        + " ".join(f"{f'+{j}':>7s}" for j in range(1, periods))
    )
    for k in range(max(len(ours), len(theirs))):
        for side, rows in (("Waypost", ours), ("chDB", theirs)):
            row = rows[k] if k < len(rows) else ["-"]
            week = row[0] if side == "Waypost" else ""
            print(f"  {week:10s} {side:7s} " + " ".join(f"{v:7,d}" for v in row[1:]))


def _print_paths(ours: list[Any], theirs: list[Any]) -> None:
    print(f"  sessions with {PATHS_START}: Waypost {ours[0]:,}, chDB {theirs[0]:,}")
    print(f"  {'#':>3s} {'Waypost':>9s} {'chDB':>9s}  steps")
    for k in range(max(len(ours[1]), len(theirs[1]))):
        mine = ours[1][k] if k < len(ours[1]) else [0, []]
        other = theirs[1][k] if k < len(theirs[1]) else [0, []]
        print(f"  {k + 1:3d} {mine[0]:9,d} {other[0]:9,d}  {' → '.join(mine[1])}")
        if other[1] != mine[1]:
            print(f"  {'':23s}  chDB: {' → '.join(other[1])}")


def report(
    args: argparse.Namespace,
    shape: Shape,
    insights: list[str],
    timings: dict[tuple[str, str], Timing],
) -> int:
    """Prints the timings and both sides' answers; 1 when any answers differ."""
    ours, theirs = timings[insights[0], "waypost"], timings[insights[0], "chdb"]
    print(f"\nmachine  {machine()}")
    print(f"commit   {commit(__file__)}")
    print(
        f"versions Python {platform.python_version()}, DuckDB {ours.settings['duckdb']}, "
        f"chDB {theirs.settings['clickhouse']}; DuckDB threads {ours.settings['threads']}, "
        f"chDB max_threads {theirs.settings['max_threads']}"
    )
    print(
        f"data     {shape.events:,} events, {shape.persons:,} persons, {shape.days} days "
        f"(seed {shape.seed}), {START:%Y-%m-%d} to {shape.end:%Y-%m-%d} (exclusive); "
        f"best of {args.rounds} x {args.repeat} runs, each process warmed up first"
    )
    differ = []
    for insight in insights:
        ours, theirs = timings[insight, "waypost"], timings[insight, "chdb"]
        runner = "run_retention" if insight in RETENTION else "run_paths"
        print(f"\n{describe(insight, shape)}")
        print(_line("chDB", theirs))
        print(_line(f"Waypost {runner}", ours, min(theirs.wall)))
        show = _print_retention if insight in RETENTION else _print_paths
        show(ours.counts, theirs.counts)
        if ours.counts != theirs.counts:
            differ.append(insight)
        print("  answers DIFFER" if insight in differ else "  answers agree")

    print(f"\n{'insight':22s} {'side':8s} {'best':>8s} {'CPU s':>6s} {'peak RSS':>9s}  ratio")
    for insight in insights:
        ours, theirs = timings[insight, "waypost"], timings[insight, "chdb"]
        ratio = f"{min(ours.wall) / min(theirs.wall):5.2f}x"
        for side, t, shown in (("chDB", theirs, ""), ("Waypost", ours, ratio)):
            print(
                f"{insight:22s} {side:8s} {min(t.wall):7.3f}s {min(t.cpu):6.2f} "
                f"{t.peak_mb:6.0f} MB  {shown}"
            )
    if differ:
        print(f"\nanswers DIFFER from chDB: {', '.join(differ)}")
        return 1
    print("\nanswers agree")
    return 0


def run(args: argparse.Namespace) -> int:
    shape = Shape(args.persons, args.events, args.days, args.seed)
    workdir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="insights-"))
    insights = args.insights or list(INSIGHTS)
    try:
        parquet, _, store = prepare(shape, workdir)
        common = {"--shape": json.dumps(asdict(shape)), "--repeat": str(args.repeat)}
        waypost = {**common, "--store": str(store)}
        if args.threads:
            waypost["--threads"] = str(args.threads)
        if args.profile:
            waypost["--profile"] = args.profile
        entries = {}
        for insight in insights:
            entries[insight, "chdb"] = {**common, "--parquet": str(parquet), "--insight": insight}
            entries[insight, "waypost"] = {**waypost, "--insight": insight}
        # Rounds take turns, so that load from elsewhere on the machine falls on every side.
        timings: dict[tuple[str, str], Timing] = {}
        for _ in range(args.rounds):
            for key, options in entries.items():
                flat = [part for pair in options.items() for part in pair]
                timings[key] = _merge(timings.get(key), _side(key[1], flat, __file__))

        return report(args, shape, insights, timings)
    finally:
        if not args.data_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    add_run_arguments(parser)
    parser.add_argument("--threads", type=int, help="DuckDB threads for Waypost (default: cores)")
    parser.add_argument(
        "--insight",
        dest="insights",
        action="append",
        choices=INSIGHTS,
        help="time only this insight; repeatable (default: all)",
    )
    parser.add_argument("--profile", help="write DuckDB's JSON profile of each Waypost SQL here")
    # A side, run in a subprocess of its own by `run`.
    parser.add_argument("--side", choices=("waypost", "chdb"), help=argparse.SUPPRESS)
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--parquet", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.side:
        (insight,) = args.insights
        side = waypost_side if args.side == "waypost" else chdb_side
        timing = side(args, insight)
        print(json.dumps(asdict(timing)))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
