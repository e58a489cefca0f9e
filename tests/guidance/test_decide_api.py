"""POST /sdk/v1/decide over HTTP: the write key in any of its three places, CORS for customers'
pages, identity verification, bad bodies named by field, and a write key that reads only its own
app's released content for the person it names."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from waypost.app import create_app
from waypost.settings import Settings

WELCOME = {"kind": "shoutout", "key": "welcome", "name": "Welcome", "title": {"en": "Hi"}}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _publish(client: TestClient, tenant: Tenant, document: dict[str, object]) -> None:
    saved = client.post("/api/v1/content", json=document, headers=tenant.bearer())
    assert saved.status_code == 201, saved.text
    published = client.post(f"/api/v1/content/{document['key']}/publish", headers=tenant.bearer())
    assert published.status_code == 200, published.text


def _keys(answer: dict[str, object]) -> list[str]:
    return [item["key"] for item in answer["items"]]  # type: ignore[index, attr-defined]


def test_the_write_key_is_read_from_basic_auth_the_body_or_the_query(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    _publish(client, tenant, WELCOME)
    key = tenant.app.write_key
    basic = base64.b64encode(f"{key}:".encode()).decode()
    answers = [
        client.post(
            "/sdk/v1/decide", json={"userId": "u1"}, headers={"Authorization": f"Basic {basic}"}
        ),
        client.post("/sdk/v1/decide", json={"userId": "u1", "writeKey": key}),
        client.post(f"/sdk/v1/decide?key={key}", json={"anonymousId": "a1"}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert _keys(answer.json()) == ["welcome"]
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["cache-control"] == "no-store"


def test_a_browser_preflight_is_answered(client: TestClient) -> None:
    answer = client.options(
        "/sdk/v1/decide",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert answer.status_code == 204
    assert "POST" in answer.headers["access-control-allow-methods"]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({}, 422, "invalid", "userId"),
        ({"userId": "u1", "locale": "x" * 50}, 422, "invalid", "locale"),
        ({"userId": "u1", "environment": "prod"}, 422, "invalid", "environment"),
        ({"userId": "u1", "traits": "plan=pro"}, 422, "invalid", "traits"),
        ({"userId": "u1", "favourite": 1}, 422, "invalid", "favourite"),
    ],
)
def test_a_bad_body_is_refused_naming_the_field(
    client: TestClient,
    make_tenant: Callable[[str], Tenant],
    body: dict[str, object],
    status: int,
    code: str,
    field: str,
) -> None:
    tenant = make_tenant("Acme")
    answer = client.post("/sdk/v1/decide", json={**body, "writeKey": tenant.app.write_key})
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["field"] == field


def test_bodies_that_cannot_be_read_and_unknown_keys_are_refused(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    garbled = client.post(
        f"/sdk/v1/decide?key={tenant.app.write_key}",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert (garbled.status_code, garbled.json()["error"]["code"]) == (400, "malformed_body")
    huge = client.post(
        f"/sdk/v1/decide?key={tenant.app.write_key}",
        json={"userId": "u1", "traits": {"notes": "x" * 70_000}},
    )
    assert (huge.status_code, huge.json()["error"]["code"]) == (413, "payload_too_large")
    unknown = client.post("/sdk/v1/decide", json={"userId": "u1", "writeKey": "wk_made_up"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (401, "invalid_write_key")
    missing = client.post("/sdk/v1/decide", json={"userId": "u1"})
    assert (missing.status_code, missing.json()["error"]["field"]) == (401, "writeKey")


def test_a_write_key_sees_only_its_own_apps_released_content(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    acme, beta = make_tenant("Acme"), make_tenant("Beta")
    _publish(client, acme, WELCOME)
    draft = {**WELCOME, "key": "draft-only", "name": "Draft"}
    assert client.post("/api/v1/content", json=draft, headers=acme.bearer()).status_code == 201

    own = client.post("/sdk/v1/decide", json={"userId": "u1", "writeKey": acme.app.write_key})
    other = client.post("/sdk/v1/decide", json={"userId": "u1", "writeKey": beta.app.write_key})
    assert _keys(own.json()) == ["welcome"], "the draft is never offered"
    assert _keys(other.json()) == []
    secret = client.post("/sdk/v1/decide", json={"userId": "u1", "writeKey": acme.app.secret_key})
    assert secret.status_code == 401, "a secret key is not a write key"


def test_identity_verification_needs_the_users_hash(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    _publish(client, tenant, WELCOME)
    settings = client.get("/api/v1/guidance/settings", headers=tenant.bearer()).json()
    secret = settings["identity_secret"]
    turned_on = client.put(
        "/api/v1/guidance/settings",
        json={
            **{k: v for k, v in settings.items() if k != "identity_secret"},
            "identity_verification": True,
        },
        headers=tenant.bearer(),
    )
    assert turned_on.status_code == 200, turned_on.text
    key = tenant.app.write_key
    good = hmac.new(secret.encode(), b"u-42", hashlib.sha256).hexdigest()

    without = client.post("/sdk/v1/decide", json={"userId": "u-42", "writeKey": key})
    assert (without.status_code, without.json()["error"]["code"]) == (401, "identity_unverified")
    assert without.json()["error"]["field"] == "userHash"
    wrong = client.post(
        "/sdk/v1/decide", json={"userId": "u-42", "userHash": "0" * 64, "writeKey": key}
    )
    assert wrong.status_code == 401
    other_users = client.post(
        "/sdk/v1/decide", json={"userId": "u-43", "userHash": good, "writeKey": key}
    )
    assert other_users.status_code == 401, "a hash opens only its own user's guidance"
    right = client.post(
        "/sdk/v1/decide", json={"userId": "u-42", "userHash": good, "writeKey": key}
    )
    assert (right.status_code, _keys(right.json())) == (200, ["welcome"])
    anonymous = client.post("/sdk/v1/decide", json={"anonymousId": "a-1", "writeKey": key})
    assert anonymous.status_code == 200, "anonymous visitors have no user id to protect"

    rotated = client.post("/api/v1/guidance/identity-secret/rotate", headers=tenant.bearer())
    assert rotated.json()["identity_secret"] != secret
    stale = client.post(
        "/sdk/v1/decide", json={"userId": "u-42", "userHash": good, "writeKey": key}
    )
    assert stale.status_code == 401, "hashes made with the old secret stop working"


def test_guidance_events_sent_through_the_batch_api_change_what_decide_offers(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    _publish(client, tenant, {**WELCOME, "frequency": {"show": "once"}})
    key = tenant.app.write_key
    assert _keys(client.post("/sdk/v1/decide", json={"userId": "u1", "writeKey": key}).json()) == [
        "welcome"
    ]
    sent = client.post(
        "/v1/batch",
        json={
            "writeKey": key,
            "batch": [
                {
                    "type": "track",
                    "event": "$guide_shown",
                    "userId": "u1",
                    "properties": {"$content_id": "welcome", "$content_version": 1},
                }
            ],
        },
    )
    assert sent.status_code == 200, sent.text
    after = client.post("/sdk/v1/decide", json={"userId": "u1", "writeKey": key}).json()
    assert _keys(after) == []


def test_with_identity_verification_guidance_events_about_a_user_need_the_hash(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    settings = client.get("/api/v1/guidance/settings", headers=tenant.bearer()).json()
    secret = settings.pop("identity_secret")
    client.put(
        "/api/v1/guidance/settings",
        json={**settings, "identity_verification": True},
        headers=tenant.bearer(),
    )
    good = hmac.new(secret.encode(), b"u-42", hashlib.sha256).hexdigest()
    about = {"$content_id": "welcome", "$content_version": 1}

    def event(name: str, user: str, context: dict[str, str] | None = None) -> dict[str, object]:
        return {
            "type": "track",
            "event": name,
            "userId": user,
            "properties": about,
            "context": context or {},
        }

    sent = client.post(
        "/v1/batch",
        json={
            "writeKey": tenant.app.write_key,
            "batch": [
                event("$guide_completed", "u-42"),  # no hash: someone else's state
                event("$task_completed", "u-42", {"userHash": "0" * 64}),
                event("$guide_dismissed", "u-42", {"userHash": good}),
                event("Report Built", "u-42"),  # not guidance: as before
            ],
        },
    )
    assert sent.status_code == 200, sent.text
    refused = sent.json()["rejected"]
    assert [(r["index"], r["code"], r["field"]) for r in refused] == [
        (0, "identity_unverified", "batch[0].context.userHash"),
        (1, "identity_unverified", "batch[1].context.userHash"),
    ]
    assert sent.json()["accepted"] == 2
