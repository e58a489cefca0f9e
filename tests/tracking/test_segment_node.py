"""The official @segment/analytics-node client, run by Node against a live Waypost server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from tests.conftest import Tenant

SEND = """
const { Analytics } = require('@segment/analytics-node')
const analytics = new Analytics({
  writeKey: process.env.WRITE_KEY, host: process.env.HOST, flushAt: 100, maxRetries: 0,
})
const errors = []
analytics.on('error', (error) => errors.push(String(error.reason || error.code || error)))
const n = Number(process.env.N)
for (let i = 0; i < n; i++) {
  analytics.track({ userId: `user-${i % 37}`, event: 'Report Viewed', properties: { n: i } })
}
for (let i = 0; i < 10; i++) {
  analytics.identify({ userId: `user-${i}`, traits: { email: `u${i}@example.com` } })
}
analytics.closeAndFlush().then(() => {
  if (errors.length) { console.error(errors.join('\\n')); process.exit(1) }
})
"""


def test_official_analytics_node_client_delivers_every_event_exactly_once(
    live_app: FastAPI,
    live_server: str,
    make_tenant: Callable[[str], Tenant],
    run_node: Callable[[str, dict[str, str]], str],
    stored_events: Callable[[FastAPI, str], list[dict[str, Any]]],
) -> None:
    tenant = make_tenant("Acme")
    run_node(SEND, {"WRITE_KEY": tenant.app.write_key, "HOST": live_server, "N": "500"})
    stored = stored_events(live_app, tenant.app_id)
    assert len(stored) == 510
    assert len({e["message_id"] for e in stored}) == 510
    tracks = [e for e in stored if e["event"] == "Report Viewed"]
    assert sorted(json.loads(e["properties"])["n"] for e in tracks) == list(range(500))
    identifies = [e for e in stored if e["type"] == "identify"]
    assert sorted(e["user_id"] for e in identifies) == [f"user-{i}" for i in range(10)]
    assert json.loads(identifies[0]["properties"])["email"].endswith("@example.com")
