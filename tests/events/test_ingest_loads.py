"""How the writer's load thread moves journaled events into the event store: a trickle of small
requests is gathered into fewer loads, and everything acknowledged is loaded."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

from tests.events.messages import table, track
from waypost.events import DuckDBEventStore
from waypost.tracking.writer import GATHER_SECONDS, EventWriter

REQUESTS = 60


def test_a_trickle_of_one_event_requests_is_gathered_into_fewer_loads(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    writer = EventWriter(store)
    loads: list[tuple[float, float, int]] = []  # started, ended, rows
    plain_append = store.append

    def timed_append(rows: Any, now: Any = None, journal_seq: Any = None) -> Any:
        started = time.monotonic()
        result = plain_append(rows, now, journal_seq)
        loads.append((started, time.monotonic(), rows.num_rows))
        return result

    async def trickle() -> None:  # one event per request, as browsers send them
        for n in range(REQUESTS):
            await writer.write(table(track("Viewed", 1, userId=f"u{n}")).to_pylist())
            await asyncio.sleep(0.005)

    store.append = timed_append  # type: ignore[method-assign]
    writer.start()
    try:
        asyncio.run(trickle())
        stopping = time.monotonic()
    finally:
        writer.stop()
    try:
        stored = store.cursor().execute("SELECT count(*) FROM events").fetchone()
    finally:
        store.close()

    assert stored == (REQUESTS,)
    assert sum(rows for _, _, rows in loads) == REQUESTS
    # While requests kept coming, each small load was followed by a rest before the next one
    # (loads once stopping began drain at once).
    rests = [later[0] - done[1] for done, later in itertools.pairwise(loads) if later[0] < stopping]
    assert rests, "the trickle took more than one load"
    assert min(rests) >= GATHER_SECONDS * 0.9
    assert len(loads) < REQUESTS  # some loads carried several requests
