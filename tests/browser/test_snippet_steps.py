"""The rest of what waypost.js renders, in real Chromium: a walkthrough's auto, split, wait and
action steps; a step on another page reached by a button; a missing target skipped and reported;
triggers watched in the browser (a delay, a click on an element, exit intent, scroll depth);
survey choice questions with "other"; banner and slide-out shoutouts; guidance under a strict
Content-Security-Policy."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.snippet import publish, screenshot, stored_named
from tests.conftest import Tenant

pytestmark = pytest.mark.browser


def _layer(page: Page) -> Any:
    return page.locator("waypost-layer")


def test_auto_split_wait_and_action_steps(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "walkthrough",
            "key": "setup",
            "name": "Setup",
            "steps": [
                {
                    "kind": "auto",
                    "target": {"selector": "#email"},
                    "auto": {"do": "type", "value": "ana@example.com"},
                },
                {
                    "kind": "split",
                    "split": {
                        "when": {"trait": {"plan": {"eq": "pro"}}},
                        "then": "pro-step",
                        "otherwise": "free-step",
                    },
                },
                {"kind": "popup", "key": "pro-step", "title": {"en": "For pro plans"}},
                {
                    "kind": "tooltip",
                    "key": "free-step",
                    "target": {"selector": "#new-project"},
                    "title": {"en": "Make a project"},
                    "advance": "click",
                },
                {"kind": "wait", "wait": {"event": "Project Created", "timeout_seconds": 30}},
                {"kind": "action", "action": {"track": "Setup Nudged"}},
                {"kind": "popup", "title": {"en": "All set"}},
            ],
        },
    )
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    tip = _layer(page).get_by_role("region", name="Make a project")
    expect(tip).to_be_visible()  # the split went the free plan's way
    expect(page.locator("#email")).to_have_value("ana@example.com")  # typed for the person
    page.click("#new-project")
    expect(tip).to_have_count(0)
    page.wait_for_timeout(300)
    expect(_layer(page).get_by_role("dialog")).to_have_count(0)  # waiting for the event
    page.evaluate("() => waypost.track('Project Created')")
    done = _layer(page).get_by_role("dialog", name="All set")
    expect(done).to_be_visible()
    expect(_layer(page).get_by_role("dialog", name="For pro plans")).to_have_count(0)
    page.evaluate("() => waypost.flush()")
    assert stored_named(live_server, tenant, "Setup Nudged")[0]["content_id"] == "setup"


def test_a_missing_target_is_skipped_and_a_step_waits_for_its_page(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "walkthrough",
            "key": "travel",
            "name": "Travel",
            "steps": [
                {
                    "kind": "tooltip",
                    "target": {"selector": "#gone", "text": "Not on any page"},
                    "title": {"en": "Never seen"},
                    "on_missing": "skip",
                    "wait_seconds": 1,
                },
                {
                    "kind": "popup",
                    "title": {"en": "Let us go elsewhere"},
                    "buttons": [
                        {"label": {"en": "Take me"}, "action": "url", "url": "/shop/other.html"}
                    ],
                },
                {
                    "kind": "tooltip",
                    "page": {"path": {"eq": "/shop/other.html"}},
                    "target": {"selector": "#back"},
                    "title": {"en": "You made it"},
                },
            ],
        },
    )
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    go = _layer(page).get_by_role("dialog", name="Let us go elsewhere")
    expect(go).to_be_visible()
    go.get_by_role("button", name="Take me").click()
    page.wait_for_url("**/shop/other.html")
    arrived = page.locator("waypost-layer").get_by_role("region", name="You made it")
    expect(arrived).to_be_visible()
    expect(arrived).to_contain_text("3 of 3")  # counted as written, the skipped one too
    page.evaluate("() => waypost.flush()")
    missing = stored_named(live_server, tenant, "$guide_target_missing")
    assert missing[0]["content_step"] == 0
    assert missing[0]["properties"]["$target_result"] == "not_found"


def test_triggers_watched_in_the_browser(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    def shoutout(key: str, trigger: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": "shoutout",
            "key": key.replace(" ", "-"),
            "name": key,
            "title": {"en": key},
            "trigger": trigger,
        }

    publish(
        live_server,
        tenant,
        shoutout("after a while", {"delay_seconds": 1.5}),
        shoutout("on a click", {"element": {"target": {"selector": "#agree"}, "on": "click"}}),
        shoutout("leaving", {"exit_intent": True}),
    )
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    page.wait_for_timeout(700)
    expect(_layer(page).get_by_role("dialog")).to_have_count(0)  # nothing fired yet
    later = _layer(page).get_by_role("dialog", name="after a while")
    expect(later).to_be_visible()
    later.get_by_role("button", name="Done").click()
    page.wait_for_timeout(800)
    expect(_layer(page).get_by_role("dialog")).to_have_count(0)
    page.click("#agree")
    clicked = _layer(page).get_by_role("dialog", name="on a click")
    expect(clicked).to_be_visible()
    clicked.get_by_role("button", name="Done").click()
    page.wait_for_timeout(800)
    page.mouse.move(400, 300)
    page.mouse.move(400, 0)
    page.evaluate(
        "() => document.dispatchEvent("
        "new MouseEvent('mouseout', {clientY: -1, relatedTarget: null}))"
    )
    expect(_layer(page).get_by_role("dialog", name="leaving")).to_be_visible()


def test_a_scroll_depth_trigger(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "shoutout",
            "key": "deep-reader",
            "name": "Deep reader",
            "style": "slideout",
            "title": {"en": "You read a lot"},
            "trigger": {"scroll_percent": 80},
        },
    )
    page = browser_page
    page.goto(f"{site}/targets/widgets.html")
    page.wait_for_function("() => window.waypost && window.waypost.version")
    page.wait_for_timeout(800)
    expect(_layer(page).get_by_role("region", name="You read a lot")).to_have_count(0)
    page.mouse.wheel(0, 20000)
    card = _layer(page).get_by_role("region", name="You read a lot")
    expect(card).to_be_visible()
    box = card.bounding_box()
    viewport = page.viewport_size
    assert box and viewport
    assert box["x"] + box["width"] > viewport["width"] - 40  # a slide-out: bottom right
    assert box["y"] + box["height"] > viewport["height"] - 40


def test_choice_questions_with_other_and_a_banner(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "survey",
            "key": "why-stop",
            "name": "Why stop",
            "priority": 10,
            "questions": [
                {
                    "key": "reason",
                    "type": "single",
                    "text": {"en": "What stopped you?"},
                    "options": [
                        {"key": "format", "label": {"en": "My file's format"}},
                        {"key": "time", "label": {"en": "No time now"}},
                    ],
                    "other": True,
                },
                {
                    "key": "wanted",
                    "type": "multiple",
                    "text": {"en": "What would help?"},
                    "options": [
                        {"key": "video", "label": {"en": "A video"}},
                        {"key": "call", "label": {"en": "A call"}},
                        {"key": "docs", "label": {"en": "Better docs"}},
                    ],
                },
                {"key": "ease", "type": "csat", "text": {"en": "How happy are you?"}},
            ],
        },
        {
            "kind": "shoutout",
            "key": "maintenance",
            "name": "Maintenance",
            "style": "banner",
            "title": {"en": "Maintenance tonight"},
            "body": {"en": "From 22:00 to 23:00."},
        },
    )
    page = browser_page
    page.goto(f"{site}/shop/index.html")
    survey = _layer(page).get_by_role("region", name="What stopped you?")
    expect(survey).to_be_visible()
    survey.get_by_label("Other").check()
    survey.get_by_role("textbox").fill("The file was too big")
    survey.get_by_role("button", name="Next").click()
    wanted = _layer(page).get_by_role("region", name="What would help?")
    wanted.get_by_label("A video").check()
    wanted.get_by_label("Better docs").check()
    wanted.get_by_role("button", name="Next").click()
    happy = _layer(page).get_by_role("region", name="How happy are you?")
    expect(happy.get_by_role("button", name="5", exact=True)).to_be_visible()
    expect(happy.get_by_role("button", name="6", exact=True)).to_have_count(0)  # CSAT is 1-5
    happy.get_by_role("button", name="4", exact=True).click()
    happy.get_by_role("button", name="Done").click()
    banner = _layer(page).get_by_role("region", name="Maintenance tonight")
    expect(banner).to_be_visible()  # the next interruption, now the survey is over
    banner.evaluate("(el) => Promise.all(el.getAnimations().map((a) => a.finished))")
    box = banner.bounding_box()
    assert box and box["y"] == 0 and box["width"] == page.viewport_size["width"]
    screenshot(page, "shoutout-banner")
    page.evaluate("() => waypost.flush()")
    answers = stored_named(live_server, tenant, "$survey_answered", 3)
    assert [(a["properties"]["$question"], a["properties"]["$answer"]) for a in answers] == [
        ("reason", "other:The file was too big"),
        ("wanted", ["video", "docs"]),
        ("ease", 4),
    ]


def test_guidance_under_a_strict_content_security_policy(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "walkthrough",
            "key": "strict",
            "name": "Strict",
            "steps": [
                {
                    "kind": "tooltip",
                    "target": {"selector": "#buy"},
                    "title": {"en": "Buy here"},
                    "body": {"en": "**Styled** by the snippet's own sheet."},
                }
            ],
        },
    )
    page = browser_page
    page.goto(f"{site}/shop/strict.html")
    card = _layer(page).get_by_role("region", name="Buy here")
    expect(card).to_be_visible()
    # Styled (a shadow, rounded corners), though the page allows no inline styles.
    radius = card.evaluate("(el) => getComputedStyle(el).borderTopLeftRadius")
    assert radius == "10px"
    assert page.evaluate("() => window.violations") == []
