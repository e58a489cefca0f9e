"""The content library: drafts, publishing to an environment as numbered versions, archive,
revert and diff. A published version never changes; users who started one finish it."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from waypost.db.base import new_id, utcnow
from waypost.errors import Conflict, InvalidInput, NotFound
from waypost.guidance.actions import check_actions
from waypost.guidance.documents import DOCUMENT, references, rules_in
from waypost.guidance.files import canonical, dump_yaml, invalid_input
from waypost.guidance.models import ContentItem, ContentRelease, ContentVersion
from waypost.guidance.segments import app_segment_rules


class Environment(StrEnum):
    """Each app has two published sets: one to try content on, one its users see."""

    PRODUCTION = "production"
    STAGING = "staging"


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class ItemSummary:
    """An item at a glance: what it is, its state, and its versions per environment."""

    key: str
    kind: str
    name: str
    status: Status
    latest_version: int | None
    released: dict[str, int]
    draft_changed: bool
    updated_at: datetime


def parse_document(data: Any) -> Any:
    """A content document from plain data (InvalidInput naming the field on a problem)."""
    try:
        return DOCUMENT.validate_python(data)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def _stored(document: Any) -> str:
    return json.dumps(canonical(document), ensure_ascii=False, sort_keys=False)


def load_document(stored: str) -> Any:
    """A document kept in the database, as a model."""
    return DOCUMENT.validate_python(json.loads(stored))


def _item(session: Session, app_id: str, key: str) -> ContentItem:
    row = session.scalar(
        select(ContentItem).where(ContentItem.app_id == app_id, ContentItem.key == key)
    )
    if row is None:
        raise NotFound(f"no content item {key!r} in this app", field="key")
    return row


def save_draft(session: Session, app_id: str, document: Any) -> ContentItem:
    """Create the item or replace its draft; an item's kind never changes, and an archived
    item comes back as a draft."""
    row = session.scalar(
        select(ContentItem).where(ContentItem.app_id == app_id, ContentItem.key == document.key)
    )
    if row is None:
        row = ContentItem(id=new_id("cnt"), app_id=app_id, key=document.key, kind=document.kind)
        session.add(row)
    elif row.kind != document.kind:
        raise Conflict(
            f"{document.key!r} is a {row.kind}; a key keeps its kind (archive it and use "
            "another key)",
            field="kind",
        )
    row.name = document.name
    row.draft = _stored(document)
    row.archived_at = None
    row.updated_at = utcnow()
    session.flush()
    return row


def _latest(session: Session, item: ContentItem) -> ContentVersion | None:
    return session.scalar(
        select(ContentVersion)
        .where(ContentVersion.item_id == item.id)
        .order_by(ContentVersion.number.desc())
        .limit(1)
    )


def check_references(session: Session, app_id: str, document: Any) -> None:
    """Refuse a document that points to items or segments the app does not have."""
    known = set(session.scalars(select(ContentItem.key).where(ContentItem.app_id == app_id)))
    missing = sorted(references(document) - known)
    if missing:
        raise InvalidInput(
            f"{document.key}: refers to {missing[0]!r}, which is no content item of this app",
            field="key",
        )
    segments = app_segment_rules(session, app_id)
    wanted: set[str] = set()
    audience = getattr(document, "audience", None)
    if audience is not None:
        if audience.segment:
            wanted.add(audience.segment)
        if audience.rules is not None:
            wanted |= audience.rules.segments()
    check_actions(
        session,
        app_id,
        (name for rule in rules_in(document) for name in rule.actions()),
        "audience",
    )
    unknown = sorted(wanted - set(segments))
    if unknown:
        raise InvalidInput(
            f"{document.key}: audience names segment {unknown[0]!r}, which does not exist",
            field="audience",
        )


def publish(
    session: Session,
    app_id: str,
    key: str,
    environment: Environment = Environment.PRODUCTION,
    note: str = "",
    by: str | None = None,
) -> ContentVersion:
    """Release the item's draft in the environment: as version N+1 when it differs from the
    latest version, else as that version (publishing to staging, then to production, makes one
    version)."""
    item = _item(session, app_id, key)
    if item.archived_at is not None:
        raise Conflict(f"{key!r} is archived; save a draft to bring it back", field="key")
    document = load_document(item.draft)
    check_references(session, app_id, document)
    latest = _latest(session, item)
    if latest is None or latest.document != item.draft:
        number = 1 if latest is None else latest.number + 1
        latest = ContentVersion(
            id=new_id("ver"),
            item_id=item.id,
            number=number,
            document=item.draft,
            note=note,
            created_by=by,
        )
        session.add(latest)
    release = session.get(ContentRelease, (item.id, environment.value))
    if release is None:
        release = ContentRelease(item_id=item.id, environment=environment.value)
        session.add(release)
    release.number = latest.number
    release.released_at = utcnow()
    item.updated_at = utcnow()
    session.flush()
    return latest


def unpublish(session: Session, app_id: str, key: str, environment: Environment) -> None:
    """Stop showing the item in the environment (its versions stay)."""
    item = _item(session, app_id, key)
    release = session.get(ContentRelease, (item.id, environment.value))
    if release is not None:
        session.delete(release)
        session.flush()


def archive(session: Session, app_id: str, key: str) -> None:
    """Withdraw the item from every environment and mark it archived; its versions stay, for
    the reports of what people saw."""
    item = _item(session, app_id, key)
    for release in session.scalars(select(ContentRelease).where(ContentRelease.item_id == item.id)):
        session.delete(release)
    item.archived_at = utcnow()
    item.updated_at = utcnow()
    session.flush()


def version(session: Session, app_id: str, key: str, number: int) -> ContentVersion:
    """One published version of the item; NotFound when it has no such number."""
    item = _item(session, app_id, key)
    row = session.scalar(
        select(ContentVersion).where(
            ContentVersion.item_id == item.id, ContentVersion.number == number
        )
    )
    if row is None:
        raise NotFound(f"{key!r} has no version {number}", field="version")
    return row


def versions(session: Session, app_id: str, key: str) -> list[ContentVersion]:
    """Every published version of the item, newest first."""
    item = _item(session, app_id, key)
    return list(
        session.scalars(
            select(ContentVersion)
            .where(ContentVersion.item_id == item.id)
            .order_by(ContentVersion.number.desc())
        )
    )


def revert(session: Session, app_id: str, key: str, number: int) -> ContentItem:
    """Make version `number` the item's draft again (publish it to release it as N+1)."""
    old = version(session, app_id, key, number)
    return save_draft(session, app_id, load_document(old.document))


def diff(session: Session, app_id: str, key: str, older: int | str, newer: int | str) -> str:
    """A unified diff of two versions' YAML; either may be `draft`."""

    def text(which: int | str) -> tuple[str, str]:
        if which == "draft":
            return "draft", dump_yaml(load_document(_item(session, app_id, key).draft))
        number = int(which)
        return f"v{number}", dump_yaml(
            load_document(version(session, app_id, key, number).document)
        )

    (a_name, a_text), (b_name, b_text) = text(older), text(newer)
    return "".join(
        difflib.unified_diff(
            a_text.splitlines(keepends=True),
            b_text.splitlines(keepends=True),
            fromfile=f"{key} {a_name}",
            tofile=f"{key} {b_name}",
        )
    )


def get_draft(session: Session, app_id: str, key: str) -> Any:
    """The item's current draft document."""
    return load_document(_item(session, app_id, key).draft)


def summaries(session: Session, app_id: str, include_archived: bool = False) -> list[ItemSummary]:
    """Every item of the app at a glance, by key."""
    query = select(ContentItem).where(ContentItem.app_id == app_id).order_by(ContentItem.key)
    if not include_archived:
        query = query.where(ContentItem.archived_at.is_(None))
    items = list(session.scalars(query))
    ids = [item.id for item in items]
    latest: dict[str, tuple[int, str]] = {}
    released: dict[str, dict[str, int]] = {}
    if ids:
        newest = (
            select(ContentVersion.item_id, func.max(ContentVersion.number).label("number"))
            .where(ContentVersion.item_id.in_(ids))
            .group_by(ContentVersion.item_id)
            .subquery()
        )
        for item_id, number, document in session.execute(
            select(ContentVersion.item_id, ContentVersion.number, ContentVersion.document).join(
                newest,
                (newest.c.item_id == ContentVersion.item_id)
                & (newest.c.number == ContentVersion.number),
            )
        ):
            latest[item_id] = (number, document)
        for release in session.scalars(
            select(ContentRelease).where(ContentRelease.item_id.in_(ids))
        ):
            released.setdefault(release.item_id, {})[release.environment] = release.number
    out = []
    for item in items:
        newest_version = latest.get(item.id)
        status = (
            Status.ARCHIVED
            if item.archived_at is not None
            else Status.PUBLISHED
            if released.get(item.id)
            else Status.DRAFT
        )
        out.append(
            ItemSummary(
                key=item.key,
                kind=item.kind,
                name=item.name,
                status=status,
                latest_version=newest_version[0] if newest_version else None,
                released=released.get(item.id, {}),
                draft_changed=newest_version is None or newest_version[1] != item.draft,
                updated_at=item.updated_at,
            )
        )
    return out


def drafts(session: Session, app_id: str, include_archived: bool = False) -> list[Any]:
    """Every item's draft document, by key (what content export writes)."""
    query = select(ContentItem).where(ContentItem.app_id == app_id).order_by(ContentItem.key)
    if not include_archived:
        query = query.where(ContentItem.archived_at.is_(None))
    return [load_document(item.draft) for item in session.scalars(query)]


@dataclass(frozen=True)
class Released:
    """One item as an environment shows it: its published version's document."""

    key: str
    kind: str
    number: int
    document: Any
    created_at: datetime


def released_set(
    session: Session, app_id: str, environment: Environment = Environment.PRODUCTION
) -> list[Released]:
    """What the environment shows now: every released item's version, by key."""
    rows = session.execute(
        select(ContentItem.key, ContentItem.kind, ContentVersion.number, ContentVersion.document)
        .add_columns(ContentItem.created_at)
        .join(ContentRelease, ContentRelease.item_id == ContentItem.id)
        .join(
            ContentVersion,
            (ContentVersion.item_id == ContentItem.id)
            & (ContentVersion.number == ContentRelease.number),
        )
        .where(
            ContentItem.app_id == app_id,
            ContentRelease.environment == environment.value,
            ContentItem.archived_at.is_(None),
        )
        .order_by(ContentItem.key)
    )
    return [
        Released(key, kind, number, load_document(document), created_at)
        for key, kind, number, document, created_at in rows
    ]


def all_versions(session: Session, app_id: str) -> dict[tuple[str, int], Any]:
    """Every published version of every item of the app, by (key, number): what people who
    started an older version continue with."""
    rows = session.execute(
        select(ContentItem.key, ContentVersion.number, ContentVersion.document)
        .join(ContentVersion, ContentVersion.item_id == ContentItem.id)
        .where(ContentItem.app_id == app_id)
    )
    return {(key, number): load_document(document) for key, number, document in rows}
