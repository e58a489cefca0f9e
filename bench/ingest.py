"""Ingest benchmark: Segment batches through a real `waypost serve`, beside the DuckDB ceiling.

Starts `waypost serve` on loopback with a temporary data directory, sends /v1/batch requests of
Segment track events from concurrent keep-alive clients, and reports sustained events/s and
request latency. After stopping the server it checks that every acknowledged event is stored
exactly once. Then, in the same run, it appends the same rows straight into a fresh DuckDB file
(one transaction per batch) for the ceiling, and times each piece of the request path in-process.

    .venv/bin/python bench/ingest.py --clients 8 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import multiprocessing
import os
import pstats
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow as pa

import waypost
from waypost.events import DuckDBEventStore, to_table
from waypost.events.schema import events_ddl
from waypost.settings import Settings
from waypost.tracking.bodies import decode_body
from waypost.tracking.messages import validate_message
from waypost.tracking.rows import to_row

STARTUP_SECONDS = 30.0
TEMPLATES = 16  # distinct batch shapes; batches differ only in their message ids
ID_WIDTH = 10
PAGES = ("/reports", "/dashboards/42", "/settings/billing", "/onboarding/step-2", "/projects")
EVENTS = ("Report Exported", "Dashboard Viewed", "Invoice Paid", "Step Completed", "Item Added")


# ---------------------------------------------------------------- the events


def _event(template: int, slot: int, timestamp: str) -> dict[str, Any]:
    """One track event as analytics.js sends it: promoted fields, properties and a context."""
    user = template * 1000 + slot
    path = PAGES[slot % len(PAGES)]
    return {
        "type": "track",
        "event": EVENTS[(template + slot) % len(EVENTS)],
        "userId": f"user-{user}",
        "anonymousId": f"anon-{user:08x}-4b1e-9c7d",
        "messageId": "@MID@",
        "timestamp": timestamp,
        "properties": {"format": "csv", "rows": 1000 + slot, "plan": "pro", "$content_step": 2},
        "context": {
            "library": {"name": "analytics.js", "version": "5.2.0"},
            "page": {
                "path": path,
                "url": f"https://app.example.com{path}",
                "referrer": "https://app.example.com/",
                "title": "Example",
            },
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari",
            "locale": "en-US",
            "ip": "203.0.113.7",
            "groupId": f"acct-{user % 97}",
            "sessionId": f"s-{user}-1",
        },
    }


class Batches:
    """Request bodies for batch number k: k * size + i is the i-th message id, zero-padded.

    Bodies are JSON templates with the ids spliced in, so building one costs the client almost
    nothing and the measurement is of the server.
    """

    def __init__(self, run: str, size: int) -> None:
        self.run = run
        self.size = size
        timestamp = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        self._templates = []
        for template in range(TEMPLATES):
            body = {"batch": [_event(template, slot, timestamp) for slot in range(size)]}
            text = json.dumps(body, separators=(",", ":")).replace("%", "%%")
            self._templates.append(text.replace('"@MID@"', '"%s"').encode())

    def message_id(self, sequence: int) -> str:
        return f"{self.run}-{sequence:0{ID_WIDTH}d}"

    def ids(self, k: int) -> list[str]:
        return [self.message_id(k * self.size + i) for i in range(self.size)]

    def body(self, k: int) -> bytes:
        ids = tuple(i.encode() for i in self.ids(k))
        return self._templates[k % TEMPLATES] % ids


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_write_key(data_dir: Path) -> tuple[str, str]:
    """An app in the data directory, made with the CLI as an operator would; (app_id, key)."""
    arguments = ["apps", "create", "Bench", "--json", "--data-dir", str(data_dir)]
    out = subprocess.run(
        [sys.executable, "-m", "waypost", *arguments],
        check=True,
        capture_output=True,
        text=True,
        env=_server_env(),
    ).stdout
    created = json.loads(out)
    return created["app_id"], created["write_key"]


# `waypost serve` with DuckDBEventStore.append timed: "rows wall_seconds thread_cpu_seconds" per
# append, to the file named by the first argument. Instruments from outside; src/ is untouched.
TRACED_SERVE = """
import sys, time
from waypost.events.duckdb_store import DuckDBEventStore
log = open(sys.argv[1], "a", buffering=1)
plain = DuckDBEventStore.append
def append(self, rows, *args, **kwargs):
    started, cpu = time.perf_counter(), time.thread_time()
    result = plain(self, rows, *args, **kwargs)
    log.write(f"{rows.num_rows} {time.perf_counter() - started} {time.thread_time() - cpu}\\n")
    return result
DuckDBEventStore.append = append
sys.argv = ["waypost", *sys.argv[2:]]
from waypost.cli import main
main()
"""


def _serve_arguments(port: int, data_dir: Path) -> list[str]:
    return ["serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)]


def _server_env() -> dict[str, str]:
    return {**os.environ, "WAYPOST_LOG_LEVEL": "warning"}


class Server:
    """`waypost serve` as a child process; optionally under cProfile (its event-loop thread
    only), or with each append to the event store timed into `appends`."""

    def __init__(
        self, data_dir: Path, profile: Path | None = None, appends: Path | None = None
    ) -> None:
        self.data_dir = data_dir
        # uvicorn re-raises the signal it stopped on; SIGINT becomes KeyboardInterrupt, which
        # lets cProfile write its stats on the way out, where SIGTERM would end the process.
        self._stop_signal = signal.SIGINT if profile else signal.SIGTERM
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if profile:
            command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "waypost"]
        elif appends:
            command = [sys.executable, "-c", TRACED_SERVE, str(appends)]
        else:
            command = [sys.executable, "-m", "waypost"]
        self._log = open(data_dir.parent / "server.log", "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [*command, *_serve_arguments(self.port, data_dir)],
            env=_server_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited during startup; see {self._log.name}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit(f"the server did not answer /healthz in {STARTUP_SECONDS:.0f} s")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (all its threads)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Graceful stop: uvicorn drains, the writer commits what waits, the store closes."""
        if self.process.poll() is None:
            self.process.send_signal(self._stop_signal)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# ---------------------------------------------------------------- the clients


@dataclass
class ClientResult:
    """What one client process saw."""

    started: float
    finished: float
    cpu_seconds: float
    latencies: list[float] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)  # batch numbers answered 200
    accepted: int = 0
    retried: int = 0  # 429 answers (overload); the batch was sent again
    failed: dict[str, int] = field(default_factory=dict)


class Connection:
    """One keep-alive HTTP/1.1 connection that sends prepared POSTs and reads the answers.

    The benchmark measures the server, so its client must cost far less than the server; httpx
    took too much of the machine's CPU (figures in docs/lab/performance-history.md). This one
    writes a prepared request head and parses only the status line and headers of the answer.
    """

    def __init__(self, url: str, path: str, key: str) -> None:
        address = httpx.URL(url)
        self.host, self.port = address.host, address.port or 80
        auth = base64.b64encode(f"{key}:".encode()).decode()
        self._head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Basic {auth}\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n"
        ).encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (lower-case names) and body of the answer to one POST."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        try:
            writer.write(self._head % len(body) + body)
            await writer.drain()
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in head[1:] if line)
            }
            answer = await reader.readexactly(int(headers.get("content-length", "0")))
        except BaseException:
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(head[0].split(" ", 2)[1]), headers, answer

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def _drive(
    url: str,
    key: str,
    batches: Batches,
    numbers: Iterator[int],
    connections: int,
    deadline: float,
) -> ClientResult:
    result = ClientResult(started=time.monotonic(), finished=0.0, cpu_seconds=0.0)
    cpu_start = time.process_time()

    async def one_connection() -> None:
        connection = Connection(url, "/v1/batch", key)
        try:
            for k in numbers:
                if time.monotonic() >= deadline:
                    return
                await _send(connection, batches.body(k), k, result)
        finally:
            connection.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    result.finished = time.monotonic()
    result.cpu_seconds = time.process_time() - cpu_start
    return result


async def _send(connection: Connection, body: bytes, k: int, result: ClientResult) -> None:
    """Send batch k until it is answered other than 429; record what happened."""
    while True:
        started = time.perf_counter()
        try:
            status, headers, answer = await asyncio.wait_for(connection.post(body), 60.0)
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            name = type(exc).__name__
            result.failed[name] = result.failed.get(name, 0) + 1
            return
        elapsed = time.perf_counter() - started
        if status == 429:
            result.retried += 1
            await asyncio.sleep(float(headers.get("retry-after", "1")))
            continue
        if status != 200:
            result.failed[str(status)] = result.failed.get(str(status), 0) + 1
            return
        result.latencies.append(elapsed)
        result.acknowledged.append(k)
        result.accepted += json.loads(answer)["accepted"]
        return


def run_client(
    url: str,
    key: str,
    run: str,
    size: int,
    numbers: range,
    connections: int,
    duration: float,
) -> ClientResult:
    """One client process: `connections` keep-alive connections, each sending its next batch
    as soon as the last was answered, until `numbers` run out or `duration` passes."""
    batches = Batches(run, size)
    deadline = time.monotonic() + duration
    return asyncio.run(_drive(url, key, batches, iter(numbers), connections, deadline))


def drive_load(
    url: str, key: str, run: str, args: argparse.Namespace, total_batches: int
) -> list[ClientResult]:
    """Spread the clients over processes; each process takes every P-th batch number."""
    processes = args.client_processes
    shares = [args.clients // processes + (p < args.clients % processes) for p in range(processes)]
    jobs = [
        (url, key, run, args.batch, range(p, total_batches, processes), shares[p], args.duration)
        for p in range(processes)
    ]
    if processes == 1:
        return [run_client(*jobs[0])]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return pool.starmap(run_client, jobs)


# ---------------------------------------------------------------- checking what was stored


@dataclass
class Stored:
    rows: int
    distinct: int
    missing: int  # acknowledged but not stored: lost events
    unacknowledged: int  # stored without a 200 (e.g. a request cut off by the deadline)


def check_stored(events_path: Path, app_id: str, expected: set[str]) -> Stored:
    """Open the stopped server's event file read-only and compare it with the acknowledgements."""
    with duckdb.connect(str(events_path), read_only=True) as con:
        result = con.execute("SELECT message_id FROM events WHERE app_id = ?", [app_id])
        ids = [row[0] for row in result.fetchall()]
    stored = set(ids)
    return Stored(len(ids), len(stored), len(expected - stored), len(stored - expected))


# ---------------------------------------------------------------- the ceiling and the pieces


@dataclass
class Pieces:
    """Seconds per event of each piece of the request path, measured in-process, in order."""

    events: int
    seconds: dict[str, float]
    ceiling: float  # events/s appending the batches raw, one transaction each
    commit_ms: float  # one tiny transaction: the floor each commit pays (WAL sync)


def measure_pieces(
    batches: Batches, numbers: list[int], app_id: str, workdir: Path, group: int
) -> Pieces:
    """Rebuild the acknowledged batches' rows as the server does, timing each step, then append
    them to fresh DuckDB files: raw into the events table (the ceiling), and through
    DuckDBEventStore.append (dedupe included), per batch and per `group` batches as group
    commit would, alone and beside a busy Python thread (the event loop, for the writer)."""
    received = datetime.now(UTC)
    totals = dict.fromkeys(("decode_body", "validate_message", "to_row", "to_table"), 0.0)
    tables: list[pa.Table] = []
    for k in numbers:
        body = batches.body(k)
        started = time.perf_counter()
        document = decode_body(body, None)
        decoded = time.perf_counter()
        messages = [validate_message(raw, received) for raw in document["batch"]]
        validated = time.perf_counter()
        rows = [to_row(app_id, message) for message in messages]
        converted = time.perf_counter()
        tables.append(to_table(rows))
        tabled = time.perf_counter()
        totals["decode_body"] += decoded - started
        totals["validate_message"] += validated - decoded
        totals["to_row"] += converted - validated
        totals["to_table"] += tabled - converted
    events = sum(t.num_rows for t in tables)
    size = tables[0].num_rows
    grouped = [pa.concat_tables(tables[i : i + group]) for i in range(0, len(tables), group)]
    seconds = {name: total / events for name, total in totals.items()}
    raw = _raw_append(workdir / "raw.duckdb", tables) / events
    seconds[f"raw insert, {size}/txn (the ceiling)"] = raw
    seconds[f"raw insert, {size * group}/txn"] = (
        _raw_append(workdir / "raw-g.duckdb", grouped) / events
    )
    seconds[f"store.append, {size}/txn"] = _store_append(workdir / "s.duckdb", tables)
    seconds[f"store.append, {size * group}/txn"] = _store_append(workdir / "s-g.duckdb", grouped)
    with _busy_thread():
        seconds[f"store.append, {size * group}/txn, beside a busy thread"] = _store_append(
            workdir / "s-g-busy.duckdb", grouped
        )
    return Pieces(events, seconds, 1 / raw, _commit_seconds(workdir / "commit.duckdb") * 1000)


def _raw_append(path: Path, tables: list[pa.Table]) -> float:
    """Seconds to append each table in a transaction of its own to a fresh events table."""
    with duckdb.connect(str(path)) as con:
        con.execute(events_ddl())
        started = time.perf_counter()
        for table in tables:
            con.register("incoming", table)
            con.execute("BEGIN TRANSACTION")
            con.execute("INSERT INTO events BY NAME SELECT * FROM incoming")
            con.execute("COMMIT")
            con.unregister("incoming")
        return time.perf_counter() - started


def _store_append(path: Path, tables: list[pa.Table], budget: float = 10.0) -> float:
    """Seconds per event for DuckDBEventStore.append of each table on a fresh file, as the
    writer does; stops after `budget` seconds, since a slow store can take minutes."""
    store = DuckDBEventStore(path)
    try:
        started = time.perf_counter()
        events = 0
        for table in tables:
            store.append(table)
            events += table.num_rows
            if time.perf_counter() - started > budget:
                break
        return (time.perf_counter() - started) / events
    finally:
        store.close()


def _commit_seconds(path: Path, count: int = 200) -> float:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t (a INTEGER)")
        started = time.perf_counter()
        for _ in range(count):
            con.execute("BEGIN TRANSACTION")
            con.execute("INSERT INTO t VALUES (1)")
            con.execute("COMMIT")
        return (time.perf_counter() - started) / count


@contextmanager
def _busy_thread() -> Iterator[None]:
    """A thread running pure Python, as the event loop does while it validates batches."""
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(1000))

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


# ---------------------------------------------------------------- the report


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def _profile_summary(path: Path, limit: int = 25) -> str:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def _append_lines(appends: Path, wall: float) -> list[tuple[str, str]]:
    """What the writer did, from the traced server's append log."""
    records = [line.split() for line in appends.read_text().splitlines()]
    if not records:
        return []
    rows = [int(r[0]) for r in records]
    seconds = [float(r[1]) for r in records]
    cpu = [float(r[2]) for r in records]
    return [
        ("", ""),
        ("appends in the server", f"{len(records):,}, {statistics.mean(rows):,.0f} rows each"),
        (
            "  append time mean / p99",
            f"{statistics.mean(seconds) * 1000:.1f} ms / "
            f"{_percentile(seconds, 0.99) * 1000:.1f} ms",
        ),
        ("  writer busy appending", f"{sum(seconds) / wall:.0%} of the load"),
        ("  writer thread's own CPU", f"{sum(cpu) / sum(seconds):.0%} of append time"),
    ]


def _busy_cpu_seconds() -> float:
    """CPU seconds all processes on the machine have used (from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=5_000_000, help="stop after this many")
    parser.add_argument("--duration", type=float, default=20.0, help="or after this many seconds")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument(
        "--client-processes", type=int, default=1, help="processes the connections are spread over"
    )
    parser.add_argument("--batch", type=int, default=100, help="events per /v1/batch request")
    parser.add_argument(
        "--pieces-events",
        type=int,
        default=20_000,
        help="acknowledged events rebuilt in-process for the ceiling and the per-piece timings",
    )
    parser.add_argument(
        "--profile", type=Path, help="run the server under cProfile; its stats are written here"
    )
    parser.add_argument(
        "--trace-appends",
        action="store_true",
        help="time each event-store append inside the server (rows per commit, commit time)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    # The server gets the defaults for everything but its data directory, and so do we.
    for name in [k for k in os.environ if k.startswith("WAYPOST_")]:
        del os.environ[name]
    workdir = Path(tempfile.mkdtemp(prefix="waypost-bench-"))
    try:
        return _run(args, workdir)
    finally:
        if args.keep:
            print(f"\ndata kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(args: argparse.Namespace, workdir: Path) -> int:
    data_dir = workdir / "data"
    app_id, key = create_write_key(data_dir)
    run = f"b{int(time.time())}"
    load_average = os.getloadavg()[0]

    appends = workdir / "appends.txt" if args.trace_appends and not args.profile else None
    server = Server(data_dir, args.profile, appends)
    try:
        server_before, machine_before = server.cpu_seconds(), _busy_cpu_seconds()
        results = drive_load(server.url, key, run, args, args.events // args.batch)
        server_cpu = server.cpu_seconds() - server_before
        machine_cpu = _busy_cpu_seconds() - machine_before
    finally:
        server.stop()

    wall = max(r.finished for r in results) - min(r.started for r in results)
    latencies = [x for r in results for x in r.latencies]
    acknowledged = sorted(k for r in results for k in r.acknowledged)
    accepted = sum(r.accepted for r in results)
    client_cpu = sum(r.cpu_seconds for r in results)
    failed: dict[str, int] = {}
    for r in results:
        for name, count in r.failed.items():
            failed[name] = failed.get(name, 0) + count
    batches = Batches(run, args.batch)
    expected = {i for k in acknowledged for i in batches.ids(k)}
    stored = check_stored(Settings(data_dir=data_dir).events_path, app_id, expected)

    sample = acknowledged[: max(1, args.pieces_events // args.batch)]
    pieces = measure_pieces(batches, sample, app_id, workdir, group=max(1, args.clients))

    rate = accepted / wall
    p50, p99 = _percentile(latencies, 0.50), _percentile(latencies, 0.99)
    others = max(0.0, machine_cpu - server_cpu - client_cpu)
    lines = [
        ("waypost commit", _git_commit()),
        ("machine", f"{os.cpu_count()} cores, {_cpu_model()}, load {load_average:.2f} at start"),
        ("clients", f"{args.clients} connections in {args.client_processes} process(es)"),
        ("batch", f"{args.batch} track events per request"),
        ("load", f"{wall:.1f} s, {len(acknowledged):,} requests answered 200"),
        ("acknowledged", f"{accepted:,} events"),
        ("stored", f"{stored.rows:,} rows, {stored.distinct:,} distinct ids"),
        ("lost (acknowledged, not stored)", f"{stored.missing:,}"),
        ("stored without a 200", f"{stored.unacknowledged:,}"),
        ("429 answers / failures", f"{sum(r.retried for r in results)} / {failed or 0}"),
        (
            "CPU: server / client / others",
            f"{server_cpu / wall:.2f} / {client_cpu / wall:.2f} / {others / wall:.2f} cores",
        ),
        ("", ""),
        ("via /v1/batch", f"{rate:,.0f} events/s"),
        ("latency p50 / p99", f"{p50 * 1000:.1f} ms / {p99 * 1000:.1f} ms"),
        (f"ceiling: raw DuckDB, {args.batch}/txn", f"{pieces.ceiling:,.0f} events/s"),
        ("ratio (via /v1/batch / ceiling)", f"{rate / pieces.ceiling:.1%}"),
        ("target", "50,000 events/s with p99 < 100 ms"),
        ("verdict", "met" if rate >= 50_000 and p99 < 0.1 else "not met"),
        ("", ""),
        (f"µs per event, in-process ({pieces.events:,} events)", ""),
        *((f"  {name}", f"{value * 1e6:8.1f}") for name, value in pieces.seconds.items()),
        ("  server CPU, measured under load", f"{server_cpu / max(accepted, 1) * 1e6:8.1f}"),
        ("one-row commit (WAL sync)", f"{pieces.commit_ms:.2f} ms"),
    ]
    if appends:
        lines += _append_lines(appends, wall)
    width = max(len(name) for name, _ in lines)
    print()
    for name, value in lines:
        print(f"{name:<{width}}  {value}" if name else "")
    if args.profile:
        print(f"\nserver profile ({args.profile}), event-loop thread only, by own time:\n")
        print(_profile_summary(args.profile))
    return 0 if stored.missing == 0 and stored.rows == stored.distinct else 1


def _git_commit() -> str:
    """The commit of the waypost being measured (PYTHONPATH may point at another checkout)."""
    root = Path(waypost.__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} (src/ has uncommitted changes)" if dirty else commit


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
