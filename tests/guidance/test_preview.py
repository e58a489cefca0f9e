"""Who is in a segment now, over the API: a count and a sample, from the profiles kept at ingest,
for saved segments and rules not saved yet; personal data stays with those who may read it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant, sign_in
from waypost.app import create_app
from waypost.settings import Settings
from waypost.tenancy.roles import Role


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _people(client: TestClient, tenant: Tenant) -> None:
    """Six people: three on trial (two of them at a large account), three paying; the first two
    built reports."""
    batch = []
    for n, plan in enumerate(["trial", "trial", "trial", "pro", "pro", "pro"]):
        batch.append({"type": "identify", "userId": f"u{n}", "traits": {"plan": plan}})
    batch.append({"type": "group", "userId": "u0", "groupId": "big", "traits": {"employees": 500}})
    batch.append({"type": "group", "userId": "u1", "groupId": "big"})
    batch.append({"type": "group", "userId": "u2", "groupId": "small", "traits": {"employees": 8}})
    for user in ("u0", "u1", "u1"):
        batch.append({"type": "track", "event": "Report Built", "userId": user})
    sent = client.post("/v1/batch", json={"writeKey": tenant.app.write_key, "batch": batch})
    assert sent.status_code == 200, sent.text


def test_a_saved_segment_previews_its_count_and_a_sample(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    _people(client, tenant)
    segment = {
        "key": "large-trials",
        "name": "Large trials",
        "rules": {
            "all": [{"trait": {"plan": {"eq": "trial"}}}, {"account": {"employees": {"gte": 50}}}]
        },
    }
    assert client.post("/api/v1/segments", json=segment, headers=tenant.bearer()).status_code == 201

    found = client.get("/api/v1/segments/large-trials/preview?sample=1", headers=tenant.bearer())
    assert found.status_code == 200, found.text
    assert (found.json()["count"], found.json()["total"]) == (2, 6)
    assert len(found.json()["sample"]) == 1
    assert found.json()["sample"][0]["user_ids"][0] in {"u0", "u1"}


def test_rules_not_saved_yet_preview_too_with_behaviour_and_other_segments(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    _people(client, tenant)
    trial = {"key": "trial", "name": "Trial", "rules": {"trait": {"plan": {"eq": "trial"}}}}
    client.post("/api/v1/segments", json=trial, headers=tenant.bearer())
    rules = {
        "all": [{"segment": "trial"}, {"not": {"did": {"event": "Report Built", "at_least": 2}}}]
    }
    found = client.post(
        "/api/v1/segments/preview", json={"rules": rules}, headers=tenant.bearer()
    ).json()
    assert found["count"] == 2
    assert sorted(p["user_ids"][0] for p in found["sample"]) == ["u0", "u2"]

    unknown = client.post(
        "/api/v1/segments/preview", json={"rules": {"segment": "nope"}}, headers=tenant.bearer()
    )
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (422, "rules")


def test_viewers_may_not_preview_persons(
    client: TestClient,
    make_tenant: Callable[[str], Tenant],
    make_member: Callable[[str, Role, str], str],
) -> None:
    tenant = make_tenant("Acme")
    email = make_member(tenant.workspace_id, Role.VIEWER, "viewer@acme.example")
    csrf = sign_in(client, email)
    refused = client.post(
        f"/api/v1/segments/preview?app_id={tenant.app_id}",
        json={"rules": {"trait": {"plan": {"eq": "trial"}}}},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 403
