"""Segment's HTTP tracking API: good events kept beside bad ones, keys, limits, dedupe, clients."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from waypost.app import create_app
from waypost.settings import Settings


def _basic(write_key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}


def _events(client: TestClient | FastAPI, app_id: str) -> list[dict[str, Any]]:
    app = client.app if isinstance(client, TestClient) else client
    cursor = app.state.events.cursor()  # type: ignore[attr-defined]
    try:
        result = cursor.execute(
            "SELECT * FROM events WHERE app_id = ? ORDER BY timestamp, message_id", [app_id]
        )
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    finally:
        cursor.close()


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


def _track(event: str, message_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "userId": "u1", "messageId": message_id, **extra}


def test_batch_with_one_bad_event_keeps_the_rest(client: TestClient, tenant: Tenant) -> None:
    batch = [_track("Signed Up", "m1"), {"type": "track", "userId": "u1"}, _track("Invited", "m3")]
    response = client.post("/v1/batch", json={"batch": batch}, headers=_basic(tenant.app.write_key))
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"] == [
        {
            "index": 1,
            "field": "batch[1].event",
            "code": "invalid",
            "message": "is required for this message type",
        }
    ]
    assert sorted(e["event"] for e in _events(client, tenant.app_id)) == ["Invited", "Signed Up"]


def test_batch_of_only_bad_events_is_422_listing_each(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/v1/batch",
        json={"batch": [{"type": "track"}, "nonsense"]},
        headers=_basic(tenant.app.write_key),
    )
    assert response.status_code == 422
    assert [r["index"] for r in response.json()["rejected"]] == [0, 1]
    assert _events(client, tenant.app_id) == []


def test_a_message_over_32_kb_alone_is_413_naming_it(client: TestClient, tenant: Tenant) -> None:
    big = _track("Big", "m1", properties={"text": "x" * 33_000})
    response = client.post("/v1/batch", json={"batch": [big]}, headers=_basic(tenant.app.write_key))
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("message_too_large", "batch[0]")
    assert "32,768" in error["message"]
    assert [r["code"] for r in response.json()["rejected"]] == ["message_too_large"]
    assert _events(client, tenant.app_id) == []


def test_a_single_message_that_grows_past_32_kb_is_413(client: TestClient, tenant: Tenant) -> None:
    # Under the 32 KB body limit as sent; 1e15 is stored as 1000000000000000.0, over 32 KB.
    body = json.dumps(_track("Grows", "m1", properties={"n": [1e15] * 5_000})).replace(
        "1000000000000000.0", "1e15"
    )
    assert len(body) < 32 * 1024
    response = client.post("/v1/track", content=body, headers=_basic(tenant.app.write_key))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "message_too_large"


def test_a_message_over_32_kb_beside_good_ones_is_rejected_alone(
    client: TestClient, tenant: Tenant
) -> None:
    big = _track("Big", "m2", properties={"text": "x" * 33_000})
    batch = [_track("A", "m1"), big, _track("B", "m3")]
    response = client.post("/v1/batch", json={"batch": batch}, headers=_basic(tenant.app.write_key))
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"], r["code"]) for r in body["rejected"]] == [
        (1, "batch[1]", "message_too_large")
    ]
    assert sorted(e["message_id"] for e in _events(client, tenant.app_id)) == ["m1", "m3"]


def test_a_batch_with_only_bad_messages_one_too_large_is_422(
    client: TestClient, tenant: Tenant
) -> None:
    batch = [_track("Big", "m1", properties={"text": "x" * 33_000}), {"type": "track"}]
    response = client.post("/v1/batch", json={"batch": batch}, headers=_basic(tenant.app.write_key))
    assert response.status_code == 422
    assert [r["code"] for r in response.json()["rejected"]] == ["message_too_large", "invalid"]


def test_write_key_in_the_body_works_like_basic_auth(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/v1/batch", json={"batch": [_track("A", "m1")], "writeKey": tenant.app.write_key}
    )
    assert response.status_code == 200
    assert len(_events(client, tenant.app_id)) == 1


@pytest.mark.parametrize("which", ["missing", "wrong", "secret"])
def test_bad_write_key_is_401_naming_the_field(
    client: TestClient, tenant: Tenant, which: str
) -> None:
    headers = {
        "missing": {},
        "wrong": _basic("wk_wrong"),
        "secret": _basic(tenant.app.secret_key),
    }[which]
    response = client.post("/v1/batch", json={"batch": [_track("A", "m1")]}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["field"] == "writeKey"
    assert _events(client, tenant.app_id) == []


def test_events_land_in_the_app_of_the_key_only(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    alpha, beta = make_tenant("Alpha"), make_tenant("Beta")
    client.post(
        "/v1/batch", json={"batch": [_track("A", "m1")]}, headers=_basic(alpha.app.write_key)
    )
    assert len(_events(client, alpha.app_id)) == 1
    assert _events(client, beta.app_id) == []


def test_retried_batch_is_stored_once(client: TestClient, tenant: Tenant) -> None:
    batch = {"batch": [_track("A", "m1"), _track("B", "m2")]}
    for _ in range(3):
        assert client.post("/v1/batch", json=batch, headers=_basic(tenant.app.write_key)).is_success
    assert [e["message_id"] for e in _events(client, tenant.app_id)] == ["m1", "m2"]


def test_same_message_id_in_another_app_is_not_a_duplicate(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    alpha, beta = make_tenant("Alpha"), make_tenant("Beta")
    for tenant in (alpha, beta):
        client.post(
            "/v1/batch", json={"batch": [_track("A", "m1")]}, headers=_basic(tenant.app.write_key)
        )
    assert len(_events(client, alpha.app_id)) == len(_events(client, beta.app_id)) == 1


def test_dedupe_survives_a_restart(settings: Settings, tenant: Tenant) -> None:
    batch = {"batch": [_track("A", "m1")]}
    for _ in range(2):
        with TestClient(create_app(settings)) as client:
            client.post("/v1/batch", json=batch, headers=_basic(tenant.app.write_key))
    with TestClient(create_app(settings)) as client:
        assert len(_events(client, tenant.app_id)) == 1


def test_single_endpoints_take_text_plain_json_as_browsers_send_it(
    client: TestClient, tenant: Tenant
) -> None:
    message = {
        "event": "Clicked",
        "anonymousId": "anon-1",
        "writeKey": tenant.app.write_key,
        "context": {
            "page": {"url": "https://app.example/p?q=1", "path": "/p"},
            "groupId": "acct-9",
        },
        "properties": {"$element_selector": "#save", "$element_text": "Save"},
    }
    response = client.post(
        "/v1/track", content=json.dumps(message), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200, response.text
    (event,) = _events(client, tenant.app_id)
    assert (event["event"], event["distinct_id"], event["account_id"]) == (
        "Clicked",
        "anon-1",
        "acct-9",
    )
    assert (event["path"], event["element_selector"], event["element_text"]) == (
        "/p",
        "#save",
        "Save",
    )


def test_single_endpoint_refuses_a_contradicting_type(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/v1/identify",
        json={"type": "track", "event": "X", "userId": "u"},
        headers=_basic(tenant.app.write_key),
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "type"


def test_each_message_type_is_stored_under_its_event_name(
    client: TestClient, tenant: Tenant
) -> None:
    batch = [
        {"type": "identify", "userId": "u1", "anonymousId": "a1", "traits": {"plan": "pro"}},
        {"type": "page", "userId": "u1", "name": "Home", "properties": {"path": "/"}},
        {"type": "screen", "userId": "u1", "name": "Settings"},
        {"type": "group", "userId": "u1", "groupId": "acct-1", "traits": {"seats": 10}},
        {"type": "alias", "userId": "u1", "previousId": "a1"},
    ]
    assert (
        client.post(
            "/v1/batch", json={"batch": batch}, headers=_basic(tenant.app.write_key)
        ).json()["accepted"]
        == 5
    )
    stored = {e["event"]: e for e in _events(client, tenant.app_id)}
    assert set(stored) == {"$identify", "$page", "$screen", "$group", "$alias"}
    assert json.loads(stored["$identify"]["properties"]) == {"plan": "pro"}
    assert (stored["$page"]["name"], stored["$page"]["path"]) == ("Home", "/")
    assert stored["$group"]["account_id"] == "acct-1"


def test_oversized_and_malformed_bodies_get_clear_errors(
    client: TestClient, tenant: Tenant
) -> None:
    headers = _basic(tenant.app.write_key)
    big = client.post(
        "/v1/batch", content=b'{"batch": ["' + b"x" * 600_000 + b'"]}', headers=headers
    )
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "payload_too_large"
    broken = client.post("/v1/batch", content=b'{"batch": [', headers=headers)
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "malformed_json"
    not_list = client.post("/v1/batch", json={"batch": {}}, headers=headers)
    assert not_list.status_code == 422
    assert not_list.json()["error"]["field"] == "batch"


def test_gzip_body_is_accepted(client: TestClient, tenant: Tenant) -> None:
    raw = gzip.compress(json.dumps({"batch": [_track("A", "m1")]}).encode())
    headers = {**_basic(tenant.app.write_key), "Content-Encoding": "gzip"}
    assert client.post("/v1/batch", content=raw, headers=headers).status_code == 200


def test_cors_preflight_allows_any_origin_to_send(client: TestClient) -> None:
    response = client.options(
        "/v1/batch",
        headers={"Origin": "https://app.customer.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in response.headers["access-control-allow-headers"]


def test_official_segment_python_client_delivers_every_event_exactly_once(
    live_app: FastAPI, live_server: str, tenant: Tenant
) -> None:
    from segment.analytics import Client

    client = Client(tenant.app.write_key, host=live_server, max_queue_size=100_000, upload_size=100)
    for number in range(1000):
        client.track(user_id=f"user-{number % 37}", event="Report Viewed", properties={"n": number})
    client.identify(user_id="user-1", traits={"email": "u1@example.com"})
    client.flush()
    client.shutdown()
    stored = _events(live_app, tenant.app_id)
    assert len(stored) == 1001
    assert len({e["message_id"] for e in stored}) == 1001
    assert sum(e["event"] == "Report Viewed" for e in stored) == 1000
    assert sorted(
        json.loads(e["properties"])["n"] for e in stored if e["event"] == "Report Viewed"
    ) == list(range(1000))


def test_revoked_write_key_stops_working_once_the_cache_expires(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from waypost.tracking import auth

    headers = _basic(tenant.app.write_key)
    assert client.post("/v1/batch", json={"batch": [_track("A", "m1")]}, headers=headers).is_success
    keys = client.get(f"/api/v1/apps/{tenant.app_id}/keys", headers=tenant.bearer()).json()
    write_key_id = next(k["id"] for k in keys if k["kind"] == "write")
    client.post(f"/api/v1/apps/{tenant.app_id}/keys/{write_key_id}/revoke", headers=tenant.bearer())
    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.0)
    refused = client.post("/v1/batch", json={"batch": [_track("B", "m2")]}, headers=headers)
    assert refused.status_code == 401
    assert [e["message_id"] for e in _events(client, tenant.app_id)] == ["m1"]


def test_a_time_outside_the_calendar_is_rejected_beside_good_events(
    client: TestClient, tenant: Tenant
) -> None:
    odd = _track("Odd", "m2", timestamp="0001-01-01T00:00:00+01:00")
    response = client.post(
        "/v1/batch", json={"batch": [_track("A", "m1"), odd]}, headers=_basic(tenant.app.write_key)
    )
    assert response.status_code == 200
    assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [
        (1, "batch[1].timestamp")
    ]


def test_a_number_too_large_for_a_float_is_rejected_not_stored_as_null(
    client: TestClient, tenant: Tenant
) -> None:
    # 1e400 is valid JSON that no 64-bit float holds; JSON libraries read it as infinity.
    huge = b'{"type": "track", "event": "Huge", "userId": "u", "properties": {"n": [1, 1E400]}}'
    good = json.dumps(_track("A", "m1")).encode()
    response = client.post(
        "/v1/batch",
        content=b'{"batch": [' + huge + b", " + good + b"]}",
        headers={**_basic(tenant.app.write_key), "content-type": "application/json"},
    )
    assert response.status_code == 200
    (rejected,) = response.json()["rejected"]
    assert (rejected["index"], rejected["field"]) == (0, "batch[0].properties.n[1]")
    assert rejected["code"] == "number_out_of_range"
    assert [e["message_id"] for e in _events(client, tenant.app_id)] == ["m1"]
