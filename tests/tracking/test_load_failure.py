"""When loads into the event store fail, acknowledged events wait in the journal, readiness and
metrics say so, reads go ahead, erasures are refused rather than left incomplete, and the events
are loaded once the store works again."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from waypost.app import create_app
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
