"""Workspaces and their apps."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from waypost.db.base import new_id
from waypost.errors import InvalidInput, NotFound
from waypost.tenancy.keys import KeyKind, issue_key
from waypost.tenancy.models import App, Workspace


@dataclass(frozen=True)
class NewApp:
    """An app just created, with its keys; the only moment the secret key is visible."""

    workspace_id: str
    app_id: str
    write_key: str
    secret_key: str


def _clean_name(name: str, field: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInput("must not be empty", field=field)
    if len(cleaned) > 200:
        raise InvalidInput("must be at most 200 characters", field=field)
    return cleaned


def create_workspace(session: Session, name: str) -> Workspace:
    """A new, empty workspace."""
    workspace = Workspace(id=new_id("ws"), name=_clean_name(name, "name"))
    session.add(workspace)
    session.flush()
    return workspace


def get_workspace(session: Session, workspace_id: str) -> Workspace:
    """The workspace, or NotFound."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(f"no workspace {workspace_id}", field="workspace_id")
    return workspace


def default_workspace(session: Session) -> Workspace:
    """The only workspace on a single-tenant install, created on first use."""
    first = session.scalars(select(Workspace).order_by(Workspace.created_at, Workspace.id)).first()
    return first or create_workspace(session, "Default")


def create_app(session: Session, workspace_id: str, name: str) -> NewApp:
    """A new app in the workspace, with one write key and one secret key."""
    get_workspace(session, workspace_id)
    app = App(id=new_id("app"), workspace_id=workspace_id, name=_clean_name(name, "name"))
    session.add(app)
    session.flush()
    write = issue_key(session, app.id, KeyKind.WRITE)
    secret = issue_key(session, app.id, KeyKind.SECRET)
    return NewApp(workspace_id, app.id, write.value, secret.value)


def get_app(session: Session, app_id: str) -> App:
    """The app, or NotFound."""
    app = session.get(App, app_id)
    if app is None:
        raise NotFound(f"no app {app_id}", field="app_id")
    return app


def apps_in(session: Session, workspace_ids: list[str]) -> list[App]:
    """Apps of the given workspaces, oldest first."""
    return list(
        session.scalars(
            select(App).where(App.workspace_id.in_(workspace_ids)).order_by(App.created_at, App.id)
        )
    )
