"""People and accounts pages (no browser): search, a person's profile with guidance, tasks and
survey answers, an account with its people, and who may see them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import Tenant, sign_in
from waypost.demo.seed import seed_content
from waypost.demo.simulate import Simulation, simulate
from waypost.i18n.catalog import messages
from waypost.tenancy.roles import Role

EN = messages("en")


def _main(html: str) -> str:
    """The page's own content (the whole catalogue rides along in a script for the page's JS)."""
    return html.split('<main id="main" tabindex="-1">')[1].split("</main>")[0]


def _send(client: TestClient, tenant: Tenant, *messages: dict[str, object]) -> None:
    sent = client.post(
        "/v1/batch", json={"writeKey": tenant.app.write_key, "batch": list(messages)}
    )
    assert sent.status_code == 200, sent.text


@pytest.fixture
def shop(client: TestClient, make_tenant: Callable[[str], Tenant], db: Session) -> Tenant:
    """An app with the demo's content and two known people in two accounts."""
    tenant = make_tenant("Shop")
    with db.begin():
        seed_content(db, tenant.app_id)
    _send(
        client,
        tenant,
        {"type": "identify", "userId": "ana-1", "anonymousId": "anon-9",
         "traits": {"email": "ana@tanaka.example", "name": "Ana Tanaka", "plan": "pro"}},
        {"type": "group", "userId": "ana-1", "groupId": "acct-tanaka",
         "traits": {"name": "Tanaka Trading", "plan": "pro", "employees": 40}},
        {"type": "track", "userId": "ana-1", "event": "Signed Up"},
        {"type": "track", "userId": "ana-1", "event": "$guide_shown",
         "properties": {"$content_id": "first-project", "$content_version": 1}},
        {"type": "track", "userId": "ana-1", "event": "$guide_completed",
         "properties": {"$content_id": "first-project", "$content_version": 1, "$content_step": 5}},
        {"type": "track", "userId": "ana-1", "event": "$task_completed",
         "properties": {"$content_id": "create-project", "$content_version": 1}},
        {"type": "track", "userId": "ana-1", "event": "$survey_answered",
         "properties": {"$content_id": "import-dropoff", "$content_version": 1,
                        "$question": "reason", "$answer": "format"}},
        {"type": "identify", "userId": "ben-2",
         "traits": {"email": "ben@kato.example", "name": "Ben Kato"}},
        {"type": "group", "userId": "ben-2", "groupId": "acct-kato",
         "traits": {"name": "Kato Labs"}},
        {"type": "track", "userId": "ben-2", "event": "Signed Up"},
    )  # fmt: skip
    return tenant


def _people(client: TestClient, tenant: Tenant, query: str) -> str:
    page = client.get(f"/console/apps/{tenant.app_id}/people{query}")
    assert page.status_code == 200
    return _main(page.text)


def test_people_are_found_by_email_name_and_any_id(client: TestClient, shop: Tenant) -> None:
    sign_in(client, shop.owner_email)
    for query in ("tanaka.example", "ANA TAN", "anon-9", "ana-1"):
        found = _people(client, shop, f"?q={query}")
        assert "Ana Tanaka" in found, query
        assert "Ben Kato" not in found, query
    everyone = _people(client, shop, "")
    assert "Ana Tanaka" in everyone and "Ben Kato" in everyone
    # A wildcard is taken as it is written, not as "anything".
    assert EN["people.none_match"].format(q="%") in _people(client, shop, "?q=%25")


def test_accounts_are_found_by_name_and_open_with_their_people(
    client: TestClient, shop: Tenant
) -> None:
    sign_in(client, shop.owner_email)
    found = _people(client, shop, "?show=accounts&q=trading")
    assert "Tanaka Trading" in found
    assert "Kato Labs" not in found
    account = client.get(f"/console/apps/{shop.app_id}/people/accounts/acct-tanaka")
    assert account.status_code == 200
    page = _main(account.text)
    assert "<h1>Tanaka Trading</h1>" in page
    assert "<code>employees</code>" in page
    assert "Ana Tanaka" in page
    assert "Ben Kato" not in page
    missing = client.get(f"/console/apps/{shop.app_id}/people/accounts/nobody")
    assert missing.status_code == 404


def test_a_profile_shows_ids_traits_guidance_tasks_and_answers(
    client: TestClient, shop: Tenant
) -> None:
    sign_in(client, shop.owner_email)
    profile = client.get(f"/console/apps/{shop.app_id}/people/persons/ana-1")
    assert profile.status_code == 200
    page = _main(profile.text)
    assert "<h1>Ana Tanaka</h1>" in page
    assert "<code>anon-9</code>" in page
    assert "Tanaka Trading" in page  # the account, with its traits
    assert "Create your first project" in page  # guidance seen, completed
    assert EN["people.state.completed"] in page
    assert "Create a project" in page  # the task done
    # The answer in words: the survey's name, the question's text and the option's label.
    assert "What stopped you?" in page
    assert "What stopped you from importing?" in page
    assert "My file&#39;s format" in page
    assert 'data-person="' in page  # the timeline loads from the events API


def test_a_builders_preview_is_not_listed_as_guidance_seen(
    client: TestClient, shop: Tenant
) -> None:
    _send(
        client,
        shop,
        {"type": "track", "userId": "ben-2", "event": "$guide_shown",
         "properties": {"$content_id": "first-project", "$content_version": 2,
                        "$preview": True}},
    )  # fmt: skip
    sign_in(client, shop.owner_email)
    page = _main(client.get(f"/console/apps/{shop.app_id}/people/persons/ben-2").text)
    assert "Create your first project" not in page
    assert "#preview" not in page


def test_an_unknown_person_is_a_console_404(client: TestClient, shop: Tenant) -> None:
    sign_in(client, shop.owner_email)
    missing = client.get(f"/console/apps/{shop.app_id}/people/persons/nobody")
    assert missing.status_code == 404
    assert EN["people.person.not_found"].format(id="nobody") in _main(missing.text)


def test_viewers_see_no_personal_data(
    client: TestClient, shop: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    sign_in(client, make_member(shop.workspace_id, Role.VIEWER, "viewer@shop.example"))
    for path in ("people", "people/persons/ana-1", "people/accounts/acct-tanaka"):
        page = client.get(f"/console/apps/{shop.app_id}/{path}")
        assert page.status_code == 403, path
        assert "Ana Tanaka" not in page.text


def test_search_on_simulated_customers_lists_the_most_recent_first(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    store = client.app.state.events  # type: ignore[attr-defined]
    simulate(store, tenant.app_id, Simulation(20, 10, 1, datetime.now(UTC).date()))
    sign_in(client, tenant.owner_email)
    page = _people(client, tenant, "")
    rows = page.count('<td class="seen">')
    assert 0 < rows <= 50
