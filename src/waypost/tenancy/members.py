"""Console users, their workspace roles, and password sign-in with lockout."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from waypost.db.base import new_id, utcnow
from waypost.errors import Conflict, InvalidInput, NotFound, TooManyRequests, Unauthorized
from waypost.tenancy.models import Membership, User
from waypost.tenancy.passwords import hash_password, password_problem, verify_password
from waypost.tenancy.roles import Role


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding space."""
    cleaned = email.strip().lower()
    local, _, domain = cleaned.partition("@")
    if not local or "." not in domain or " " in cleaned:
        raise InvalidInput("is not an email address", field="email")
    return cleaned


def create_user(session: Session, email: str, password: str, name: str = "") -> User:
    """A new console user with an Argon2id password hash."""
    email = normalise_email(email)
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem, field="password")
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"a user with email {email} already exists", field="email")
    user = User(id=new_id("usr"), email=email, name=name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    """The user with that email, if any."""
    return session.scalars(select(User).where(User.email == email.strip().lower())).first()


def _membership(session: Session, workspace_id: str, user_id: str) -> Membership | None:
    return session.scalars(
        select(Membership).where(
            Membership.workspace_id == workspace_id, Membership.user_id == user_id
        )
    ).first()


def member_role(session: Session, workspace_id: str, user_id: str) -> Role | None:
    """The user's role in the workspace, or None when not a member."""
    membership = _membership(session, workspace_id, user_id)
    return Role(membership.role) if membership else None


def add_member(session: Session, workspace_id: str, user_id: str, role: Role) -> Membership:
    """Give the user a role in the workspace (or change the role they have)."""
    membership = _membership(session, workspace_id, user_id)
    if membership is None:
        membership = Membership(
            id=new_id("mem"), workspace_id=workspace_id, user_id=user_id, role=role.value
        )
        session.add(membership)
    else:
        if Role(membership.role) is Role.OWNER and role is not Role.OWNER:
            _keep_an_owner(session, workspace_id)
        membership.role = role.value
    session.flush()
    return membership


def remove_member(session: Session, workspace_id: str, user_id: str) -> None:
    """Take the user out of the workspace; the last owner cannot leave."""
    membership = _membership(session, workspace_id, user_id)
    if membership is None:
        raise NotFound(f"user {user_id} is not a member of this workspace", field="user_id")
    if Role(membership.role) is Role.OWNER:
        _keep_an_owner(session, workspace_id)
    session.delete(membership)
    session.flush()


def _keep_an_owner(session: Session, workspace_id: str) -> None:
    owners = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.role == Role.OWNER.value)
    )
    if (owners or 0) <= 1:
        raise Conflict("a workspace must keep at least one owner", field="role")


def memberships_of(session: Session, user_id: str) -> list[Membership]:
    """The user's workspace roles."""
    return list(session.scalars(select(Membership).where(Membership.user_id == user_id)))


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures lock an account, and for how long."""

    max_failures: int
    lockout_seconds: int


def sign_in(
    session: Session, email: str, password: str, policy: LoginPolicy, now: datetime | None = None
) -> User:
    """The user when email and password match; Unauthorized or TooManyRequests (locked) otherwise.

    After ``max_failures`` wrong passwords in a row the account is locked for ``lockout_seconds``,
    even for the right password, so guessing cannot continue.
    """
    now = now or utcnow()
    user = find_user(session, email)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise _locked(user.locked_until, now)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= policy.max_failures:
                user.failed_logins = 0
                user.locked_until = now + timedelta(seconds=policy.lockout_seconds)
                session.flush()
                raise _locked(user.locked_until, now)
            session.flush()
        raise Unauthorized("wrong email or password", code="bad_credentials")
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def _locked(until: datetime, now: datetime) -> TooManyRequests:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return TooManyRequests(
        f"too many failed sign-ins; this account is locked for {seconds} more seconds",
        retry_after=seconds,
        code="account_locked",
    )
