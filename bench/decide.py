"""Decide benchmark: `POST /sdk/v1/decide` on a real server, against the targets.

Builds an app with 300 published items of every kind and 50 segments (imported with
`waypost content import --publish`, as a builder would) and 100,000 people with traits,
accounts, events over 30 days and guidance history (stored through the event store's ingest
rules), then starts `waypost serve` and asks decide for random people on random pages from
keep-alive connections. Prints latency p50/p99 as the client sees it on loopback (the server's
time plus a little), decisions per second, the server's CPU per decision and its peak memory,
each beside its target (p99 under 5 ms, 2,000 decisions/s, under 1 GB) as a ratio.

    .venv/bin/python bench/decide.py                       # about 2 minutes the first time
    .venv/bin/python bench/decide.py --data-dir /tmp/decide --clients 16 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest import Connection, Server, create_write_key

TARGET_P99_MS = 5.0
TARGET_RATE = 2_000.0
TARGET_MEMORY_MB = 1024.0
GENERATOR_VERSION = 1
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
PAGES = [
    f"https://app.example/{area}/{n}"
    for area in ("projects", "reports", "settings", "contacts")
    for n in range(5)
]
EVENTS = ("Report Built", "Contact Imported", "Project Created", "Logged In", "Teammate Invited")
PLANS = ("trial", "starter", "pro", "enterprise")
ROLES = ("admin", "member", "viewer")


@dataclass(frozen=True)
class Shape:
    persons: int
    items: int
    segments: int
    seed: int


def _segments(shape: Shape, rng: random.Random) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for n in range(shape.segments):
        pick = n % 5
        if pick == 0:
            rules: dict[str, object] = {"trait": {"plan": {"eq": PLANS[n % len(PLANS)]}}}
        elif pick == 1:
            rules = {"trait": {"role": {"in": list(ROLES[: 1 + n % 3])}}}
        elif pick == 2:
            rules = {"account": {"employees": {"gte": rng.choice([10, 50, 200, 1000])}}}
        elif pick == 3:
            rules = {"did": {"event": rng.choice(EVENTS), "at_least": 1 + n % 3, "within_days": 30}}
        else:
            rules = {
                "all": [
                    {"segment": f"seg-{n - 4}"},
                    {
                        "any": [
                            {"bucket": {"below": 50, "salt": f"s{n}"}},
                            {"first_seen": {"days_ago": {"gte": 7}}},
                        ]
                    },
                ]
            }
        found.append({"kind": "segment", "key": f"seg-{n}", "name": f"Segment {n}", "rules": rules})
    return found


def _text(word: str) -> dict[str, str]:
    return {"en": f"{word} in English", "ja": f"{word}の日本語"}


def _items(shape: Shape, rng: random.Random) -> list[dict[str, object]]:
    kinds = ["smart_tip"] * 10 + ["walkthrough"] * 4 + ["shoutout"] * 4 + ["survey"] * 3
    kinds += ["launcher"] * 2 + ["shuttle"] * 2 + ["task"] * 3 + ["resource"] * 2
    found: list[dict[str, object]] = []
    for n in range(shape.items - 2):
        kind = kinds[n % len(kinds)]
        key = f"{kind.replace('_', '-')}-{n}"
        item: dict[str, object] = {"kind": kind, "key": key, "name": f"Item {n}"}
        if n % 3 == 0:
            item["audience"] = {"segment": f"seg-{rng.randrange(shape.segments)}"}
        elif n % 3 == 1:
            item["audience"] = {
                "rules": {
                    "all": [
                        {"trait": {"plan": {"in": rng.sample(PLANS, 2)}}},
                        {"segment": f"seg-{rng.randrange(shape.segments)}"},
                    ]
                }
            }
        if kind in ("smart_tip", "walkthrough", "shoutout", "survey", "launcher") and n % 2 == 0:
            item["trigger"] = {"page": {"url": {"contains": rng.choice(PAGES).split("example")[1]}}}
        item["priority"] = rng.randrange(-5, 10)
        if n % 10 == 0:
            item["holdout"] = 10
        target = {"selector": f"#el-{n}", "text": f"Button {n}"}
        if kind == "smart_tip":
            item.update(target=target, body=_text(f"**Tip** {n}"))
        elif kind == "walkthrough":
            item["steps"] = [
                {
                    "kind": "tooltip",
                    "target": target,
                    "title": _text("Step one"),
                    "body": _text("Body"),
                    "advance": "click",
                },
                {
                    "kind": "popup",
                    "title": _text("Done"),
                    "buttons": [{"label": _text("OK"), "action": "complete"}],
                },
            ]
        elif kind == "shoutout":
            item.update(
                title=_text("News"), body=_text(f"Shoutout {n}"), frequency={"show": "once"}
            )
        elif kind == "survey":
            item.update(
                frequency={"show": "every_n_days", "days": 90},
                questions=[
                    {"key": "score", "type": "nps", "text": _text("Recommend?")},
                    {"key": "why", "type": "text", "text": _text("Why?")},
                ],
            )
        elif kind == "launcher":
            item.update(target=target, label=_text("Help"), shuttle="")
        elif kind == "shuttle":
            item.update(url="https://help.example/a", label=_text("Read"))
        elif kind == "task":
            item.update(title=_text("Do it"), complete_when={"event": rng.choice(EVENTS)})
        elif kind == "resource":
            item.update(
                title=_text("Article"), url="https://help.example/b", text=_text("Searchable text")
            )
        found.append(item)
    shuttle = next(str(i["key"]) for i in found if i["kind"] == "shuttle")
    for item in found:
        if item["kind"] == "launcher":
            item["shuttle"] = shuttle
    listed = [str(i["key"]) for i in found if i["kind"] in ("walkthrough", "resource", "shuttle")]
    tasks = [str(i["key"]) for i in found if i["kind"] == "task"]
    for n in range(2):
        found.append(
            {
                "kind": "menu",
                "key": f"menu-{n}",
                "name": f"Menu {n}",
                "title": _text("Help"),
                "sections": [{"items": listed[:40]}, {"items": tasks}],
            }
        )
    return found


def _write_content(shape: Shape, folder: Path) -> None:
    rng = random.Random(shape.seed)
    folder.mkdir(parents=True, exist_ok=True)
    documents = [*_segments(shape, rng), *_items(shape, rng)]
    for document in documents:
        (folder / f"{document['key']}.json").write_text(json.dumps(document, ensure_ascii=False))


def _store_people(shape: Shape, data_dir: Path, app_id: str, content_keys: list[str]) -> None:
    """People with traits, accounts, events over 30 days and guidance history, through the
    store's ingest rules (validated messages, identity, profiles)."""
    from waypost.events import DuckDBEventStore
    from waypost.events.schema import to_table
    from waypost.tracking.messages import validate_message
    from waypost.tracking.rows import to_row

    rng = random.Random(shape.seed + 1)
    store = DuckDBEventStore(data_dir / "events.duckdb")
    rows: list[dict[str, object]] = []
    serial = 0

    def add(message: dict[str, object], at: datetime) -> None:
        nonlocal serial
        serial += 1
        full = {"messageId": f"b{serial}", "timestamp": at.isoformat(), **message}
        rows.append(to_row(app_id, validate_message(full, NOW)))

    try:
        for n in range(shape.persons):
            user = f"u{n}"
            first = NOW - timedelta(days=rng.randrange(31, 60), hours=rng.randrange(24))
            traits = {"plan": rng.choice(PLANS), "role": rng.choice(ROLES), "name": f"Person {n}"}
            add({"type": "identify", "userId": user, "traits": traits}, first)
            account = f"acct-{n // 8}"
            group = {"type": "group", "userId": user, "groupId": account}
            if n % 8 == 0:
                group["traits"] = {"employees": rng.choice([5, 20, 80, 300, 2000])}
            add(group, first)
            for _ in range(rng.randrange(2, 8)):
                add(
                    {"type": "track", "event": rng.choice(EVENTS), "userId": user},
                    first + timedelta(hours=rng.randrange(1, 24 * 30)),
                )
            for key in rng.sample(content_keys, 2):
                props = {"$content_id": key, "$content_version": 1}
                add(
                    {"type": "track", "event": "$guide_shown", "userId": user, "properties": props},
                    first + timedelta(hours=1),
                )
            if len(rows) >= 50_000:
                store.append(to_table(rows))
                rows.clear()
        if rows:
            store.append(to_table(rows))
        store.fold_activity()
    finally:
        store.close()


def prepare(shape: Shape, data_dir: Path) -> tuple[str, str]:
    """The data directory for the shape (kept and reused while the shape and generator match);
    (app_id, write key)."""
    manifest = data_dir / "decide-bench.json"
    wanted = {"shape": asdict(shape), "generator": GENERATOR_VERSION}
    if manifest.exists() and json.loads(manifest.read_text())["made"] == wanted:
        made = json.loads(manifest.read_text())
        return made["app_id"], made["write_key"]
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    started = time.perf_counter()
    app_id, write_key = create_write_key(data_dir)
    content = data_dir.parent / f"{data_dir.name}-content"
    shutil.rmtree(content, ignore_errors=True)
    _write_content(shape, content)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "waypost",
            "content",
            "import",
            str(content),
            "--app",
            app_id,
            "--publish",
            "--data-dir",
            str(data_dir),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "WAYPOST_LOG_LEVEL": "warning"},
    )
    keys = [p.stem for p in content.glob("*.json") if not p.stem.startswith("seg-")]
    print(f"content: {len(keys)} items, {shape.segments} segments imported and published")
    _store_people(shape, data_dir, app_id, sorted(keys))
    print(f"people: {shape.persons:,} stored in {time.perf_counter() - started:.0f}s")
    manifest.write_text(json.dumps({"made": wanted, "app_id": app_id, "write_key": write_key}))
    return app_id, write_key


@dataclass
class Load:
    """How the benchmark asks: for how long, over how many connections, and which share of
    requests come from a snippet that already holds the definitions it was sent before (a
    returning page view), sending them as `have`."""

    seconds: float
    clients: int
    returning: float = 0.0


async def _drive(
    url: str, key: str, shape: Shape, load: Load, held: dict[str, set[str]]
) -> tuple[list[float], int]:
    """Decisions for random people on random pages; `held` gathers, per locale, every
    "key@version" answered with its definition (what snippets would hold by now)."""
    rng = random.Random(shape.seed + 2)
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + load.seconds

    async def one() -> None:
        nonlocal failures
        connection = Connection(url, "/sdk/v1/decide", key)
        try:
            while time.monotonic() < deadline:
                locale = rng.choice(("en", "ja"))
                wanted: dict[str, object] = {
                    "userId": f"u{rng.randrange(shape.persons)}",
                    "url": rng.choice(PAGES),
                    "locale": locale,
                }
                holds = held.setdefault(locale, set())
                if holds and rng.random() < load.returning:
                    wanted["have"] = sorted(holds)
                body = json.dumps(wanted).encode()
                started = time.perf_counter()
                status, _, answer = await connection.post(body)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    failures += 1
                elif "have" not in wanted:
                    for item in json.loads(answer)["items"]:
                        holds.add(f"{item['key']}@{item['version']}")
        finally:
            connection.close()

    await asyncio.gather(*(one() for _ in range(load.clients)))
    return latencies, failures


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--segments", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--clients", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load")
    parser.add_argument(
        "--warmup",
        type=float,
        default=40.0,
        help="seconds of load first, untimed, while the server reads people into memory",
    )
    parser.add_argument(
        "--returning",
        type=float,
        default=0.0,
        help="share of requests (0-1) from snippets holding every definition sent before",
    )
    parser.add_argument(
        "--solo", type=float, default=5.0, help="seconds of one connection at a time, last"
    )
    parser.add_argument(
        "--data-dir", help="keep the generated data here and reuse it (default: temp)"
    )
    args = parser.parse_args(argv)
    shape = Shape(args.persons, args.items, args.segments, args.seed)
    data_dir = (
        Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="decide-")) / "data"
    )
    try:
        _, key = prepare(shape, data_dir)
        server = Server(data_dir)
        try:
            held: dict[str, set[str]] = {}
            asyncio.run(_drive(server.url, key, shape, Load(args.warmup, args.clients), held))
            cpu_before = server.cpu_seconds()
            started = time.monotonic()
            load = Load(args.duration, args.clients, args.returning)
            latencies, failures = asyncio.run(_drive(server.url, key, shape, load, held))
            wall = time.monotonic() - started
            cpu = server.cpu_seconds() - cpu_before
            # One request at a time: the server's own time per decision, with no queue.
            solo, solo_failures = asyncio.run(
                _drive(server.url, key, shape, Load(args.solo, 1, args.returning), held)
            )
            failures += solo_failures
            peak = _peak_mb(server.process.pid)
        finally:
            server.stop()
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir.parent, ignore_errors=True)
    count = len(latencies)
    p50, p99 = _percentile(latencies, 0.5) * 1000, _percentile(latencies, 0.99) * 1000
    rate = count / wall
    per_decision = cpu / max(count, 1) * 1e6
    print(
        f"\ndata     {shape.persons:,} people, {shape.items} published items, "
        f"{shape.segments} segments (seed {shape.seed}); "
        f"{args.clients} connections for {args.duration:.0f}s; "
        f"{args.returning:.0%} of requests from returning snippets"
    )
    print(f"answers  {count:,} ({failures} not 200)")
    print(
        f"latency  p50 {p50:.2f} ms, p99 {p99:.2f} ms  "
        f"(target p99 < {TARGET_P99_MS:.0f} ms: {p99 / TARGET_P99_MS:.2f}x)"
    )
    print(
        f"rate     {rate:,.0f} decisions/s  (target {TARGET_RATE:,.0f}: {rate / TARGET_RATE:.2f}x)"
    )
    print(
        f"alone    p50 {_percentile(solo, 0.5) * 1000:.2f} ms, "
        f"p99 {_percentile(solo, 0.99) * 1000:.2f} ms at one connection (no queue)"
    )
    print(
        f"server   {per_decision:,.0f} µs CPU per decision; peak memory {peak:,.0f} MB "
        f"(target < {TARGET_MEMORY_MB:,.0f} MB)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
