"""App keys: issue, authenticate, rotate with a grace period, revoke. Only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from waypost.db.base import new_id, utcnow
from waypost.errors import InvalidInput, NotFound
from waypost.tenancy.models import ApiKey, App

_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class KeyKind(StrEnum):
    """What a key may be used for."""

    WRITE = "write"  # public: send events, read the caller's own guidance
    SECRET = "secret"  # private: the admin API of one app


# Long enough to redeploy everything that holds a key; far short of where dates overflow.
MAX_GRACE_SECONDS = 366 * 86_400

_PREFIX = {KeyKind.WRITE: "wk_", KeyKind.SECRET: "sk_"}
_LENGTH = {KeyKind.WRITE: 24, KeyKind.SECRET: 40}


@dataclass(frozen=True)
class IssuedKey:
    """A key as handed out once; the value is not stored for secret keys."""

    id: str
    kind: KeyKind
    value: str


def hash_key(value: str) -> str:
    """SHA-256 of the key. Keys are long random strings, so a fast hash is safe here."""
    return hashlib.sha256(value.encode()).hexdigest()


def issue_key(session: Session, app_id: str, kind: KeyKind) -> IssuedKey:
    """Create a new key for the app and return its value."""
    value = _PREFIX[kind] + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(_LENGTH[kind]))
    key = ApiKey(
        id=new_id("key"),
        app_id=app_id,
        kind=kind.value,
        key_hash=hash_key(value),
        hint=value[:7] + "…" + value[-4:],
        public_value=value if kind is KeyKind.WRITE else None,
    )
    session.add(key)
    session.flush()
    return IssuedKey(id=key.id, kind=kind, value=value)


def authenticate_key(
    session: Session, value: str, kind: KeyKind, now: datetime | None = None
) -> App | None:
    """The key's app, or None when the key is unknown, revoked, expired or of another kind."""
    now = now or utcnow()
    row = session.execute(
        select(ApiKey, App)
        .join(App, App.id == ApiKey.app_id)
        .where(
            ApiKey.key_hash == hash_key(value),
            ApiKey.kind == kind.value,
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
        )
    ).first()
    return row[1] if row else None


def active_keys(session: Session, app_id: str, now: datetime | None = None) -> list[ApiKey]:
    """The app's keys that still work, newest first."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(ApiKey)
            .where(
                ApiKey.app_id == app_id,
                ApiKey.revoked_at.is_(None),
                or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
            )
            .order_by(ApiKey.created_at.desc(), ApiKey.id)
        )
    )


def rotate_key(
    session: Session, app_id: str, kind: KeyKind, grace_seconds: int, now: datetime | None = None
) -> IssuedKey:
    """Issue a new key; the app's current keys of that kind keep working for the grace period."""
    if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise InvalidInput(
            f"must be between 0 and {MAX_GRACE_SECONDS:,} seconds (366 days)", field="grace_seconds"
        )
    now = now or utcnow()
    until = now + timedelta(seconds=grace_seconds)
    for key in active_keys(session, app_id, now):
        if key.kind == kind.value and (key.expires_at is None or key.expires_at > until):
            key.expires_at = until
    return issue_key(session, app_id, kind)


def revoke_key(session: Session, app_id: str, key_id: str, now: datetime | None = None) -> ApiKey:
    """Stop a key from working at once."""
    key = session.get(ApiKey, key_id)
    if key is None or key.app_id != app_id:
        raise NotFound(f"no key {key_id} in this app", field="key_id")
    if key.revoked_at is None:
        key.revoked_at = now or utcnow()
    return key
