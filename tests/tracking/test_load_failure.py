"""When the disk or the event store fails: acknowledged events wait in the journal and are loaded
once the store works again; readiness and metrics say what is wrong; reads go ahead; erasures
are refused rather than left incomplete; requests the journal cannot take are refused (503) and
never stored; a load failing as the server stops leaves its frames to the next start."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.events.messages import table, track
from waypost.app import create_app
from waypost.events import DuckDBEventStore
from waypost.events.duckdb_store import READ_WAIT_SECONDS
from waypost.settings import Settings


def _until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _gauge(client: TestClient, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", client.get("/metrics").text, re.MULTILINE)
    assert found, f"{name} is not exported"
    return float(found.group(1))


def test_failing_loads_show_in_readiness_and_metrics_and_recover(
    settings: Settings, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    batch = {
        "writeKey": tenant.app.write_key,
        "batch": [{"type": "track", "event": "Viewed", "userId": f"u{n}"} for n in range(30)],
    }
    with TestClient(create_app(settings)) as client:
        store = client.app.state.events  # type: ignore[attr-defined]
        # A real failure inside DuckDB: the cursor every load goes through is closed.
        store._append_cursor.close()

        assert client.post("/v1/batch", json=batch).status_code == 200  # journaled, so kept
        _until(lambda: client.get("/readyz").status_code == 503)
        check = client.get("/readyz").json()["checks"]["ingest"]
        assert "loading acknowledged events into the event store has failed since" in check
        assert "30 events wait in the journal" in check
        assert _gauge(client, "waypost_ingest_waiting_events") == 30
        _until(lambda: _gauge(client, "waypost_ingest_load_failing_seconds") > 0)
        started = time.monotonic()
        meanwhile = client.get("/api/v1/events", headers=tenant.bearer())
        assert meanwhile.status_code == 200
        assert time.monotonic() - started < READ_WAIT_SECONDS / 3, "reads do not wait for loads"
        # An erasure now would miss the journaled events, which would come back: it is refused.
        refused = client.delete("/api/v1/persons/u0", headers=tenant.bearer())
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "10"
        assert refused.json()["error"]["code"] == "unavailable"
        assert "nothing was erased" in refused.json()["error"]["message"]

        store._append_cursor = store._connection.cursor()  # the store works again

        _until(lambda: client.get("/readyz").status_code == 200)
        assert _gauge(client, "waypost_ingest_waiting_events") == 0
        assert _gauge(client, "waypost_ingest_load_failing_seconds") == 0
        page = client.get("/api/v1/events", headers=tenant.bearer()).json()
        assert len(page["events"]) == 30
        erased = client.delete("/api/v1/persons/u0", headers=tenant.bearer())
        assert erased.json()["events_deleted"] == 1


def test_an_erasure_the_store_cannot_do_is_503_naming_the_store(
    settings: Settings, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    with TestClient(create_app(settings)) as client:
        store = client.app.state.events  # type: ignore[attr-defined]
        store._append_cursor.close()  # nothing waits in the journal; the store itself fails
        refused = client.delete("/api/v1/persons/u0", headers=tenant.bearer())
        assert refused.status_code == 503
        assert "events.duckdb" in refused.json()["error"]["message"]
        store._append_cursor = store._connection.cursor()  # so that the server stops cleanly


def _batch(tenant: Tenant, prefix: str) -> dict[str, Any]:
    return {
        "writeKey": tenant.app.write_key,
        "batch": [
            {"type": "track", "event": "Viewed", "userId": "u1", "messageId": f"{prefix}{n}"}
            for n in range(3)
        ],
    }


def test_a_journal_that_cannot_be_written_refuses_requests_and_stores_none_of_them(
    settings: Settings, make_tenant: Callable[[str], Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = make_tenant("Acme")
    with TestClient(create_app(settings)) as client:
        working_sync = os.fdatasync

        def full_disk(fd: int) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fdatasync", full_disk)
        refused = client.post("/v1/batch", json=_batch(tenant, "refused-"))
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "5"
        assert refused.json()["error"]["code"] == "unavailable"
        assert "No space left on device" in refused.json()["error"]["message"]
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "writing events to the ingest journal has failed" in ready.json()["checks"]["ingest"]
        assert _gauge(client, "waypost_ingest_journal_failing_seconds") > 0

        monkeypatch.setattr(os, "fdatasync", working_sync)  # space is freed
    # The server restarts before anything else is written: the start replays what the journal
    # holds, and the refused request must not be in it.
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/batch", json=_batch(tenant, "kept-")).status_code == 200
        assert client.get("/readyz").status_code == 200
        events = client.get("/api/v1/events", headers=tenant.bearer()).json()["events"]
        assert sorted(e["message_id"] for e in events) == ["kept-0", "kept-1", "kept-2"]


def test_a_load_failing_as_the_store_stops_leaves_it_and_all_after_it_to_the_next_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.duckdb"
    store = DuckDBEventStore(path)
    first = table(track("A", 1, userId="u1")).to_pylist()
    second = table(track("B", 2, userId="u2")).to_pylist()
    working_load = store.load
    stopping: list[threading.Thread] = []

    def load_failing_once(rows: Any, journal_seq: int) -> None:
        if stopping:
            working_load(rows, journal_seq)
            return
        # While this load runs, a second request is acknowledged and the server begins to stop;
        # then the load fails (the disk stumbled once).
        asyncio.run(store.ingest(second))
        stopping.append(threading.Thread(target=store._ingestion.stop))
        stopping[0].start()
        _until(lambda: store._ingestion._stopping)
        raise OSError(5, "Input/output error")

    store.load = load_failing_once  # type: ignore[method-assign]
    store.start()
    asyncio.run(store.ingest(first))
    _until(lambda: bool(stopping))
    stopping[0].join()
    store.load = working_load  # type: ignore[method-assign]
    store.close()

    reopened = DuckDBEventStore(path)
    try:
        cursor = reopened.cursor()
        events = cursor.execute("SELECT event FROM events ORDER BY event").fetchall()
        assert events == [("A",), ("B",)], "both acknowledged requests are loaded at the next start"
    finally:
        reopened.close()
