"""How the store's load thread moves journaled events into the event store: a trickle of small
requests is gathered into fewer loads, and everything acknowledged is loaded."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

from tests.events.messages import table, track
from waypost.events import DuckDBEventStore
from waypost.events.ingest import GATHER_SECONDS

REQUESTS = 60


def test_a_trickle_of_one_event_requests_is_gathered_into_fewer_loads(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    loads: list[tuple[float, float, int]] = []  # started, ended, rows
    plain_load = store.load

    def timed_load(rows: Any, journal_seq: int) -> None:
        started = time.monotonic()
        plain_load(rows, journal_seq)
        loads.append((started, time.monotonic(), rows.num_rows))

    async def trickle() -> None:  # one event per request, as browsers send them
        for n in range(REQUESTS):
            await store.ingest(table(track("Viewed", 1, userId=f"u{n}")).to_pylist())
            await asyncio.sleep(0.005)

    store.load = timed_load  # type: ignore[method-assign]
    store.start()
    try:
        asyncio.run(trickle())
        stopping = time.monotonic()
    finally:
        store.close()
    reopened = DuckDBEventStore(tmp_path / "events.duckdb")
    try:
        stored = reopened.cursor().execute("SELECT count(*) FROM events").fetchone()
    finally:
        reopened.close()

    assert stored == (REQUESTS,)
    assert sum(rows for _, _, rows in loads) == REQUESTS
    # While requests kept coming, each small load was followed by a rest before the next one
    # (loads once stopping began drain at once).
    rests = [later[0] - done[1] for done, later in itertools.pairwise(loads) if later[0] < stopping]
    assert rests, "the trickle took more than one load"
    assert min(rests) >= GATHER_SECONDS * 0.9
    assert len(loads) < REQUESTS  # some loads carried several requests
