"""A builder's preview link in real Chromium: the draft (the item's release to staging) shows in
the tab opened from the link, with a "Preview · Exit" badge, and survives a reload; another
browser sees production; the draft's events carry $preview; Exit, or a token decide refuses,
ends the preview and production follows. The badge speaks Japanese on a Japanese page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.snippet import publish, screenshot, stored_named
from tests.conftest import Tenant
from waypost.guidance import preview_links
from waypost.settings import Settings

pytestmark = pytest.mark.browser

WELCOME = {
    "kind": "shoutout",
    "key": "welcome",
    "name": "Welcome",
    "style": "modal",
    "title": {"en": "Welcome", "ja": "ようこそ"},
    "body": {"en": "Your shop is ready."},
}
DRAFT = {**WELCOME, "title": {"en": "Welcome, in the new words", "ja": "新しいことば"}}


def _stage(live_server: str, tenant: Tenant, settings: Settings) -> str:
    """WELCOME in production, DRAFT released to staging; a preview link's token for it."""
    publish(live_server, tenant, WELCOME)
    saved = httpx.put(f"{live_server}/api/v1/content/welcome", json=DRAFT, headers=tenant.bearer())
    assert saved.status_code == 200, saved.text
    staged = httpx.post(
        f"{live_server}/api/v1/content/welcome/publish",
        json={"environment": "staging"},
        headers=tenant.bearer(),
    )
    assert staged.status_code == 200, staged.text
    assert staged.json()["number"] == 2
    expires = datetime.now(UTC) + timedelta(minutes=30)
    return preview_links.issue(
        settings.signing_secret(), tenant.app_id, "welcome", 2, "member-1", expires
    )


def _kept(page: Page) -> Any:
    """The preview token the tab keeps, if any."""
    return page.evaluate(
        "() => Object.keys(sessionStorage).filter((k) => k.endsWith(':preview')).length"
    )


def test_a_preview_link_shows_the_draft_in_its_tab_only_until_exit(
    browser_page: Page,
    chromium: Browser,
    site: str,
    live_server: str,
    tenant: Tenant,
    settings: Settings,
) -> None:
    token = _stage(live_server, tenant, settings)
    page = browser_page
    page.goto(f"{site}/shop/index.html?tab=all&waypost_preview={token}#top")
    layer = page.locator("waypost-layer")
    draft = layer.get_by_role("dialog", name="Welcome, in the new words")
    expect(draft).to_be_visible()
    badge = layer.get_by_role("status").filter(has_text="Preview")
    expect(badge).to_contain_text("Preview · Exit")
    exit_button = badge.get_by_role("button", name="Exit preview")
    expect(exit_button).to_be_visible()
    # The token leaves the address bar (and the page views) but stays with the tab.
    assert page.url == f"{site}/shop/index.html?tab=all#top"
    assert _kept(page) == 1
    screenshot(page, "snippet-preview")

    # Someone else, at the same time: production, no badge.
    other = chromium.new_context()
    try:
        elsewhere = other.new_page()
        elsewhere.goto(f"{site}/shop/index.html")
        other_layer = elsewhere.locator("waypost-layer")
        expect(other_layer.get_by_role("dialog", name="Welcome", exact=True)).to_be_visible()
        expect(other_layer.get_by_role("button", name="Exit preview")).to_have_count(0)
        elsewhere.evaluate("() => waypost.flush()")
    finally:
        other.close()

    page.evaluate("() => waypost.flush()")
    shown = stored_named(live_server, tenant, "$guide_shown", 2)
    marks = sorted(
        (e["properties"]["$content_version"], e["properties"].get("$preview")) for e in shown
    )
    assert marks == [(1, None), (2, True)]

    # A reload keeps the preview (whatever its frequency says); Exit ends it.
    page.reload()
    layer = page.locator("waypost-layer")
    expect(layer.get_by_role("dialog", name="Welcome, in the new words")).to_be_visible()
    layer.get_by_role("button", name="Exit preview").click()
    expect(layer.get_by_role("button", name="Exit preview")).to_have_count(0)
    expect(layer.get_by_role("dialog", name="Welcome, in the new words")).to_have_count(0)
    expect(layer.get_by_role("dialog", name="Welcome", exact=True)).to_be_visible()
    assert _kept(page) == 0
    page.reload()
    layer = page.locator("waypost-layer")
    expect(layer.get_by_role("dialog", name="Welcome", exact=True)).to_be_visible()
    expect(layer.get_by_role("button", name="Exit preview")).to_have_count(0)


def test_a_token_decide_refuses_is_dropped_and_production_shows(
    browser_page: Page, site: str, live_server: str, tenant: Tenant, settings: Settings
) -> None:
    token = _stage(live_server, tenant, settings)
    body, mac = token.split(".")
    page = browser_page
    page.goto(f"{site}/shop/index.html?waypost_preview={body}.{mac[::-1]}")
    layer = page.locator("waypost-layer")
    expect(layer.get_by_role("dialog", name="Welcome", exact=True)).to_be_visible()
    expect(layer.get_by_role("button", name="Exit preview")).to_have_count(0)
    assert _kept(page) == 0
    assert "waypost_preview" not in page.url
    pages = stored_named(live_server, tenant, "$page")
    assert pages and all("waypost_preview" not in e["properties"]["url"] for e in pages)


def test_the_badge_speaks_the_pages_language(
    chromium: Browser,
    site: str,
    live_server: str,
    tenant: Tenant,
    settings: Settings,
) -> None:
    token = _stage(live_server, tenant, settings)
    context = chromium.new_context(locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(f"{site}/shop/ja.html?waypost_preview={token}")
        layer = page.locator("waypost-layer")
        expect(layer.get_by_role("dialog", name="新しいことば")).to_be_visible()
        badge = layer.get_by_role("status").filter(has_text="プレビュー")
        expect(badge).to_contain_text("プレビュー · 終了")
        badge.get_by_role("button", name="プレビューを終了").focus()
        page.keyboard.press("Enter")
        expect(layer.get_by_role("dialog", name="ようこそ")).to_be_visible()
        expect(layer.get_by_role("status").filter(has_text="プレビュー")).to_have_count(0)
    finally:
        context.close()
