"""POST /api/v1/insights/query and `waypost insights query`: the same answers, clear refusals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Tenant
from waypost.app import create_app
from waypost.cli import app as cli
from waypost.insights import answer as answering
from waypost.insights import api
from waypost.settings import Settings

FUNNEL = {
    "kind": "funnel",
    "steps": [{"event": "Signed Up"}, {"event": "Created Project"}],
    "window_seconds": 3600,
}


def _send(client: TestClient, write_key: str) -> None:
    def message(kind: str, minute: int, **fields: str) -> dict[str, str]:
        return {"type": kind, "timestamp": f"2026-06-01T09:{minute:02d}:00Z", **fields}

    batch = [
        message("track", 0, event="Signed Up", userId="u1"),
        message("track", 10, event="Created Project", userId="u1"),
        message("track", 0, event="Signed Up", anonymousId="a2"),
        message("identify", 20, userId="u2", anonymousId="a2"),
        message("track", 30, event="Created Project", userId="u2"),
        message("track", 0, event="Signed Up", userId="u3"),
    ]
    response = client.post("/v1/batch", json={"batch": batch, "writeKey": write_key})
    assert response.status_code == 200 and response.json()["rejected"] == []


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


def test_funnel_over_the_api_counts_merged_persons_once(client: TestClient, tenant: Tenant) -> None:
    _send(client, tenant.app.write_key)
    response = client.post("/api/v1/insights/query", json=FUNNEL, headers=tenant.bearer())
    assert response.status_code == 200, response.text
    steps = response.json()["steps"]
    # a2 signed up anonymously and created a project after identifying as u2: one person.
    assert [s["count"] for s in steps] == [3, 2]
    assert steps[1]["average_seconds_from_previous"] == (10 * 60 + 30 * 60) / 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({**FUNNEL, "stepz": []}, "stepz"),
        ({**FUNNEL, "steps": [{"event": "Only one"}]}, "steps"),
        ({**FUNNEL, "window_seconds": 0}, "window_seconds"),
        ({**FUNNEL, "kind": "sorcery"}, "kind"),
        ({**FUNNEL, "where": [{"property": "p", "op": "gt", "value": "x"}]}, "where.0"),
        ({**FUNNEL, "steps": [{"event": "A"}, {"event": 5}]}, "steps.1.event"),
        ({"steps": []}, "kind"),
        ({**FUNNEL, "exclusions": [{"event": "X", "from_step": 0, "to_step": 2}]},
         "exclusions.0.to_step"),
        ({**FUNNEL, "exclusions": [{"event": "X", "from_step": 1, "to_step": 1}]},
         "exclusions.0.to_step"),
        ({**FUNNEL, "breakdown": {"property": "p", "attribution": "step", "step": 2}},
         "breakdown.step"),
        ({**FUNNEL, "histogram_steps": [1, 0]}, "histogram_steps"),
        ({**FUNNEL, "kind": "dropoff", "step": 1}, "step"),
        ({"kind": "comparison", "insight": {**FUNNEL, "window_seconds": 0},
          "before": {"date_from": "2026-05-01", "date_to": "2026-06-01"},
          "after": {"date_from": "2026-06-01", "date_to": "2026-07-01"}},
         "insight.window_seconds"),
    ],
)  # fmt: skip
def test_a_bad_query_is_refused_naming_the_field(
    client: TestClient, tenant: Tenant, query: dict, field: str
) -> None:
    response = client.post("/api/v1/insights/query", json=query, headers=tenant.bearer())
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


def test_cli_prints_the_same_result_as_the_api(settings: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"WAYPOST_DATABASE_URL": settings.metadata_url}
    created = runner.invoke(
        cli, ["apps", "create", "Shop", "--json", "--data-dir", str(settings.data_dir)], env=env
    )
    keys = json.loads(created.stdout)
    with TestClient(create_app(settings)) as client:
        _send(client, keys["write_key"])
        by_api = client.post(
            "/api/v1/insights/query",
            json=FUNNEL,
            headers={"Authorization": f"Bearer {keys['secret_key']}"},
        ).json()
    query_file = tmp_path / "funnel.json"
    query_file.write_text(json.dumps(FUNNEL))
    printed = runner.invoke(
        cli, ["insights", "query", str(query_file), "--data-dir", str(settings.data_dir)], env=env
    )
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == by_api

    query_file.write_text(json.dumps({**FUNNEL, "order": "sideways"}))
    refused = runner.invoke(
        cli, ["insights", "query", str(query_file), "--data-dir", str(settings.data_dir)], env=env
    )
    assert refused.exit_code == 2 and "order" in refused.output


def test_trends_are_answered_by_kind(client: TestClient, tenant: Tenant) -> None:
    _send(client, tenant.app.write_key)
    query = {
        "kind": "trends",
        "series": [{"event": "Signed Up", "math": "persons"}],
        "date_from": "2026-06-01T00:00:00Z",
        "date_to": "2026-06-03T00:00:00Z",
    }
    response = client.post("/api/v1/insights/query", json=query, headers=tenant.bearer())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "trends"
    assert body["series"][0]["values"] == [3, 0] and body["series"][0]["total"] == 3


def test_drop_offs_export_as_csv_with_their_user_ids(client: TestClient, tenant: Tenant) -> None:
    _send(client, tenant.app.write_key)
    query = {**FUNNEL, "kind": "dropoff", "step": 0, "format": "csv"}
    response = client.post("/api/v1/insights/query", json=query, headers=tenant.bearer())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    # u3 signed up and never created a project: the only drop-off after step 0.
    assert lines[0] == "unit,user_ids,reached_at"
    assert [line.split(",")[1:] for line in lines[1:]] == [["u3", "2026-06-01T09:00:00+00:00"]]
    listed = client.post(
        "/api/v1/insights/query", json={**query, "format": "json"}, headers=tenant.bearer()
    ).json()
    assert [u["user_ids"] for u in listed["units"]] == [["u3"]]
    assert (listed["dropped"], listed["converted"]) == (1, 2)


def test_a_query_reads_the_databases_off_the_event_loop(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_the_loop: dict[str, bool] = {}

    def watched(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                on_the_loop[name] = True
            except RuntimeError:
                on_the_loop[name] = False
            return call(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(api, "caller_app", watched("caller_app", api.caller_app))
    for name in ("action_steps", "run_query"):
        monkeypatch.setattr(answering, name, watched(name, getattr(answering, name)))
    response = client.post("/api/v1/insights/query", json=FUNNEL, headers=tenant.bearer())
    assert response.status_code == 200, response.text
    # The permission check and the app's actions (metadata) and the query (events) all block.
    assert on_the_loop == {"caller_app": False, "action_steps": False, "run_query": False}


def test_the_query_schema_in_the_openapi_document_resolves(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    body = document["paths"]["/api/v1/insights/query"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]

    def references(node: Any) -> list[str]:
        if isinstance(node, list):
            return [ref for item in node for ref in references(item)]
        if not isinstance(node, dict):
            return []
        inside = [ref for value in node.values() for ref in references(value)]
        return [node["$ref"], *inside] if "$ref" in node else inside

    # A generated client resolves every reference against the document's components.
    known = {f"#/components/schemas/{name}" for name in document["components"]["schemas"]}
    assert set(references(schema)) <= known
    kinds = {variant["properties"]["kind"]["const"] for variant in schema["oneOf"]}
    assert kinds == {"funnel", "trends", "retention", "time_to_value", "onboarding", "paths",
                     "comparison", "dropoff", "survey", "engagement", "goal",
                     "impact_productivity", "impact_time_saved", "impact_renewal"}  # fmt: skip
