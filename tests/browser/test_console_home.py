"""The app's home, settings and people pages, driven in real Chromium as a team would use them:
the home's cards over the demo's customers, an empty app's install steps turning into the
dashboard when its first event arrives, the member's own language, key controls by role, and a
person's profile with their events."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.console import ConsoleWorld, sign_in
from tests.browser.snippet import screenshot
from tests.conftest import PASSWORD, Tenant
from waypost.i18n.catalog import messages
from waypost.tenancy.roles import Role

pytestmark = pytest.mark.browser

EN = messages("en")
JA = messages("ja")
DIGITS = re.compile(r"\d")


def test_home_with_demo_data_shows_each_card_with_its_numbers(
    browser_page: Page, console_world: ConsoleWorld
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, console_world, Role.OWNER, then="home")

    cards = page.locator(".home-card")
    expect(cards).to_have_count(5)
    for title in ("onboarding", "ttv", "nps", "funnel"):
        card = cards.filter(has=page.get_by_role("heading", name=EN[f"home.card.{title}.title"]))
        metric = card.locator(".metric")
        expect(metric).to_have_text(DIGITS)
    onboarding = cards.filter(has_text=EN["home.card.onboarding.title"])
    expect(onboarding.locator(".share-bars li").first).to_contain_text("Email Verified")
    expect(cards.filter(has_text=EN["home.card.nps.title"])).to_contain_text(
        EN["home.card.nps.promoters"]
    )
    funnel = cards.filter(has_text=EN["home.card.funnel.title"])
    expect(funnel.locator(".chart svg")).to_be_visible()
    expect(funnel.locator(".chart")).to_have_attribute("aria-label", re.compile(r"^Signed Up: \d"))
    broken = cards.filter(has_text=EN["home.card.broken.title"])
    expect(broken).to_contain_text(EN["home.card.broken.none"])
    # Each card leads to its detail: the insights page with the card's query in the address.
    link = onboarding.get_by_role("link", name=EN["home.more.insights"])
    expect(link).to_have_attribute(
        "href", re.compile(r"/insights\?q=%7B%22kind%22%3A%22onboarding")
    )
    screenshot(page, "home")

    # Another period and a segment: the page reloads with both, and the cards answer again.
    page.get_by_label(EN["home.period"]).select_option("7")
    page.wait_for_url(re.compile(r"days=7"))
    page.get_by_label(EN["home.segment"]).select_option("trials")
    page.wait_for_url(re.compile(r"days=7.*segment=trials"))
    expect(cards.filter(has_text=EN["home.card.funnel.title"]).locator(".metric")).to_have_text(
        DIGITS
    )
    expect(page.locator("[data-card][aria-busy=true]")).to_have_count(0)
    expect(page.locator(".home-card .field-error")).to_have_count(0)


def test_an_empty_apps_home_shows_install_steps_and_becomes_the_dashboard(
    browser_page: Page, live_server: str, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Newco")
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/console/apps/{tenant.app_id}/home")
    page.get_by_label(EN["login.email"]).fill(tenant.owner_email)
    page.get_by_label(EN["login.password"]).fill(PASSWORD)
    page.get_by_role("button", name=EN["login.submit"]).click()

    expect(page.get_by_role("heading", name=EN["home.setup.title"])).to_be_visible()
    snippet = page.locator("#setup-snippet")
    expect(snippet).to_contain_text(f'data-key="{tenant.app.write_key}"')
    page.get_by_role("button", name=EN["home.setup.snippet.copy"]).click()
    expect(page.locator("#wp-toast")).to_have_text(EN["common.copied"])
    copied = page.evaluate("navigator.clipboard.readText()")
    script = (
        f'<script async src="{live_server}/sdk/v1/waypost.js" data-key="{tenant.app.write_key}">'
    )
    assert copied == script + "</script>"
    expect(page.get_by_role("status").filter(has_text=EN["home.setup.waiting"])).to_be_visible()
    screenshot(page, "home-empty")

    sent = httpx.post(
        f"{live_server}/v1/batch",
        json={
            "writeKey": tenant.app.write_key,
            "batch": [
                {"type": "track", "userId": "first-user", "event": "Signed Up"},
                {"type": "track", "userId": "first-user", "event": "Project Created"},
            ],
        },
    )
    assert sent.status_code == 200

    # The page notices by itself and turns into the dashboard, measuring what arrived.
    expect(page.get_by_role("heading", name=EN["home.card.ttv.title"])).to_be_visible()
    expect(page.locator("#home-empty")).to_have_count(0)
    expect(page.locator(".home-events .journey")).to_contain_text("Signed Up")


def test_an_owner_rotates_a_key_and_switches_the_console_to_japanese(
    browser_page: Page, console_world: ConsoleWorld
) -> None:
    page = browser_page
    sign_in(page, console_world, Role.OWNER, then="settings")
    expect(page.get_by_role("heading", level=1)).to_have_text(EN["nav.settings"])
    expect(page.locator("#keys-body tr")).to_have_count(2)
    screenshot(page, "settings")

    # The owner rotates the secret key: the new one is shown once, the old one works a day more.
    page.get_by_role("button", name=EN["settings.keys.rotate"]).click()
    expect(page.locator("#issued-key")).to_be_visible()
    expect(page.locator("#issued-value")).to_have_text(re.compile(r"^sk_\w{40}$"))
    expect(page.locator("#keys-body tr")).to_have_count(3)
    expect(
        page.locator("#keys-body tr").filter(has_text=EN["home.kind.secret"]).last
    ).not_to_contain_text(EN["home.key_never"])

    preferences = page.locator("#preferences")
    preferences.get_by_label(EN["settings.prefs.language"]).select_option("ja")
    preferences.get_by_label(EN["settings.prefs.timezone"], exact=True).select_option("Asia/Tokyo")
    preferences.get_by_role("button", name=EN["common.save"]).click()

    page.wait_for_url(re.compile(r"saved=preferences"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#preferences .saved")).to_contain_text(JA["common.saved"])
    expect(page.locator('meta[name="wp-timezone"]')).to_have_attribute("content", "Asia/Tokyo")

    # The next page follows the member's choice, without any ?lang= in the address.
    page.get_by_role("link", name=JA["nav.home"]).click()
    page.wait_for_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", name=JA["home.card.onboarding.title"])).to_be_visible()
    expect(page.get_by_label(JA["home.period"])).to_be_visible()


def test_a_viewer_has_no_key_controls_and_the_api_refuses_a_rotation(
    browser_page: Page, console_world: ConsoleWorld
) -> None:
    page = browser_page
    sign_in(page, console_world, Role.VIEWER, then="settings")
    expect(page.locator("#keys-body tr")).to_have_count(2)
    expect(page.get_by_text(EN["settings.keys.owner_only"])).to_be_visible()
    expect(page.get_by_role("button", name=EN["settings.keys.rotate"])).to_have_count(0)
    expect(page.get_by_role("button", name=EN["settings.keys.revoke"])).to_have_count(0)
    expect(page.locator("#identity-secret")).to_have_count(0)
    expect(page.get_by_label(EN["settings.budget.max_new"])).to_be_disabled()

    # Even a hand-made call with the session's CSRF token is refused by the API.
    status = page.evaluate(
        """(app) => wp.api(`/api/v1/apps/${app}/keys/rotate`,
                           {method: "POST", body: {kind: "secret"}, app: false})
                      .then(() => 201, (error) => error.status)""",
        console_world.app_id,
    )
    assert status == 403


def test_a_persons_profile_shows_their_events(
    browser_page: Page, console_world: ConsoleWorld
) -> None:
    page = browser_page
    sign_in(page, console_world, Role.ANALYST, then="people")
    rows = page.locator("table.people-table tbody tr")
    expect(rows.first).to_be_visible()
    name = rows.first.locator("td").first.inner_text()
    page.get_by_label(EN["people.search.persons"]).fill(name)
    page.get_by_role("button", name=EN["people.search.submit"]).click()
    expect(rows.first).to_contain_text(name)
    rows.first.get_by_role("link", name=name).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    timeline = page.locator("#timeline-body tr")
    expect(timeline.first.locator("td.when")).to_have_text(DIGITS)
    assert timeline.count() > 1
    expect(page.get_by_role("heading", name=EN["people.person.guidance"])).to_be_visible()
    screenshot(page, "person")

    # Only one kind of event: the timeline asks again.
    page.get_by_label(EN["people.timeline.filter"]).select_option("Signed Up")
    expect(timeline).to_have_count(1)
    expect(timeline.first).to_contain_text("Signed Up")
    # The account the person belongs to opens with its people.
    page.locator(".facts").get_by_role("link").click()
    expect(page.locator("table.people-table")).to_contain_text(name)
