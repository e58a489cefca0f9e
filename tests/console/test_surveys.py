"""Surveys, Impact and Events and actions without a browser: who may open which page and see
which controls, the results page built from the survey's document (questions, follow-ups in
words, segments, filters from the URL), Japanese rendering, and defining an action only with
the builder role and the session's CSRF token."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import Tenant, sign_in
from waypost.console.views.surveys import condition_words
from waypost.demo.seed import seed_content
from waypost.guidance.conditions import Match
from waypost.i18n.catalog import messages
from waypost.tenancy.roles import Role

EN = messages("en")
JA = messages("ja")
CLICK = {"event": "$autocapture", "selector": "button#upgrade", "text": "Upgrade now"}


def _text(message: str) -> str:
    """A message as the page's HTML holds it (escaped)."""
    return html.escape(message)


@pytest.fixture
def acme(make_tenant: Callable[[str], Tenant], db: Session) -> Tenant:
    """A workspace whose app holds the demo's content (surveys nps and import-dropoff)."""
    tenant = make_tenant("Acme")
    with db.begin():
        seed_content(db, tenant.app_id)
    return tenant


@pytest.fixture
def member(acme: Tenant, make_member: Callable[[str, Role, str], str]) -> Callable[[Role], str]:
    """The email of a new member of the workspace with a role."""
    return lambda role: make_member(acme.workspace_id, role, f"{role.value}@acme.example")


def test_a_viewer_reads_surveys_and_impact_but_not_the_raw_events(
    client: TestClient, acme: Tenant, member: Callable[[Role], str]
) -> None:
    sign_in(client, member(Role.VIEWER))

    for section in ("surveys", "surveys/nps", "impact"):
        assert client.get(f"/console/apps/{acme.app_id}/{section}").status_code == 200, section
    events = client.get(f"/console/apps/{acme.app_id}/events")

    assert events.status_code == 403
    assert _text(EN["error.forbidden"]) in events.text
    # Nor is Events offered in the navigation.
    surveys = client.get(f"/console/apps/{acme.app_id}/surveys")
    assert f"/console/apps/{acme.app_id}/events" not in surveys.text


def test_an_analyst_reads_events_and_only_a_builder_gets_the_action_editor(
    client: TestClient, acme: Tenant, member: Callable[[Role], str]
) -> None:
    sign_in(client, member(Role.ANALYST))
    analyst = client.get(f"/console/apps/{acme.app_id}/events")
    client.cookies.clear()
    sign_in(client, member(Role.BUILDER))
    builder = client.get(f"/console/apps/{acme.app_id}/events")

    assert analyst.status_code == builder.status_code == 200
    assert 'data-can-define="false"' in analyst.text
    assert 'id="action-form"' not in analyst.text
    assert _text(EN["events.intro"]) in analyst.text
    assert 'data-can-define="true"' in builder.text
    assert 'id="action-form"' in builder.text
    assert _text(EN["events.define"]) in builder.text


def test_defining_an_action_needs_the_builder_role_and_the_sessions_csrf_token(
    client: TestClient, acme: Tenant, member: Callable[[Role], str]
) -> None:
    url = f"/api/v1/actions?app_id={acme.app_id}"
    action = {"name": "Clicked Upgrade", "steps": [CLICK]}
    csrf = sign_in(client, member(Role.ANALYST))
    refused = client.post(url, json=action, headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    csrf = sign_in(client, member(Role.BUILDER))
    without_token = client.post(url, json=action)
    made = client.post(url, json=action, headers={"X-CSRF-Token": csrf})
    again = client.post(url, json=action, headers={"X-CSRF-Token": csrf})

    assert refused.status_code == 403
    assert without_token.status_code == 403
    assert made.status_code == 201, made.text
    # The page tells the member to choose another name on this answer.
    assert again.status_code == 409
    assert [a["name"] for a in client.get(url).json()] == ["Clicked Upgrade"]


def test_the_survey_list_shows_the_apps_surveys_and_nothing_else(
    client: TestClient, acme: Tenant
) -> None:
    sign_in(client, acme.owner_email)

    page = client.get(f"/console/apps/{acme.app_id}/surveys")

    rows = re.findall(r'<tr data-survey="([^"]+)"', page.text)
    assert sorted(rows) == ["import-dropoff", "nps"]
    assert "first-project" not in page.text
    assert f'href="/console/apps/{acme.app_id}/surveys/nps"' in page.text


def test_results_lay_out_each_question_with_its_follow_ups_in_words(
    client: TestClient, acme: Tenant
) -> None:
    sign_in(client, acme.owner_email)

    nps = client.get(f"/console/apps/{acme.app_id}/surveys/nps")
    dropoff = client.get(f"/console/apps/{acme.app_id}/surveys/import-dropoff")

    assert nps.status_code == 200
    sections = re.findall(
        r"<section class=\"question\" id=\"q-([^\"]+)\" data-question='([^']+)'", nps.text
    )
    assert [key for key, _ in sections] == ["score", "why"]
    score = json.loads(html.unescape(sections[0][1]))
    assert (score["type"], score["group"], score["low"], score["high"]) == ("nps", "scale", 0, 10)
    assert json.loads(html.unescape(sections[1][1]))["group"] == "text"
    assert "How likely are you to recommend Acme CRM to a colleague?" in nps.text
    condition = EN["surveys.when.lte"].format(value=6)
    assert (
        _text(EN["surveys.follow_ups.condition"].format(number=1, condition=condition)) in nps.text
    )
    assert "call-offer" in nps.text
    # A choice's option is said by its label, not its key.
    chosen = EN["surveys.when.eq"].format(value="My file's format")
    assert chosen in html.unescape(dropoff.text)
    # The breakdown offers the app's saved segments, by name.
    segments = re.search(r'id="survey-segments">(.*?)</script>', nps.text)
    assert segments is not None
    assert {"key": "admins", "name": "Admins"} in json.loads(segments.group(1))


def test_results_take_their_period_interval_and_breakdown_from_the_url(
    client: TestClient, acme: Tenant
) -> None:
    sign_in(client, acme.owner_email)
    base = f"/console/apps/{acme.app_id}/surveys/nps"

    chosen = client.get(f"{base}?from=2026-09-01&to=2026-11-30&interval=month&by=person&trait=role")
    nonsense = client.get(f"{base}?from=yesterday&interval=hour&by=everything")

    assert 'name="from" value="2026-09-01"' in chosen.text
    assert 'name="to" value="2026-11-30"' in chosen.text
    assert re.search(r'<option value="month" selected>', chosen.text)
    assert re.search(r'<option value="person" selected>', chosen.text)
    assert 'name="trait" value="role"' in chosen.text
    assert nonsense.status_code == 200
    assert re.search(r'<option value="week" selected>', nonsense.text)
    assert re.search(r'<option value="" selected>', nonsense.text)


def test_a_missing_survey_or_another_kind_of_item_is_the_consoles_not_found_page(
    client: TestClient, acme: Tenant
) -> None:
    sign_in(client, acme.owner_email)

    for key in ("no-such-survey", "first-project"):
        page = client.get(f"/console/apps/{acme.app_id}/surveys/{key}")
        assert page.status_code == 404, key
        assert _text(EN["surveys.not_found"]) in page.text


def test_the_pages_speak_japanese_with_the_surveys_own_japanese_texts(
    client: TestClient, acme: Tenant
) -> None:
    sign_in(client, acme.owner_email)

    results = client.get(f"/console/apps/{acme.app_id}/surveys/nps?lang=ja")
    impact = client.get(f"/console/apps/{acme.app_id}/impact")
    events = client.get(f"/console/apps/{acme.app_id}/events")

    assert '<html lang="ja">' in results.text
    assert "Acme CRM を同僚にすすめる可能性はどのくらいですか" in results.text
    assert JA["surveys.filters.by_segments"] in results.text
    assert (
        JA["surveys.follow_ups.condition"].format(
            number=1, condition=JA["surveys.when.lte"].format(value=6)
        )
        in results.text
    )
    # The language chosen once stays for the next pages.
    assert JA["impact.renewal.title"] in impact.text
    assert JA["impact.renewal.mode_measure"] in impact.text
    assert JA["events.stream"] in events.text


def test_impact_offers_the_apps_items_with_the_onboarding_walkthrough_first(
    client: TestClient, acme: Tenant
) -> None:
    sign_in(client, acme.owner_email)

    page = client.get(f"/console/apps/{acme.app_id}/impact")

    assert re.search(r'<option value="first-project" title="first-project" selected>', page.text)
    for name in ("new_customers", "completion_before", "annual_contract_value"):
        assert f'id="renewal-{name}"' in page.text
    assert 'value="Signed Up"' in page.text
    assert 'value="status"' in page.text


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ({"lte": 6}, "6 or less"),
        ({"gte": 9}, "9 or more"),
        ({"gte": 7, "lte": 8}, "7 or more and 8 or less"),
        ({"in": ["format", "time"]}, "one of My file's format, time"),
        ({"contains": "slow"}, "holding “slow”"),
        ({}, "anything"),
    ],
)
def test_a_follow_ups_condition_reads_as_words(match: dict[str, object], expected: str) -> None:
    labels = {"format": "My file's format"}
    assert condition_words(Match.model_validate(match), "en", labels) == expected


def test_who_answered_is_named_only_to_members_who_may_read_people(
    client: TestClient, acme: Tenant, member: Callable[[Role], str]
) -> None:
    url = f"/console/apps/{acme.app_id}/surveys/nps"
    sign_in(client, member(Role.VIEWER))
    viewer = client.get(url)
    client.cookies.clear()
    sign_in(client, member(Role.BUILDER))
    builder = client.get(url)

    assert 'data-people=""' in viewer.text
    assert f'data-people="/console/apps/{acme.app_id}/people/persons/"' in builder.text
    # Only a builder is offered to edit the survey.
    edit = f'href="/console/apps/{acme.app_id}/content/item/nps"'
    assert edit not in viewer.text
    assert edit in builder.text
