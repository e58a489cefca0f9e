"""Tenant isolation: credentials of tenant A never read or change tenant B's data, through any
admin endpoint. Every /api/v1 route must be listed here, so the suite grows with each slice."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant, sign_in
from waypost.tenancy.roles import Role

HIJACKED_CONTENT = {"kind": "shoutout", "key": "victim", "name": "Hijacked", "title": "Pwned"}
HIJACKED_SEGMENT = {"key": "victim", "name": "Hijacked", "rules": {"trait": {"plan": {"eq": "x"}}}}
PAID_FUNNEL = {"kind": "funnel", "steps": [{"event": "Paid"}, {"event": "Paid"}]}
HIJACKED_INSIGHT = {"name": "Hijacked", "query": PAID_FUNNEL}
# Routes whose path names another tenant's object, with a valid body where they take one.
# The placeholders are filled with tenant B's ids.
TARGETED: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/api/v1/apps/{app_id}"): None,
    ("GET", "/api/v1/apps/{app_id}/keys"): None,
    ("POST", "/api/v1/apps/{app_id}/keys/rotate"): {"kind": "secret"},
    ("POST", "/api/v1/apps/{app_id}/keys/{key_id}/revoke"): None,
    ("GET", "/api/v1/workspaces/{workspace_id}/members"): None,
    ("POST", "/api/v1/workspaces/{workspace_id}/members"): {
        "email": "{victim_email}",
        "role": "viewer",
    },
    ("DELETE", "/api/v1/workspaces/{workspace_id}/members/{user_id}"): None,
    ("GET", "/api/v1/events"): None,
    ("GET", "/api/v1/persons/{person}"): None,
    ("DELETE", "/api/v1/persons/{person}"): None,
    ("POST", "/api/v1/insights/query"): {
        "kind": "funnel",
        "steps": [{"event": "Paid"}, {"event": "Paid"}],
    },
    ("GET", "/api/v1/actions"): None,
    ("POST", "/api/v1/actions"): {"name": "Intrusion", "steps": [{"event": "Paid"}]},
    ("GET", "/api/v1/actions/{action_id}"): None,
    ("PUT", "/api/v1/actions/{action_id}"): {"name": "Hijacked", "steps": [{"event": "Paid"}]},
    ("DELETE", "/api/v1/actions/{action_id}"): None,
    ("GET", "/api/v1/content"): None,
    ("POST", "/api/v1/content"): HIJACKED_CONTENT,
    ("GET", "/api/v1/content/{key}"): None,
    ("PUT", "/api/v1/content/{key}"): HIJACKED_CONTENT,
    ("DELETE", "/api/v1/content/{key}"): None,
    ("POST", "/api/v1/content/{key}/publish"): {"environment": "production"},
    ("POST", "/api/v1/content/{key}/unpublish"): {"environment": "production"},
    ("POST", "/api/v1/content/{key}/revert"): {"version": 1},
    ("GET", "/api/v1/content/{key}/versions"): None,
    ("GET", "/api/v1/content/{key}/versions/{number}"): None,
    ("GET", "/api/v1/content/{key}/diff"): None,
    ("GET", "/api/v1/content-files"): None,
    ("POST", "/api/v1/content-files"): {
        "files": {"x.yaml": "kind: shoutout\nkey: victim\nname: Hijacked\ntitle: Pwned\n"}
    },
    ("GET", "/api/v1/segments"): None,
    ("POST", "/api/v1/segments"): HIJACKED_SEGMENT,
    ("GET", "/api/v1/segments/{key}"): None,
    ("PUT", "/api/v1/segments/{key}"): HIJACKED_SEGMENT,
    ("DELETE", "/api/v1/segments/{key}"): None,
    ("GET", "/api/v1/segments/{key}/preview"): None,
    ("POST", "/api/v1/segments/preview"): {"rules": {"trait": {"plan": {"eq": "trial"}}}},
    ("GET", "/api/v1/guidance/settings"): None,
    ("PUT", "/api/v1/guidance/settings"): {"timezone": "Asia/Tokyo"},
    ("POST", "/api/v1/guidance/identity-secret/rotate"): None,
    ("GET", "/api/v1/insights/saved"): None,
    ("POST", "/api/v1/insights/saved"): HIJACKED_INSIGHT,
    ("GET", "/api/v1/insights/saved/{insight_id}"): None,
    ("PUT", "/api/v1/insights/saved/{insight_id}"): HIJACKED_INSIGHT,
    ("DELETE", "/api/v1/insights/saved/{insight_id}"): None,
    ("POST", "/api/v1/insights/saved/{insight_id}/run"): None,
    ("GET", "/api/v1/dashboards"): None,
    ("POST", "/api/v1/dashboards"): {"name": "Hijacked"},
    ("GET", "/api/v1/dashboards/{dashboard_id}"): None,
    ("PUT", "/api/v1/dashboards/{dashboard_id}"): {"name": "Hijacked"},
    ("DELETE", "/api/v1/dashboards/{dashboard_id}"): None,
    ("GET", "/api/v1/dashboards/{dashboard_id}/data"): None,
}
# Routes that name the app in the query string rather than the path.
QUERIES = {
    ("GET", "/api/v1/events"): "?app_id={app_id}&person={person}",
    ("GET", "/api/v1/persons/{person}"): "?app_id={app_id}",
    ("DELETE", "/api/v1/persons/{person}"): "?app_id={app_id}",
    ("POST", "/api/v1/insights/query"): "?app_id={app_id}",
    ("GET", "/api/v1/actions"): "?app_id={app_id}",
    ("POST", "/api/v1/actions"): "?app_id={app_id}",
    ("GET", "/api/v1/actions/{action_id}"): "?app_id={app_id}",
    ("PUT", "/api/v1/actions/{action_id}"): "?app_id={app_id}",
    ("DELETE", "/api/v1/actions/{action_id}"): "?app_id={app_id}",
    ("GET", "/api/v1/content/{key}/diff"): "?app_id={app_id}&from=1&to=draft",
}
for _route in TARGETED:
    if _route[1].startswith(
        (
            "/api/v1/content",
            "/api/v1/segments",
            "/api/v1/guidance",
            "/api/v1/insights/saved",
            "/api/v1/dashboards",
        )
    ):
        QUERIES.setdefault(_route, "?app_id={app_id}")
# Routes without another tenant's id in the path; checked one by one below.
UNTARGETED = {("GET", "/api/v1/me"), ("GET", "/api/v1/apps"), ("POST", "/api/v1/apps")}


def _api_routes(client: TestClient) -> set[tuple[str, str]]:
    # From the OpenAPI document: FastAPI's route objects vary between versions (newer ones
    # nest included routers), the published schema does not.
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v1")
        for method in operations
    }


def test_every_admin_route_is_covered_by_the_isolation_suite(client: TestClient) -> None:
    missing = _api_routes(client) - set(TARGETED) - UNTARGETED
    assert not missing, f"add these routes to tests/test_isolation.py: {sorted(missing)}"


@pytest.fixture
def two_tenants(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> tuple[Tenant, Tenant, dict[str, str]]:
    alpha, beta = make_tenant("Alpha"), make_tenant("Beta")
    sent = client.post(
        "/v1/track",
        json={"userId": "victim-user", "event": "Paid", "writeKey": beta.app.write_key},
    )
    assert sent.status_code == 200
    keys = client.get(f"/api/v1/apps/{beta.app_id}/keys", headers=beta.bearer()).json()
    sign_in(client, beta.owner_email)
    beta_owner_id = client.get("/api/v1/me").json()["user_id"]
    client.cookies.clear()
    victim_ids = {
        "user_id": beta_owner_id,
        "app_id": beta.app_id,
        "workspace_id": beta.workspace_id,
        "key_id": next(k["id"] for k in keys if k["kind"] == "secret"),
        "victim_email": beta.owner_email,
        "person": "victim-user",
        "action_id": client.post(
            "/api/v1/actions",
            json={"name": "Paid", "steps": [{"event": "Paid"}]},
            headers=beta.bearer(),
        ).json()["id"],
        "key": "victim",
        "number": "1",
    }
    own = {"kind": "shoutout", "key": "victim", "name": "Beta's own", "title": "Hello"}
    assert client.post("/api/v1/content", json=own, headers=beta.bearer()).status_code == 201
    assert client.post("/api/v1/content/victim/publish", headers=beta.bearer()).status_code == 200
    segment = {"key": "victim", "name": "Beta's", "rules": {"trait": {"plan": {"eq": "pro"}}}}
    assert client.post("/api/v1/segments", json=segment, headers=beta.bearer()).status_code == 201
    saved = {"name": "Beta's", "query": PAID_FUNNEL}
    victim_ids["insight_id"] = client.post(
        "/api/v1/insights/saved", json=saved, headers=beta.bearer()
    ).json()["id"]
    dashboard = {"name": "Beta's", "tiles": [{"insight_id": victim_ids["insight_id"]}]}
    victim_ids["dashboard_id"] = client.post(
        "/api/v1/dashboards", json=dashboard, headers=beta.bearer()
    ).json()["id"]
    return alpha, beta, victim_ids


def _fill(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)


def _beta_state(client: TestClient, beta: Tenant) -> Any:
    headers = beta.bearer()
    return (
        client.get(f"/api/v1/apps/{beta.app_id}", headers=headers).json(),
        client.get(f"/api/v1/apps/{beta.app_id}/keys", headers=headers).json(),
        client.get("/api/v1/persons/victim-user", headers=headers).json(),
        client.get("/api/v1/events", headers=headers).json(),
        client.get("/api/v1/actions", headers=headers).json(),
        client.get("/api/v1/content", headers=headers).json(),
        client.get("/api/v1/content-files", headers=headers).json(),
        client.get("/api/v1/content/victim/versions", headers=headers).json(),
        client.get("/api/v1/guidance/settings", headers=headers).json(),
        client.get("/api/v1/insights/saved", headers=headers).json(),
        client.get("/api/v1/dashboards", headers=headers).json(),
    )


BOGUS_IDS = {
    "app_id": "app_doesnotexist000000",
    "workspace_id": "ws_doesnotexist0000000",
    "key_id": "key_doesnotexist000000",
    "user_id": "usr_doesnotexist000000",
    "victim_email": "nobody@nowhere.example",
    "person": "nobody",
    "action_id": "act_doesnotexist000000",
    "key": "nothing-here",
    "number": "1",
    "insight_id": "ins_doesnotexist000000",
    "dashboard_id": "dsh_doesnotexist000000",
}


def _call(client: TestClient, route: tuple[str, str], headers: dict[str, str], ids: dict[str, str]):
    (method, path), body = route, TARGETED[route]
    payload = {k: _fill(v, ids) if isinstance(v, str) else v for k, v in (body or {}).items()}
    url = _fill(path + QUERIES.get(route, ""), ids)
    return client.request(method, url, headers=headers, json=payload if body else None)


def _attack(client: TestClient, headers: dict[str, str], ids: dict[str, str]) -> list[str]:
    """Each route, aimed at B's real objects, must fail exactly as it fails for objects that do
    not exist: no success, and no difference that would reveal B's objects exist."""
    leaks = []
    for route in TARGETED:
        real = _call(client, route, headers, ids)
        bogus = _call(client, route, headers, BOGUS_IDS)
        if real.is_success or (real.status_code, real.json()["error"]["code"]) != (
            bogus.status_code,
            bogus.json()["error"]["code"],
        ):
            leaks.append(f"{route} -> {real.status_code} {real.text[:200]} vs {bogus.status_code}")
    return leaks


def test_secret_key_of_one_app_cannot_reach_any_object_of_another(
    client: TestClient, two_tenants: tuple[Tenant, Tenant, dict[str, str]]
) -> None:
    alpha, beta, ids = two_tenants
    before = _beta_state(client, beta)
    assert _attack(client, alpha.bearer(), ids) == []
    assert _beta_state(client, beta) == before


def test_owner_of_one_workspace_cannot_reach_any_object_of_another(
    client: TestClient, two_tenants: tuple[Tenant, Tenant, dict[str, str]]
) -> None:
    alpha, beta, ids = two_tenants
    before = _beta_state(client, beta)
    csrf = sign_in(client, alpha.owner_email)
    assert _attack(client, {"X-CSRF-Token": csrf}, ids) == []
    client.cookies.clear()
    assert _beta_state(client, beta) == before


def test_listings_show_only_the_callers_own_tenant(
    client: TestClient, two_tenants: tuple[Tenant, Tenant, dict[str, str]]
) -> None:
    alpha, _, _ = two_tenants
    by_key = client.get("/api/v1/apps", headers=alpha.bearer()).json()
    assert [a["id"] for a in by_key] == [alpha.app_id]
    sign_in(client, alpha.owner_email)
    assert [a["id"] for a in client.get("/api/v1/apps").json()] == [alpha.app_id]
    assert [w["id"] for w in client.get("/api/v1/me").json()["workspaces"]] == [alpha.workspace_id]


def test_a_persons_id_from_another_app_finds_nobody_in_ones_own(
    client: TestClient, two_tenants: tuple[Tenant, Tenant, dict[str, str]]
) -> None:
    alpha, beta, _ = two_tenants
    victim = client.get("/api/v1/persons/victim-user", headers=beta.bearer()).json()
    for person in ("victim-user", victim["person_id"]):
        response = client.get(f"/api/v1/persons/{person}", headers=alpha.bearer())
        assert response.status_code == 404
        assert client.delete(f"/api/v1/persons/{person}", headers=alpha.bearer()).status_code == 404
    listed = client.get("/api/v1/events", params={"person": "victim-user"}, headers=alpha.bearer())
    assert listed.json()["events"] == []
    assert client.get("/api/v1/persons/victim-user", headers=beta.bearer()).status_code == 200


def test_creating_an_app_in_another_workspace_is_refused(
    client: TestClient, two_tenants: tuple[Tenant, Tenant, dict[str, str]]
) -> None:
    alpha, beta, _ = two_tenants
    csrf = sign_in(client, alpha.owner_email)
    response = client.post(
        "/api/v1/apps",
        json={"workspace_id": beta.workspace_id, "name": "Intruder"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 404
    by_key = client.post(
        "/api/v1/apps",
        json={"workspace_id": beta.workspace_id, "name": "Intruder"},
        headers=alpha.bearer(),
    )
    assert by_key.status_code == 403
    assert [a["name"] for a in client.get("/api/v1/apps", headers=beta.bearer()).json()] == [
        "Beta app"
    ]


def test_member_of_two_workspaces_sees_both_but_roles_stay_per_workspace(
    client: TestClient,
    two_tenants: tuple[Tenant, Tenant, dict[str, str]],
    make_member: Callable[[str, Role, str], str],
) -> None:
    alpha, beta, _ = two_tenants
    email = make_member(alpha.workspace_id, Role.OWNER, "both@example.com")
    csrf = sign_in(client, beta.owner_email)
    client.post(
        f"/api/v1/workspaces/{beta.workspace_id}/members",
        json={"email": email, "role": "viewer"},
        headers={"X-CSRF-Token": csrf},
    )
    client.cookies.clear()
    csrf = sign_in(client, email)
    assert {a["id"] for a in client.get("/api/v1/apps").json()} == {alpha.app_id, beta.app_id}
    headers = {"X-CSRF-Token": csrf}
    ok = client.post(
        f"/api/v1/apps/{alpha.app_id}/keys/rotate", json={"kind": "write"}, headers=headers
    )
    assert ok.status_code == 201
    refused = client.post(
        f"/api/v1/apps/{beta.app_id}/keys/rotate", json={"kind": "write"}, headers=headers
    )
    assert refused.status_code == 403
