"""Console pages: sign-in with lockout, sign-out, and the apps overview."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from waypost.console.shell import (
    SECTIONS,
    chosen_locale,
    current_session,
    helpers,
    remember_locale,
    safe_next,
    secure_cookies,
    templates,
)
from waypost.errors import TooManyRequests, Unauthorized
from waypost.i18n import translator
from waypost.settings import Settings
from waypost.tenancy.keys import active_keys
from waypost.tenancy.members import LoginPolicy, sign_in
from waypost.tenancy.roles import Role
from waypost.tenancy.sessions import (
    CSRF_FORM_FIELD,
    SESSION_COOKIE,
    SignedIn,
    csrf_matches,
    end_session,
    start_session,
)
from waypost.tenancy.workspaces import apps_in
from waypost.web.deps import DB, get_settings

LOGIN_NONCE_COOKIE = "waypost_login_nonce"
_HERE = Path(__file__).parent

router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """The console's CSS and scripts."""
    return StaticFiles(directory=_HERE / "static")


def _render(
    request: Request,
    settings: Settings,
    template: str,
    status: int = 200,
    signed_in: SignedIn | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page outside an app (sign-in, the apps overview) with the console's helpers."""
    locale = chosen_locale(request, settings, signed_in)
    timezone = signed_in.user.timezone if signed_in else None
    response = templates.TemplateResponse(
        request,
        template,
        {**helpers(locale, timezone), "signed_in": signed_in, "nav": [], "app": None, **context},
        status_code=status,
    )
    if request.query_params.get("lang") in ("en", "ja"):
        remember_locale(response, request, settings, locale)
    return response


def _public_base(request: Request, settings: Settings) -> str:
    # Without a configured public URL, the address the builder reached us at is the best guess.
    return (settings.public_url or str(request.base_url)).rstrip("/")


def _login_token(request: Request, nonce: str) -> str:
    # The form proves it came from our page: an HMAC of the nonce cookie under the server secret.
    secret = request.app.state.signing_secret.encode()
    return hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()


@router.get("/")
def root() -> RedirectResponse:
    """The console is the front page."""
    return RedirectResponse("/console/", status_code=303)


@router.get("/console/login")
def login_page(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> Response:
    """The sign-in form (`next`: the console page to go to afterwards)."""
    return _login_form(request, settings, target=request.query_params.get("next"))


def _login_form(
    request: Request,
    settings: Settings,
    error: str | None = None,
    status: int = 200,
    target: str | None = None,
) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = _render(
        request,
        settings,
        "login.html",
        status=status,
        error=error,
        csrf_token=_login_token(request, nonce),
        next=safe_next(target),
    )
    response.set_cookie(
        LOGIN_NONCE_COOKIE,
        nonce,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, settings),
        path="/console/login",
    )
    return response


@router.post("/console/login")
def login(
    request: Request,
    db: DB,
    settings: Annotated[Settings, Depends(get_settings)],
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FORM_FIELD)] = "",
    target: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the credentials; on success set the session cookie and go to the page asked for
    (the console's front page by default)."""
    t = translator(chosen_locale(request, settings, None))
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    if not nonce or not csrf_matches(_login_token(request, nonce), csrf_token):
        return _login_form(request, settings, t("login.expired_form"), 403, target)
    # Failures are answered, not raised, so the request's transaction keeps the failure count.
    policy = LoginPolicy(settings.login_max_failures, settings.login_lockout_seconds)
    try:
        user = sign_in(db, email, password, policy)
    except TooManyRequests as exc:
        minutes = math.ceil(exc.retry_after / 60)
        response = _login_form(request, settings, t("login.locked", minutes=minutes), 429, target)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except Unauthorized:
        return _login_form(request, settings, t("login.bad_credentials"), 401, target)
    signed_in = start_session(db, user, settings.session_ttl_seconds)
    response = RedirectResponse(safe_next(target), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        max_age=settings.session_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, settings),
    )
    response.delete_cookie(LOGIN_NONCE_COOKIE, path="/console/login")
    return response


@router.post("/console/logout")
def logout(
    request: Request,
    db: DB,
    csrf_token: Annotated[str, Form(alias=CSRF_FORM_FIELD)] = "",
) -> Response:
    """End the session everywhere."""
    signed_in = current_session(request, db)
    if signed_in is not None and csrf_matches(signed_in.csrf_token, csrf_token):
        end_session(db, signed_in.token)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/console/")
def home(
    request: Request, db: DB, settings: Annotated[Settings, Depends(get_settings)]
) -> Response:
    """The apps of every workspace the user belongs to, with snippet and keys."""
    signed_in = current_session(request, db)
    if signed_in is None:
        return RedirectResponse("/console/login", status_code=303)
    memberships = sorted(signed_in.user.memberships, key=lambda m: m.workspace.name)
    workspaces = []
    for membership in memberships:
        apps = [
            {"app": app, "keys": active_keys(db, app.id)}
            for app in apps_in(db, [membership.workspace_id])
        ]
        workspaces.append(
            {"workspace": membership.workspace, "role": Role(membership.role), "apps": apps}
        )
    return _render(
        request,
        settings,
        "home.html",
        signed_in=signed_in,
        workspaces=workspaces,
        base_url=_public_base(request, settings),
        csrf_token=signed_in.csrf_token,
    )


@router.get("/console/switch")
def switch_app(app: str = "", section: str = "home") -> RedirectResponse:
    """The app switcher's choice: the same section of the other app (its page checks access)."""
    known = {key for key, _ in SECTIONS}
    return RedirectResponse(
        f"/console/apps/{quote(app, safe='')}/{section if section in known else 'home'}",
        status_code=303,
    )
