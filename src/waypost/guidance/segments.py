"""Saved segments: reusable audiences with a key, kept in the metadata database and in content
files (`kind: segment`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, TypeAdapter, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from waypost.db.base import new_id, utcnow
from waypost.errors import InvalidInput, NotFound
from waypost.guidance.actions import check_actions
from waypost.guidance.conditions import Strict
from waypost.guidance.documents import Key
from waypost.guidance.models import Segment
from waypost.guidance.rules import Rule, check_depth


class SegmentDocument(Strict):
    """A segment as files and the API write it."""

    kind: Literal["segment"] = "segment"
    key: Key
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    rules: Rule

    @model_validator(mode="after")
    def _shallow(self) -> SegmentDocument:
        check_depth(self.rules, "rules")
        return self


SEGMENT_DOCUMENT = TypeAdapter[SegmentDocument](SegmentDocument)


class SegmentOut(SegmentDocument):
    """A stored segment."""

    id: str
    created_at: datetime
    updated_at: datetime


def _document(row: Segment) -> SegmentDocument:
    data: dict[str, Any] = json.loads(row.rules)
    return SegmentDocument.model_validate(data)


def segment_out(row: Segment) -> SegmentOut:
    """The API's view of a stored segment."""
    document = _document(row)
    return SegmentOut(
        **document.model_dump(exclude_unset=True, by_alias=True),
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _check_references(session: Session, app_id: str, document: SegmentDocument) -> None:
    rules = app_segment_rules(session, app_id)
    rules[document.key] = document.rules
    missing = sorted(ref for ref in document.rules.segments() if ref not in rules)
    if missing:
        raise InvalidInput(f"rules refer to unknown segment {missing[0]!r}", field="rules")
    check_actions(session, app_id, document.rules.actions(), "rules")
    # A segment that reaches itself through others could never be decided.
    seen: set[str] = set()
    frontier = set(document.rules.segments())
    while frontier:
        if document.key in frontier:
            raise InvalidInput(f"segment {document.key!r} refers to itself", field="rules")
        seen |= frontier
        frontier = {ref for key in frontier for ref in rules[key].segments()} - seen


def save_segment(
    session: Session, app_id: str, document: SegmentDocument, check: bool = True
) -> Segment:
    """Create or replace the app's segment with the document's key (`check=False` leaves the
    references to `check_segments`, for a set saved together)."""
    if check:
        _check_references(session, app_id, document)
    row = session.scalar(
        select(Segment).where(Segment.app_id == app_id, Segment.key == document.key)
    )
    stored = json.dumps(document.model_dump(mode="json", exclude_unset=True, by_alias=True))
    if row is None:
        row = Segment(id=new_id("seg"), app_id=app_id, key=document.key)
        session.add(row)
    row.name = document.name
    row.description = document.description or ""
    row.rules = stored
    row.updated_at = utcnow()
    session.flush()
    return row


def check_segments(session: Session, app_id: str) -> None:
    """Refuse (InvalidInput) when any of the app's segments refers to an unknown one or to
    itself."""
    for document in segment_documents(session, app_id):
        _check_references(session, app_id, document)


def get_segment(session: Session, app_id: str, key: str) -> Segment:
    """The app's segment with that key; NotFound otherwise."""
    row = session.scalar(select(Segment).where(Segment.app_id == app_id, Segment.key == key))
    if row is None:
        raise NotFound(f"no segment {key!r} in this app", field="key")
    return row


def list_segments(session: Session, app_id: str) -> list[Segment]:
    """The app's segments, by key."""
    return list(
        session.scalars(select(Segment).where(Segment.app_id == app_id).order_by(Segment.key))
    )


def segment_documents(session: Session, app_id: str) -> list[SegmentDocument]:
    """The app's segments as documents, by key."""
    return [_document(row) for row in list_segments(session, app_id)]


def app_segment_rules(session: Session, app_id: str) -> dict[str, Rule]:
    """Every segment's rule tree by key, as decisions evaluate them."""
    return {doc.key: doc.rules for doc in segment_documents(session, app_id)}


def delete_segment(session: Session, app_id: str, key: str) -> None:
    """Delete the segment; refused while another segment refers to it."""
    row = get_segment(session, app_id, key)
    for other in segment_documents(session, app_id):
        if other.key != key and key in other.rules.segments():
            raise InvalidInput(f"segment {other.key!r} refers to {key!r}", field="key")
    session.delete(row)
