"""The content library, its editor and the segments' rule builder, driven in real Chromium as a
builder works: a walkthrough written in English and Japanese, published and seen in the demo
app; YAML, validation, diffs and reverts; a segment whose live count follows the rules; and a
viewer, in Japanese, who may look but not touch."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from tests.browser.console import ConsoleWorld, sign_in
from tests.browser.snippet import screenshot
from waypost.i18n.catalog import messages
from waypost.tenancy.roles import Role

pytestmark = pytest.mark.browser

EN = messages("en")
JA = messages("ja")


def _api(world: ConsoleWorld, path: str) -> Any:
    answer = httpx.get(
        f"{world.base_url}/api/v1/{path}",
        params={"app_id": world.app_id},
        headers=world.tenant.bearer(),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _step(page: Page, n: int) -> Locator:
    return page.locator("li.step").nth(n - 1)


def _text(where: Locator, field: str, language: str) -> Locator:
    """A text's box for one language: its accessible name is the field's and the language's."""
    return where.get_by_role("textbox", name=f"{EN[f'content.field.{field}']} {language}")


def _count(page: Page) -> int:
    """The segment editor's live count, once it shows one."""
    shown = page.locator("#live-count")
    expect(shown).to_have_text(re.compile(r"^[\d,]+ people$"))
    return int(shown.inner_text().split()[0].replace(",", ""))


def test_builder_writes_a_walkthrough_in_two_languages_publishes_it_and_sees_it_in_the_demo(
    console_world: ConsoleWorld, browser_page: Page
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 720})
    sign_in(page, console_world, Role.BUILDER, then="content")
    library = page.locator("#library")
    expect(library.get_by_role("link", name="Create your first project")).to_be_visible()
    first = library.locator("tr[data-key=first-project]")
    expect(first.locator("[data-people]")).not_to_have_text("···")  # engagement arrived
    assert int(first.locator("[data-people]").inner_text().replace(",", "")) > 0
    expect(first).to_contain_text(EN["content.audience.rules"])
    screenshot(page, "content-library")

    page.get_by_label(EN["content.library.search"]).fill("survey")
    expect(library.locator("tbody tr:visible")).to_have_count(0)
    expect(page.locator("#library-empty")).to_be_visible()
    page.get_by_label(EN["content.library.kind"]).select_option("survey")
    page.get_by_label(EN["content.library.search"]).fill("")
    expect(library.locator("tbody tr:visible")).to_have_count(2)
    assert "kind=survey" in page.url

    page.get_by_text(EN["content.library.new"]).click()
    page.get_by_role("link", name=EN["content.kind.walkthrough"]).click()
    page.wait_for_url("**/content/new/walkthrough")
    page.get_by_label(EN["content.field.name"], exact=True).fill("Trial tour")
    expect(page.get_by_label(EN["content.field.key"], exact=True)).to_have_value("trial-tour")
    step = _step(page, 1)
    _text(step, "title", "English").fill("Welcome to your trial")
    _text(step, "title", "日本語").fill("トライアルへようこそ")
    _text(step, "body", "English").fill("Two steps and you are set.")
    page.get_by_label(EN["content.step.new_kind"]).select_option("tooltip")
    page.get_by_role("button", name=EN["content.step.add"]).click()
    step = _step(page, 2)
    step.get_by_label(EN["content.step.selector"]).fill("#signup-submit")
    _text(step, "title", "English").fill("Start here")
    # The Japanese texts alone, as a translator works through them.
    page.get_by_role("radio", name="日本語").check()
    expect(_text(step, "title", "English")).to_be_hidden()
    _text(step, "title", "日本語").fill("ここから始めます")
    page.get_by_role("radio", name=EN["content.editor.both_languages"]).check()
    page.get_by_label(EN["content.field.trigger_page"]).select_option("eq")
    page.get_by_label(EN["content.field.trigger_path"]).fill("/demo/")
    page.get_by_label(EN["content.field.priority"]).fill("50")
    page.get_by_role("button", name=EN["content.editor.save"]).click()
    page.wait_for_url("**/content/item/trial-tour")
    expect(page.locator("#item-dirty")).to_be_hidden()
    expect(page.locator("#item-versions")).to_have_text(EN["content.version.never"])
    screenshot(page, "content-editor")

    # A preview: the draft released to staging, and a link to the demo with a signed token.
    page.get_by_role("button", name=EN["content.editor.preview"], exact=True).click()
    site = page.get_by_label(EN["content.preview.site"])
    expect(site).to_have_value(f"{console_world.base_url}/demo/")
    page.get_by_role("button", name=EN["content.preview.make"]).click()
    link = page.get_by_role("link", name=EN["content.preview.open"])
    expect(link).to_have_attribute("href", re.compile(r"/demo/\?waypost_preview=[\w-]+\.[\w-]+$"))
    expect(page.locator("#item-versions")).to_have_text(
        EN["content.version.preview"].format(number=1)
    )
    # The link shows the draft on the demo, in that tab, with a badge to end the preview.
    preview = page.context.new_page()
    preview.goto(link.get_attribute("href") or "")
    shown = preview.locator("waypost-layer")
    expect(shown.get_by_role("dialog", name="Welcome to your trial")).to_be_visible()
    expect(shown.get_by_role("status")).to_contain_text("Preview")
    shown.get_by_role("button", name="Exit preview").click()
    expect(shown.get_by_role("dialog", name="Welcome to your trial")).to_have_count(0)
    expect(shown.get_by_role("button", name="Exit preview")).to_have_count(0)
    preview.close()

    page.get_by_role("button", name=EN["content.editor.publish"], exact=True).click()
    page.get_by_label(EN["content.publish.note"]).fill("First version")
    page.get_by_role("button", name=EN["content.publish.confirm"]).click()
    expect(page.locator("#item-status")).to_have_text(EN["content.status.published"])
    expect(page.locator("#item-versions")).to_have_text(EN["content.version.live"].format(number=1))
    draft = _api(console_world, "content/trial-tour")["draft"]
    assert draft["steps"][1] == {
        "kind": "tooltip",
        "target": {"selector": "#signup-submit"},
        "title": {"en": "Start here", "ja": "ここから始めます"},
    }
    assert draft["trigger"] == {"page": {"path": {"eq": "/demo/"}}}

    demo = page.context.new_page()
    demo.goto(f"{console_world.base_url}/demo/")
    layer = demo.locator("waypost-layer")
    welcome = layer.get_by_role("dialog", name="Welcome to your trial")
    expect(welcome).to_be_visible()
    welcome.get_by_role("button", name=re.compile("Next")).click()
    expect(layer.get_by_role("region", name="Start here")).to_be_visible()
    demo.close()


def test_builder_edits_through_yaml_is_told_what_is_wrong_then_publishes_diffs_and_reverts(
    console_world: ConsoleWorld, browser_page: Page
) -> None:
    page = browser_page
    sign_in(page, console_world, Role.BUILDER, then="content/item/first-project")
    first = _step(page, 1)
    expect(_text(first, "title", "English")).to_have_value("Start here")

    # A tooltip with nothing to point at: the server says so, beside the step.
    first.get_by_label(EN["content.step.selector"]).fill("")
    first.get_by_label(EN["content.step.element_text"]).fill("")
    page.get_by_role("button", name=EN["content.editor.save"]).click()
    expect(page.locator("#problems")).to_be_visible()
    expect(first.locator(".field-error")).to_contain_text("a tooltip step needs target")
    first.get_by_label(EN["content.step.selector"]).fill("#new-project")
    page.get_by_label(EN["content.field.segment"]).select_option("admins")
    page.get_by_role("button", name=EN["content.editor.save"]).click()
    expect(page.locator("#problems")).to_be_hidden()
    expect(page.locator("#item-changed")).to_be_visible()

    # The same draft as YAML: a typo is located by line; a fix comes back to the form.
    page.get_by_role("tab", name=EN["content.editor.tab_yaml"]).click()
    yaml_box = page.get_by_label(EN["content.yaml.label"])
    expect(yaml_box).to_have_value(re.compile("segment: admins"))
    text = yaml_box.input_value()
    assert "en: Start here" in text
    yaml_box.fill(text.replace("steps:", "steps: [", 1))
    page.get_by_role("tab", name=EN["content.editor.tab_form"]).click()
    expect(page.locator("#problems")).to_contain_text("Line ")
    expect(yaml_box).to_be_visible()
    yaml_box.fill(text.replace("en: Start here", "en: Begin here"))
    page.get_by_role("tab", name=EN["content.editor.tab_form"]).click()
    expect(_text(_step(page, 1), "title", "English")).to_have_value("Begin here")
    expect(page.get_by_label(EN["content.field.segment"])).to_have_value("admins")

    page.get_by_role("button", name=EN["content.editor.publish"], exact=True).click()
    page.get_by_role("button", name=EN["content.publish.confirm"]).click()
    expect(page.locator("#item-versions")).to_have_text(EN["content.version.live"].format(number=2))
    expect(page.locator("#item-changed")).to_be_hidden()
    draft = _api(console_world, "content/first-project")["draft"]
    assert draft["audience"] == {
        "segment": "admins",
        "rules": {"not": {"did": {"event": "Project Created"}}},
    }

    page.get_by_role("tab", name=EN["content.editor.tab_versions"]).click()
    versions = page.locator("#versions-table tbody tr")
    expect(versions).to_have_count(2)
    page.get_by_role("button", name=EN["content.versions.compare"].format(number=1)).click()
    diff = page.locator("#diff")
    expect(diff.locator(".removed")).to_contain_text(["en: Start here"])
    expect(diff.locator(".added")).to_contain_text(["segment: admins", "en: Begin here"])
    screenshot(page, "content-versions")

    page.get_by_role("button", name=EN["content.versions.revert"].format(number=1)).click()
    expect(page.locator("#item-changed")).to_be_visible()
    page.get_by_role("tab", name=EN["content.editor.tab_form"]).click()
    expect(_text(_step(page, 1), "title", "English")).to_have_value("Start here")
    expect(page.get_by_label(EN["content.field.segment"])).to_have_value("")
    assert "audience" in _api(console_world, "content/first-project")["draft"]


def test_builder_edits_a_segment_and_watches_the_count_follow_the_rules(
    console_world: ConsoleWorld, browser_page: Page
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 720})
    sign_in(page, console_world, Role.BUILDER, then="segments")
    admins = page.locator("#segment-list tr[data-key=admins]")
    expect(admins).to_contain_text("role = admin")
    expect(admins).to_contain_text(EN["content.kind.menu"].split()[0])  # used by the help menu
    expect(admins.locator("[data-count]")).to_have_text(re.compile(r"^\d+ \("))

    admins.get_by_role("link", name="Admins").click()
    page.wait_for_url("**/segments/item/admins")
    everyone_admin = _count(page)
    assert everyone_admin > 0
    expect(page.locator("#live-sample tbody tr")).to_have_count(8)
    page.get_by_label(EN["segments.condition.value"]).fill("member")
    expect(page.locator("#live-count")).not_to_have_text(f"{everyone_admin} people")
    members = _count(page)
    assert members > 0

    # Members of large companies: a second condition narrows the count.
    page.get_by_role("button", name=EN["segments.group.add_condition"]).click()
    row = page.locator(".condition").nth(1)
    row.get_by_label(EN["segments.condition.kind"], exact=True).select_option("account")
    row.get_by_label(EN["segments.condition.trait"]).fill("employees")
    row.get_by_label(EN["segments.condition.op"]).select_option("gte")
    row.get_by_label(EN["segments.condition.value"]).fill("200")
    expect(page.locator("#live-count")).not_to_have_text(f"{members} people")
    large_members = _count(page)
    assert 0 < large_members < members
    # An unfinished condition shows no count rather than a wrong one.
    page.get_by_role("button", name=EN["segments.group.add_condition"]).click()
    expect(page.locator("#live-share")).to_have_text(EN["segments.live.unfinished"])
    row = page.locator(".condition").nth(2)
    row.get_by_label(EN["segments.condition.kind"], exact=True).select_option("did")
    row.get_by_label(EN["segments.did.mode"]).select_option("not_event")
    row.get_by_label(EN["segments.did.name"]).fill("Report Built")
    row.get_by_label(EN["segments.did.days"]).fill("30")
    expect(page.locator("#live-share")).not_to_have_text(EN["segments.live.unfinished"])
    assert _count(page) <= large_members
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "segments")

    page.get_by_role("button", name=EN["segments.editor.save"]).click()
    expect(page.locator("#item-dirty")).to_be_hidden()
    saved = yaml.safe_load(_api(console_world, "content-files")["files"]["segments/admins.yaml"])
    assert saved["rules"] == {
        "all": [
            {"trait": {"role": {"eq": "member"}}},
            {"account": {"employees": {"gte": 200}}},
            {"not": {"did": {"event": "Report Built", "within_days": 30}}},
        ]
    }
    page.get_by_role("tab", name=EN["content.editor.tab_yaml"]).click()
    expect(page.get_by_label(EN["segments.yaml.label"])).to_have_value(
        re.compile(r"kind: segment\nkey: admins\n")
    )


def test_a_viewer_reads_the_library_and_segments_in_japanese_without_edit_controls(
    console_world: ConsoleWorld, browser_page: Page
) -> None:
    page = browser_page
    sign_in(page, console_world, Role.VIEWER, then="content")
    page.goto(console_world.url("content") + "?lang=ja")
    expect(page.locator("main h1")).to_have_text(JA["content.title"])
    expect(page.get_by_role("link", name="Create your first project")).to_be_visible()
    expect(page.get_by_text(JA["content.library.new"], exact=True)).to_have_count(0)
    expect(page.locator("tr[data-key=first-project] [data-people]")).not_to_have_text("···")

    page.get_by_role("link", name="Create your first project").click()
    expect(page.get_by_text(JA["content.editor.read_only"])).to_be_visible()
    expect(page.get_by_role("button", name=JA["content.editor.publish"])).to_have_count(0)
    expect(page.get_by_role("button", name=JA["content.editor.save"])).to_have_count(0)
    expect(_step(page, 1).get_by_role("textbox").first).to_be_disabled()
    expect(page.get_by_role("button", name=JA["content.step.add"])).to_be_disabled()
    page.get_by_role("tab", name=JA["content.editor.tab_versions"]).click()
    expect(page.get_by_role("button", name=JA["content.versions.compare"].format(number=1)))
    expect(
        page.get_by_role("button", name=JA["content.versions.revert"].format(number=1))
    ).to_have_count(0)

    page.goto(console_world.url("segments/item/trials"))
    expect(page.locator("main h1")).to_have_text("On a trial")
    expect(page.get_by_text(JA["segments.live.no_access"])).to_be_visible()
    expect(page.get_by_role("button", name=JA["segments.editor.save"])).to_have_count(0)
    expect(page.get_by_role("button", name=JA["segments.group.add_condition"])).to_have_count(0)
    expect(page.get_by_label(JA["segments.condition.value"])).to_be_disabled()
    assert page.goto(console_world.url("segments/new")).status == 403  # type: ignore[union-attr]
