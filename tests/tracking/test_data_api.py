"""Reading back what arrived: GET /api/v1/events, GET and DELETE /api/v1/persons/{id}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant, sign_in
from waypost.tenancy.roles import Role


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


def _send(client: TestClient, tenant: Tenant, *messages: dict[str, Any]) -> None:
    response = client.post(
        "/v1/batch", json={"batch": list(messages), "writeKey": tenant.app.write_key}
    )
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == []


def _at(minute: int) -> str:
    return f"2026-05-01T10:{minute:02d}:00Z"


def test_events_are_listed_newest_first_page_by_page(client: TestClient, tenant: Tenant) -> None:
    _send(
        client,
        tenant,
        *[
            {"type": "track", "event": f"E{m}", "userId": "u1", "timestamp": _at(m)}
            for m in range(7)
        ],
    )
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/events", params=params, headers=tenant.bearer()).json()
        seen += [e["event"] for e in page["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"E{m}" for m in reversed(range(7))]


def test_events_filter_by_name_person_and_time(client: TestClient, tenant: Tenant) -> None:
    _send(
        client,
        tenant,
        {"type": "track", "event": "Viewed", "anonymousId": "a1", "timestamp": _at(1)},
        {"type": "identify", "userId": "u1", "anonymousId": "a1", "timestamp": _at(2)},
        {"type": "track", "event": "Viewed", "userId": "u1", "timestamp": _at(3)},
        {"type": "track", "event": "Viewed", "userId": "u2", "timestamp": _at(4)},
    )
    headers = tenant.bearer()

    def events(**params: Any) -> list[tuple[str, str]]:
        body = client.get("/api/v1/events", params=params, headers=headers).json()
        return [(e["event"], e["distinct_id"]) for e in body["events"]]

    assert events(person="u1") == [("Viewed", "u1"), ("$identify", "u1"), ("Viewed", "a1")]
    assert events(event="Viewed", person="a1") == [("Viewed", "u1"), ("Viewed", "a1")]
    assert events(since=_at(3), until=_at(4)) == [("Viewed", "u1")]
    assert events(person="nobody") == []


def test_events_filter_by_a_part_of_their_page_url(client: TestClient, tenant: Tenant) -> None:
    def page(url: str, minute: int) -> dict[str, Any]:
        return {"type": "page", "userId": "u1", "timestamp": _at(minute),
                "properties": {"url": url}, "context": {"page": {"url": url}}}  # fmt: skip

    _send(
        client,
        tenant,
        page("https://app.example/Projects/12", 1),
        page("https://app.example/reports", 2),
        {"type": "track", "event": "Viewed", "userId": "u1", "timestamp": _at(3)},
    )
    body = client.get("/api/v1/events", params={"url": "/projects"}, headers=tenant.bearer()).json()
    # Upper and lower case alike; an event with no page URL never matches.
    assert [e["url"] for e in body["events"]] == ["https://app.example/Projects/12"]


def test_bad_listing_parameters_name_the_field(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.bearer()
    for params, field in (
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": 5000}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"evnt": "Typo"}, "evnt"),
        ({"url": ""}, "url"),
    ):
        response = client.get("/api/v1/events", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.json()["error"]["field"] == field


def test_a_person_is_found_by_any_of_their_ids(client: TestClient, tenant: Tenant) -> None:
    _send(
        client,
        tenant,
        {"type": "track", "event": "Viewed", "anonymousId": "a1", "timestamp": _at(1)},
        {
            "type": "identify",
            "userId": "u1",
            "anonymousId": "a1",
            "traits": {"email": "aiko@example.jp", "plan": "trial"},
            "timestamp": _at(2),
        },
        {
            "type": "group",
            "userId": "u1",
            "groupId": "acme",
            "traits": {"plan": "enterprise", "crm_id": "0015g00000XyZ"},
            "timestamp": _at(3),
        },
    )
    by_user = client.get("/api/v1/persons/u1", headers=tenant.bearer()).json()
    by_anon = client.get("/api/v1/persons/a1", headers=tenant.bearer()).json()
    by_person = client.get(f"/api/v1/persons/{by_user['person_id']}", headers=tenant.bearer())
    assert by_user == by_anon == by_person.json()
    assert (by_user["user_ids"], by_user["anonymous_ids"]) == (["u1"], ["a1"])
    assert by_user["traits"] == {"email": "aiko@example.jp", "plan": "trial"}
    assert by_user["account"] == {
        "id": "acme",
        "traits": {"plan": "enterprise", "crm_id": "0015g00000XyZ"},
    }
    assert by_user["event_count"] == 3
    assert by_user["first_seen"] == "2026-05-01T10:01:00Z"
    assert by_user["last_seen"] == "2026-05-01T10:03:00Z"
    assert {e["event"]: e["count"] for e in by_user["events"]} == {
        "Viewed": 1, "$identify": 1, "$group": 1
    }  # fmt: skip


def test_unknown_person_is_404_naming_the_field(client: TestClient, tenant: Tenant) -> None:
    response = client.get("/api/v1/persons/ghost", headers=tenant.bearer())
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "person"


def test_erasing_a_person_deletes_them_and_their_events(client: TestClient, tenant: Tenant) -> None:
    _send(
        client,
        tenant,
        {"type": "track", "event": "Viewed", "anonymousId": "a1"},
        {"type": "identify", "userId": "u1", "anonymousId": "a1", "traits": {"email": "x@y.jp"}},
        {"type": "track", "event": "Viewed", "userId": "keep-me"},
    )
    headers = tenant.bearer()
    response = client.delete("/api/v1/persons/a1", headers=headers)
    assert response.status_code == 200
    assert response.json()["distinct_ids"] == ["a1", "u1"]
    assert response.json()["events_deleted"] == 2
    assert client.get("/api/v1/persons/u1", headers=headers).status_code == 404
    left = client.get("/api/v1/events", headers=headers).json()["events"]
    assert [e["distinct_id"] for e in left] == ["keep-me"]
    assert client.delete("/api/v1/persons/a1", headers=headers).status_code == 404


def test_roles_decide_who_reads_and_who_erases(
    client: TestClient, tenant: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    _send(client, tenant, {"type": "track", "event": "Viewed", "userId": "u1"})
    viewer = make_member(tenant.workspace_id, Role.VIEWER, "viewer@acme.example")
    analyst = make_member(tenant.workspace_id, Role.ANALYST, "analyst@acme.example")
    app = {"app_id": tenant.app_id}

    sign_in(client, viewer)
    assert client.get("/api/v1/persons/u1", params=app).status_code == 403
    client.cookies.clear()

    csrf = sign_in(client, analyst)
    assert client.get("/api/v1/persons/u1", params=app).status_code == 200
    missing_app = client.get("/api/v1/events")
    assert (missing_app.status_code, missing_app.json()["error"]["field"]) == (422, "app_id")
    refused = client.delete("/api/v1/persons/u1", params=app, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    client.cookies.clear()

    csrf = sign_in(client, tenant.owner_email)
    erased = client.delete("/api/v1/persons/u1", params=app, headers={"X-CSRF-Token": csrf})
    assert erased.status_code == 200
