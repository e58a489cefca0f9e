"""FastAPI dependencies: the metadata session and the caller's identity."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from waypost.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from waypost.settings import Settings
from waypost.tenancy.keys import KeyKind, authenticate_key
from waypost.tenancy.members import memberships_of
from waypost.tenancy.models import App
from waypost.tenancy.roles import (
    SECRET_KEY_PERMISSIONS,
    Permission,
    Role,
    permissions_of,
    refusal,
)
from waypost.tenancy.sessions import (
    CSRF_HEADER,
    SESSION_COOKIE,
    SignedIn,
    csrf_matches,
    resolve_session,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Reads that are POSTs only because their input is too rich for a query string. They change
# nothing, so a console session needs no CSRF token for them; every other POST does.
READ_ONLY_POSTS = frozenset({"/api/v1/insights/query"})


def get_settings(request: Request) -> Settings:
    """The server's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """A metadata session per request, committed when the handler succeeds."""
    with request.app.state.sessions() as session, session.begin():
        yield session


# Committed as the handler returns, before the response leaves: with FastAPI's default (after
# the response is sent) a browser following a redirect could ask before the write landed, and
# find no session after signing in.
DB = Annotated[Session, Depends(get_db, scope="function")]


@dataclass(frozen=True)
class Principal:
    """Who is calling: an app's secret key, or a signed-in console user with workspace roles."""

    key_app_id: str | None = None
    signed_in: SignedIn | None = None
    roles: dict[str, Role] = field(default_factory=dict)

    def permissions_in(self, app: App) -> frozenset[Permission]:
        """What the caller may do in the app; empty when the app is not theirs."""
        if self.key_app_id is not None:
            return SECRET_KEY_PERMISSIONS if app.id == self.key_app_id else frozenset()
        role = self.roles.get(app.workspace_id)
        return permissions_of(role) if role else frozenset()

    def role_in(self, workspace_id: str) -> Role | None:
        """The user's role in the workspace, if any."""
        return self.roles.get(workspace_id)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "the Authorization header must be 'Bearer <secret key>'", field="authorization"
        )
    return token.strip()


def changes_state(method: str, path: str) -> bool:
    """Whether a request to the admin API may change something (and so needs CSRF proof)."""
    if method in SAFE_METHODS:
        return False
    return not (method == "POST" and path in READ_ONLY_POSTS)


def get_principal(request: Request, db: DB) -> Principal:
    """Authenticate by secret key (Bearer) or console session cookie; 401 with the reason."""
    token = _bearer(request)
    if token is not None:
        app = authenticate_key(db, token, KeyKind.SECRET)
        if app is None:
            raise Unauthorized(
                "this secret key is not valid: unknown, revoked or expired",
                field="authorization",
                code="invalid_key",
            )
        return Principal(key_app_id=app.id)
    cookie = request.cookies.get(SESSION_COOKIE)
    signed_in = resolve_session(db, cookie) if cookie else None
    if signed_in is None:
        raise Unauthorized(
            "sign in to the console or send 'Authorization: Bearer <secret key>'",
            field="authorization",
        )
    # A cookie is sent by the browser on its own, so changes need proof the page made them.
    # The matched route's template, which a proxy's path prefix (root_path) does not change.
    path = getattr(request.scope.get("route"), "path", request.url.path)
    if changes_state(request.method, path) and not csrf_matches(
        signed_in.csrf_token, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(
            "a change made with a console session needs the session's X-CSRF-Token header",
            field=CSRF_HEADER,
            code="csrf",
        )
    roles = {m.workspace_id: Role(m.role) for m in memberships_of(db, signed_in.user.id)}
    return Principal(signed_in=signed_in, roles=roles)


Caller = Annotated[Principal, Depends(get_principal)]


def app_for(db: Session, principal: Principal, app_id: str, needs: Permission) -> App:
    """The app when the caller may act on it; 404 when it is not theirs (existence stays hidden)."""
    app = db.get(App, app_id)
    if app is None or not principal.permissions_in(app):
        raise NotFound(f"no app {app_id}", field="app_id")
    if needs not in principal.permissions_in(app):
        role = principal.role_in(app.workspace_id)
        raise Forbidden(refusal(role, needs, "app"), code="forbidden")
    return app


def caller_app(db: Session, principal: Principal, app_id: str | None, needs: Permission) -> App:
    """The app a call is about: the one named, else a secret key's own app."""
    if app_id is None:
        if principal.key_app_id is None:
            raise InvalidInput("name the app this is about", field="app_id")
        app_id = principal.key_app_id
    return app_for(db, principal, app_id, needs)
