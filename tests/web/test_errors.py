"""One error envelope from every part of the server, and status families that agree between the
admin API and the tracking APIs: 400 unreadable, 413 too large, 422 read but wrong."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant, sign_in
from waypost.web.openapi import ErrorEnvelope

# Keys the tracking APIs add beside the envelope: the rejected messages, and PostHog's `detail`.
TRACKING_EXTRAS = frozenset({"rejected", "detail"})


def _basic(write_key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}


def _assert_envelope(body: dict[str, Any], allowed_extras: frozenset[str] = frozenset()) -> None:
    # Exactly the documented keys: a fourth spelling would add or rename one.
    assert set(body) - {"error"} <= allowed_extras, body
    assert set(body["error"]) in (
        {"code", "message", "field"},
        {"code", "message", "field", "problems"},
    )
    ErrorEnvelope.model_validate(body)


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


def test_admin_errors_of_every_kind_are_the_one_envelope(
    client: TestClient, tenant: Tenant
) -> None:
    bearer = tenant.bearer()
    answers = {
        401: client.get("/api/v1/apps"),
        404: client.get("/api/v1/apps/app_nope", headers=bearer),
        405: client.delete("/healthz"),
        400: client.post(
            f"/api/v1/apps/{tenant.app_id}/keys/rotate",
            content=b"{",
            headers={**bearer, "content-type": "application/json"},
        ),
        422: client.post(
            f"/api/v1/apps/{tenant.app_id}/keys/rotate", json={"kind": "x"}, headers=bearer
        ),
    }
    for status, response in answers.items():
        assert response.status_code == status
        _assert_envelope(response.json())
    assert answers[422].json()["error"]["problems"][0]["field"] == "kind"


def test_admin_body_that_is_not_utf8_is_400_saying_so(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/rotate",
        content=b'{"kind": "\xe1"}',
        headers={**tenant.bearer(), "content-type": "application/json"},
    )
    assert response.status_code == 400
    _assert_envelope(response.json())
    assert response.json()["error"]["code"] == "invalid_utf8"
    assert response.json()["error"]["message"].startswith("the body is not valid UTF-8 (byte 10:")


def test_csrf_refusal_is_the_one_envelope(client: TestClient, tenant: Tenant) -> None:
    sign_in(client, tenant.owner_email)
    response = client.post(f"/api/v1/apps/{tenant.app_id}/keys/rotate", json={"kind": "write"})
    assert response.status_code == 403
    _assert_envelope(response.json())
    assert response.json()["error"]["code"] == "csrf"


def test_unexpected_error_is_the_one_envelope(client: TestClient) -> None:
    def explode() -> None:
        raise RuntimeError("boom")

    client.app.add_api_route("/boom", explode)  # type: ignore[attr-defined]
    response = client.get("/boom")
    assert response.status_code == 500
    _assert_envelope(response.json())


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/batch", {"batch": [{"type": "track"}, "nonsense"]}),
        ("/v1/track", {"type": "track", "userId": "u1"}),
        ("/batch/", {"batch": [{"event": ""}]}),
    ],
)
def test_tracking_request_with_nothing_valid_is_422_in_the_envelope(
    client: TestClient, tenant: Tenant, path: str, body: dict[str, Any]
) -> None:
    # Read, but wrong: the same family as the admin API's invalid input, and as a tracking body
    # that is not a JSON object. (It was 400 while the non-object body was 422.)
    if path == "/batch/":
        body = {**body, "api_key": tenant.app.write_key}
    response = client.post(path, json=body, headers=_basic(tenant.app.write_key))
    assert response.status_code == 422
    _assert_envelope(response.json(), TRACKING_EXTRAS)
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["rejected"]


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"[1, 2]", 422, "invalid"),  # JSON, but not an object
        (b'{"batch": {}}', 422, "invalid"),  # an object, but the batch is not a list
        (b'{"batch": [', 400, "malformed_json"),  # not JSON at all
        (b'{"batch": ["' + b"x" * 600_000 + b'"]}', 413, "payload_too_large"),
    ],
)
def test_tracking_status_families_match_the_admin_api(
    client: TestClient, tenant: Tenant, content: bytes, status: int, code: str
) -> None:
    response = client.post("/v1/batch", content=content, headers=_basic(tenant.app.write_key))
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    _assert_envelope(response.json(), TRACKING_EXTRAS)


def test_tracking_key_refusal_is_the_one_envelope(client: TestClient) -> None:
    response = client.post("/v1/batch", json={"batch": []}, headers=_basic("wk_unknown"))
    assert response.status_code == 401
    _assert_envelope(response.json())
