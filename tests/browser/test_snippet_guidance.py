"""Guidance rendered by waypost.js in real Chromium, on a cross-origin fixture site, with content
published through the admin API: a shoutout used with the keyboard, a walkthrough followed with
the mouse (a tooltip advanced by clicking its element, a popup, "n of total"), resumed after a
reload, and the guidance events stored on the server; decide then stops offering what is done."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.snippet import Events, publish, ready, screenshot, stored, stored_named
from tests.conftest import Tenant

pytestmark = pytest.mark.browser


def _guidance(live_server: str, tenant: Tenant, wanted: int) -> list[tuple[str, Any]]:
    """(event, $content_step) of the stored guidance events, oldest first, once there are
    `wanted` of them."""

    def guide(events: Events) -> list[tuple[str, Any]]:
        return [(e["event"], e["content_step"]) for e in events if e["event"].startswith("$guide")]

    return guide(stored(live_server, tenant, lambda events: len(guide(events)) >= wanted))


WALKTHROUGH = {
    "kind": "walkthrough",
    "key": "first-project",
    "name": "Create your first project",
    "steps": [
        {
            "kind": "tooltip",
            "target": {"selector": "#new-project", "text": "New project"},
            "title": {"en": "Start here", "ja": "ここから始めましょう"},
            "body": {"en": "Create a project to hold your **contacts**."},
            "advance": "click",
        },
        {
            "kind": "tooltip",
            "target": {"selector": "#hash-link"},
            "title": {"en": "Billing lives here"},
            "placement": "right",
        },
        {"kind": "popup", "title": {"en": "Done!", "ja": "完了です"}},
    ],
}


def test_a_walkthrough_is_followed_with_the_mouse_and_resumes_after_a_reload(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(live_server, tenant, WALKTHROUGH)
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    layer = page.locator("waypost-layer")
    first = layer.get_by_role("region", name="Start here")
    expect(first).to_be_visible()
    expect(first).to_contain_text("1 of 3")
    expect(first.locator("strong")).to_have_text("contacts")  # Markdown, made safe
    expect(first.get_by_role("button", name="Next")).to_have_count(0)  # advanced by a click
    screenshot(page, "walkthrough-tooltip")
    box = first.bounding_box()
    target = page.locator("#new-project").bounding_box()
    assert box and target and box["y"] >= target["y"] + target["height"]  # below its element
    page.click("#new-project")
    second = layer.get_by_role("region", name="Billing lives here")
    expect(second).to_contain_text("2 of 3")
    page.evaluate("() => waypost.flush()")
    _guidance(live_server, tenant, 3)
    page.reload()  # resumes at the step it was on
    second = page.locator("waypost-layer").get_by_role("region", name="Billing lives here")
    expect(second).to_be_visible()
    second.get_by_role("button", name="Next").click()
    last = page.locator("waypost-layer").get_by_role("dialog", name="Done!")
    expect(last).to_contain_text("3 of 3")
    screenshot(page, "walkthrough-popup")
    last.get_by_role("button", name="Done").click()
    expect(page.locator("waypost-layer").get_by_role("dialog")).to_have_count(0)
    page.evaluate("() => waypost.flush()")
    events = _guidance(live_server, tenant, 6)
    # Shown and its first step are sent in the same millisecond: either may be stored first.
    assert ("$guide_shown", None) in events[:2]
    viewed = [step for name, step in events if name == "$guide_step_viewed"]
    assert viewed[:2] == [0, 1] and viewed[-1] == 2
    assert events[-1][0] == "$guide_completed"
    assert [name for name, _ in events].count("$guide_shown") == 1  # the reload resumed it
    # Completed: the next page view shows nothing.
    page.reload()
    page.wait_for_function("() => window.waypost && window.waypost.version")
    page.wait_for_timeout(1000)
    expect(page.locator("waypost-layer").get_by_role("region")).to_have_count(0)


def test_a_shoutout_is_used_with_the_keyboard_in_japanese(
    chromium: Any, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "shoutout",
            "key": "welcome",
            "name": "Welcome",
            "title": {"en": "Welcome aboard", "ja": "ようこそ"},
            "body": {
                "en": "Three steps get you started.",
                "ja": (
                    "三つのステップで始められます。長い日本語の文章でも単語の途中で"
                    "不自然に折り返さず、枠からはみ出さないことを確かめます。"
                ),
            },
            "buttons": [
                {"label": {"en": "Later", "ja": "あとで"}, "action": "dismiss"},
                {"label": {"en": "Show me", "ja": "見てみる"}, "action": "complete"},
            ],
        },
    )
    context = chromium.new_context(locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(f"{site}/shop/ja.html")  # the page's language picks the texts
        dialog = page.locator("waypost-layer").get_by_role("dialog", name="ようこそ")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("button", name="見てみる")).to_be_focused()  # focus moved in
        box = dialog.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
        screenshot(page, "shoutout-modal-ja")
        page.keyboard.press("Shift+Tab")
        expect(dialog.get_by_role("button", name="あとで")).to_be_focused()
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        page.evaluate("() => waypost.flush()")
        events = _guidance(live_server, tenant, 2)
        assert [name for name, _ in events] == ["$guide_shown", "$guide_dismissed"]
    finally:
        context.close()


def test_one_interruption_at_a_time_across_the_persons_tabs(
    chromium: Any, site: str, live_server: str, tenant: Tenant
) -> None:
    for key, priority in (("first", 10), ("second", 0)):
        publish(
            live_server,
            tenant,
            {
                "kind": "shoutout",
                "key": key,
                "name": key,
                "priority": priority,
                "title": {"en": f"The {key} news"},
            },
        )
    context = chromium.new_context()  # one browser: two tabs share its storage
    try:
        one = context.new_page()
        one.goto(f"{site}/shop/index.html")
        first = one.locator("waypost-layer").get_by_role("dialog", name="The first news")
        expect(first).to_be_visible()
        two = context.new_page()
        two.goto(f"{site}/shop/index.html")
        two.wait_for_function("() => window.waypost && window.waypost.version")
        two.wait_for_timeout(1500)
        expect(two.locator("waypost-layer").get_by_role("dialog")).to_have_count(0)
        first.get_by_role("button", name="Done").click()
        # Finished in the first tab: the second tab shows the next one, never the first again.
        expect(
            two.locator("waypost-layer").get_by_role("dialog", name="The second news")
        ).to_be_visible()
        expect(
            one.locator("waypost-layer").get_by_role("dialog", name="The first news")
        ).to_have_count(0)
        expect(
            two.locator("waypost-layer").get_by_role("dialog", name="The first news")
        ).to_have_count(0)
        one.wait_for_timeout(1500)  # the first tab asked decide again meanwhile
        shown = [
            tab.locator("waypost-layer").get_by_role("dialog", name="The second news").count()
            for tab in (one, two)
        ]
        assert shown == [0, 1]
    finally:
        context.close()


def test_cards_follow_a_right_to_left_page(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {"kind": "shoutout", "key": "hello", "name": "Hello", "title": {"en": "Hello"}},
    )
    page = browser_page
    page.goto(f"{site}/shop/rtl.html")
    dialog = page.locator("waypost-layer").get_by_role("dialog", name="Hello")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    close = dialog.get_by_role("button", name="Close").bounding_box()
    assert box and close
    assert close["x"] < box["x"] + box["width"] / 2  # the close button sits at the start: left


def test_a_task_done_from_the_backend_is_reported_by_the_snippet(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    page = browser_page
    publish(
        live_server,
        tenant,
        {
            "kind": "task",
            "key": "import",
            "name": "Import",
            "title": {"en": "Import your contacts"},
            "complete_when": {"event": "Contacts Imported"},
        },
    )
    page.goto(f"{site}/shop/index.html")
    ready(page)
    page.evaluate("() => waypost.identify('ann-42')")
    # The customer's backend reports the event: the browser never sees it happen.
    sent = httpx.post(
        f"{live_server}/v1/batch",
        json={
            "writeKey": tenant.app.write_key,
            "batch": [{"type": "track", "event": "Contacts Imported", "userId": "ann-42"}],
        },
    )
    assert sent.status_code == 200, sent.text
    page.reload()
    ready(page)
    page.evaluate("() => waypost.flush()")
    reported = stored_named(live_server, tenant, "$task_completed")
    assert [(e["content_id"], e["user_id"]) for e in reported] == [("import", "ann-42")]
