"""What every console page shares: the signed-in member, their locale and time zone, the app the
page is about (checked against their role), the navigation, and rendering with the helpers
templates use (t, dates, numbers, money, permissions).

A page asks for `Page` and then `page.app(app_id, Permission.X)`; a member without a session is
sent to sign in, and one without the permission gets the console's own error page, not JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from babel.numbers import format_currency, format_decimal, format_percent
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from waypost.errors import Forbidden, NotFound
from waypost.i18n import format_datetime, negotiate_locale, translator
from waypost.i18n.catalog import messages
from waypost.settings import Settings
from waypost.tenancy.members import memberships_of
from waypost.tenancy.models import App
from waypost.tenancy.roles import Permission, Role
from waypost.tenancy.sessions import SESSION_COOKIE, SignedIn, resolve_session
from waypost.tenancy.workspaces import apps_in
from waypost.web.deps import DB, Principal, app_for, get_settings

LOCALE_COOKIE = "waypost_locale"
# What a number that is not there shows as (an en dash, the typographic "none").
EMPTY = "\u2013"
_HERE = Path(__file__).parent
templates = Jinja2Templates(directory=_HERE / "templates")

# The sections of an app, in the order the navigation lists them, with what each needs to open.
SECTIONS: tuple[tuple[str, Permission], ...] = (
    ("home", Permission.QUERY_INSIGHTS),
    ("insights", Permission.QUERY_INSIGHTS),
    ("dashboards", Permission.QUERY_INSIGHTS),
    ("events", Permission.READ_EVENTS),
    ("people", Permission.READ_EVENTS),
    ("content", Permission.VIEW),
    ("segments", Permission.VIEW),
    ("surveys", Permission.QUERY_INSIGHTS),
    ("impact", Permission.QUERY_INSIGHTS),
    ("settings", Permission.VIEW),
)


class SignInFirst(Exception):
    """A console page asked for without a session: sign in, then come back to `target`."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class ConsoleError(Exception):
    """A page that cannot be shown to this member: rendered as the console's error page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def chosen_locale(request: Request, settings: Settings, signed_in: SignedIn | None) -> str:
    """The page's language: ?lang=, then the cookie, then the member's setting, then the
    browser's Accept-Language, then the server default."""
    chosen = request.query_params.get("lang") or request.cookies.get(LOCALE_COOKIE)
    if signed_in is not None and signed_in.user.locale and not chosen:
        chosen = signed_in.user.locale
    if chosen in ("en", "ja"):
        return chosen
    return negotiate_locale(request.headers.get("accept-language"), settings.default_locale)


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Whether cookies are marked Secure: as configured, else when the request came over TLS."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return request.url.scheme == "https"


def current_session(request: Request, db: Session) -> SignedIn | None:
    """The console session the request's cookie names, if it is valid."""
    token = request.cookies.get(SESSION_COOKIE)
    return resolve_session(db, token) if token else None


@dataclass
class Page:
    """One console request by a signed-in member."""

    request: Request
    db: Session
    settings: Settings
    signed_in: SignedIn
    principal: Principal
    locale: str
    timezone: str | None
    current: App | None = None

    def app(self, app_id: str, needs: Permission = Permission.VIEW) -> App:
        """The app the page is about, when the member may `needs` in it; the console's error
        page otherwise (404 for an app that is not theirs, 403 for a missing permission)."""
        try:
            self.current = app_for(self.db, self.principal, app_id, needs)
        except NotFound:
            raise ConsoleError(404, translator(self.locale)("error.not_found")) from None
        except Forbidden:
            raise ConsoleError(403, translator(self.locale)("error.forbidden")) from None
        return self.current

    def can(self, permission: str) -> bool:
        """Whether the member may do this in the current app (templates hide what they cannot)."""
        if self.current is None:
            return False
        return Permission(permission) in self.principal.permissions_in(self.current)

    @property
    def role(self) -> Role | None:
        """The member's role in the current app's workspace."""
        return self.principal.role_in(self.current.workspace_id) if self.current else None

    def apps(self) -> list[App]:
        """Every app the member can open, for the app switcher."""
        return apps_in(self.db, list(self.principal.roles))

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """The template with the console's helpers, in the member's language and zone."""
        section = context.pop("section", None)
        nav = []
        if self.current is not None:
            allowed = self.principal.permissions_in(self.current)
            nav = [
                {
                    "key": key,
                    "url": f"/console/apps/{self.current.id}/{key}",
                    "active": key == section,
                }
                for key, needs in SECTIONS
                if needs in allowed
            ]
        response = templates.TemplateResponse(
            self.request,
            template,
            {
                **helpers(self.locale, self.timezone),
                "signed_in": self.signed_in,
                "csrf_token": self.signed_in.csrf_token,
                "page": self,
                "app": self.current,
                "nav": nav,
                "section": section,
                **context,
            },
            status_code=status,
        )
        if self.request.query_params.get("lang") in ("en", "ja"):
            remember_locale(response, self.request, self.settings, self.locale)
        return response


def remember_locale(response: Any, request: Request, settings: Settings, locale: str) -> None:
    """Keep a language chosen with ?lang= for later pages."""
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=365 * 86400,
        samesite="lax",
        secure=secure_cookies(request, settings),
    )


def helpers(locale: str, timezone: str | None) -> dict[str, Any]:
    """What templates format with: translations, dates in the member's zone, numbers, shares
    and money in the locale's way, and the catalogue for the page's scripts."""

    def number(value: float | None, digits: int = 0) -> str:
        if value is None:
            return EMPTY
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=locale)

    def percent(value: float | None, digits: int = 1) -> str:
        if value is None:
            return EMPTY
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return format_percent(value, format=pattern, locale=locale)

    def money(value: float | None, currency: str = "USD") -> str:
        if value is None:
            return EMPTY
        return format_currency(value, currency, locale=locale)

    return {
        "t": translator(locale),
        "locale": locale,
        "timezone": timezone or "UTC",
        "when": lambda value: format_datetime(value, locale, timezone) if value else EMPTY,
        "number": number,
        "percent": percent,
        "money": money,
        "messages_json": json.dumps(messages(locale), ensure_ascii=False),
    }


def get_page(
    request: Request, db: DB, settings: Annotated[Settings, Depends(get_settings)]
) -> Page:
    """The signed-in member's page; without a session, a redirect to sign in and back."""
    signed_in = current_session(request, db)
    if signed_in is None:
        raise SignInFirst(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    roles = {m.workspace_id: Role(m.role) for m in memberships_of(db, signed_in.user.id)}
    return Page(
        request=request,
        db=db,
        settings=settings,
        signed_in=signed_in,
        principal=Principal(signed_in=signed_in, roles=roles),
        locale=chosen_locale(request, settings, signed_in),
        timezone=signed_in.user.timezone,
    )


ConsolePage = Annotated[Page, Depends(get_page)]


async def console_error(request: Request, exc: Exception) -> HTMLResponse:
    """The console's error page, in the request's language."""
    assert isinstance(exc, ConsoleError)
    settings: Settings = request.app.state.settings
    locale = chosen_locale(request, settings, None)
    return templates.TemplateResponse(
        request,
        "error.html",
        {**helpers(locale, None), "signed_in": None, "nav": [], "app": None,
         "status": exc.status, "message": exc.message},
        status_code=exc.status,
    )  # fmt: skip


async def sign_in_first(request: Request, exc: Exception) -> RedirectResponse:
    """To the sign-in page, which comes back to the page asked for."""
    assert isinstance(exc, SignInFirst)
    return RedirectResponse(f"/console/login?next={quote(exc.target)}", status_code=303)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console page of ours, never another site."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return "/console/"
