"""Released content prepared for decisions, cached per app and environment.

A decision must not rebuild the app's content each time: the catalogue is built once per change.
Within CHECK_SECONDS an entry is used as it is; after that one small query compares the app's
content revision (the latest change of its items, releases, segments and settings) and the
entry is rebuilt only when it moved. Changes made through this process are seen at once.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session, sessionmaker

from waypost.guidance.actions import countable_actions
from waypost.guidance.app_settings import app_settings
from waypost.guidance.decide import Catalogue
from waypost.guidance.library import Environment, all_versions, released_set
from waypost.guidance.models import ContentItem, ContentRelease, GuidanceSettings, Segment
from waypost.guidance.segments import app_segment_rules

CHECK_SECONDS = 2.0


def revision(session: Session, app_id: str) -> tuple[datetime | None, int]:
    """What changes whenever anything a decision reads changes: the latest change time of the
    app's items, releases, segments and settings, and how many releases there are (a release
    withdrawn changes no time)."""
    items = select(ContentItem.id).where(ContentItem.app_id == app_id).scalar_subquery()
    times = union_all(
        select(func.max(ContentItem.updated_at).label("at")).where(ContentItem.app_id == app_id),
        select(func.max(ContentRelease.released_at)).where(ContentRelease.item_id.in_(items)),
        select(func.max(Segment.updated_at)).where(Segment.app_id == app_id),
        select(func.max(GuidanceSettings.updated_at)).where(GuidanceSettings.app_id == app_id),
    ).subquery()
    latest = session.scalar(select(func.max(times.c.at)))
    releases = session.scalar(
        select(func.count()).select_from(ContentRelease).where(ContentRelease.item_id.in_(items))
    )
    return latest, int(releases or 0)


def build(session: Session, app_id: str, environment: Environment) -> Catalogue:
    """The catalogue of what the environment shows now."""
    return Catalogue(
        settings=app_settings(session, app_id),
        released=released_set(session, app_id, environment),
        versions=all_versions(session, app_id),
        segments=app_segment_rules(session, app_id),
        actions=countable_actions(session, app_id),
    )


class Catalogues:
    """The catalogues of every app and environment this process decides for."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._entries: dict[tuple[str, str], tuple[Catalogue, tuple[datetime | None, int], float]]
        self._entries = {}
        self._lock = threading.Lock()

    def fresh(self, app_id: str, environment: Environment) -> Catalogue | None:
        """The app's catalogue when it was checked within CHECK_SECONDS (no I/O), else None."""
        with self._lock:
            entry = self._entries.get((app_id, environment.value))
        if entry is None or time.monotonic() - entry[2] >= CHECK_SECONDS:
            return None
        return entry[0]

    def get(self, app_id: str, environment: Environment) -> Catalogue:
        """The app's catalogue for the environment, rebuilt only after a change."""
        ident = (app_id, environment.value)
        with self._lock:
            entry = self._entries.get(ident)
        now = time.monotonic()
        if entry is not None and now - entry[2] < CHECK_SECONDS:
            return entry[0]
        with self._sessions() as session, session.begin():
            current = revision(session, app_id)
            if entry is not None and entry[1] == current:
                catalogue = entry[0]
            else:
                catalogue = build(session, app_id, environment)
        with self._lock:
            self._entries[ident] = (catalogue, current, now)
        return catalogue

    def forget(self, app_id: str) -> None:
        """Drop the app's catalogues (after a change through this process)."""
        with self._lock:
            for ident in [i for i in self._entries if i[0] == app_id]:
                del self._entries[ident]
