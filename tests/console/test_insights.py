"""The Insights and Dashboards pages without a browser: who sees what, who may change what,
the new-dashboard form's CSRF check, and Japanese rendering."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Tenant, sign_in
from waypost.demo.simulate import Simulation, simulate
from waypost.i18n.catalog import messages
from waypost.insights.models import Dashboard
from waypost.tenancy.roles import Role

EN = messages("en")
JA = messages("ja")
FUNNEL = {"kind": "funnel", "steps": [{"event": "Signed Up"}, {"event": "Project Created"}]}


def _text(message: str) -> str:
    """A message as the page's HTML holds it (escaped)."""
    return html.escape(message)


@pytest.fixture
def acme(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


@pytest.fixture
def viewer(acme: Tenant, make_member: Callable[[str, Role, str], str]) -> str:
    return make_member(acme.workspace_id, Role.VIEWER, "viewer@acme.example")


@pytest.fixture
def builder(acme: Tenant, make_member: Callable[[str, Role, str], str]) -> str:
    return make_member(acme.workspace_id, Role.BUILDER, "builder@acme.example")


def _dashboard(client: TestClient, acme: Tenant, csrf: str, **document: object) -> dict[str, str]:
    """A saved funnel on a new dashboard, made over the API as the signed-in member."""
    headers = {"X-CSRF-Token": csrf}
    saved = client.post(
        f"/api/v1/insights/saved?app_id={acme.app_id}",
        json={"name": "Sign-up to project", "query": FUNNEL},
        headers=headers,
    )
    assert saved.status_code == 201, saved.text
    board = client.post(
        f"/api/v1/dashboards?app_id={acme.app_id}",
        json={"name": "Activation", "last_days": 30, "tiles": [{"insight_id": saved.json()["id"]}]}
        | document,
        headers=headers,
    )
    assert board.status_code == 201, board.text
    return {"insight_id": saved.json()["id"], "dashboard_id": board.json()["id"]}


def test_insights_offers_the_apps_event_names_page_paths_and_traits(
    client: TestClient, acme: Tenant, builder: str
) -> None:
    store = client.app.state.events  # type: ignore[attr-defined]
    simulate(store, acme.app_id, Simulation(4, 5, 1, datetime.now(UTC).date()))
    sign_in(client, builder)

    page = client.get(f"/console/apps/{acme.app_id}/insights")

    assert page.status_code == 200
    assert f"<h1>{EN['insights.title']}</h1>" in page.text
    found = re.search(r'id="insight-vocabulary">(.*?)</script>', page.text)
    assert found is not None
    words = json.loads(found.group(1))
    assert "Signed Up" in words["events"]
    assert any(path.startswith("/demo/") for path in words["pages"])
    assert "plan" in words["person_traits"]
    assert "plan" in words["account_traits"]
    assert 'id="save-form"' in page.text


def test_a_viewer_explores_insights_but_is_offered_no_saving(
    client: TestClient, acme: Tenant, viewer: str
) -> None:
    sign_in(client, viewer)

    page = client.get(f"/console/apps/{acme.app_id}/insights")

    assert page.status_code == 200
    assert 'id="insight-builder"' in page.text
    assert 'id="save-form"' not in page.text
    assert _text(EN["insights.save.viewer"]) in page.text


def test_insights_of_another_workspaces_app_is_the_not_found_page(
    client: TestClient,
    acme: Tenant,
    make_tenant: Callable[[str], Tenant],
) -> None:
    other = make_tenant("Globex")
    sign_in(client, acme.owner_email)

    for path in ("insights", "dashboards"):
        page = client.get(f"/console/apps/{other.app_id}/{path}")
        assert page.status_code == 404
        assert EN["error.not_found"] in page.text


def test_insights_and_dashboards_in_japanese(client: TestClient, acme: Tenant) -> None:
    sign_in(client, acme.owner_email)

    insights = client.get(
        f"/console/apps/{acme.app_id}/insights", headers={"Accept-Language": "ja"}
    )
    dashboards = client.get(
        f"/console/apps/{acme.app_id}/dashboards", headers={"Accept-Language": "ja"}
    )

    assert '<html lang="ja">' in insights.text
    assert f"<h1>{JA['insights.title']}</h1>" in insights.text
    assert JA["insights.kind.retention"] in insights.text
    assert JA["insights.funnel.add_step"] in insights.text
    assert f"<h1>{JA['dashboards.title']}</h1>" in dashboards.text
    assert JA["dashboards.new.create"] in dashboards.text


def test_a_builder_makes_a_dashboard_through_the_form_and_lands_on_it(
    client: TestClient, acme: Tenant, builder: str, db: Session
) -> None:
    csrf = sign_in(client, builder)

    made = client.post(
        f"/console/apps/{acme.app_id}/dashboards",
        data={"name": "Weekly review", "description": "Monday's numbers", "csrf_token": csrf},
        follow_redirects=False,
    )

    assert made.status_code == 303
    board = db.scalars(select(Dashboard).where(Dashboard.app_id == acme.app_id)).one()
    assert (board.name, board.description, board.last_days) == (
        "Weekly review",
        "Monday's numbers",
        30,
    )
    assert made.headers["location"] == f"/console/apps/{acme.app_id}/dashboards/{board.id}"
    page = client.get(made.headers["location"])
    assert page.status_code == 200
    assert "<h1>Weekly review</h1>" in page.text
    assert _text(EN["dashboards.empty"]) in page.text
    listed = client.get(f"/console/apps/{acme.app_id}/dashboards")
    assert "Weekly review" in listed.text
    assert EN["dashboards.range.last_days"].format(days=30) in listed.text


def test_the_new_dashboard_form_refuses_a_missing_or_wrong_csrf_token(
    client: TestClient, acme: Tenant, builder: str, db: Session
) -> None:
    sign_in(client, builder)

    for token in ("", "not-the-token"):
        refused = client.post(
            f"/console/apps/{acme.app_id}/dashboards",
            data={"name": "Sneaky", "csrf_token": token},
            follow_redirects=False,
        )
        assert refused.status_code == 403
        assert _text(EN["dashboards.expired_form"]) in refused.text
    assert db.scalars(select(Dashboard)).all() == []


def test_a_dashboard_needs_a_name(client: TestClient, acme: Tenant, builder: str) -> None:
    csrf = sign_in(client, builder)

    refused = client.post(
        f"/console/apps/{acme.app_id}/dashboards",
        data={"name": "  ", "csrf_token": csrf},
        follow_redirects=False,
    )

    assert refused.status_code == 422
    assert EN["dashboards.name_required"] in refused.text


def test_a_viewer_cannot_make_a_dashboard_and_is_not_offered_the_form(
    client: TestClient, acme: Tenant, viewer: str, db: Session
) -> None:
    csrf = sign_in(client, viewer)

    listed = client.get(f"/console/apps/{acme.app_id}/dashboards")
    refused = client.post(
        f"/console/apps/{acme.app_id}/dashboards",
        data={"name": "Mine", "csrf_token": csrf},
        follow_redirects=False,
    )

    assert 'name="name"' not in listed.text
    assert EN["dashboards.viewer_note"] in listed.text
    assert refused.status_code == 403
    assert EN["error.forbidden"] in refused.text
    assert db.scalars(select(Dashboard)).all() == []


def test_a_viewer_sees_a_shared_dashboard_without_edit_controls_and_the_api_refuses_edits(
    client: TestClient, acme: Tenant, viewer: str
) -> None:
    owner_csrf = sign_in(client, acme.owner_email)
    made = _dashboard(client, acme, owner_csrf)
    owner_page = client.get(f"/console/apps/{acme.app_id}/dashboards/{made['dashboard_id']}")
    assert 'id="board-form"' in owner_page.text
    assert "data-remove-tile" in owner_page.text

    csrf = sign_in(client, viewer)
    page = client.get(f"/console/apps/{acme.app_id}/dashboards/{made['dashboard_id']}")
    put = client.put(
        f"/api/v1/dashboards/{made['dashboard_id']}?app_id={acme.app_id}",
        json={"name": "Renamed", "tiles": []},
        headers={"X-CSRF-Token": csrf},
    )

    assert page.status_code == 200
    assert "<h2" in page.text and "Sign-up to project" in page.text
    assert 'id="board-form"' not in page.text
    assert "data-remove-tile" not in page.text
    assert "data-width" not in page.text
    assert f"/api/v1/dashboards/{made['dashboard_id']}/data?format=csv" in page.text
    assert put.status_code == 403


def test_a_private_dashboard_of_another_member_is_not_found(
    client: TestClient, acme: Tenant, builder: str
) -> None:
    csrf = sign_in(client, builder)
    made = _dashboard(client, acme, csrf, private=True)

    sign_in(client, acme.owner_email)
    page = client.get(f"/console/apps/{acme.app_id}/dashboards/{made['dashboard_id']}")
    listed = client.get(f"/console/apps/{acme.app_id}/dashboards")

    assert page.status_code == 404
    assert EN["error.not_found"] in page.text
    assert made["dashboard_id"] not in listed.text


def test_a_tile_links_to_its_query_in_insights(client: TestClient, acme: Tenant) -> None:
    csrf = sign_in(client, acme.owner_email)
    made = _dashboard(client, acme, csrf)

    page = client.get(f"/console/apps/{acme.app_id}/dashboards/{made['dashboard_id']}")

    link = re.search(r'href="(/console/apps/[^"]+/insights\?q=[^"]+)"', page.text)
    assert link is not None
    query = html.unescape(link.group(1)).split("?q=", 1)[1]
    assert json.loads(unquote(query)) == FUNNEL
