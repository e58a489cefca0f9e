"""An app's settings: its keys and the snippet, the workspace's members and roles, identity
verification, the guidance settings (attention budget, locales, time zone), and the member's own
language and time zone.

Changes to the app go through the admin API from the page's script, which checks roles again;
the page shows each control only to those who may use it. Keys and the identity secret are
managed by owners only. The member's own preferences are a form posted to this section.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from waypost.console.shell import (
    LOCALE_COOKIE,
    ConsoleError,
    ConsolePage,
    remember_locale,
)
from waypost.console.views.home import public_base
from waypost.guidance.app_settings import app_settings, identity_secret
from waypost.i18n import SUPPORTED_LOCALES, translator
from waypost.tenancy.keys import KeyKind, active_keys
from waypost.tenancy.models import Membership, User
from waypost.tenancy.roles import Permission, Role
from waypost.tenancy.sessions import CSRF_FORM_FIELD, csrf_matches

router = APIRouter(include_in_schema=False)

# How long the current key keeps working after a rotation, offered in the page (seconds).
GRACE_CHOICES = (86_400, 3_600, 7 * 86_400, 0)


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA zones a member may choose, by name (the region/city ones and UTC)."""
    skipped = ("Etc/", "SystemV/", "posix/", "right/")
    regional = (zone for zone in available_timezones() if "/" in zone)
    return (*sorted(zone for zone in regional if not zone.startswith(skipped)), "UTC")


@router.get("/console/apps/{app_id}/settings")
def settings_page(page: ConsolePage, app_id: str) -> HTMLResponse:
    """The app's settings, with what the member's role may change."""
    app = page.app(app_id, Permission.VIEW)
    manages_keys = page.can(Permission.MANAGE_KEYS.value)
    keys = active_keys(page.db, app.id)
    members = page.db.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == app.workspace_id)
        .order_by(User.email)
    ).all()
    write_key = next((key for key in keys if key.kind == KeyKind.WRITE), None)
    return page.render(
        "app/settings.html",
        section="settings",
        base_url=public_base(page),
        keys=keys,
        write_key=write_key.public_value if write_key else None,
        manages_keys=manages_keys,
        grace_choices=GRACE_CHOICES,
        members=[(membership, user, Role(membership.role)) for membership, user in members],
        roles=[role for role in Role if page.role is Role.OWNER or role is not Role.OWNER],
        guidance=app_settings(page.db, app.id),
        identity_secret=identity_secret(page.db, app.id) if manages_keys else None,
        zones=time_zones(),
        user=page.signed_in.user,
        saved=page.request.query_params.get("saved") == "preferences",
    )


@router.post("/console/apps/{app_id}/settings/preferences")
def save_preferences(
    page: ConsolePage,
    app_id: str,
    csrf_token: Annotated[str, Form(alias=CSRF_FORM_FIELD)] = "",
    locale: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "",
) -> Response:
    """Set the member's language and time zone (empty: follow the browser, UTC)."""
    app = page.app(app_id, Permission.VIEW)
    t = translator(page.locale)
    if not csrf_matches(page.signed_in.csrf_token, csrf_token):
        raise ConsoleError(403, t("settings.prefs.expired"))
    if locale and locale not in SUPPORTED_LOCALES:
        raise ConsoleError(422, t("settings.prefs.bad_locale"))
    if timezone and timezone not in time_zones():
        raise ConsoleError(422, t("settings.prefs.bad_zone"))
    user = page.signed_in.user
    user.locale = locale or None
    user.timezone = timezone or None
    response = RedirectResponse(
        f"/console/apps/{app.id}/settings?saved=preferences#preferences", status_code=303
    )
    # The language cookie (set by the header's language links) outranks the member's setting,
    # so it follows the choice made here, or goes when the choice is the browser's.
    if locale:
        remember_locale(response, page.request, page.settings, locale)
    else:
        response.delete_cookie(LOCALE_COOKIE)
    return response
