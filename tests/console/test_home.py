"""The app's home (no browser): what it measures and how it infers it, segments as filters, the
install steps of an app without events, its cards' queries, roles and Japanese."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.orm import Session

from tests.conftest import Tenant, sign_in
from waypost.console.views.home import (
    EventStat,
    HomeEvents,
    home_queries,
    inferred_events,
    segment_filters,
)
from waypost.demo.seed import seed_content
from waypost.demo.simulate import Simulation, simulate
from waypost.guidance.rules import Rule
from waypost.i18n.catalog import messages
from waypost.insights.queries import read_query
from waypost.tenancy.roles import Role

EN = messages("en")
JA = messages("ja")

STATS = [
    EventStat("Signed Up", 100, 1.0, 95),
    EventStat("Report Built", 80, 4.0, 2),
    EventStat("Email Verified", 90, 2.0, 3),
    EventStat("Project Created", 70, 3.0, 0),
    EventStat("Plan Upgraded", 10, 6.0, 0),
]


def _task(event: str, priority: int) -> Any:
    return SimpleNamespace(
        kind="task", priority=priority, complete_when=SimpleNamespace(event=event)
    )


def _walkthrough(goal: str, priority: int) -> Any:
    return SimpleNamespace(kind="walkthrough", priority=priority, goal=SimpleNamespace(event=goal))


def test_the_checklist_makes_the_steps_in_the_order_people_do_them() -> None:
    documents = [_task("Project Created", 10), _task("Email Verified", 50), _task("Unknown", 5)]
    events = inferred_events(STATS, documents)
    assert events == HomeEvents(
        start="Signed Up",
        steps=("Email Verified", "Project Created"),
        value="Email Verified",
        chosen=False,
    )


def test_the_most_important_walkthrough_goal_is_the_value_event() -> None:
    documents = [_walkthrough("Report Built", 1), _walkthrough("Project Created", 10)]
    events = inferred_events(STATS, documents)
    assert events is not None
    assert events.value == "Project Created"
    # Without a checklist, the most widespread events after the start, in the order people go.
    assert events.steps == ("Email Verified", "Project Created", "Report Built", "Plan Upgraded")


def test_no_own_events_infer_nothing() -> None:
    assert inferred_events([], [_task("Signed Up", 1)]) is None


def _rules(**segments: dict[str, Any]) -> dict[str, Rule]:
    return {key: Rule.model_validate(rules) for key, rules in segments.items()}


def test_trait_segments_become_insight_filters() -> None:
    rules = _rules(
        trials={"trait": {"plan": {"eq": "trial"}}},
        paid={"trait": {"plan": {"in": ["pro", "business"]}}},
        mid={
            "all": [
                {"account": {"employees": {"gte": 20}}},
                {"account": {"employees": {"lt": 200}}},
            ]
        },
        paid_admins={"all": [{"segment": "paid"}, {"trait": {"email": {"ends_with": ".co.jp"}}}]},
    )
    assert segment_filters(rules["trials"], rules) == [
        {"source": "person", "property": "plan", "op": "eq", "value": "trial"}
    ]
    assert segment_filters(rules["paid"], rules) == [
        {"source": "person", "property": "plan", "op": "in", "value": ["pro", "business"]}
    ]
    assert segment_filters(rules["mid"], rules) == [
        {"source": "account", "property": "employees", "op": "gte", "value": 20},
        {"source": "account", "property": "employees", "op": "lt", "value": 200},
    ]
    assert segment_filters(rules["paid_admins"], rules) == [
        {"source": "person", "property": "plan", "op": "in", "value": ["pro", "business"]},
        {"source": "person", "property": "email", "op": "regex", "value": r"\.co\.jp$"},
    ]


@pytest.mark.parametrize(
    "rules",
    [
        {"did": {"event": "Report Built"}},
        {"any": [{"trait": {"plan": {"eq": "pro"}}}, {"trait": {"plan": {"eq": "trial"}}}]},
        {"not": {"trait": {"plan": {"eq": "pro"}}}},
        {"all": [{"trait": {"plan": {"eq": "pro"}}}, {"page": {"path": {"eq": "/x"}}}]},
        {"trait": {"signed_up": {"before": "2026-01-01"}}},
        {"segment": "itself"},
    ],
)
def test_rules_filters_cannot_say_leave_the_segment_out(rules: dict[str, Any]) -> None:
    known = _rules(itself=rules)
    assert segment_filters(known["itself"], known, frozenset({"itself"})) is None


def test_every_card_query_is_one_the_insights_api_takes() -> None:
    events = HomeEvents(
        "Signed Up", ("Email Verified", "Project Created"), "Project Created", False
    )
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 31, tzinfo=UTC)
    where = [{"source": "person", "property": "plan", "op": "eq", "value": "trial"}]
    queries = home_queries(events, since, until, where, "Asia/Tokyo", ("nps", "score", "NPS"))
    assert set(queries) == {"onboarding", "time_to_value", "funnel", "nps", "engagement"}
    for query in queries.values():
        assert read_query(query).where  # valid, and filtered by the segment
    assert queries["funnel"]["steps"][0] == {"event": "Signed Up"}
    # A value event that is the start measures nothing: that card waits for a choice.
    same = HomeEvents("Signed Up", (), "Signed Up", False)
    assert set(home_queries(same, since, until, [], "UTC", None)) == {"engagement"}


@pytest.fixture
def acme(make_tenant: Callable[[str], Tenant], db: Session) -> Tenant:
    """A workspace whose app holds the demo's content (no events yet)."""
    tenant = make_tenant("Acme")
    with db.begin():
        seed_content(db, tenant.app_id)
    return tenant


def _simulate(client: TestClient, app_id: str, customers: int, days: int, seed: int) -> None:
    store = client.app.state.events  # type: ignore[attr-defined]
    simulate(store, app_id, Simulation(customers, days, seed, datetime.now(UTC).date()))


def _main(html: str) -> str:
    """The page's own content (the whole catalogue rides along in a script for the page's JS)."""
    return html.split('<main id="main" tabindex="-1">')[1].split("</main>")[0]


def _config(html: str) -> dict[str, Any]:
    text = html.split('<script type="application/json" id="home-config">')[1].split("</script>")[0]
    config: dict[str, Any] = json.loads(text)
    return config


def test_an_app_without_events_shows_the_install_steps_until_the_first_arrives(
    client: TestClient, acme: Tenant
) -> None:
    sign_in(client, acme.owner_email)
    home = client.get(f"/console/apps/{acme.app_id}/home")
    assert home.status_code == 200
    assert EN["home.setup.title"] in _main(home.text)
    assert f'data-key="{acme.app.write_key}"' in home.text
    assert 'data-copy="setup-snippet"' in home.text
    assert EN["home.setup.walkthrough.done"] in _main(home.text)  # the demo has walkthroughs
    status = f"/console/apps/{acme.app_id}/home/status"
    assert client.get(status).json() == {"has_events": False}

    sent = client.post(
        "/v1/batch",
        json={
            "writeKey": acme.app.write_key,
            "batch": [{"type": "track", "userId": "u1", "event": "Signed Up"}],
        },
    )
    assert sent.status_code == 200

    assert client.get(status).json() == {"has_events": True}
    home = client.get(f"/console/apps/{acme.app_id}/home")
    assert EN["home.setup.title"] not in _main(home.text)
    assert EN["home.card.onboarding.title"] in _main(home.text)
    assert _config(home.text)["start"] == "Signed Up"


def test_the_home_prepares_each_cards_query_for_the_period_and_segment(
    client: TestClient, acme: Tenant
) -> None:
    _simulate(client, acme.app_id, 30, 20, 1)
    sign_in(client, acme.owner_email)
    home = client.get(f"/console/apps/{acme.app_id}/home?days=7&segment=trials")
    assert home.status_code == 200
    config = _config(home.text)
    queries = config["queries"]
    assert set(queries) == {"onboarding", "time_to_value", "funnel", "nps", "engagement"}
    # Inferred from the demo's checklist and its main walkthrough's goal.
    assert config["start"] == "Signed Up"
    assert config["value"] == "Project Created"
    funnel = [step["event"] for step in queries["funnel"]["steps"]]
    assert funnel[:3] == ["Signed Up", "Email Verified", "Project Created"]
    trials = [{"source": "person", "property": "plan", "op": "eq", "value": "trial"}]
    for query in queries.values():
        assert query["where"] == trials
    span = datetime.fromisoformat(queries["funnel"]["date_to"]) - datetime.fromisoformat(
        queries["funnel"]["date_from"]
    )
    assert span.days == 7
    # Each card answers through the insights API, and links to its detail page.
    for query in queries.values():
        answer = client.post(f"/api/v1/insights/query?app_id={acme.app_id}", json=query)
        assert answer.status_code == 200, answer.text
    link = home.text.split('class="more" href="')[1].split('"')[0].replace("&amp;", "&")
    linked = json.loads(unquote(parse_qs(urlsplit(link).query)["q"][0]))
    assert linked == queries["onboarding"]
    assert f"/console/apps/{acme.app_id}/surveys/nps" in home.text


def test_the_measured_journey_can_be_chosen_in_the_address(
    client: TestClient, acme: Tenant
) -> None:
    _simulate(client, acme.app_id, 20, 10, 2)
    sign_in(client, acme.owner_email)
    home = client.get(
        f"/console/apps/{acme.app_id}/home?start=Signed+Up&step=Report+Built&step=Email+Verified"
        "&step=Not+An+Event&value=Report+Built"
    )
    config = _config(home.text)
    funnel = [step["event"] for step in config["queries"]["funnel"]["steps"]]
    assert funnel == ["Signed Up", "Email Verified", "Report Built"]
    assert config["value"] == "Report Built"
    assert EN["home.events.chosen"] in _main(home.text)
    assert EN["home.events.reset"] in _main(home.text)


def test_a_builder_saves_the_journey_for_everyone_and_a_viewer_cannot(
    client: TestClient,
    acme: Tenant,
    make_member: Callable[[str, Role, str], str],
) -> None:
    _simulate(client, acme.app_id, 20, 10, 2)
    builder = make_member(acme.workspace_id, Role.BUILDER, "builder@acme.example")
    csrf = sign_in(client, builder)
    form = {"csrf_token": csrf, "start": "Signed Up", "step": ["Email Verified", "Report Built"],
            "value": "Report Built", "days": "30"}  # fmt: skip
    shown = client.post(
        f"/console/apps/{acme.app_id}/home/journey",
        data={**form, "action": "show"},
        follow_redirects=False,
    )
    # Showing keeps the choice in the address only.
    assert "value=Report+Built" in shown.headers["location"]
    saved = client.post(
        f"/console/apps/{acme.app_id}/home/journey",
        data={**form, "action": "save"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    # Every member's home now measures it, with nothing in the address.
    client.cookies.clear()
    viewer = make_member(acme.workspace_id, Role.VIEWER, "viewer@acme.example")
    viewer_csrf = sign_in(client, viewer)
    home = client.get(f"/console/apps/{acme.app_id}/home")
    assert _config(home.text)["value"] == "Report Built"
    assert str(escape(EN["home.events.saved"])) in _main(home.text)
    assert EN["home.events.save"] not in _main(home.text)
    refused = client.post(
        f"/console/apps/{acme.app_id}/home/journey",
        data={**form, "csrf_token": viewer_csrf, "action": "forget"},
    )
    assert refused.status_code == 403
    forged = client.post(
        f"/console/apps/{acme.app_id}/home/journey", data={**form, "csrf_token": "nope"}
    )
    assert forged.status_code == 403


def test_a_viewer_sees_the_home_and_an_outsider_does_not(
    client: TestClient,
    acme: Tenant,
    make_tenant: Callable[[str], Tenant],
    make_member: Callable[[str, Role, str], str],
) -> None:
    sign_in(client, make_member(acme.workspace_id, Role.VIEWER, "viewer@acme.example"))
    assert client.get(f"/console/apps/{acme.app_id}/home").status_code == 200
    assert client.get(f"/console/apps/{acme.app_id}/home/status").status_code == 200
    # Without edit rights, the install steps send the viewer to a builder instead.
    home = client.get(f"/console/apps/{acme.app_id}/home")
    assert EN["home.setup.walkthrough.ask"] in _main(home.text)
    other = make_tenant("Other")
    outsider = client.get(f"/console/apps/{other.app_id}/home")
    assert outsider.status_code == 404
    assert client.get(f"/console/apps/{other.app_id}/home/status").status_code == 404


def test_the_home_in_japanese(client: TestClient, acme: Tenant) -> None:
    sign_in(client, acme.owner_email)
    empty = client.get(f"/console/apps/{acme.app_id}/home?lang=ja")
    assert JA["home.setup.title"] in _main(empty.text)
    assert JA["home.setup.waiting"] in _main(empty.text)
    _simulate(client, acme.app_id, 10, 10, 3)
    cards = client.get(f"/console/apps/{acme.app_id}/home")
    assert JA["home.card.funnel.title"] in _main(cards.text)
    assert JA["home.period.days"].format(count=30) in _main(cards.text)
