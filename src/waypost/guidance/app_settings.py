"""Each app's guidance settings: locales, time zone, the attention budget, identity verification."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time

from pydantic import Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from waypost.db.base import utcnow
from waypost.guidance.conditions import Strict
from waypost.guidance.documents import LOCALE_PATTERN, Theme
from waypost.guidance.models import GuidanceSettings


class AttentionBudget(Strict):
    """How much guidance may interrupt one person. Interruptions are walkthroughs, surveys and
    shoutouts; only one shows at a time. At most `max_new` items a person has not seen in the
    last `period_hours` start within that period, and none starts within `cooldown_hours` of
    the person dismissing one. A walkthrough already under way always continues."""

    max_new: int = Field(3, ge=0, le=100)
    period_hours: int = Field(24, ge=1, le=24 * 90)
    cooldown_hours: float = Field(4, ge=0, le=24 * 30)


class HomeJourney(Strict):
    """What the console's home measures for the app: where a person's journey starts, the
    activation steps after it, and the event that means value (event names)."""

    start: str = Field(min_length=1, max_length=200)
    steps: list[str] = Field(default_factory=list, max_length=10)
    value: str = Field(min_length=1, max_length=200)


class AppSettings(Strict):
    """An app's guidance settings."""

    locales: list[str] = Field(default_factory=lambda: ["en", "ja"], min_length=1, max_length=50)
    fallback_locale: str = Field("en", pattern=LOCALE_PATTERN)
    timezone: str = Field("UTC", max_length=64)
    budget: AttentionBudget = Field(default_factory=AttentionBudget)
    identity_verification: bool = Field(
        False,
        description="Requests naming a user id must carry userHash = HMAC-SHA256(secret, userId).",
    )
    theme: Theme | None = Field(
        None, description="The look of every item; an item's own theme overrides it field by field."
    )
    home: HomeJourney | None = Field(
        None, description="The journey the console's home measures; inferred when not set."
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value


def _row(session: Session, app_id: str) -> GuidanceSettings:
    """The app's settings row, made with the defaults the first time it is asked for. Two
    requests may ask at once (a new app's first page views): the one that loses the race
    reads the row the other made."""
    row = session.get(GuidanceSettings, app_id)
    if row is None:
        fresh = GuidanceSettings(
            app_id=app_id,
            settings=AppSettings().model_dump_json(),
            identity_secret="ivs_" + secrets.token_hex(24),
        )
        try:
            with session.begin_nested():
                session.add(fresh)
        except IntegrityError:
            found = session.get(GuidanceSettings, app_id, populate_existing=True)
            if found is None:
                raise
            return found
        row = fresh
    return row


def app_settings(session: Session, app_id: str) -> AppSettings:
    """The app's guidance settings (the defaults until changed)."""
    return AppSettings.model_validate(json.loads(_row(session, app_id).settings))


def save_app_settings(session: Session, app_id: str, settings: AppSettings) -> AppSettings:
    """Replace the app's guidance settings."""
    row = _row(session, app_id)
    row.settings = settings.model_dump_json()
    row.updated_at = utcnow()
    session.flush()
    return settings


def identity_secret(session: Session, app_id: str) -> str:
    """The secret the app's server hashes user ids with for identity verification."""
    return _row(session, app_id).identity_secret


def rotate_identity_secret(session: Session, app_id: str) -> str:
    """A new identity-verification secret; hashes made with the old one stop working."""
    row = _row(session, app_id)
    row.identity_secret = "ivs_" + secrets.token_hex(24)
    row.updated_at = utcnow()
    session.flush()
    return row.identity_secret


# How long an app's identity-verification answer is used before the database is asked again.
GATE_SECONDS = 10.0


class IdentityGate:
    """Which apps verify identities, and their secrets, for the tracking API: guidance events
    about a user (`$guide_*`, `$task_completed`, `$survey_*`, `$holdout_assigned`) change that
    user's guidance state, so where verification is on they must carry the user's hash."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._known: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def cached(self, app_id: str) -> tuple[bool, str | None]:
        """(True, the secret or None when the app does not verify) when a fresh answer is
        known, without I/O; (False, None) when `secret` must ask the database."""
        with self._lock:
            entry = self._known.get(app_id)
        if entry is None or time.monotonic() - entry[1] > GATE_SECONDS:
            return False, None
        return True, entry[0]

    @staticmethod
    def matches(secret: str, user_id: str, given: str) -> bool:
        """Whether `given` is the user id's hash under the secret (see `hash_matches`)."""
        return hash_matches(secret, user_id, given)

    def forget(self, app_id: str) -> None:
        """Ask the database next time (after a change through this process)."""
        with self._lock:
            self._known.pop(app_id, None)

    def secret(self, app_id: str) -> str | None:
        """The app's identity secret when it verifies identities, else None (asks the
        database)."""
        with self._sessions() as session, session.begin():
            verifies = app_settings(session, app_id).identity_verification
            secret = identity_secret(session, app_id) if verifies else None
        with self._lock:
            self._known[app_id] = (secret, time.monotonic())
        return secret


def user_hash(secret: str, user_id: str) -> str:
    """HMAC-SHA256 of the user id under the secret, hex: what the app's server computes."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def hash_matches(secret: str, user_id: str, given: str | None) -> bool:
    """Whether `given` is the user id's hash (compared in constant time)."""
    return given is not None and hmac.compare_digest(user_hash(secret, user_id), given.lower())
