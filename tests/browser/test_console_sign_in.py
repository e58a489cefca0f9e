"""The console's sign-in, home page, language switch and sign-out, driven in real Chromium."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

import waypost.i18n
from tests.conftest import PASSWORD, Tenant
from waypost.i18n import format_datetime
from waypost.tenancy.models import App
from waypost.tenancy.sessions import SESSION_COOKIE

pytestmark = pytest.mark.browser

LOCALES_DIR = Path(waypost.i18n.__file__).with_name("locales")
JA_SCREENSHOT = Path("/tmp/console-ja.png")


def _catalogue(locale: str) -> dict[str, str]:
    messages: dict[str, str] = json.loads((LOCALES_DIR / f"{locale}.json").read_text("utf-8"))
    return messages


EN = _catalogue("en")
JA = _catalogue("ja")


def _at(path: str) -> re.Pattern[str]:
    """The page's URL has this path (any query string)."""
    return re.compile(rf"^http://127\.0\.0\.1:\d+{re.escape(path)}(\?.*)?$")


def _submit_login(page: Page, messages: dict[str, str], email: str, password: str) -> None:
    page.get_by_label(messages["login.email"]).fill(email)
    page.get_by_label(messages["login.password"]).fill(password)
    page.get_by_role("button", name=messages["login.submit"]).click()


def _session_cookie(page: Page) -> str | None:
    for cookie in page.context.cookies():
        if cookie["name"] == SESSION_COOKIE:
            return cookie["value"]
    return None


def test_owner_signs_in_and_sees_app_name_snippet_and_keys(
    live_server: str, browser_page: Page, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    page = browser_page
    page.goto(f"{live_server}/console/login")

    _submit_login(page, EN, tenant.owner_email, PASSWORD)

    expect(page).to_have_url(_at("/console/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(EN["home.title"])
    card = page.locator(f'article.app[data-app-id="{tenant.app_id}"]')
    expect(card.get_by_role("heading", level=3)).to_have_text("Acme app")
    snippet = card.locator("pre.snippet")
    # Without a configured public URL, the snippet points where the builder reached the server.
    expect(snippet).to_contain_text(f'src="{live_server}/sdk/v1/waypost.js"')
    expect(snippet).to_contain_text(f'data-key="{tenant.app.write_key}"')
    keys = card.locator("table.keys")
    expect(keys.locator("thead th")).to_have_text(
        [EN["home.key_kind"], EN["home.key_hint"], EN["home.key_created"], EN["home.key_expires"]]
    )
    rows = keys.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=EN["home.kind.write"])).to_contain_text(tenant.app.write_key)
    secret = tenant.app.secret_key
    expect(rows.filter(has_text=EN["home.kind.secret"])).to_contain_text(
        f"{secret[:7]}…{secret[-4:]}"
    )
    assert secret not in page.content(), "the console must never show a secret key in full"


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_wrong_password_shows_translated_error_and_stays_on_login(
    live_server: str, browser_page: Page, make_tenant: Callable[[str], Tenant], locale: str
) -> None:
    tenant = make_tenant("Acme")
    messages = _catalogue(locale)
    page = browser_page
    page.goto(f"{live_server}/console/login?lang={locale}")

    _submit_login(page, messages, tenant.owner_email, "not the password at all")

    expect(page.get_by_role("alert")).to_have_text(messages["login.bad_credentials"])
    expect(page).to_have_url(_at("/console/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text(messages["login.title"])
    assert _session_cookie(page) is None


def test_switching_to_japanese_shows_japanese_sign_in_home_and_dates(
    live_server: str, browser_page: Page, make_tenant: Callable[[str], Tenant], db: Session
) -> None:
    tenant = make_tenant("Acme")
    created_at = db.scalar(select(App.created_at).where(App.id == tenant.app_id))
    assert created_at is not None
    japanese_date = format_datetime(created_at, "ja")
    # The check below only proves anything if the two locales write this date differently.
    assert japanese_date != format_datetime(created_at, "en")
    page = browser_page
    page.goto(f"{live_server}/console/login")
    expect(page.get_by_role("heading", level=1)).to_have_text(EN["login.title"])

    page.get_by_role("link", name="日本語").click()

    expect(page).to_have_url(_at("/console/login"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page).to_have_title(JA["login.title"])
    expect(page.get_by_role("heading", level=1)).to_have_text(JA["login.title"])
    expect(page.get_by_text(JA["nav.language"])).to_be_visible()

    # The choice is remembered by cookie: neither the form post nor the redirect carries ?lang.
    _submit_login(page, JA, tenant.owner_email, PASSWORD)

    expect(page).to_have_url(_at("/console/"))
    expect(page).to_have_title(JA["home.title"])
    expect(page.get_by_role("heading", level=1)).to_have_text(JA["home.title"])
    expect(page.get_by_role("heading", level=2)).to_have_text(
        JA["home.workspace"].format(name="Acme", role=JA["role.owner"])
    )
    card = page.locator(f'article.app[data-app-id="{tenant.app_id}"]')
    expect(card.locator("p.muted").first).to_have_text(
        JA["home.created"].format(when=japanese_date)
    )
    expect(card.get_by_role("heading", level=4, name=JA["home.snippet"])).to_be_visible()
    expect(card.locator("table.keys thead th")).to_have_text(
        [JA["home.key_kind"], JA["home.key_hint"], JA["home.key_created"], JA["home.key_expires"]]
    )
    expect(card.get_by_role("cell", name=JA["home.kind.write"])).to_be_visible()
    expect(page.get_by_role("button", name=JA["nav.sign_out"])).to_be_visible()
    page.screenshot(path=str(JA_SCREENSHOT), full_page=True)


def test_sign_out_returns_to_login_and_ends_the_session(
    live_server: str, browser_page: Page, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    page = browser_page
    page.goto(f"{live_server}/console/login")
    _submit_login(page, EN, tenant.owner_email, PASSWORD)
    expect(page).to_have_url(_at("/console/"))
    token = _session_cookie(page)
    assert token is not None

    page.get_by_role("button", name=EN["nav.sign_out"]).click()

    expect(page).to_have_url(_at("/console/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text(EN["login.title"])
    assert _session_cookie(page) is None
    page.goto(f"{live_server}/console/")
    expect(page).to_have_url(_at("/console/login"))
    # Not only the browser forgot the cookie: the server no longer accepts the old token.
    replay = httpx.get(f"{live_server}/console/", cookies={SESSION_COOKIE: token})
    assert replay.status_code == 303
    assert replay.headers["location"] == "/console/login"
