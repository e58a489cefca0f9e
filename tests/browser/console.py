"""Console test helpers: a workspace holding the demo's content and simulated customers on the
live server, members of each role, and signing in through the console's own form."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, Tenant
from waypost.demo.seed import mark_seeded, seed_content
from waypost.demo.simulate import Simulation, simulate
from waypost.settings import Settings
from waypost.tenancy.roles import Role

# Small enough to simulate in about a second; big enough for every chart to have a shape.
CUSTOMERS = 120
DAYS = 45


@dataclass(frozen=True)
class ConsoleWorld:
    """The live server, a workspace with the demo app's content and customers, and a member
    of each role in it (all with the password PASSWORD)."""

    base_url: str
    tenant: Tenant
    emails: dict[Role, str]

    @property
    def app_id(self) -> str:
        return self.tenant.app_id

    def url(self, section: str) -> str:
        """A section of the app's console (e.g. `insights`)."""
        return f"{self.base_url}/console/apps/{self.app_id}/{section}"


def build_world(
    live_server: str,
    live_app: FastAPI,
    make_tenant: Callable[[str], Tenant],
    make_member: Callable[[str, Role, str], str],
    db: Session,
    settings: Settings,
    customers: int = CUSTOMERS,
) -> ConsoleWorld:
    """Seed the demo content and simulate customers into a new workspace on the live server."""
    tenant = make_tenant("Acme")
    with db.begin():
        seed_content(db, tenant.app_id)
    mark_seeded(settings, tenant.app_id)
    end = datetime.now(UTC).date()
    simulate(live_app.state.events, tenant.app_id, Simulation(customers, DAYS, 1, end))
    emails = {Role.OWNER: tenant.owner_email}
    for role in (Role.ADMIN, Role.BUILDER, Role.ANALYST, Role.VIEWER):
        emails[role] = make_member(tenant.workspace_id, role, f"{role.value}@acme.example")
    return ConsoleWorld(live_server, tenant, emails)


def sign_in(page: Page, world: ConsoleWorld, role: Role = Role.OWNER, then: str = "home") -> None:
    """Sign in through the form as the member of `role` and open a section of the app."""
    page.goto(world.url(then))
    page.wait_for_url("**/console/login**")
    page.fill("input[name=email]", world.emails[role])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    # Anchored on the path: the sign-in page's own address names the page in `next`.
    page.wait_for_url(re.compile(f"^{re.escape(world.url(then))}(\\?|$)"))
    expect(page.locator("main h1")).to_be_visible()
