"""Saved insights and dashboards: a few people's hand-written events, a funnel and a trend saved
and arranged on a dashboard, and the numbers its range and filters should give."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Tenant, sign_in
from waypost.app import create_app
from waypost.cli import app as cli
from waypost.insights import answer as answering
from waypost.insights import dashboard_api
from waypost.insights.dashboards import dashboard_range
from waypost.insights.models import Dashboard
from waypost.settings import Settings
from waypost.tenancy.roles import Permission, Role, permissions_of

FUNNEL = {"kind": "funnel", "steps": [{"event": "Signed Up"}, {"event": "Created Project"}]}
TRENDS = {
    "kind": "trends",
    "series": [{"event": "Signed Up", "math": "persons"}],
    "date_from": "2026-05-15T00:00:00Z",
    "date_to": "2026-06-10T00:00:00Z",
}
COMPARISON = {
    "kind": "comparison",
    "insight": FUNNEL,
    "before": {"date_from": "2026-05-01", "date_to": "2026-06-01"},
    "after": {"date_from": "2026-06-01", "date_to": "2026-07-01"},
}
PRO = {"source": "person", "property": "plan", "value": "pro"}


def _send(client: TestClient, write_key: str) -> None:
    """Four people: u4 signed up in May; in June u1 (pro) and u2 (free) signed up and made a
    project, u3 (pro) signed up on the 3rd and made none."""

    def track(user: str, event: str, at: str) -> dict[str, Any]:
        return {"type": "track", "userId": user, "event": event, "timestamp": at}

    def identify(user: str, plan: str) -> dict[str, Any]:
        traits = {"plan": plan}
        return {"type": "identify", "userId": user, "traits": traits, "timestamp": "2026-05-01"}

    batch = [
        identify("u1", "pro"),
        identify("u2", "free"),
        identify("u3", "pro"),
        identify("u4", "pro"),
        track("u4", "Signed Up", "2026-05-20T09:00:00Z"),
        track("u4", "Created Project", "2026-05-20T09:30:00Z"),
        track("u1", "Signed Up", "2026-06-01T09:00:00Z"),
        track("u1", "Created Project", "2026-06-01T09:10:00Z"),
        track("u2", "Signed Up", "2026-06-01T10:00:00Z"),
        track("u2", "Created Project", "2026-06-01T10:30:00Z"),
        track("u3", "Signed Up", "2026-06-03T12:00:00Z"),
    ]
    response = client.post("/v1/batch", json={"batch": batch, "writeKey": write_key})
    assert response.status_code == 200 and response.json()["rejected"] == []


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


def _save(client: TestClient, tenant: Tenant, name: str, query: dict[str, Any]) -> str:
    response = client.post(
        "/api/v1/insights/saved", json={"name": name, "query": query}, headers=tenant.bearer()
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _dashboard(client: TestClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/dashboards", json={"name": "Activation", **fields}, headers=tenant.bearer()
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_dashboard_lays_its_range_and_filter_over_every_tile(
    client: TestClient, tenant: Tenant
) -> None:
    _send(client, tenant.app.write_key)
    funnel = _save(client, tenant, "Sign-up to project", FUNNEL)
    trends = _save(client, tenant, "Sign-ups per day", TRENDS)

    # As saved: everyone, all time. Four signed up, three made a project.
    alone = client.post(f"/api/v1/insights/saved/{funnel}/run", headers=tenant.bearer()).json()
    assert [step["count"] for step in alone["steps"]] == [4, 3]

    dashboard = _dashboard(
        client,
        tenant,
        date_from="2026-06-01T00:00:00Z",
        date_to="2026-06-05T00:00:00Z",
        where=[PRO],
        tiles=[{"insight_id": funnel, "width": 8}, {"insight_id": trends}],
    )
    assert [tile["width"] for tile in dashboard["tiles"]] == [8, 6]
    data = client.get(f"/api/v1/dashboards/{dashboard['id']}/data", headers=tenant.bearer())
    assert data.status_code == 200, data.text
    first, second = data.json()["tiles"]
    # June's pro users only: u1 made a project, u3 did not; u2 is free and u4 came in May.
    assert (first["name"], first["kind"]) == ("Sign-up to project", "funnel")
    assert [step["count"] for step in first["result"]["steps"]] == [2, 1]
    # The trend runs over the dashboard's four days, not its own May-June range.
    series = second["result"]["series"][0]
    assert series["values"] == [1, 0, 1, 0] and series["total"] == 2
    assert len(second["result"]["buckets"]) == 4
    assert not first["ignores_range"] and not second["ignores_filters"]


def test_a_kind_without_dates_runs_as_saved_and_says_so(client: TestClient, tenant: Tenant) -> None:
    _send(client, tenant.app.write_key)
    comparison = _save(client, tenant, "May against June", COMPARISON)
    funnel = _save(client, tenant, "Sign-up to project", FUNNEL)
    dashboard = _dashboard(
        client,
        tenant,
        date_from="2026-06-02T00:00:00Z",
        tiles=[{"insight_id": comparison}, {"insight_id": funnel}],
    )
    tiles = client.get(f"/api/v1/dashboards/{dashboard['id']}/data", headers=tenant.bearer())
    compared, ranged = tiles.json()["tiles"]
    assert compared["ignores_range"] and compared["error"] is None
    assert compared["result"]["kind"] == "comparison"
    assert not ranged["ignores_range"]
    # From June 2nd on only u3 signed up, and made no project.
    assert [step["count"] for step in ranged["result"]["steps"]] == [1, 0]


def test_the_last_n_days_are_whole_utc_days_up_to_the_end_of_today() -> None:
    row = Dashboard(last_days=7)
    start, end = dashboard_range(row, datetime(2026, 6, 10, 15, 30, tzinfo=UTC))
    assert (start, end) == (datetime(2026, 6, 4, tzinfo=UTC), datetime(2026, 6, 11, tzinfo=UTC))


def test_a_dashboard_exports_one_csv_row_per_value(client: TestClient, tenant: Tenant) -> None:
    _send(client, tenant.app.write_key)
    funnel = _save(client, tenant, "Sign-up to project", FUNNEL)
    trends = _save(client, tenant, "Sign-ups per day", TRENDS)
    dashboard = _dashboard(
        client,
        tenant,
        date_from="2026-06-01T00:00:00Z",
        date_to="2026-06-05T00:00:00Z",
        tiles=[{"insight_id": funnel}, {"insight_id": trends}],
    )
    response = client.get(
        f"/api/v1/dashboards/{dashboard['id']}/data",
        params={"format": "csv"},
        headers=tenant.bearer(),
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert set(rows[0]) == {"dashboard", "tile", "insight", "kind", "path", "value"}
    value = {(row["tile"], row["path"]): row["value"] for row in rows}
    # u1, u2 and u3 signed up in the range; u1 and u2 made a project.
    assert (value[("0", "steps.0.count")], value[("0", "steps.1.count")]) == ("3", "2")
    assert value[("1", "series.0.values.0")] == "2"
    assert value[("1", "series.0.total")] == "3"
    # A value that is missing stays an empty cell: the first step has no time from a previous.
    assert value[("0", "steps.0.average_seconds_from_previous")] == ""
    assert {row["dashboard"] for row in rows} == {"Activation"}
    assert {(row["tile"], row["insight"], row["kind"]) for row in rows} == {
        ("0", "Sign-up to project", "funnel"),
        ("1", "Sign-ups per day", "trends"),
    }


def test_a_tile_whose_action_was_deleted_shows_an_error_while_the_others_answer(
    client: TestClient, tenant: Tenant
) -> None:
    _send(client, tenant.app.write_key)
    action = client.post(
        "/api/v1/actions",
        json={"name": "Made a project", "steps": [{"event": "Created Project"}]},
        headers=tenant.bearer(),
    ).json()
    by_action = {"kind": "funnel", "steps": [{"event": "Signed Up"}, {"action": "Made a project"}]}
    broken = _save(client, tenant, "By action", by_action)
    trends = _save(client, tenant, "Sign-ups per day", TRENDS)
    dashboard = _dashboard(client, tenant, tiles=[{"insight_id": broken}, {"insight_id": trends}])
    url = f"/api/v1/dashboards/{dashboard['id']}/data"
    before = client.get(url, headers=tenant.bearer()).json()["tiles"][0]
    assert [step["count"] for step in before["result"]["steps"]] == [4, 3]

    deleted = client.delete(f"/api/v1/actions/{action['id']}", headers=tenant.bearer())
    assert deleted.status_code == 204
    failed, answered = client.get(url, headers=tenant.bearer()).json()["tiles"]
    assert failed["result"] is None
    assert failed["error"]["field"] == "action" and "Made a project" in failed["error"]["message"]
    assert answered["error"] is None and answered["result"]["series"][0]["total"] == 4
    exported = client.get(url, params={"format": "csv"}, headers=tenant.bearer()).text
    paths = {row["path"] for row in csv.DictReader(io.StringIO(exported)) if row["tile"] == "0"}
    assert paths == {"error.code", "error.message", "error.field"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({**FUNNEL, "steps": [{"event": "Only one"}]}, "query.steps"),
        ({**FUNNEL, "window_seconds": 0}, "query.window_seconds"),
        ({**FUNNEL, "kind": "sorcery"}, "query.kind"),
        ({**TRENDS, "interval": "fortnight"}, "query.interval"),
    ],
)
def test_a_bad_saved_query_is_refused_naming_the_field(
    client: TestClient, tenant: Tenant, query: dict[str, Any], field: str
) -> None:
    response = client.post(
        "/api/v1/insights/saved", json={"name": "Broken", "query": query}, headers=tenant.bearer()
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert client.get("/api/v1/insights/saved", headers=tenant.bearer()).json() == []


def test_a_tile_must_name_a_saved_insight_of_the_app(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/api/v1/dashboards",
        json={"name": "Empty", "tiles": [{"insight_id": "ins_nothing"}]},
        headers=tenant.bearer(),
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "tiles.0.insight_id"
    both = client.post(
        "/api/v1/dashboards",
        json={"name": "Both", "last_days": 7, "date_from": "2026-06-01"},
        headers=tenant.bearer(),
    )
    assert both.status_code == 422 and both.json()["error"]["field"] == "last_days"


def test_saved_insights_are_listed_changed_and_deleted_from_their_dashboards(
    client: TestClient, tenant: Tenant
) -> None:
    funnel = _save(client, tenant, "Sign-up to project", FUNNEL)
    trends = _save(client, tenant, "Sign-ups per day", TRENDS)
    dashboard = _dashboard(client, tenant, tiles=[{"insight_id": funnel}, {"insight_id": trends}])
    changed = client.put(
        f"/api/v1/insights/saved/{funnel}",
        json={
            "name": "Activation funnel",
            "description": "Sign-up to first project",
            "query": FUNNEL,
        },
        headers=tenant.bearer(),
    )
    assert changed.status_code == 200 and changed.json()["name"] == "Activation funnel"
    listed = client.get("/api/v1/insights/saved", headers=tenant.bearer()).json()
    assert [(i["name"], i["kind"]) for i in listed] == [
        ("Activation funnel", "funnel"),
        ("Sign-ups per day", "trends"),
    ]
    gone = client.delete(f"/api/v1/insights/saved/{funnel}", headers=tenant.bearer())
    assert gone.status_code == 204
    assert (
        client.get(f"/api/v1/insights/saved/{funnel}", headers=tenant.bearer()).status_code == 404
    )
    kept = client.get(f"/api/v1/dashboards/{dashboard['id']}", headers=tenant.bearer()).json()
    assert [tile["insight_id"] for tile in kept["tiles"]] == [trends]


def test_editing_reports_is_for_analysts_and_up() -> None:
    for role in (Role.OWNER, Role.ADMIN, Role.BUILDER, Role.ANALYST):
        assert Permission.EDIT_REPORTS in permissions_of(role)
    assert Permission.EDIT_REPORTS not in permissions_of(Role.VIEWER)


def test_a_viewer_reads_a_workspace_dashboard_but_cannot_make_one(
    client: TestClient, tenant: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    _send(client, tenant.app.write_key)
    funnel = _save(client, tenant, "Sign-up to project", FUNNEL)
    dashboard = _dashboard(client, tenant, tiles=[{"insight_id": funnel}])
    csrf = sign_in(client, make_member(tenant.workspace_id, Role.VIEWER, "vi@acme.example"))
    app = {"app_id": tenant.app_id}
    listed = client.get("/api/v1/dashboards", params=app).json()
    assert [d["id"] for d in listed] == [dashboard["id"]]
    data = client.get(f"/api/v1/dashboards/{dashboard['id']}/data", params=app)
    assert [step["count"] for step in data.json()["tiles"][0]["result"]["steps"]] == [4, 3]
    ran = client.post(
        f"/api/v1/insights/saved/{funnel}/run", params=app, headers={"X-CSRF-Token": csrf}
    )
    assert ran.status_code == 200
    refused = client.post(
        "/api/v1/dashboards",
        params=app,
        json={"name": "Mine", "tiles": []},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert "saved insights and dashboards" in refused.json()["error"]["message"]
    deleting = client.delete(
        f"/api/v1/dashboards/{dashboard['id']}", params=app, headers={"X-CSRF-Token": csrf}
    )
    assert deleting.status_code == 403


def test_a_private_dashboard_is_its_creators_alone(
    client: TestClient, tenant: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    analyst = make_member(tenant.workspace_id, Role.ANALYST, "an@acme.example")
    other = make_member(tenant.workspace_id, Role.ADMIN, "ad@acme.example")
    app = {"app_id": tenant.app_id}
    csrf = sign_in(client, analyst)
    made = client.post(
        "/api/v1/dashboards",
        params=app,
        json={"name": "My notes", "private": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert made.status_code == 201, made.text
    mine = made.json()["id"]
    assert [d["id"] for d in client.get("/api/v1/dashboards", params=app).json()] == [mine]
    client.cookies.clear()

    sign_in(client, other)
    assert client.get("/api/v1/dashboards", params=app).json() == []
    assert client.get(f"/api/v1/dashboards/{mine}", params=app).status_code == 404
    assert client.get(f"/api/v1/dashboards/{mine}/data", params=app).status_code == 404
    client.cookies.clear()
    # An app's secret key sees every dashboard but private ones, and cannot keep one itself.
    assert client.get(f"/api/v1/dashboards/{mine}", headers=tenant.bearer()).status_code == 404
    by_key = client.post(
        "/api/v1/dashboards", json={"name": "Key's", "private": True}, headers=tenant.bearer()
    )
    assert by_key.status_code == 422 and by_key.json()["error"]["field"] == "private"


def test_a_dashboard_for_analysts_is_hidden_from_viewers(
    client: TestClient, tenant: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    shared = _dashboard(client, tenant, name="For everyone")
    analysts = _dashboard(client, tenant, name="For analysts", visible_to="analyst")
    app = {"app_id": tenant.app_id}
    sign_in(client, make_member(tenant.workspace_id, Role.VIEWER, "vi@acme.example"))
    assert [d["id"] for d in client.get("/api/v1/dashboards", params=app).json()] == [shared["id"]]
    assert client.get(f"/api/v1/dashboards/{analysts['id']}", params=app).status_code == 404
    client.cookies.clear()
    sign_in(client, make_member(tenant.workspace_id, Role.BUILDER, "bu@acme.example"))
    seen = {d["id"] for d in client.get("/api/v1/dashboards", params=app).json()}
    assert seen == {shared["id"], analysts["id"]}


def test_a_dashboard_runs_off_the_event_loop(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    funnel = _save(client, tenant, "Sign-up to project", FUNNEL)
    dashboard = _dashboard(client, tenant, tiles=[{"insight_id": funnel}])
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

    monkeypatch.setattr(
        dashboard_api, "caller_app", watched("caller_app", dashboard_api.caller_app)
    )
    monkeypatch.setattr(answering, "run_query", watched("run_query", answering.run_query))
    response = client.get(f"/api/v1/dashboards/{dashboard['id']}/data", headers=tenant.bearer())
    assert response.status_code == 200, response.text
    assert on_the_loop == {"caller_app": False, "run_query": False}


def test_the_cli_saves_insights_makes_a_dashboard_and_shows_it(
    settings: Settings, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"WAYPOST_DATABASE_URL": settings.metadata_url}
    where = ["--data-dir", str(settings.data_dir)]

    def run(*args: str) -> str:
        result = runner.invoke(cli, [*args, *where], env=env)
        assert result.exit_code == 0, result.output
        return result.stdout

    keys = json.loads(run("apps", "create", "Shop", "--json"))
    with TestClient(create_app(settings)) as client:
        _send(client, keys["write_key"])
    query = tmp_path / "funnel.json"
    query.write_text(json.dumps(FUNNEL))
    saved = json.loads(
        run("insights", "save", str(query), "--name", "Sign-up to project", "--json")
    )
    assert saved["kind"] == "funnel"
    listed = json.loads(run("insights", "saved", "--json"))
    assert [(i["id"], i["name"]) for i in listed] == [(saved["id"], "Sign-up to project")]

    document = tmp_path / "activation.yaml"
    document.write_text(
        "name: Activation\n"
        "date_from: 2026-06-01T00:00:00Z\n"
        "where:\n  - {source: person, property: plan, value: pro}\n"
        f"tiles:\n  - insight_id: {saved['id']}\n    width: 12\n"
    )
    made = json.loads(run("dashboards", "create", str(document), "--json"))
    assert [d["id"] for d in json.loads(run("dashboards", "list", "--json"))] == [made["id"]]
    shown = json.loads(run("dashboards", "show", made["id"]))
    # June's pro users: u1 made a project, u3 did not.
    assert [step["count"] for step in shown["tiles"][0]["result"]["steps"]] == [2, 1]
    rows = list(csv.DictReader(io.StringIO(run("dashboards", "show", made["id"], "--csv"))))
    assert {row["path"]: row["value"] for row in rows}["steps.1.count"] == "1"

    query.write_text(json.dumps({**FUNNEL, "order": "sideways"}))
    refused = runner.invoke(cli, ["insights", "save", str(query), "--name", "Bad", *where], env=env)
    assert refused.exit_code == 2 and "query.order" in refused.output


def test_only_its_creator_makes_a_dashboard_private(
    client: TestClient, tenant: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    shared = _dashboard(client, tenant, name="Team")
    url, app = f"/api/v1/dashboards/{shared['id']}", {"app_id": tenant.app_id}
    csrf = sign_in(client, make_member(tenant.workspace_id, Role.ANALYST, "an@acme.example"))
    renamed = client.put(
        url, params=app, json={"name": "Team, renamed"}, headers={"X-CSRF-Token": csrf}
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Team, renamed"
    hidden = client.put(
        url, params=app, json={"name": "Mine now", "private": True}, headers={"X-CSRF-Token": csrf}
    )
    assert hidden.status_code == 403
    assert client.get(url, headers=tenant.bearer()).json()["private"] is False
