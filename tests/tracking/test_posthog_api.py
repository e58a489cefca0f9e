"""PostHog's capture API: the official clients' events stored once each, translated into
Waypost's messages (identify, alias, group, page), bad events reported beside good ones."""

from __future__ import annotations

import base64
import gzip
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Tenant

Events = Callable[[TestClient | FastAPI, str], list[dict[str, Any]]]
CAPTURE_PATHS = ["/batch/", "/batch", "/capture/", "/capture", "/e/", "/e", "/i/v0/e/"]


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


@pytest.fixture
def posthog_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No POSTHOG_* variables: POSTHOG_CAPTURE_MODE=v1 would move the client to another protocol."""
    for name in list(os.environ):
        if name.startswith("POSTHOG_"):
            monkeypatch.delenv(name)


@dataclass
class PythonClient:
    """posthog-python, and the errors it reported through on_error."""

    posthog: Any
    errors: list[Exception] = field(default_factory=list)

    def deliver(self) -> None:
        """Send everything queued (shutdown drains without waiting for flush_interval)."""
        self.posthog.shutdown()
        assert self.errors == []


@pytest.fixture
def python_client(posthog_env: None, live_server: str, tenant: Tenant) -> Iterator[PythonClient]:
    """posthog-python pointed at the live server with room for every test event in its queue."""
    from posthog import Posthog

    errors: list[Exception] = []
    client = Posthog(
        tenant.app.write_key,
        host=live_server,
        max_queue_size=100_000,
        on_error=lambda error, batch: errors.append(error),
    )
    yield PythonClient(client, errors)
    client.shutdown()


def _event(name: str, distinct_id: str = "user-1", **extra: Any) -> dict[str, Any]:
    return {"event": name, "distinct_id": distinct_id, "uuid": str(uuid.uuid4()), **extra}


def _props(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row["properties"])  # type: ignore[no-any-return]


def test_official_posthog_python_client_delivers_every_event_exactly_once(
    python_client: PythonClient, live_app: FastAPI, tenant: Tenant, stored_events: Events
) -> None:
    posthog = python_client.posthog
    sent = [
        posthog.capture("Report Viewed", distinct_id=f"user-{n % 37}", properties={"n": n})
        for n in range(1000)
    ]
    python_client.deliver()
    stored = stored_events(live_app, tenant.app_id)
    assert len(stored) == 1000
    assert {e["message_id"] for e in stored} == set(sent)
    assert sorted(_props(e)["n"] for e in stored) == list(range(1000))
    first = stored[0]
    assert (first["type"], first["event"]) == ("track", "Report Viewed")
    assert first["user_id"].startswith("user-") and first["anonymous_id"] is None
    assert json.loads(first["context"])["library"]["name"] == "posthog-python"


def test_posthog_python_gzip_bodies_are_stored(
    posthog_env: None, live_server: str, live_app: FastAPI, tenant: Tenant, stored_events: Events
) -> None:
    from posthog import Posthog

    errors: list[Exception] = []
    client = Posthog(
        tenant.app.write_key, host=live_server, gzip=True, on_error=lambda e, b: errors.append(e)
    )
    for n in range(250):
        client.capture("Exported", distinct_id="user-1", properties={"n": n})
    client.shutdown()
    assert errors == []
    assert len(stored_events(live_app, tenant.app_id)) == 250


@pytest.mark.parametrize("path", CAPTURE_PATHS)
def test_every_capture_path_answers_200_with_or_without_slash_and_never_redirects(
    client: TestClient, tenant: Tenant, path: str
) -> None:
    body = {"api_key": tenant.app.write_key, "batch": [_event("Signed Up")]}
    response = client.post(path, json=body, follow_redirects=False)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "accepted": 1, "rejected": []}


@pytest.mark.parametrize("path", ["/batch/", "/e/", "/capture"])
def test_cors_preflight_lets_posthog_js_send_from_any_origin(client: TestClient, path: str) -> None:
    response = client.options(
        path,
        headers={"Origin": "https://app.customer.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"


def test_python_client_alias_group_and_person_properties_are_translated(
    python_client: PythonClient, live_app: FastAPI, tenant: Tenant, stored_events: Events
) -> None:
    posthog = python_client.posthog
    posthog.alias(previous_id="anon-7", distinct_id="user-7")
    posthog.group_identify("company", "acme-inc", {"plan": "enterprise"}, distinct_id="user-7")
    posthog.set(distinct_id="user-7", properties={"email": "seven@example.com"})
    posthog.set_once(distinct_id="user-7", properties={"first_seen": "2024-05-01"})
    posthog.capture("Invited", distinct_id="user-7", groups={"team": "t1", "company": "acme-inc"})
    python_client.deliver()
    rows = {e["event"]: e for e in stored_events(live_app, tenant.app_id)}

    alias = rows["$alias"]
    assert (alias["type"], alias["user_id"], alias["anonymous_id"]) == ("alias", "user-7", None)
    assert _props(alias)["distinct_id"] == "anon-7"

    group = rows["$group"]
    assert (group["type"], group["user_id"], group["account_id"]) == ("group", "user-7", "acme-inc")
    assert _props(group) == {"plan": "enterprise"}
    assert json.loads(group["context"])["groupType"] == "company"

    assert _props(rows["$set"])["$set"] == {"email": "seven@example.com"}
    assert _props(rows["$set_once"])["$set_once"] == {"first_seen": "2024-05-01"}

    invited = rows["Invited"]
    assert (invited["type"], invited["user_id"], invited["account_id"]) == (
        "track",
        "user-7",
        "acme-inc",
    )


def test_identify_links_the_anonymous_id_to_the_user_with_set_as_traits(
    client: TestClient, tenant: Tenant, stored_events: Events
) -> None:
    identify = _event(
        "$identify",
        "user-42",
        properties={
            "$anon_distinct_id": "anon-42",
            "$set": {"email": "u42@example.com"},
            "$set_once": {"signup_source": "ads"},
        },
    )
    body = gzip.compress(
        json.dumps({"api_key": tenant.app.write_key, "batch": [identify]}).encode()
    )
    response = client.post("/batch/", content=body, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 200, response.text
    (row,) = stored_events(client, tenant.app_id)
    assert (row["type"], row["event"], row["user_id"], row["anonymous_id"]) == (
        "identify",
        "$identify",
        "user-42",
        "anon-42",
    )
    assert _props(row) == {"email": "u42@example.com", "$set_once": {"signup_source": "ads"}}


def test_posthog_identity_calls_build_one_person_with_traits(
    client: TestClient, tenant: Tenant
) -> None:
    device = {"$device_id": "device-9", "$current_url": "https://app.example/pricing"}
    batch = [
        _event("$pageview", "device-9", properties=device, timestamp="2026-05-01T10:00:00Z"),
        _event(
            "$identify",
            "user-9",
            properties={
                "$anon_distinct_id": "device-9",
                "$set": {"email": "nine@example.com"},
                "$set_once": {"first_touch": "pricing"},
            },
            timestamp="2026-05-01T10:01:00Z",
        ),
        _event("$set", "user-9", timestamp="2026-05-01T10:02:00Z", **{"$set": {"plan": "pro"}}),
        _event(
            "$create_alias",
            "user-9",
            properties={"alias": "crm-9"},
            timestamp="2026-05-01T10:03:00Z",
        ),
    ]
    response = client.post("/batch/", json={"api_key": tenant.app.write_key, "batch": batch})
    assert response.json()["rejected"] == []
    person = client.get("/api/v1/persons/device-9", headers=tenant.bearer()).json()
    assert sorted(person["user_ids"]) == ["crm-9", "user-9"]
    assert person["anonymous_ids"] == ["device-9"]
    assert person["traits"] == {
        "email": "nine@example.com",
        "first_touch": "pricing",
        "plan": "pro",
    }
    assert person["event_count"] == 4


def test_pageview_fills_url_and_path_and_session(
    client: TestClient, tenant: Tenant, stored_events: Events
) -> None:
    pageview = _event(
        "$pageview",
        "user-1",
        properties={
            "$current_url": "https://app.example/reports/7?tab=2",
            "$referrer": "https://search.example/",
            "$session_id": "s-1",
            "title": "Report 7",
        },
    )
    client.post("/batch/", json={"api_key": tenant.app.write_key, "batch": [pageview]})
    (row,) = stored_events(client, tenant.app_id)
    assert (row["type"], row["event"]) == ("page", "$page")
    assert (row["url"], row["path"], row["referrer"], row["session_id"]) == (
        "https://app.example/reports/7?tab=2",
        "/reports/7",
        "https://search.example/",
        "s-1",
    )


def test_screen_keeps_its_name(client: TestClient, tenant: Tenant, stored_events: Events) -> None:
    screen = _event("$screen", properties={"$screen_name": "Settings"})
    client.post("/capture/", json={"api_key": tenant.app.write_key, **screen})
    (row,) = stored_events(client, tenant.app_id)
    assert (row["type"], row["event"], row["name"]) == ("screen", "$screen", "Settings")


def test_single_event_with_top_level_set_keeps_it_in_properties(
    client: TestClient, tenant: Tenant, stored_events: Events
) -> None:
    event = {
        "api_key": tenant.app.write_key,
        "event": "$set",
        "properties": {"distinct_id": "user-3", "$set": {"plan": "free"}},
        "$set": {"plan": "pro", "seats": 3},
        "$set_once": {"first_plan": "free"},
    }
    assert client.post("/capture", json=event).status_code == 200
    (row,) = stored_events(client, tenant.app_id)
    assert row["user_id"] == "user-3"
    assert _props(row)["$set"] == {"plan": "pro", "seats": 3}
    assert _props(row)["$set_once"] == {"first_plan": "free"}


def test_unknown_top_level_keys_are_kept_in_properties(
    client: TestClient, tenant: Tenant, stored_events: Events
) -> None:
    event = _event("Clicked", type="capture", library="posthog-node", properties={"a": 1})
    response = client.post("/batch/", json={"api_key": tenant.app.write_key, "batch": [event]})
    assert response.json()["accepted"] == 1
    (row,) = stored_events(client, tenant.app_id)
    assert _props(row) == {"a": 1, "type": "capture", "library": "posthog-node"}


@pytest.mark.parametrize(
    ("properties", "stored_as"),
    [
        ({"$lib": "posthog-python"}, "user_id"),
        ({"$process_person_profile": False}, "anonymous_id"),
        ({"$is_identified": False}, "anonymous_id"),
        ({"$device_id": "id-1"}, "anonymous_id"),
        ({"$device_id": "id-1", "$is_identified": True}, "user_id"),
    ],
)
def test_distinct_id_is_the_user_unless_posthog_marks_the_sender_unidentified(
    client: TestClient,
    tenant: Tenant,
    stored_events: Events,
    properties: dict[str, Any],
    stored_as: str,
) -> None:
    event = _event("Viewed", "id-1", properties=properties)
    client.post("/batch/", json={"api_key": tenant.app.write_key, "batch": [event]})
    (row,) = stored_events(client, tenant.app_id)
    other = "anonymous_id" if stored_as == "user_id" else "user_id"
    assert (row[stored_as], row[other], row["distinct_id"]) == ("id-1", None, "id-1")


def test_batch_with_bad_events_keeps_the_rest_naming_the_posthog_field(
    client: TestClient, tenant: Tenant, stored_events: Events
) -> None:
    batch = [
        _event("Signed Up"),
        {"event": "No One", "properties": {}},
        _event("Typed", properties="not an object"),
        _event("Bad Id", {"nested": "id"}),
        _event("$identify", "user-1", properties={"$set": ["not", "an", "object"]}),
        _event("$create_alias", "user-1"),
        _event("Invited"),
    ]
    response = client.post("/batch/", json={"api_key": tenant.app.write_key, "batch": batch})
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [
        (1, "batch[1].distinct_id"),
        (2, "batch[2].properties"),
        (3, "batch[3].distinct_id"),
        (4, "batch[4].properties.$set"),
        (5, "batch[5].properties.alias"),
    ]
    assert sorted(e["event"] for e in stored_events(client, tenant.app_id)) == [
        "Invited",
        "Signed Up",
    ]


def test_batch_of_only_bad_events_is_422_with_a_detail_for_posthog_python(
    client: TestClient, tenant: Tenant
) -> None:
    response = client.post(
        "/batch/", json={"api_key": tenant.app.write_key, "batch": [{"event": ""}]}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "batch[0].event"
    assert "event name" in response.json()["detail"]


def test_an_event_over_32_kb_alone_is_413_and_beside_good_ones_is_rejected_alone(
    client: TestClient, tenant: Tenant, stored_events: Events
) -> None:
    big = _event("Big", properties={"text": "x" * 33_000})
    alone = client.post("/batch/", json={"api_key": tenant.app.write_key, "batch": [big]})
    assert alone.status_code == 413
    assert (alone.json()["error"]["code"], alone.json()["error"]["field"]) == (
        "message_too_large",
        "batch[0]",
    )
    assert "32,768" in alone.json()["detail"]
    beside = client.post(
        "/batch/", json={"api_key": tenant.app.write_key, "batch": [_event("Small"), big]}
    )
    assert beside.status_code == 200
    assert [(r["index"], r["code"]) for r in beside.json()["rejected"]] == [
        (1, "message_too_large")
    ]
    assert [e["event"] for e in stored_events(client, tenant.app_id)] == ["Small"]


@pytest.mark.parametrize("key", ["wk_wrong", None])
def test_wrong_or_missing_api_key_is_401_naming_api_key(
    client: TestClient, tenant: Tenant, stored_events: Events, key: str | None
) -> None:
    response = client.post("/batch/", json={"api_key": key, "batch": [_event("A")]})
    assert response.status_code == 401
    assert response.json()["error"]["field"] == "api_key"
    assert response.json()["detail"]
    assert stored_events(client, tenant.app_id) == []


def test_wrong_api_key_is_401_for_the_official_client(posthog_env: None, live_server: str) -> None:
    from posthog import Posthog

    errors: list[Exception] = []
    client = Posthog("wk_wrong", host=live_server, on_error=lambda e, b: errors.append(e))
    client.capture("A", distinct_id="u")
    client.shutdown()
    assert [getattr(e, "status", None) for e in errors] == [401]


def test_event_carrying_another_write_key_is_refused(
    client: TestClient, make_tenant: Callable[[str], Tenant], stored_events: Events
) -> None:
    alpha, beta = make_tenant("Alpha"), make_tenant("Beta")
    batch = [_event("Mine"), _event("Theirs", properties={"token": beta.app.write_key})]
    response = client.post("/batch/", json={"api_key": alpha.app.write_key, "batch": batch})
    assert response.json()["rejected"][0]["field"] == "batch[1].properties.token"
    assert [e["event"] for e in stored_events(client, alpha.app_id)] == ["Mine"]
    assert stored_events(client, beta.app_id) == []


def test_posthog_js_array_with_token_in_properties_is_accepted(
    client: TestClient, tenant: Tenant, stored_events: Events
) -> None:
    events = [_event("Clicked", "anon-1", properties={"token": tenant.app.write_key, "x": 1})]
    gzipped = gzip.compress(json.dumps(events).encode())
    # posthog-js sends gzip as text/plain without Content-Encoding (compression=gzip-js).
    response = client.post(
        "/e/?compression=gzip-js", content=gzipped, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200, response.text
    (row,) = stored_events(client, tenant.app_id)
    assert _props(row) == {"x": 1}


def test_posthog_js_base64_form_body_is_accepted(
    client: TestClient, tenant: Tenant, stored_events: Events
) -> None:
    event = _event("Clicked", properties={"token": tenant.app.write_key})
    data = base64.b64encode(json.dumps(event).encode()).decode()
    response = client.post("/e/", data={"data": data, "compression": "base64"})
    assert response.status_code == 200, response.text
    assert [e["event"] for e in stored_events(client, tenant.app_id)] == ["Clicked"]


def test_retried_batch_is_stored_once_by_uuid(
    client: TestClient, tenant: Tenant, stored_events: Events
) -> None:
    body = {"api_key": tenant.app.write_key, "batch": [_event("A"), _event("B")]}
    for _ in range(3):
        assert client.post("/batch/", json=body).status_code == 200
    assert len(stored_events(client, tenant.app_id)) == 2


def test_timestamp_is_trusted_and_offset_counts_back_from_arrival(
    client: TestClient, tenant: Tenant, stored_events: Events
) -> None:
    batch = [
        _event("Imported", timestamp="2021-03-04T05:06:07.123456+00:00"),
        _event("Recent", offset=60_000),
    ]
    sent = {"api_key": tenant.app.write_key, "batch": batch, "sent_at": "2021-03-04T05:06:08Z"}
    client.post("/batch/", json=sent)
    imported, recent = stored_events(client, tenant.app_id)
    assert imported["timestamp"].isoformat() == "2021-03-04T05:06:07.123456"
    assert (recent["received_at"] - recent["timestamp"]).total_seconds() == pytest.approx(60)


@pytest.mark.parametrize(
    ("body", "code"), [(b"{", "malformed_json"), (b"data=%%%", "malformed_form")]
)
def test_unreadable_bodies_get_400_naming_the_problem(
    client: TestClient, body: bytes, code: str
) -> None:
    response = client.post("/batch/", content=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


POSTHOG_NODE = """
const { PostHog } = require('posthog-node')
const posthog = new PostHog(process.env.WRITE_KEY, {
  host: process.env.HOST, flushAt: 100, fetchRetryCount: 0,
})
const n = Number(process.env.N)
for (let i = 0; i < n; i++) {
  posthog.capture({ distinctId: `user-${i % 37}`, event: 'Report Viewed', properties: { n: i } })
}
posthog.identify({
  distinctId: 'user-1', properties: { $anon_distinct_id: 'anon-1', email: 'u1@example.com' },
})
posthog.alias({ distinctId: 'anon-2', alias: 'user-2' })
posthog.groupIdentify({ groupType: 'company', groupKey: 'acme-inc', properties: { seats: 10 } })
posthog.flush().then(() => posthog.shutdown()).catch((error) => {
  console.error(String(error)); process.exit(1)
})
"""


def test_official_posthog_node_client_delivers_gzip_batches_exactly_once(
    posthog_env: None,
    live_app: FastAPI,
    live_server: str,
    tenant: Tenant,
    run_node: Callable[[str, dict[str, str]], str],
    stored_events: Events,
) -> None:
    run_node(POSTHOG_NODE, {"WRITE_KEY": tenant.app.write_key, "HOST": live_server, "N": "500"})
    stored = stored_events(live_app, tenant.app_id)
    assert len(stored) == 503
    assert len({e["message_id"] for e in stored}) == 503
    tracks = [e for e in stored if e["event"] == "Report Viewed"]
    assert sorted(_props(e)["n"] for e in tracks) == list(range(500))
    rows = {e["type"]: e for e in stored}
    assert (rows["identify"]["user_id"], rows["identify"]["anonymous_id"]) == ("user-1", "anon-1")
    assert _props(rows["identify"]) == {"email": "u1@example.com"}
    assert (rows["alias"]["user_id"], _props(rows["alias"])["distinct_id"]) == ("user-2", "anon-2")
    # Without a distinctId, posthog-node names the group call "$company_acme-inc": not a person.
    assert (rows["group"]["account_id"], rows["group"]["user_id"]) == ("acme-inc", None)
