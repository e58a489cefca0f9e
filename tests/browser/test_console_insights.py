"""Insights and dashboards in real Chromium, over the demo's simulated customers: a builder
builds a funnel, opens who dropped at a step, saves it and puts it on a dashboard; a link
reproduces the view; the other kinds draw; Japanese; a viewer reads but cannot change."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import Locator, Page, expect
from sqlalchemy.orm import Session

from tests.browser.console import DAYS, ConsoleWorld, sign_in
from tests.browser.snippet import screenshot
from waypost.i18n.catalog import messages
from waypost.insights import read_query, run_query
from waypost.insights.dashboards import (
    DashboardIn,
    Reader,
    SavedInsightIn,
    Tile,
    create_dashboard,
    create_insight,
)
from waypost.tenancy.roles import Role

pytestmark = pytest.mark.browser

EN = messages("en")
JA = messages("ja")
STEPS = ("Signed Up", "Email Verified", "Project Created")


def _query_in(page: Page) -> dict[str, Any]:
    """The insight query the page's URL holds."""
    query: dict[str, Any] = json.loads(parse_qs(urlsplit(page.url).query)["q"][0])
    return query


def _answer(live_app: FastAPI, world: ConsoleWorld, query: dict[str, Any]) -> dict[str, Any]:
    """What the insights engine answers for the query, straight from the event store."""
    result = run_query(live_app.state.events, world.app_id, read_query(query))
    answered: dict[str, Any] = result.model_dump(mode="json")
    return answered


def _cells(page: Page, selector: str) -> list[list[str]]:
    rows = page.locator(f"{selector} tbody tr")
    return [row.locator("th, td").all_inner_texts() for row in rows.all()]


def _open(page: Page, world: ConsoleWorld, role: Role, section: str) -> None:
    """Sign in as the member of `role` and wait for the section itself: sign_in's URL pattern
    also matches the sign-in page's own ?next= address."""
    sign_in(page, world, role, then=section)
    expect(page).to_have_url(
        re.compile(rf"/console/apps/{world.app_id}/{re.escape(section)}(\?.*)?$")
    )


def _select(page: Page, name: str) -> Locator:
    """The visible select (or text field with suggestions) labelled exactly `name`."""
    return page.get_by_role("combobox", name=name, exact=True)


def _field(page: Page, name: str) -> Locator:
    """The visible text field labelled exactly `name`."""
    return page.get_by_role("textbox", name=name, exact=True)


def _build_funnel(page: Page) -> None:
    _select(page, EN["insights.funnel.step_n"].format(n=1)).select_option(label=STEPS[0])
    _select(page, EN["insights.funnel.step_n"].format(n=2)).select_option(label=STEPS[1])
    page.get_by_role("button", name=EN["insights.funnel.add_step"]).click()
    _select(page, EN["insights.funnel.step_n"].format(n=3)).select_option(label=STEPS[2])
    page.get_by_role("button", name=EN["insights.run"], exact=True).click()


def _click_bar(page: Page, index: int) -> None:
    """Click the funnel chart's bar of a step, where ECharts drew it."""
    chart = page.locator("#insight-chart")
    chart.scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([index]) => {
            const chart = echarts.getInstanceByDom(document.getElementById("insight-chart"));
            const value = chart.getOption().series[0].data[index];
            return chart.convertToPixel({ seriesIndex: 0 }, [index, value / 2]);
        }""",
        [index],
    )
    box = chart.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_builder_builds_a_funnel_sees_who_dropped_saves_it_and_puts_it_on_a_dashboard(
    browser_page: Page, console_world: ConsoleWorld, live_app: FastAPI
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 720})
    _open(page, console_world, Role.BUILDER, "insights")
    expect(page.get_by_role("heading", level=1)).to_have_text(EN["insights.title"])

    _build_funnel(page)

    table = page.locator("#insight-numbers table").first
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.locator("#insight-chart svg")).to_be_visible()
    query = _query_in(page)
    assert query["kind"] == "funnel"
    assert [step["event"] for step in query["steps"]] == list(STEPS)
    expected = _answer(live_app, console_world, query)["steps"]
    counts = [int(row[1].replace(",", "")) for row in _cells(page, "#insight-numbers table")]
    assert counts == [step["count"] for step in expected]
    assert counts[0] > counts[1] > counts[2] > 0, "the demo's funnel loses people at each step"
    page.wait_for_timeout(1200)  # the chart's entrance animation
    screenshot(page, "insights-funnel")

    # Who dropped between the first two steps: clicking the second step's bar.
    _click_bar(page, 1)

    panel = page.locator("#insight-dropped")
    expect(panel.get_by_role("heading", level=2)).to_have_text(
        EN["insights.dropped.title"].format(**{"from": STEPS[0], "to": STEPS[1]})
    )
    dropped = counts[0] - counts[1]
    expect(panel.locator("#dropped-summary")).to_have_text(
        EN["insights.dropped.summary"].format(
            dropped=dropped, converted=counts[1], **{"from": STEPS[0], "to": STEPS[1]}
        )
    )
    instead, people = panel.locator("table.data").first, panel.locator("table.data").last
    expect(people.locator("tbody tr")).to_have_count(min(dropped, 25))
    expect(people.locator("tbody tr").first).to_contain_text("sim-")
    expect(instead.locator("thead th").first).to_have_text(EN["insights.dropped.col.event"])
    assert instead.locator("tbody tr").count() >= 1, "drop-offs did something else instead"
    screenshot(page, "insights-dropped")

    # The table's number of drop-offs opens the same list for the next step (the keyboard's way).
    table.get_by_role(
        "button",
        name=EN["insights.funnel.who_dropped_before"].format(
            step=STEPS[2], count=counts[1] - counts[2]
        ),
    ).click()
    expect(panel.get_by_role("heading", level=2)).to_have_text(
        EN["insights.dropped.title"].format(**{"from": STEPS[1], "to": STEPS[2]})
    )

    # Save it, then put it on a new dashboard.
    _field(page, EN["insights.save.name"]).fill("Activation funnel")
    page.get_by_role("button", name=EN["insights.save.button"]).click()
    status = page.locator("#save-status")
    expect(status).to_have_text(EN["insights.save.saved"].format(name="Activation funnel"))
    expect(page.locator("#open-saved option", has_text="Activation funnel")).to_have_count(1)
    _field(page, EN["insights.add.new_name"]).fill("Activation")
    page.get_by_role("button", name=EN["insights.add.button"]).click()
    expect(status).to_contain_text(EN["insights.add.added"].format(name="Activation"))

    page.get_by_role("link", name=EN["insights.add.open"].format(name="Activation")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Activation")
    tile = page.locator("article.tile")
    expect(tile).to_have_count(1)
    expect(tile.get_by_role("heading", level=2)).to_have_text("Activation funnel")
    expect(tile.locator(".chart svg")).to_be_visible()
    # Over the dashboard's last 30 days, the same funnel as the builder's.
    share = expected[-1]["conversion_from_first"]
    expect(tile.locator(".tile-body p").first).to_contain_text(f"{share * 100:.1f}%")
    expect(page.locator(".board-summary")).to_contain_text(
        EN["dashboards.range.last_days"].format(days=30)
    )
    csv = page.get_by_role("link", name=EN["dashboards.csv"])
    assert "format=csv" in (csv.get_attribute("href") or "")


def test_a_link_reproduces_the_view_in_a_fresh_page(
    browser_page: Page, console_world: ConsoleWorld, live_app: FastAPI
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 720})
    _open(page, console_world, Role.ANALYST, "insights")

    # Retention: first sign-up, coming back to build a report, by week.
    page.get_by_role("radio", name=EN["insights.kind.retention"], exact=True).check()
    _select(page, EN["insights.retention.start"]).select_option(label="Signed Up")
    _select(page, EN["insights.retention.returning"]).select_option(label="Report Built")
    _select(page, EN["insights.retention.cohort_type"]).select_option("first_time")
    page.get_by_role("button", name=EN["insights.run"], exact=True).click()
    expect(page.locator("#insight-chart svg")).to_be_visible()
    expect(page.locator("#result-title")).to_have_text(EN["insights.kind.retention"])
    link = page.url
    query = _query_in(page)
    assert query["kind"] == "retention" and query["cohort_type"] == "first_time"
    cohorts = _answer(live_app, console_world, query)["cohorts"]
    page.locator("#insight-numbers summary").click()
    shown = _cells(page, "#insight-numbers table")
    assert [int(row[1]) for row in shown] == [cohort["size"] for cohort in cohorts]
    page.locator("#insight-numbers summary").click()
    page.wait_for_timeout(1200)
    screenshot(page, "insights-retention")

    fresh = page.context.new_page()
    fresh.set_viewport_size({"width": 1280, "height": 720})
    fresh.goto(link)

    expect(
        fresh.get_by_role("radio", name=EN["insights.kind.retention"], exact=True)
    ).to_be_checked()
    expect(_select(fresh, EN["insights.retention.returning"])).to_have_value("event:Report Built")
    expect(fresh.locator("#insight-chart svg")).to_be_visible()
    fresh.locator("#insight-numbers summary").click()
    expect(fresh.locator("#insight-numbers table tbody tr")).to_have_count(len(shown))
    assert _cells(fresh, "#insight-numbers table") == shown
    # Switching language keeps the view.
    fresh.get_by_role("link", name="日本語").click()
    expect(fresh.locator("#result-title")).to_have_text(JA["insights.kind.retention"])
    assert _query_in(fresh) == query
    fresh.close()

    # Paths from the projects page: a Sankey of where sessions went next.
    page.get_by_role("radio", name=EN["insights.kind.paths"], exact=True).check()
    _select(page, EN["insights.paths.anchor"]).fill("/demo/projects")
    page.get_by_role("button", name=EN["insights.run"], exact=True).click()
    expect(page.locator("#insight-numbers table tbody tr").first).to_be_visible()
    paths = _answer(live_app, console_world, _query_in(page))
    expect(page.locator("#insight-numbers table tbody tr")).to_have_count(len(paths["paths"]))
    expect(page.locator("#result-note")).to_have_text(
        EN["insights.paths.summary"].format(
            sessions=f"{paths['sessions']:,}", anchor="/demo/projects"
        )
    )
    expect(page.locator("#insight-chart svg")).to_be_visible()
    page.go_back()
    expect(page.locator("#result-title")).to_have_text(EN["insights.kind.retention"])
    page.go_forward()
    expect(page.locator("#result-title")).to_have_text(EN["insights.kind.paths"])
    page.locator("#insight-chart").evaluate("chart => chart.scrollIntoView({ block: 'center' })")
    page.wait_for_timeout(1200)
    screenshot(page, "insights-paths")


def test_trends_time_to_value_and_a_before_after_verdict_in_words(
    browser_page: Page, console_world: ConsoleWorld
) -> None:
    page = browser_page
    _open(page, console_world, Role.VIEWER, "insights")

    page.get_by_role("radio", name=EN["insights.kind.trends"], exact=True).check()
    _select(page, EN["insights.trends.series_n"].format(n=1)).select_option(label="Signed Up")
    page.get_by_role("button", name=EN["insights.run"], exact=True).click()
    expect(page.locator("#insight-numbers table").first.locator("tbody tr")).to_have_count(1)
    expect(page.locator("#insight-chart svg")).to_be_visible()

    page.get_by_role("radio", name=EN["insights.kind.time_to_value"], exact=True).check()
    _select(page, EN["insights.ttv.start"]).select_option(label="Signed Up")
    _select(page, EN["insights.ttv.value"]).select_option(label="Project Created")
    page.get_by_role("button", name=EN["insights.run"], exact=True).click()
    expect(page.locator(".stat-label").first).to_have_text(EN["insights.ttv.started"])
    expect(page.locator(".stat-label", has_text=EN["insights.ttv.median"])).to_be_visible()
    expect(page.locator("#insight-chart svg")).to_be_visible()

    # Before and after the onboarding launched, a third of the way into the 45 days.
    page.get_by_role("radio", name=EN["insights.kind.comparison"], exact=True).check()
    _select(page, EN["insights.range.preset"]).select_option("90")
    _field(page, EN["insights.compare.change"]).fill(_launch_day())
    _select(page, EN["insights.funnel.step_n"].format(n=1)).select_option(label="Email Verified")
    _select(page, EN["insights.funnel.step_n"].format(n=2)).select_option(label="Project Created")
    page.get_by_role("button", name=EN["insights.run"], exact=True).click()

    verdict = page.locator("ul.verdicts li").first
    expect(verdict).to_contain_text("Conversion from Email Verified to Project Created")
    words = verdict.inner_text()
    assert re.search(r"(rose|fell|went) from [\d.]+% to [\d.]+%", words), words
    assert "p = " in words
    expect(page.locator("#insight-numbers table thead th")).to_have_count(6)
    # A viewer explores but is offered no saving.
    expect(page.get_by_role("button", name=EN["insights.save.button"])).to_have_count(0)
    expect(page.get_by_text(EN["insights.save.viewer"])).to_be_visible()


def _launch_day() -> str:
    """The day the demo's onboarding guidance launched: a third of the way into its days."""
    return (datetime.now(UTC).date() - timedelta(days=DAYS - DAYS // 3)).isoformat()


def test_japanese_insights_and_dashboard(
    browser_page: Page, console_world: ConsoleWorld, db: Session
) -> None:
    page = browser_page
    _shared_dashboard(db, console_world)
    _open(page, console_world, Role.OWNER, "insights")
    query = {
        "kind": "funnel",
        "steps": [{"event": step} for step in STEPS],
        "window_seconds": 14 * 86400,
    }
    page.goto(f"{console_world.url('insights')}?lang=ja&q={quote(json.dumps(query))}")

    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text(JA["insights.title"])
    expect(page.get_by_role("radio", name=JA["insights.kind.funnel"], exact=True)).to_be_checked()
    headers = page.locator("#insight-numbers table thead th")
    expect(headers.first).to_have_text(JA["insights.funnel.col.step"])
    expect(headers.nth(2)).to_have_text(JA["insights.funnel.col.from_previous"])
    # The button's name starts with the step; the count follows it in Japanese word order.
    before = JA["insights.funnel.who_dropped_before"].split("{count}")[0].format(step=STEPS[1])
    page.locator("#insight-numbers table").get_by_role(
        "button", name=re.compile("^" + re.escape(before))
    ).click()
    expect(page.locator("#dropped-title")).to_have_text(
        JA["insights.dropped.title"].format(**{"from": STEPS[0], "to": STEPS[1]})
    )
    expect(page.get_by_role("heading", name=JA["insights.dropped.instead"])).to_be_visible()
    # Dates as Japanese writes them: 2026/11/03 12:00.
    expect(page.locator("#dropped-body table").last.locator("tbody td").first).to_have_text(
        re.compile(r"^\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}$")
    )
    screenshot(page, "insights-ja")

    page.get_by_role("link", name=JA["nav.dashboards"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(JA["dashboards.title"])
    page.get_by_role("link", name="Weekly review").click()
    expect(page.locator(".board-summary")).to_contain_text(
        JA["dashboards.range.last_days"].format(days=30)
    )
    expect(page.locator("article.tile .chart svg").first).to_be_visible()
    expect(page.get_by_role("link", name=JA["dashboards.csv"])).to_be_visible()


# A dashboard of each way a tile draws: bars, a single number, lines, a heat map.
TILES: list[tuple[str, dict[str, Any], int]] = [
    (
        "Sign-up to project",
        {"kind": "funnel", "steps": [{"event": STEPS[0]}, {"event": STEPS[2]}]},
        8,
    ),
    ("NPS", {"kind": "survey", "survey": "nps"}, 4),
    ("Sign-ups", {"kind": "trends", "series": [{"event": STEPS[0]}]}, 6),
    (
        "Weekly retention",
        {"kind": "retention", "start": {"event": STEPS[0]}, "returning": {"event": "Report Built"}},
        6,
    ),
    (
        "First project within a week",
        {"kind": "goal", "start": {"item": "first-project"}, "goal": {"event": STEPS[2]}},
        4,
    ),
]


def _shared_dashboard(db: Session, world: ConsoleWorld) -> str:
    """The TILES on a dashboard of the last 30 days, shared with every role, made as the CLI
    would (saved with dates of their own, which the dashboard's replace)."""
    end = datetime.now(UTC).date()
    dates = {
        "date_from": f"{(end - timedelta(days=30)).isoformat()}T00:00:00Z",
        "date_to": f"{end.isoformat()}T00:00:00Z",
    }
    with db.begin():
        tiles = []
        for name, query, width in TILES:
            dated = {**query, **dates} if query["kind"] != "funnel" else query
            saved = create_insight(
                db, world.app_id, SavedInsightIn(name=name, query=dated), Reader()
            )
            tiles.append(Tile(insight_id=saved.id, width=width))
        board = create_dashboard(
            db,
            world.app_id,
            DashboardIn(name="Weekly review", last_days=30, where=[], tiles=tiles),
            Reader(),
        )
        return board.id


def test_an_analyst_changes_the_dashboards_range_and_a_viewer_cannot_change_it(
    browser_page: Page, console_world: ConsoleWorld, db: Session
) -> None:
    board_id = _shared_dashboard(db, console_world)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 720})
    _open(page, console_world, Role.ANALYST, f"dashboards/{board_id}")
    tiles = page.locator("article.tile")
    expect(tiles.locator(".chart svg")).to_have_count(3)
    expect(tiles.get_by_role("heading", level=2)).to_have_text([name for name, _, _ in TILES])
    nps = tiles.nth(1)
    expect(nps.locator(".big")).to_have_text(re.compile(r"^-?\d+$"))
    expect(nps).to_contain_text("NPS")
    expect(tiles.nth(4).locator(".big")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    page.wait_for_timeout(1200)  # the charts' entrance animations
    screenshot(page, "dashboard")

    page.get_by_text(EN["dashboards.settings"]).click()
    _select(page, EN["insights.range.preset"]).select_option("7")
    page.get_by_role("button", name=EN["insights.filters.add"]).click()
    _select(page, EN["insights.filters.source"]).select_option("account")
    _select(page, EN["insights.filters.property"]).fill("plan")
    _field(page, EN["insights.filters.value"]).fill("pro")
    page.get_by_role("button", name=EN["dashboards.apply"]).click()

    summary = page.locator(".board-summary")
    expect(summary).to_contain_text(EN["dashboards.range.last_days"].format(days=7))
    expect(summary.locator(".pill")).to_have_text(
        EN["dashboards.filter"].format(
            source=EN["insights.source.account"],
            property="plan",
            op=EN["insights.op.eq"],
            value="pro",
        )
    )
    expect(tiles.locator(".chart svg")).to_have_count(3)

    # Full width for the funnel, kept after a reload.
    page.locator("article.tile").first.get_by_title(EN["dashboards.tile.width"]).select_option("12")
    expect(page.locator("article.tile").first).to_have_class(re.compile(r"\bw-12\b"))
    page.wait_for_timeout(300)
    page.reload()
    expect(page.locator("article.tile").first).to_have_class(re.compile(r"\bw-12\b"))

    viewer = page.context.browser.new_context(locale="en-US", timezone_id="UTC")  # type: ignore[union-attr]
    try:
        other = viewer.new_page()
        _open(other, console_world, Role.VIEWER, f"dashboards/{board_id}")
        expect(other.locator("article.tile .chart svg")).to_have_count(3)
        expect(other.locator(".board-summary")).to_contain_text(
            EN["dashboards.range.last_days"].format(days=7)
        )
        expect(other.get_by_text(EN["dashboards.settings"])).to_have_count(0)
        expect(other.get_by_role("button", name=EN["dashboards.tile.remove"])).to_have_count(0)
        refused = other.evaluate(
            """async (id) => {
                try {
                    const body = { name: "Mine", where: [], tiles: [] };
                    await wp.api(`/api/v1/dashboards/${id}`, { method: "PUT", body });
                    return null;
                } catch (error) {
                    return error.status;
                }
            }""",
            board_id,
        )
        assert refused == 403
    finally:
        viewer.close()
