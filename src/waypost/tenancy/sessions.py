"""Console sessions: an unguessable cookie token, its hash stored, with a CSRF token beside it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from waypost.db.base import utcnow
from waypost.tenancy.models import ConsoleSession, User

SESSION_COOKIE = "waypost_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "csrf_token"


@dataclass(frozen=True)
class SignedIn:
    """A resolved console session."""

    user: User
    csrf_token: str
    token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, ttl_seconds: int) -> SignedIn:
    """A new session for the user; the returned token goes into the cookie."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            id=_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    session.flush()
    return SignedIn(user=user, csrf_token=csrf, token=token)


def resolve_session(session: Session, token: str, now: datetime | None = None) -> SignedIn | None:
    """The signed-in user for a cookie token, or None when unknown or expired."""
    now = now or utcnow()
    row = session.get(ConsoleSession, _hash(token))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None:
        return None
    return SignedIn(user=user, csrf_token=row.csrf_token, token=token)


def end_session(session: Session, token: str) -> None:
    """Sign out: the token stops working everywhere."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.id == _hash(token)))


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens."""
    return given is not None and secrets.compare_digest(expected, given)
