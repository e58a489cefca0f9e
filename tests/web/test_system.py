"""HTTP skeleton: health, readiness, metrics, OpenAPI, one error shape, request ids."""

from __future__ import annotations

import gc
import json
import logging

import pytest
from fastapi.testclient import TestClient

from waypost.app import create_app
from waypost.logs import JsonFormatter
from waypost.settings import Settings


def test_healthz_answers_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_both_stores_and_the_event_loads(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = {"metadata": "ok", "events": "ok", "ingest": "ok"}
    assert response.json() == {"status": "ready", "checks": checks}


def test_readyz_is_503_naming_the_event_store_when_it_fails(client: TestClient) -> None:
    client.app.state.events.close()  # type: ignore[attr-defined]
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["metadata"] == "ok"
    assert "events.duckdb" in body["checks"]["events"]


def test_readyz_is_503_naming_the_metadata_database_when_it_fails(client: TestClient) -> None:
    from waypost.db import create_engine_for

    client.app.state.engine = create_engine_for(  # type: ignore[attr-defined]
        "postgresql+psycopg://nobody:secret@127.0.0.1:1/gone"
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "127.0.0.1:1/gone" in response.json()["checks"]["metadata"]
    assert "secret" not in response.text


def test_metrics_count_requests_by_route_template_not_raw_path(client: TestClient) -> None:
    client.get("/api/v1/apps/app_one")
    client.get("/api/v1/apps/app_two")
    text = client.get("/metrics").text
    assert (
        'waypost_http_requests_total{method="GET",route="/api/v1/apps/{app_id}",status="401"} 2.0'
        in text
    )
    assert "app_one" not in text
    assert "waypost_http_request_duration_seconds_bucket" in text


def test_openapi_describes_the_admin_api(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "Waypost"
    assert "/api/v1/apps/{app_id}/keys/rotate" in spec["paths"]
    assert "/healthz" not in spec["paths"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/page", 404, "not_found"),
        ("DELETE", "/healthz", 405, "method_not_allowed"),
        ("GET", "/api/v1/apps", 401, "unauthorized"),
    ],
)
def test_every_4xx_has_the_json_error_shape(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) >= {"code", "message", "field"}
    assert error["message"]


def test_unreadable_json_body_is_400_malformed_json_with_line_and_column(
    client: TestClient, make_tenant
) -> None:
    # As on the tracking API: a body that cannot be read is 400, content that is wrong is 422.
    tenant = make_tenant("Acme")
    response = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/rotate",
        content=b'{\n  "kind": secret}',
        headers={**tenant.bearer(), "content-type": "application/json"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_json"
    assert error["message"].startswith("malformed JSON at line 2, column 11: ")


def test_request_id_is_generated_or_kept_and_returned(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 16
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    hostile = client.get("/healthz", headers={"X-Request-ID": "bad id\n<script>"})
    assert hostile.headers["x-request-id"] != "bad id\n<script>"


def test_unexpected_error_is_a_json_500_quoting_the_request_id(client: TestClient) -> None:
    def explode() -> None:
        raise RuntimeError("internal detail that must not leak")

    client.app.add_api_route("/boom", explode)  # type: ignore[attr-defined]
    response = client.get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-42"
    error = response.json()["error"]
    assert error["code"] == "internal"
    assert "req-42" in error["message"]
    assert "internal detail" not in response.text


def test_access_log_lines_are_json_with_the_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="waypost.access"):
        client.get("/healthz", headers={"X-Request-ID": "trace-7"})
    record = next(r for r in caplog.records if r.name == "waypost.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /healthz 200"
    assert line["status"] == 200 and line["route"] == "/healthz"
    assert line["request_id"] == "trace-7"


def test_startup_objects_are_kept_out_of_full_collections_while_serving(
    settings: Settings,
) -> None:
    gc.unfreeze()
    with TestClient(create_app(settings)) as serving:
        frozen = gc.get_freeze_count()
        assert serving.get("/healthz").status_code == 200
    assert frozen > 10_000  # the modules, routes and stores set up at startup
    assert gc.get_freeze_count() == 0  # stopped: nothing is held back from collection
