"""The passive kinds and surveys rendered by waypost.js in real Chromium: a smart tip on hover and
focus, a launcher that starts a walkthrough, the help menu with its checklist (a task done by an
event in the page), search in Japanese, and an NPS survey with a jump, a thank-you step and a
follow-up; each checked by what the person sees and the events stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.snippet import publish, screenshot, stored_named
from tests.conftest import Tenant

pytestmark = pytest.mark.browser


def test_a_smart_tip_shows_on_hover_and_focus(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "smart_tip",
            "key": "email-tip",
            "name": "Email tip",
            "target": {"selector": "#email"},
            "title": {"en": "Work email"},
            "body": {"en": "Use the address your team knows."},
        },
    )
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    tip = page.locator("waypost-layer").get_by_role("tooltip")
    page.wait_for_function(
        "() => document.getElementById('email').hasAttribute('aria-describedby')"
    )
    expect(tip).to_have_count(0)
    page.hover("#email")
    expect(tip).to_contain_text("Use the address your team knows.")
    screenshot(page, "smart-tip")
    page.mouse.move(600, 600)
    expect(tip).to_have_count(0)
    page.focus("#email")  # keyboard users get it too
    expect(tip).to_be_visible()
    page.evaluate("() => waypost.flush()")
    assert len(stored_named(live_server, tenant, "$guide_shown")) == 1  # once per page


def test_a_launcher_starts_its_walkthrough(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "walkthrough",
            "key": "tour",
            "name": "Tour",
            "trigger": {"manual": True},
            "steps": [{"kind": "popup", "title": {"en": "A short tour"}}],
        },
        {
            "kind": "launcher",
            "key": "tour-launcher",
            "name": "Tour launcher",
            "target": {"selector": "#new-project"},
            "style": "button",
            "label": {"en": "Show me how"},
            "start": "tour",
        },
    )
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    launcher = page.locator("waypost-layer").get_by_role("button", name="Show me how")
    expect(launcher).to_be_visible()
    page.wait_for_timeout(500)
    expect(page.locator("waypost-layer").get_by_role("dialog")).to_have_count(0)  # manual only
    box = launcher.bounding_box()
    target = page.locator("#new-project").bounding_box()
    assert box and target and box["x"] >= target["x"] + target["width"]  # to its right
    screenshot(page, "launcher")
    launcher.click()
    expect(page.locator("waypost-layer").get_by_role("dialog", name="A short tour")).to_be_visible()
    page.evaluate("() => waypost.flush()")
    clicked = stored_named(live_server, tenant, "$guide_cta_clicked")
    assert clicked[0]["content_id"] == "tour-launcher"


def test_the_help_menu_lists_searches_and_ticks_off_the_checklist(
    chromium: Any, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "task",
            "key": "create-project",
            "name": "Create a project",
            "title": {"en": "Create a project", "ja": "プロジェクトを作成する"},
            "complete_when": {"event": "Project Created"},
        },
        {
            "kind": "task",
            "key": "invite",
            "name": "Invite",
            "title": {"en": "Invite a teammate", "ja": "チームメンバーを招待する"},
            "complete_when": {"event": "Teammate Invited"},
            "after": ["create-project"],
        },
        {
            "kind": "resource",
            "key": "import-guide",
            "name": "Import guide",
            "title": {"en": "Importing contacts", "ja": "連絡先のインポート方法"},
            "url": "/help/import",
            "text": {
                "en": "CSV files and spreadsheets",
                "ja": "CSVファイルや表計算ソフトから取り込めます",
            },
        },
        {
            "kind": "shuttle",
            "key": "book-a-call",
            "name": "Book a call",
            "url": "https://cal.example/acme",
            "label": {"en": "Book a call", "ja": "相談を予約する"},
        },
        {
            "kind": "menu",
            "key": "help",
            "name": "Help",
            "title": {"en": "Help", "ja": "ヘルプ"},
            "checklist_title": {"en": "Get started", "ja": "はじめに"},
            "sections": [
                {"title": {"en": "Guides", "ja": "ガイド"}, "items": ["import-guide"]},
                {"items": ["book-a-call", "create-project", "invite"]},
            ],
        },
    )
    context = chromium.new_context(locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(f"{site}/shop/ja.html")
        layer = page.locator("waypost-layer")
        layer.get_by_role("button", name="ヘルプ").click()
        menu = layer.get_by_role("dialog", name="ヘルプ")
        expect(menu).to_contain_text("はじめに")
        expect(menu.get_by_role("button", name="プロジェクトを作成する")).to_be_visible()
        invite = menu.get_by_role("button", name="チームメンバーを招待する")
        expect(invite).to_have_attribute("aria-disabled", "true")  # unlocks after the first
        expect(menu.get_by_role("link", name="相談を予約する")).to_have_attribute(
            "href", "https://cal.example/acme"
        )
        screenshot(page, "help-menu-ja")
        page.evaluate("() => waypost.track('Project Created')")
        expect(menu.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "50")
        expect(invite).not_to_have_attribute("aria-disabled", "true")
        # Search finds a resource by a word inside its text, with no spaces to split on.
        menu.get_by_role("searchbox").fill("表計算")
        expect(menu.get_by_role("link", name="連絡先のインポート方法")).to_be_visible()
        expect(menu.get_by_role("link", name="相談を予約する")).to_have_count(0)
        menu.get_by_role("searchbox").fill("存在しない言葉")
        expect(menu).to_contain_text("見つかりませんでした")
        page.keyboard.press("Escape")
        expect(menu).to_have_count(0)
        done = stored_named(live_server, tenant, "$task_completed")
        assert [e["content_id"] for e in done] == ["create-project"]
    finally:
        context.close()


def test_an_nps_survey_jumps_thanks_and_follows_up(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "shoutout",
            "key": "call-us",
            "name": "Call us",
            "trigger": {"manual": True},
            "title": {"en": "Can we help?"},
        },
        {
            "kind": "survey",
            "key": "nps",
            "name": "NPS",
            "questions": [
                {
                    "key": "score",
                    "type": "nps",
                    "text": {"en": "How likely are you to recommend us?"},
                    "low_label": {"en": "Not likely"},
                    "high_label": {"en": "Very likely"},
                    "jumps": [{"answer": {"gte": 9}, "to": "end"}],
                },
                {"key": "why", "type": "text", "text": {"en": "What is the main reason?"}},
            ],
            "thank_you": {"title": {"en": "Thank you!"}},
            "follow_ups": [{"question": "score", "answer": {"lte": 6}, "show": "call-us"}],
        },
    )
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    survey = page.locator("waypost-layer").get_by_role(
        "region", name="How likely are you to recommend us?"
    )
    expect(survey).to_be_visible()
    expect(survey).to_contain_text("Not likely")
    survey.get_by_role("button", name="Next").click()  # required: nothing happens unanswered
    expect(survey).to_be_visible()
    survey.get_by_role("button", name="3", exact=True).click()
    expect(survey.get_by_role("button", name="3", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    screenshot(page, "survey-nps")
    survey.get_by_role("button", name="Next").click()
    why = page.locator("waypost-layer").get_by_role("region", name="What is the main reason?")
    why.get_by_role("textbox").fill("Too slow to import")
    why.get_by_role("button", name="Done").click()
    thanks = page.locator("waypost-layer").get_by_role("region", name="Thank you!")
    thanks.get_by_role("button", name="Close").click()
    # The detractor's follow-up: the shoutout, started by the survey.
    expect(page.locator("waypost-layer").get_by_role("dialog", name="Can we help?")).to_be_visible()
    page.evaluate("() => waypost.flush()")
    answers = stored_named(live_server, tenant, "$survey_answered", 2)
    assert [(a["properties"]["$question"], a["properties"]["$answer"]) for a in answers] == [
        ("score", 3),
        ("why", "Too slow to import"),
    ]
    assert stored_named(live_server, tenant, "$survey_shown")[0]["content_id"] == "nps"


def test_a_walkthrough_for_another_page_waits_in_the_menu_until_started(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "walkthrough",
            "key": "billing-tour",
            "name": "Billing tour",
            "trigger": {"page": {"path": {"eq": "/shop/billing"}}},
            "steps": [{"kind": "popup", "title": {"en": "Your invoices"}}],
        },
        {
            "kind": "menu",
            "key": "help",
            "name": "Help",
            "title": {"en": "Help"},
            "sections": [{"title": {"en": "Guides"}, "items": ["billing-tour"]}],
        },
    )
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    layer = page.locator("waypost-layer")
    layer.get_by_role("button", name="Help").click()
    entry = layer.get_by_role("dialog", name="Help").get_by_role("button", name="Billing tour")
    expect(entry).to_be_visible()
    expect(layer.get_by_role("dialog", name="Your invoices")).to_have_count(0)  # not by itself
    entry.click()
    expect(layer.get_by_role("dialog", name="Your invoices")).to_be_visible()


def test_the_apps_theme_dresses_every_item_under_the_items_own(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    settings = httpx.get(f"{live_server}/api/v1/guidance/settings", headers=tenant.bearer())
    body = {k: v for k, v in settings.json().items() if k != "identity_secret"}
    body["theme"] = {"accent": "#b3261e", "radius": 2}
    saved = httpx.put(f"{live_server}/api/v1/guidance/settings", json=body, headers=tenant.bearer())
    assert saved.status_code == 200, saved.text
    publish(
        live_server,
        tenant,
        {"kind": "shoutout", "key": "plain", "name": "Plain", "style": "modal",
         "title": {"en": "App colours"},
         "buttons": [{"label": {"en": "OK"}, "action": "complete"}]},
        {"kind": "smart_tip", "key": "own", "name": "Own", "target": {"selector": "#email"},
         "body": {"en": "Its own accent"}, "theme": {"accent": "#1b7a3d"}},
    )  # fmt: skip
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    layer = page.locator("waypost-layer")
    expect(layer.get_by_role("dialog", name="App colours")).to_be_visible()

    def variable(key: str, name: str) -> str:
        return str(
            page.evaluate(
                "([key, name]) => document.querySelector('waypost-layer').shadowRoot"
                ".querySelector(`[data-key='${key}']`).style.getPropertyValue(name)",
                [key, name],
            )
        )

    # The app's accent and radius; the tip keeps its own accent and takes the app's radius.
    assert (variable("plain", "--wp-accent"), variable("plain", "--wp-radius")) == (
        "#b3261e",
        "2px",
    )
    layer.get_by_role("button", name="OK").click()
    page.hover("#email")
    expect(layer.get_by_role("tooltip")).to_contain_text("Its own accent")
    assert (variable("own", "--wp-accent"), variable("own", "--wp-radius")) == ("#1b7a3d", "2px")
