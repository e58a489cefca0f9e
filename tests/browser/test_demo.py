"""The demo in real Chromium: a new visitor signs up to Acme CRM at /demo/, gets the welcome
shoutout, follows the onboarding walkthrough to create a project, and the server's events and
the person's checklist show it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.browser.snippet import screenshot, stored_named
from tests.conftest import Tenant
from waypost.demo.seed import mark_seeded, seed_content
from waypost.guidance.rules import stable_percent
from waypost.settings import Settings

pytestmark = pytest.mark.browser


def test_a_new_visitor_is_welcomed_guided_and_ticks_off_a_task(
    live_server: str,
    browser_page: Page,
    make_tenant: Callable[[str], Tenant],
    db: Session,
    settings: Settings,
) -> None:
    tenant = make_tenant("Demo")
    with db.begin():
        seed_content(db, tenant.app_id)
    mark_seeded(settings, tenant.app_id)
    # A visitor outside the main walkthrough's 10% holdout (a stable draw per person).
    email = next(
        f"ana{n}@example.com"
        for n in range(100)
        if stable_percent("holdout:first-project", f"demo-ana{n}@example.com") >= 10
    )
    page = browser_page
    page.goto(f"{live_server}/demo/")
    page.fill("#signup-name", "Ana Silva")
    page.fill("#signup-email", email)
    page.fill("#signup-company", "Globex")
    page.select_option("#signup-size", "60")
    page.click("#signup-submit")
    page.fill("#verify-code", page.locator(".code").inner_text())
    page.click("#verify-submit")
    page.wait_for_url("**/demo/projects")
    layer = page.locator("waypost-layer")
    welcome = layer.get_by_role("dialog", name="Welcome to Acme CRM!")
    expect(welcome).to_be_visible()
    screenshot(page, "demo-welcome")
    welcome.get_by_role("button", name="Show me around").click()
    start = layer.get_by_role("region", name="Start here")
    expect(start).to_be_visible()
    screenshot(page, "demo-walkthrough")
    page.click("#new-project")
    expect(layer.get_by_role("region", name="Name it")).to_be_visible()
    expect(page.locator("#project-name")).to_be_focused()  # the auto-step focused it
    page.keyboard.type("Globex pipeline")
    create = layer.get_by_role("region", name="Create it")
    expect(create).to_be_visible()
    page.click("#create-project")
    ready = layer.get_by_role("dialog", name="Your project is ready")
    expect(ready).to_contain_text("invite your team")  # the split: an admin's next step
    page.evaluate("() => waypost.flush()")

    created = stored_named(live_server, tenant, "Project Created")
    assert created and created[0]["user_id"] == f"demo-{email}"
    ticked = stored_named(live_server, tenant, "$task_completed")
    assert sorted(e["content_id"] for e in ticked) == ["create-project", "verify-email"]
    answer = httpx.post(
        f"{live_server}/sdk/v1/decide",
        json={"writeKey": tenant.app.write_key, "userId": f"demo-{email}", "locale": "en"},
    ).json()
    done = {t["key"] for t in answer["checklist"]["tasks"] if t["done"]}
    assert done == {"verify-email", "create-project"}
