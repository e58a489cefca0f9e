"""Actions: define what counts as doing something, then use it wherever an event goes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant

UPGRADE = {
    "name": "Clicked Upgrade",
    "description": "The upgrade button, wherever it is",
    "steps": [
        {"event": "$autocapture", "selector": "button#upgrade"},
        {"event": "$autocapture", "text": "Upgrade now", "url": "/billing"},
    ],
}


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


def _click(user: str, minute: int, selector: str, text: str, url: str) -> dict:
    return {
        "type": "track",
        "event": "$autocapture",
        "userId": user,
        "timestamp": f"2026-06-01T09:{minute:02d}:00Z",
        "properties": {"$element_selector": selector, "$element_text": text},
        "context": {"page": {"url": url}},
    }


def test_actions_are_created_listed_changed_and_removed(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.bearer()
    created = client.post("/api/v1/actions", json=UPGRADE, headers=headers)
    assert created.status_code == 201
    action = created.json()
    assert action["steps"][1] == {
        "event": "$autocapture",
        "text": "Upgrade now",
        "url": "/billing",
        "url_match": "contains",
        "selector": None,
        "where": [],
    }
    again = client.post("/api/v1/actions", json=UPGRADE, headers=headers)
    assert (again.status_code, again.json()["error"]["field"]) == (409, "name")
    renamed = client.put(
        f"/api/v1/actions/{action['id']}", json={**UPGRADE, "name": "Upgrade"}, headers=headers
    )
    assert renamed.json()["name"] == "Upgrade"
    assert [a["name"] for a in client.get("/api/v1/actions", headers=headers).json()] == ["Upgrade"]
    assert client.delete(f"/api/v1/actions/{action['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/actions/{action['id']}", headers=headers).status_code == 404


def test_an_empty_action_step_is_refused(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/api/v1/actions", json={"name": "Nothing", "steps": [{}]}, headers=tenant.bearer()
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"].startswith("steps.0")


def test_a_funnel_step_can_be_an_action(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.bearer()
    assert client.post("/api/v1/actions", json=UPGRADE, headers=headers).status_code == 201
    batch = [
        {
            "type": "track",
            "event": "Trial Started",
            "userId": u,
            "timestamp": "2026-06-01T09:00:00Z",
        }
        for u in ("u1", "u2", "u3", "u4")
    ] + [
        _click("u1", 5, "button#upgrade", "Go pro", "https://app.example.com/home"),
        _click("u2", 5, "a.nav", "Upgrade now", "https://app.example.com/billing"),
        _click("u3", 5, "a.nav", "Upgrade now", "https://app.example.com/settings"),  # wrong page
        _click("u4", 5, "button#cancel", "Cancel", "https://app.example.com/billing"),
    ]
    sent = client.post("/v1/batch", json={"batch": batch, "writeKey": tenant.app.write_key})
    assert sent.status_code == 200 and sent.json()["rejected"] == []
    funnel = {
        "kind": "funnel",
        "steps": [{"event": "Trial Started"}, {"action": "Clicked Upgrade"}],
    }
    response = client.post("/api/v1/insights/query", json=funnel, headers=headers)
    assert response.status_code == 200, response.text
    assert [s["count"] for s in response.json()["steps"]] == [4, 2]

    unknown = {**funnel, "steps": [{"event": "Trial Started"}, {"action": "Nope"}]}
    refused = client.post("/api/v1/insights/query", json=unknown, headers=headers)
    assert refused.status_code == 422
    assert "no action named 'Nope'" in refused.json()["error"]["message"]
    both = {**funnel, "steps": [{"event": "A", "action": "Clicked Upgrade"}, {"event": "B"}]}
    assert client.post("/api/v1/insights/query", json=both, headers=headers).status_code == 422
