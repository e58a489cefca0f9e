"""Browser fixtures: the real app served by uvicorn on a free local port, and a Chromium page.

Browser tests run on SQLite only: the backends are covered by the API tests, and doubling every
Chromium run would only make the suite slower.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from waypost.app import create_app
from waypost.settings import Settings

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
STARTUP_SECONDS = 20.0
WAIT_MS = 10_000

# Room for a loaded CI machine: Argon2 sign-ins and page loads can exceed Playwright's 5 s default.
expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def metadata_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh copy of the migrated SQLite template (overrides the sqlite/postgresql pair)."""
    target = tmp_path / "metadata.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The full app under uvicorn in a background thread; yields its base URL."""
    # Binding the socket here (port 0) and handing it to uvicorn leaves no window for a port race.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), lifespan="on", log_config=None, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, thread)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert not thread.is_alive(), "the live server did not stop within 10 seconds"


def _wait_until_healthy(base_url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if not thread.is_alive():
            pytest.fail("the live server stopped during startup (see the captured log)")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the live server did not answer /healthz within {STARTUP_SECONDS} seconds")


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
