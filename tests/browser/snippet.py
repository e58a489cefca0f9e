"""What the snippet's browser tests ask of the Waypost server they run against: content published
through the admin API, the events it stored (waited for, since the snippet sends in batches),
and where screenshots go."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.conftest import Tenant

SCREENSHOTS = Path("/tmp/waypost-screenshots")
WAIT_SECONDS = 10

Events = list[dict[str, Any]]


def publish(live_server: str, tenant: Tenant, *documents: dict[str, Any]) -> None:
    """Save every document as a draft, then publish them (so they may refer to each other)."""
    for document in documents:
        saved = httpx.post(f"{live_server}/api/v1/content", json=document, headers=tenant.bearer())
        assert saved.status_code == 201, saved.text
    for document in documents:
        published = httpx.post(
            f"{live_server}/api/v1/content/{document['key']}/publish", headers=tenant.bearer()
        )
        assert published.status_code == 200, published.text


def stored(
    live_server: str,
    tenant: Tenant,
    until: Callable[[Events], bool] = bool,
    event: str | None = None,
) -> Events:
    """The app's stored events (of one name, when given), oldest first, once `until` holds for
    them (or after WAIT_SECONDS)."""
    params: dict[str, Any] = {"limit": 1000}
    if event is not None:
        params["event"] = event
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        answer = httpx.get(f"{live_server}/api/v1/events", params=params, headers=tenant.bearer())
        assert answer.status_code == 200, answer.text
        events: Events = answer.json()["events"][::-1]
        if until(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.2)


def stored_named(live_server: str, tenant: Tenant, name: str, wanted: int = 1) -> Events:
    """The stored events of one name, oldest first, once there are `wanted` of them."""
    return stored(live_server, tenant, lambda found: len(found) >= wanted, event=name)


def named(events: Events, name: str) -> Events:
    return [e for e in events if e["event"] == name]


def ready(page: Page) -> None:
    """Wait until the snippet has started in the page."""
    page.wait_for_function("() => window.waypost && window.waypost.version")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")
