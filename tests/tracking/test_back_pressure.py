"""Back-pressure: past `max_waiting_events` unloaded events, tracking requests are answered 429
with Retry-After instead of holding more in memory, and nothing acknowledged is lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from waypost.app import create_app
from waypost.settings import Settings


def _batch(tenant: Tenant, first: int, count: int) -> dict[str, Any]:
    return {
        "writeKey": tenant.app.write_key,
        "batch": [
            {"type": "track", "event": "Viewed", "userId": f"u{n}", "messageId": f"m{n}"}
            for n in range(first, first + count)
        ],
    }


def test_requests_past_the_waiting_limit_get_429_with_retry_after_and_are_stored_on_retry(
    settings: Settings, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    limited = settings.model_copy(update={"max_waiting_events": 150})
    with TestClient(create_app(limited)) as client:
        store = client.app.state.events  # type: ignore[attr-defined]
        # While the test holds the store's write lock no load can finish, as when the disk
        # stalls: acknowledged events pile up in memory.
        with store._write_lock:
            first = client.post("/v1/batch", json=_batch(tenant, 0, 100))
            refused = client.post("/v1/batch", json=_batch(tenant, 100, 100))
        assert first.status_code == 200, first.text
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["error"]["code"] == "overloaded"

        assert store.wait_for_journal(), "the first batch is loaded once the lock is free"
        retried = client.post("/v1/batch", json=_batch(tenant, 100, 100))
        assert retried.status_code == 200, retried.text
        page = client.get("/api/v1/events", params={"limit": 500}, headers=tenant.bearer()).json()
        assert sorted(e["message_id"] for e in page["events"]) == sorted(
            f"m{n}" for n in range(200)
        )
