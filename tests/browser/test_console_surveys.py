"""Surveys, Impact and Events and actions in real Chromium, over the demo's simulated
customers: a builder reads NPS with its interval, breaks it down by segment and searches the
answers in Japanese; computes the renewal ROI from given numbers and from measured ones; an
analyst watches a new event arrive in the live stream (and pauses it); a builder defines an
action from an autocaptured click."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.console import ConsoleWorld, sign_in
from tests.browser.snippet import screenshot, stored_named
from waypost.i18n.catalog import messages
from waypost.tenancy.roles import Role

pytestmark = pytest.mark.browser

EN = messages("en")
# A new event reaches the stream within a poll (4 s) of being stored.
LIVE_MS = 15_000


def _track(world: ConsoleWorld, *messages: dict[str, Any]) -> None:
    """Send events as the app's backend would, with its write key."""
    sent = httpx.post(
        f"{world.base_url}/v1/batch",
        json={"writeKey": world.tenant.app.write_key, "batch": list(messages)},
    )
    assert sent.status_code == 200, sent.text


def _survey(world: ConsoleWorld, query: dict[str, Any]) -> dict[str, Any]:
    """What the survey insight answers over the API, as the page asks it."""
    today = datetime.now(UTC).date()
    answered = httpx.post(
        f"{world.base_url}/api/v1/insights/query",
        json={
            "kind": "survey",
            "survey": "nps",
            "date_from": (today - timedelta(days=89)).isoformat(),
            "date_to": (today + timedelta(days=1)).isoformat(),
            "timezone": "UTC",
            **query,
        },
        headers=world.tenant.bearer(),
    )
    assert answered.status_code == 200, answered.text
    result: dict[str, Any] = answered.json()
    return result


def _rounded(value: float) -> int:
    """A number to a whole one as the browser's Intl does (halves away from zero)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def _score_text(score: dict[str, Any]) -> str:
    return EN["surveys.score.interval"].format(
        low=_rounded(score["ci_low"]), high=_rounded(score["ci_high"]), count=score["n"]
    )


def test_a_builder_reads_nps_with_its_interval_by_segment_and_searches_answers_in_japanese(
    console_world: ConsoleWorld, browser_page: Page
) -> None:
    world, page = console_world, browser_page
    # One answer in Japanese, as the snippet sends it: found by a word inside the sentence.
    _track(
        world,
        {
            "type": "track",
            "userId": "tanaka",
            "event": "$survey_answered",
            "properties": {
                "$content_id": "nps",
                "$question": "why",
                "$question_type": "text",
                "$answer": "請求書のインポートが難しかった",
            },
        },
    )
    stored_named(world.base_url, world.tenant, "$survey_answered", wanted=1)
    overall = _survey(world, {"question": "score"})
    by_segment = _survey(world, {"question": "score", "breakdown": {"segments": ["admins"]}})
    score = overall["score"]
    sign_in(page, world, Role.BUILDER, then="surveys")

    # The list: each survey with its responses and score.
    nps_row = page.locator('tr[data-survey="nps"]')
    expect(nps_row.locator('[data-cell="responses"]')).to_have_text(str(overall["responded"]))
    expect(nps_row.locator('[data-cell="score"]')).to_contain_text(
        f"NPS {_rounded(score['value'])}"
    )
    expect(page.locator('tr[data-survey="import-dropoff"] [data-cell="score"]')).to_contain_text(
        "My file's format"
    )

    # The results: NPS with its 95% interval in words and drawn as a band on -100..100.
    nps_row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How likely are you to recommend us?")
    question = page.locator("section#q-score")
    expect(question.locator('[data-part="score"]')).to_have_text(str(_rounded(score["value"])))
    expect(question.locator('[data-part="interval-text"]')).to_have_text(_score_text(score))
    band = question.locator('[data-part="interval"] .band')
    expect(band).to_be_visible()
    assert band.bounding_box()["width"] > 10  # type: ignore[index]
    expect(question.locator('[data-part="interval"]')).to_have_attribute(
        "aria-label", re.compile(re.escape(_score_text(score)))
    )
    groups = question.locator('[data-part="groups"] li')
    expect(groups.nth(0)).to_contain_text(f"{EN['surveys.nps.promoters']}: {overall['promoters']}")
    expect(question.locator('[data-part="distribution"] svg')).to_be_visible()
    expect(question.locator('[data-part="trend"] svg')).to_be_visible()

    # A breakdown by saved segment, kept in the page's URL.
    page.get_by_label(EN["surveys.filters.by"]).select_option("segments")
    page.get_by_role("button", name=EN["surveys.filters.apply"]).click()
    expect(page).to_have_url(re.compile(r"by=segments"))
    admins = question.locator('[data-part="breakdown"] tr', has_text="Admins")
    admin_group = by_segment["breakdown"][0]
    expect(admins.locator("td").nth(0)).to_have_text(str(admin_group["responded"]))
    expect(admins.locator("td").nth(1)).to_have_text(str(_rounded(admin_group["score"]["value"])))
    # One row per saved segment of the app.
    segments = httpx.get(f"{world.base_url}/api/v1/segments", headers=world.tenant.bearer())
    expect(question.locator('[data-part="breakdown"] tr')).to_have_count(len(segments.json()))

    # The follow-up (a call offer for 6 or less) counts the detractors who met it.
    follow_up = page.locator('tr[data-follow-question="score"] [data-part="met"]')
    expect(follow_up).to_have_text(
        EN["surveys.follow_ups.met_count"].format(count=overall["detractors"])
    )

    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "surveys")

    # Search the answers in words: a word inside a Japanese sentence, written without spaces.
    answers = page.locator("section#q-why")
    search = answers.get_by_label(EN["surveys.answers.search"])
    search.fill("インポート")
    search.press("Enter")
    expect(answers.locator('[data-part="answers"] li')).to_have_count(1)
    expect(answers.locator('[data-part="answers"] li mark')).to_have_text("インポート")
    expect(answers.locator('[data-part="answers-count"]')).to_have_text(
        EN["surveys.answers.matching"].format(search="インポート", count=1)
    )
    search.fill("")
    search.press("Enter")
    why = _survey(world, {"question": "why", "answers_limit": 0})
    expect(answers.locator('[data-part="answers-count"]')).to_have_text(
        EN["surveys.answers.count"].format(count=why["answers_total"])
    )

    # The export downloads every answer as a file.
    with page.expect_download() as download:
        page.get_by_role("button", name=EN["surveys.export.xlsx"]).click()
    assert download.value.suggested_filename.endswith(".xlsx")


def _input(page: Page, name: str) -> Any:
    return page.locator(f'#renewal-form [data-input="{name}"]')


def test_the_renewal_roi_from_given_numbers_and_from_measured_ones_overridden(
    console_world: ConsoleWorld, browser_page: Page
) -> None:
    world, page = console_world, browser_page
    sign_in(page, world, Role.ANALYST, then="impact")
    results = page.locator("#panel-renewal [data-part=results]")

    # On opening, every input is measured from the accounts, with its interval.
    for name in ("new_customers", "completion_before", "renewal_rate_completed"):
        expect(_input(page, name).locator('[data-part="source"]')).to_have_text(
            EN["impact.source.measured"]
        )
    expect(_input(page, "completion_before").locator('[data-part="detail"]')).to_contain_text(
        "95% interval"
    )
    assert _input(page, "new_customers").locator("input").input_value() != ""

    # The example, every number given.
    page.get_by_label(EN["impact.renewal.mode_given"]).check()
    for label, value in (
        ("impact.renewal.new_customers", "1000"),
        ("impact.renewal.completion_before", "60"),
        ("impact.renewal.completion_after", "85"),
        ("impact.renewal.rate_completed", "90"),
        ("impact.renewal.rate_not_completed", "60"),
        ("impact.renewal.acv", "5000"),
    ):
        page.get_by_label(EN[label], exact=True).fill(value)
    page.get_by_role("button", name=EN["impact.calculate"]).first.click()
    expect(results.locator('[data-out="additional_renewals"]')).to_have_text("+75")
    expect(results.locator('[data-out="retained_revenue"]')).to_have_text("$375,000")
    expect(results.locator('[data-out="renewals_before"]')).to_have_text("780")
    expect(results.locator('[data-out="renewals_after"]')).to_have_text("855")
    expect(_input(page, "annual_contract_value").locator('[data-part="source"]')).to_have_text(
        EN["impact.source.given"]
    )
    # The same money in another currency.
    page.get_by_label(EN["impact.currency"]).select_option("EUR")
    expect(results.locator('[data-out="retained_revenue"]')).to_have_text("€375,000")
    page.get_by_label(EN["impact.currency"]).select_option("USD")

    # Back to measuring, with one input overridden: it is the member's; the rest stay measured.
    page.get_by_label(EN["impact.renewal.mode_measure"]).check()
    after = page.get_by_label(EN["impact.renewal.completion_after"], exact=True)
    after.fill("85")
    expect(_input(page, "completion_after").locator('[data-part="source"]')).to_have_text(
        EN["impact.source.yours"]
    )
    page.get_by_role("button", name=EN["impact.calculate"]).first.click()
    expect(_input(page, "completion_after").locator('[data-part="source"]')).to_have_text(
        EN["impact.source.given"]
    )
    expect(_input(page, "completion_before").locator('[data-part="source"]')).to_have_text(
        EN["impact.source.measured"]
    )
    expect(results.locator('[data-out="retained_revenue"]')).to_have_text(re.compile(r"^\$"))
    expect(results.locator('[data-part="explain"]')).to_contain_text("85%")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "impact")

    # Productivity: completions measured from the walkthrough, attribution an assumed default.
    page.get_by_role("tab", name=EN["impact.productivity.tab"]).click()
    productivity = page.locator("#productivity-form")
    expect(productivity.locator('[data-input="completions"] [data-part="source"]')).to_have_text(
        EN["impact.source.measured"]
    )
    expect(productivity.locator('[data-input="attribution"] [data-part="source"]')).to_have_text(
        EN["impact.source.assumed"]
    )
    expect(page.locator("#panel-productivity [data-out=hours_saved]")).to_contain_text("hours")


def test_the_live_stream_shows_a_new_event_and_holds_still_when_paused(
    console_world: ConsoleWorld, browser_page: Page
) -> None:
    world, page = console_world, browser_page
    sign_in(page, world, Role.ANALYST, then="events")
    rows = page.locator("#event-rows tr[data-id]")
    expect(rows.first).to_be_visible()

    page_context = {
        "page": {"url": "https://acme.example/billing/invoices", "path": "/billing/invoices"}
    }
    _track(
        world,
        {
            "type": "track",
            "userId": "live-visitor",
            "event": "Invoice Paid",
            "context": page_context,
        },
    )
    newest = rows.first
    expect(newest).to_contain_text("Invoice Paid", timeout=LIVE_MS)
    expect(newest).to_contain_text("live-visitor")
    expect(newest).to_contain_text("/billing/invoices")

    # Paused, the stream holds still; resumed, it catches up.
    pause = page.get_by_role("button", name=EN["events.pause"])
    pause.click()
    expect(page.get_by_role("button", name=EN["events.resume"])).to_have_attribute(
        "aria-pressed", "true"
    )
    _track(
        world,
        {
            "type": "track",
            "userId": "live-visitor",
            "event": "Invoice Sent",
            "context": page_context,
        },
    )
    stored_named(world.base_url, world.tenant, "Invoice Sent")
    page.wait_for_timeout(5000)
    expect(page.locator("#event-rows", has_text="Invoice Sent")).to_have_count(0)
    page.get_by_role("button", name=EN["events.resume"]).click()
    expect(rows.first).to_contain_text("Invoice Sent", timeout=LIVE_MS)

    # Filter by person and by page; an analyst sees the details but defines no action.
    page.get_by_label(EN["events.filter.person"]).fill("live-visitor")
    expect(page).to_have_url(re.compile(r"person=live-visitor"), timeout=LIVE_MS)
    expect(rows).to_have_count(2)
    page.get_by_label(EN["events.filter.person"]).fill("")
    page.get_by_label(EN["events.filter.url"]).fill("/billing/inv")
    expect(rows).to_have_count(2)
    rows.first.get_by_role("button").click()
    detail = page.locator("#event-detail")
    expect(detail.locator("dd", has_text="https://acme.example/billing/invoices")).to_be_visible()
    expect(page.get_by_role("button", name=EN["events.define"])).to_have_count(0)
    page.get_by_role("button", name=EN["events.filter.clear"]).click()
    expect(rows.first).to_contain_text("Invoice Sent")
    screenshot(page, "events")


def test_a_builder_defines_an_action_from_an_autocaptured_click(
    console_world: ConsoleWorld, browser_page: Page
) -> None:
    world, page = console_world, browser_page
    click = {
        "type": "track",
        "event": "$autocapture",
        "properties": {
            "$element_selector": "button#upgrade",
            "$element_text": "Upgrade now",
            "$element_tag": "button",
            "$element_href": "https://acme.example/billing/upgrade",
        },
        "context": {"page": {"url": "https://acme.example/billing", "path": "/billing"}},
    }
    _track(world, {**click, "userId": "clicker-1"}, {**click, "userId": "clicker-2"})
    stored_named(world.base_url, world.tenant, "$autocapture", wanted=2)
    sign_in(page, world, Role.BUILDER, then="events")
    page.goto(world.url("events") + "?event=%24autocapture")

    rows = page.locator("#event-rows tr[data-id]")
    expect(rows).to_have_count(2)
    rows.first.get_by_role("button").click()
    page.get_by_role("button", name=EN["events.define"]).click()
    editor = page.locator("#action-editor")
    name = editor.get_by_label(EN["events.action.name"])
    expect(name).to_be_focused()
    expect(name).to_have_value(EN["events.action.default_name"].format(text="Upgrade now"))
    expect(editor.locator('input[name="selector"]')).to_have_value("button#upgrade")
    expect(editor.locator('input[name="text"]')).to_have_value("Upgrade now")
    expect(editor.locator('input[name="url"]')).to_have_value("/billing")
    expect(editor.locator("#action-preview")).to_have_text(
        EN["events.action.preview"].format(count=2, clicks=2)
    )
    editor.locator('input[name="use_url"]').check()
    name.fill("Clicked Upgrade")
    editor.get_by_role("button", name=EN["events.action.save"]).click()

    saved = page.locator("#action-rows tr", has_text="Clicked Upgrade")
    expect(saved).to_contain_text(EN["events.step.selector"].format(selector="button#upgrade"))
    expect(saved).to_contain_text(EN["events.step.url"].format(url="/billing"))
    expect(saved.locator('[data-part="matches"]')).to_have_text(
        EN["events.actions.matches_count"].format(count=2), timeout=LIVE_MS
    )
    actions = httpx.get(f"{world.base_url}/api/v1/actions", headers=world.tenant.bearer()).json()
    assert [a["name"] for a in actions] == ["Clicked Upgrade"]
    (step,) = actions[0]["steps"]
    assert {name: step[name] for name in ("event", "selector", "text", "url", "url_match")} == {
        "event": "$autocapture",
        "selector": "button#upgrade",
        "text": "Upgrade now",
        "url": "/billing",
        "url_match": "contains",
    }

    # The name is now taken: saving it again says so at the field.
    rows.nth(1).get_by_role("button").click()
    page.get_by_role("button", name=EN["events.define"]).click()
    editor.get_by_label(EN["events.action.name"]).fill("Clicked Upgrade")
    editor.get_by_role("button", name=EN["events.action.save"]).click()
    expect(editor.locator("#action-name-error")).to_have_text(EN["events.action.name_taken"])
