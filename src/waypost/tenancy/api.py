"""Admin API of the tenancy slice: workspaces, apps, keys, members."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from waypost.errors import Forbidden, NotFound
from waypost.settings import Settings
from waypost.tenancy.keys import (
    MAX_GRACE_SECONDS,
    KeyKind,
    active_keys,
    revoke_key,
    rotate_key,
)
from waypost.tenancy.members import add_member, find_user, member_role, remove_member
from waypost.tenancy.models import ApiKey, App, Membership, User, Workspace
from waypost.tenancy.roles import Permission, Role, permissions_of, refusal
from waypost.tenancy.workspaces import apps_in, create_app, get_workspace
from waypost.web.deps import DB, Caller, Principal, app_for, get_settings

router = APIRouter(prefix="/api/v1", tags=["tenancy"])


class Strict(BaseModel):
    """Request bodies reject unknown fields, so typos are reported instead of ignored."""

    model_config = ConfigDict(extra="forbid")


class AppOut(BaseModel):
    id: str
    workspace_id: str
    name: str
    created_at: datetime


class NewAppIn(Strict):
    workspace_id: str
    name: str = Field(min_length=1, max_length=200)


class NewAppOut(BaseModel):
    workspace_id: str
    app_id: str
    write_key: str
    secret_key: str = Field(description="Shown once; only its hash is stored.")


class KeyOut(BaseModel):
    id: str
    kind: KeyKind
    hint: str
    value: str | None = Field(description="Write keys only: they are public, used in the snippet.")
    created_at: datetime
    expires_at: datetime | None


class RotateIn(Strict):
    kind: KeyKind
    grace_seconds: int | None = Field(
        None,
        ge=0,
        le=MAX_GRACE_SECONDS,
        description="How long the current key keeps working; default from settings.",
    )


class IssuedKeyOut(BaseModel):
    id: str
    kind: KeyKind
    value: str


class WorkspaceOut(BaseModel):
    id: str
    name: str
    role: Role | None


class MemberOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: Role


class MemberIn(Strict):
    email: str
    role: Role


class MeOut(BaseModel):
    kind: str = Field(description="'secret_key' or 'user'")
    app_id: str | None = None
    user_id: str | None = None
    email: str | None = None
    workspaces: list[WorkspaceOut] = []


def _app_out(app: App) -> AppOut:
    return AppOut(
        id=app.id, workspace_id=app.workspace_id, name=app.name, created_at=app.created_at
    )


def _key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        kind=KeyKind(key.kind),
        hint=key.hint,
        value=key.public_value,
        created_at=key.created_at,
        expires_at=key.expires_at,
    )


def _workspace_for(db: DB, caller: Principal, workspace_id: str, needs: Permission) -> Workspace:
    if caller.key_app_id is not None:
        raise Forbidden("a secret key acts for one app; workspaces are managed by console users")
    role = caller.role_in(workspace_id)
    if role is None:
        raise NotFound(f"no workspace {workspace_id}", field="workspace_id")
    if needs not in permissions_of(role):
        raise Forbidden(refusal(role, needs, "workspace"))
    return get_workspace(db, workspace_id)


@router.get("/me", response_model=MeOut)
def me(db: DB, caller: Caller) -> MeOut:
    """Who the credentials belong to."""
    if caller.key_app_id is not None:
        return MeOut(kind="secret_key", app_id=caller.key_app_id)
    assert caller.signed_in is not None
    user = caller.signed_in.user
    workspaces = [
        WorkspaceOut(id=w.id, name=w.name, role=caller.roles[w.id])
        for w in db.scalars(select(Workspace).where(Workspace.id.in_(caller.roles)))
    ]
    return MeOut(kind="user", user_id=user.id, email=user.email, workspaces=workspaces)


@router.get("/apps", response_model=list[AppOut])
def list_apps(db: DB, caller: Caller) -> list[AppOut]:
    """Apps the caller can see: a secret key sees its own app."""
    if caller.key_app_id is not None:
        return [_app_out(app_for(db, caller, caller.key_app_id, Permission.VIEW))]
    return [_app_out(app) for app in apps_in(db, list(caller.roles))]


@router.post("/apps", response_model=NewAppOut, status_code=201)
def new_app(body: NewAppIn, db: DB, caller: Caller) -> NewAppOut:
    """Create an app in a workspace (console users with the manage_apps permission)."""
    _workspace_for(db, caller, body.workspace_id, Permission.MANAGE_APPS)
    created = create_app(db, body.workspace_id, body.name)
    return NewAppOut(**created.__dict__)


@router.get("/apps/{app_id}", response_model=AppOut)
def show_app(app_id: str, db: DB, caller: Caller) -> AppOut:
    """One app."""
    return _app_out(app_for(db, caller, app_id, Permission.VIEW))


@router.get("/apps/{app_id}/keys", response_model=list[KeyOut])
def list_keys(app_id: str, db: DB, caller: Caller) -> list[KeyOut]:
    """The app's working keys; secret keys show only a hint."""
    app = app_for(db, caller, app_id, Permission.VIEW)
    return [_key_out(key) for key in active_keys(db, app.id)]


@router.post("/apps/{app_id}/keys/rotate", response_model=IssuedKeyOut, status_code=201)
def rotate(
    app_id: str,
    body: RotateIn,
    db: DB,
    caller: Caller,
    settings: Settings = Depends(get_settings),
) -> IssuedKeyOut:
    """Issue a new key; the old one keeps working for the grace period, so clients can switch."""
    app = app_for(db, caller, app_id, Permission.MANAGE_KEYS)
    grace = settings.key_grace_seconds if body.grace_seconds is None else body.grace_seconds
    issued = rotate_key(db, app.id, body.kind, grace)
    return IssuedKeyOut(id=issued.id, kind=issued.kind, value=issued.value)


@router.post("/apps/{app_id}/keys/{key_id}/revoke", response_model=KeyOut)
def revoke(app_id: str, key_id: str, db: DB, caller: Caller) -> KeyOut:
    """Stop a key from working at once."""
    app = app_for(db, caller, app_id, Permission.MANAGE_KEYS)
    key = revoke_key(db, app.id, key_id)
    return _key_out(key)


@router.get("/workspaces/{workspace_id}/members", response_model=list[MemberOut])
def list_members(workspace_id: str, db: DB, caller: Caller) -> list[MemberOut]:
    """Members of a workspace and their roles."""
    _workspace_for(db, caller, workspace_id, Permission.VIEW)
    rows = db.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(User.email)
    )
    return [MemberOut(user_id=u.id, email=u.email, name=u.name, role=Role(m.role)) for m, u in rows]


@router.post("/workspaces/{workspace_id}/members", response_model=MemberOut, status_code=201)
def put_member(workspace_id: str, body: MemberIn, db: DB, caller: Caller) -> MemberOut:
    """Give an existing user a role in the workspace."""
    _workspace_for(db, caller, workspace_id, Permission.MANAGE_MEMBERS)
    _may_grant(caller, workspace_id, body.role)
    user = find_user(db, body.email)
    if user is None:
        raise NotFound(f"no user with email {body.email}; create it first", field="email")
    if member_role(db, workspace_id, user.id) is Role.OWNER:
        _may_grant(caller, workspace_id, Role.OWNER)
    membership = add_member(db, workspace_id, user.id, body.role)
    return MemberOut(user_id=user.id, email=user.email, name=user.name, role=Role(membership.role))


@router.delete("/workspaces/{workspace_id}/members/{user_id}", status_code=204)
def delete_member(workspace_id: str, user_id: str, db: DB, caller: Caller) -> None:
    """Remove a member; the last owner stays."""
    _workspace_for(db, caller, workspace_id, Permission.MANAGE_MEMBERS)
    if member_role(db, workspace_id, user_id) is Role.OWNER:
        _may_grant(caller, workspace_id, Role.OWNER)
    remove_member(db, workspace_id, user_id)


def _may_grant(caller: Principal, workspace_id: str, role: Role) -> None:
    # Only owners make, demote or remove owners; an admin cannot reach above admin.
    if role is Role.OWNER and caller.role_in(workspace_id) is not Role.OWNER:
        raise Forbidden("only an owner can make another owner", field="role")
