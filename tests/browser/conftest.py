"""Browser fixtures: the real app served by uvicorn on a free local port, and a Chromium page.

Browser tests run on SQLite only: the backends are covered by the API tests, and doubling every
Chromium run would only make the suite slower.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.orm import Session

from tests.browser.console import ConsoleWorld, build_world
from tests.browser.sites import serve_sites
from tests.conftest import Tenant
from waypost.settings import Settings
from waypost.tenancy.roles import Role

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000

# Room for a loaded CI machine: Argon2 sign-ins and page loads can exceed Playwright's 5 s default.
expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def metadata_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh copy of the migrated SQLite template (overrides the sqlite/postgresql pair)."""
    target = tmp_path / "metadata.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright, launched once per test module.

    Not per session: while sync Playwright runs, its event loop counts as running on the main
    thread, so `asyncio.run` in any later, unrelated test would fail.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies from other tests), English by default."""
    context = chromium.new_context(locale="en-US", timezone_id="UTC")
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    """The app the fixture sites install the snippet for."""
    return make_tenant("Shop")


@pytest.fixture
def site(live_server: str, tenant: Tenant) -> Iterator[str]:
    """The fixture sites (another origin than the server), with the server's URL and the app's
    write key in their pages; /shop/strict.html under a strict Content-Security-Policy."""
    strict = (
        f"default-src 'self'; script-src 'self' {live_server}; connect-src {live_server}; "
        "style-src 'self'; img-src 'self'"
    )
    with serve_sites(
        {"__WAYPOST__": live_server, "__KEY__": tenant.app.write_key},
        {"/shop/strict.html": {"Content-Security-Policy": strict}},
    ) as url:
        yield url


@pytest.fixture
def console_world(
    live_server: str,
    live_app: FastAPI,
    make_tenant: Callable[[str], Tenant],
    make_member: Callable[[str, Role, str], str],
    db: Session,
    settings: Settings,
) -> ConsoleWorld:
    """The demo's content and simulated customers in a workspace on the live server, with a
    member of each role (see tests/browser/console.py)."""
    return build_world(live_server, live_app, make_tenant, make_member, db, settings)
