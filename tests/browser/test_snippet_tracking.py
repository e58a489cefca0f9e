"""waypost.js tracking in real Chromium, on a fixture site of another origin: page views on load
and on every route change, identify/track/group, clicks on engaged elements (never what was
typed, never password fields, not under the opt-out attribute), events kept while offline or
when a request is dropped and stored exactly once, a beacon when the page goes away, the
`?key=` install form, and a strict Content-Security-Policy with no violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.snippet import named, ready, stored
from tests.conftest import Tenant

pytestmark = pytest.mark.browser


def test_page_views_on_load_and_on_every_route_change(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    ready(page)
    page.click("#spa-projects")  # history.pushState
    page.click("#hash-link")  # hashchange
    page.go_back()  # popstate (back to /shop/projects)
    page.evaluate("() => history.replaceState({}, '', '/shop/projects?tab=2')")
    page.evaluate("() => waypost.flush()")
    events = stored(live_server, tenant, lambda es: len(named(es, "$page")) >= 5)
    pages = named(events, "$page")
    assert [p["path"] for p in pages] == [
        "/shop/index.html",
        "/shop/projects",
        "/shop/projects",
        "/shop/projects",
        "/shop/projects",
    ]
    assert [p["url"].split("/shop/")[1] for p in pages] == [
        "index.html",
        "projects",
        "projects#billing",
        "projects",
        "projects?tab=2",
    ]
    first = pages[0]
    assert first["properties"]["title"] == "Shop home"
    assert first["context"]["library"]["name"] == "waypost.js"
    assert first["session_id"] and all(p["session_id"] == first["session_id"] for p in pages)
    assert len({p["message_id"] for p in pages}) == 5
    assert all(p["anonymous_id"] == first["anonymous_id"] for p in pages)


def test_identify_track_and_group_carry_the_user_and_their_hash(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    ready(page)
    page.evaluate(
        """() => {
          waypost.identify('user-7', {plan: 'trial'}, {userHash: 'abc123'});
          waypost.group('acct-1', {employees: 20});
          waypost.track('Project Created', {size: 3});
          waypost.flush();
        }"""
    )
    events = stored(live_server, tenant, lambda es: bool(named(es, "Project Created")))
    identify = named(events, "$identify")[0]
    assert identify["user_id"] == "user-7"
    assert identify["properties"] == {"plan": "trial"}
    assert identify["context"]["userHash"] == "abc123"
    created = named(events, "Project Created")[0]
    assert created["user_id"] == "user-7"
    assert created["properties"] == {"size": 3}
    assert created["account_id"] == "acct-1"
    assert created["anonymous_id"] == identify["anonymous_id"]
    page.evaluate("() => { waypost.reset(); waypost.track('After Reset'); waypost.flush(); }")
    after = named(
        stored(live_server, tenant, lambda es: bool(named(es, "After Reset"))), "After Reset"
    )
    assert after[0]["user_id"] is None
    assert after[0]["anonymous_id"] != identify["anonymous_id"]


def test_clicks_on_engaged_elements_are_captured_but_never_what_was_typed(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    ready(page)
    page.fill("#email", "secret@example.com")
    page.click("#password")
    page.fill("#password", "hunter2")
    page.click("#agree")
    page.click("#private")
    page.click("h1")  # not an engaged element
    page.click("#new-project")
    page.evaluate("() => waypost.flush()")
    events = stored(
        live_server,
        tenant,
        lambda es: any(e["element_text"] == "New project" for e in named(es, "$autocapture")),
    )
    clicks = named(events, "$autocapture")
    # Typing fields (and their labels' clicks into them) are not actions; the opt-out holds.
    assert [(c["element_selector"], c["element_text"]) for c in clicks] == [
        ("#agree", "I agree"),
        ("#new-project", "New project"),
    ]
    assert clicks[1]["properties"]["$element_tag"] == "button"
    texts = repr(events)
    assert "secret@example.com" not in texts
    assert "hunter2" not in texts
    assert not any(c["element_selector"] == "#password" for c in clicks)
    assert not any(c["element_text"] == "Private action" for c in clicks)


def test_events_made_offline_survive_a_reload_and_are_stored_once(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    ready(page)
    page.evaluate("() => waypost.flush()")
    stored(live_server, tenant, lambda es: bool(named(es, "$page")))
    page.context.set_offline(True)
    page.evaluate("() => { for (let i = 0; i < 5; i++) waypost.track('Offline ' + i); }")
    page.wait_for_timeout(1500)  # the first attempt fails and is kept
    waiting = page.evaluate(
        "() => JSON.parse(localStorage.getItem(Object.keys(localStorage)"
        ".find(k => k.endsWith(':outbox')))).length"
    )
    assert waiting >= 5
    page.context.set_offline(False)
    page.reload()  # the next page sends what the last one left
    ready(page)
    events = stored(
        live_server, tenant, lambda es: sum(e["event"].startswith("Offline ") for e in es) >= 5
    )
    page.wait_for_timeout(1000)  # a late duplicate would have arrived by now
    events = stored(live_server, tenant, lambda es: True)
    offline = [e["event"] for e in events if e["event"].startswith("Offline ")]
    # Each once (the five share a millisecond, so their stored order is by message id).
    assert sorted(offline) == [f"Offline {i}" for i in range(5)]


def test_a_dropped_request_is_retried_and_stored_once(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    page = browser_page
    dropped: list[str] = []

    def drop_first(route: Any) -> None:
        if not dropped:
            dropped.append(route.request.post_data or "")
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(f"{live_server}/v1/batch", drop_first)
    page.goto(f"{site}/shop/index.html")
    ready(page)
    page.evaluate("() => { waypost.track('Kept Through A Drop'); waypost.flush(); }")
    events = stored(live_server, tenant, lambda es: bool(named(es, "Kept Through A Drop")))
    assert dropped, "the first request was not dropped"
    page.wait_for_timeout(1000)
    events = stored(live_server, tenant, lambda es: True)
    assert len(named(events, "Kept Through A Drop")) == 1
    assert len(named(events, "$page")) == 1


def test_events_of_a_page_left_at_once_are_sent_as_it_goes(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    ready(page)
    # Tracked and left for another site in the same moment: no later page of this site will
    # send it, so only the beacon on page hide can.
    page.evaluate("() => waypost.track('Left At Once')")
    page.goto("about:blank")
    events = stored(live_server, tenant, lambda es: bool(named(es, "Left At Once")))
    assert len(named(events, "Left At Once")) == 1


def test_the_key_can_come_from_the_script_url(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    page = browser_page
    page.goto(f"{site}/shop/other.html")
    ready(page)
    page.evaluate("() => waypost.flush()")
    events = stored(live_server, tenant, lambda es: bool(named(es, "$page")))
    assert named(events, "$page")[0]["path"] == "/shop/other.html"


def test_it_works_under_a_strict_content_security_policy(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    page = browser_page
    page.goto(f"{site}/shop/strict.html")
    ready(page)
    page.click("#buy")
    page.evaluate("() => waypost.flush()")
    events = stored(live_server, tenant, lambda es: bool(named(es, "$autocapture")))
    assert named(events, "$autocapture")[0]["element_text"] == "Buy"
    assert page.evaluate("() => window.violations") == []


def test_a_failure_inside_the_snippet_is_reported_not_thrown_into_the_page(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{site}/shop/index.html")
    ready(page)
    returned = page.evaluate(
        "() => { const loop = {}; loop.self = loop; waypost.track('Bad', loop); return 'went on'; }"
    )
    assert returned == "went on"
    page.evaluate("() => waypost.flush()")
    events = stored(live_server, tenant, lambda es: bool(named(es, "$waypost_error")))
    report = named(events, "$waypost_error")[0]["properties"]
    assert report["where"] == "track"
    assert "circular" in report["message"].lower()
    assert errors == []
