"""Admin API to see what arrived: events newest first, persons by any of their ids, erasure."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from waypost.errors import InvalidInput, NotFound, Unavailable
from waypost.events import EventFilter, EventStore, EventStoreError, PersonProfile
from waypost.tenancy.roles import Permission
from waypost.web.deps import DB, Caller, caller_app

router = APIRouter(prefix="/api/v1", tags=["data"])
AppId = Annotated[
    str | None,
    Query(description="The app; may be left out with a secret key, which names its own app."),
]


def _store(request: Request) -> EventStore:
    store: EventStore = request.app.state.events
    return store


class EventsQuery(BaseModel):
    """Which events to list."""

    model_config = ConfigDict(extra="forbid")

    app_id: str | None = Field(None, description="Defaults to a secret key's own app.")
    event: str | None = Field(None, description="Only events of this name ($page for pages).")
    person: str | None = Field(None, description="Any id of a person: all their events.")
    url: str | None = Field(
        None, min_length=1, max_length=2000, description="Only events whose page URL holds this."
    )
    since: datetime | None = Field(None, description="From this time on (inclusive).")
    until: datetime | None = Field(None, description="Before this time (exclusive).")
    limit: int = Field(100, ge=1, le=1000)
    cursor: str | None = Field(None, description="next_cursor of the previous page.")

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class EventOut(BaseModel):
    message_id: str
    type: str
    event: str
    name: str | None
    person_id: str | None
    distinct_id: str
    user_id: str | None
    anonymous_id: str | None
    previous_id: str | None
    account_id: str | None = Field(description="The event's group, else the person's account.")
    timestamp: datetime
    received_at: datetime
    session_id: str | None
    url: str | None
    path: str | None
    referrer: str | None
    element_selector: str | None
    element_text: str | None
    content_id: str | None
    content_step: int | None
    properties: dict[str, Any]
    context: dict[str, Any]


class EventPage(BaseModel):
    events: list[EventOut]
    next_cursor: str | None = Field(description="Pass as cursor for older events; null at the end.")


def _encode_cursor(row: dict[str, Any]) -> str:
    position = json.dumps([row["timestamp"].isoformat(), row["message_id"]])
    return base64.urlsafe_b64encode(position.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        moment, message_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(moment), str(message_id)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidInput("is not a cursor this API returned", field="cursor") from None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


@router.get("/events", response_model=EventPage)
def list_events(
    request: Request, db: DB, caller: Caller, query: Annotated[EventsQuery, Query()]
) -> EventPage:
    """Events as they were stored, newest first; filter by name, person and time."""
    app = caller_app(db, caller, query.app_id, Permission.READ_EVENTS)
    store = _store(request)
    distinct_ids = None
    if query.person is not None:
        distinct_ids = store.person_ids(app.id, query.person) or (query.person,)
    where = EventFilter(
        event=query.event,
        distinct_ids=distinct_ids,
        url=query.url,
        since=query.since,
        until=query.until,
        before=_decode_cursor(query.cursor) if query.cursor else None,
        limit=query.limit + 1,
    )
    rows = store.list_events(app.id, where)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    for row in rows:
        row["timestamp"], row["received_at"] = _utc(row["timestamp"]), _utc(row["received_at"])
    return EventPage(
        events=[EventOut(**row) for row in rows],
        next_cursor=_encode_cursor(rows[-1]) if more else None,
    )


class EventCountOut(BaseModel):
    event: str
    count: int
    first_seen: datetime
    last_seen: datetime


class AccountOut(BaseModel):
    id: str
    traits: dict[str, Any]


class PersonOut(BaseModel):
    person_id: str
    user_ids: list[str]
    anonymous_ids: list[str]
    traits: dict[str, Any]
    account: AccountOut | None = Field(description="The account of the person's latest group call.")
    created_at: datetime
    first_seen: datetime | None
    last_seen: datetime | None
    event_count: int
    events: list[EventCountOut] = Field(description="Per event name, most frequent first.")


def _person_out(person: PersonProfile) -> PersonOut:
    first, last = person.first_seen, person.last_seen
    return PersonOut(
        person_id=person.person_id,
        user_ids=list(person.user_ids),
        anonymous_ids=list(person.anonymous_ids),
        traits=person.traits,
        account=AccountOut(id=person.account_id, traits=person.account_traits)
        if person.account_id
        else None,
        created_at=_utc(person.created_at),
        first_seen=_utc(first) if first else None,
        last_seen=_utc(last) if last else None,
        event_count=sum(c.count for c in person.event_counts),
        events=[
            EventCountOut(
                event=c.event,
                count=c.count,
                first_seen=_utc(c.first_seen),
                last_seen=_utc(c.last_seen),
            )
            for c in person.event_counts
        ],
    )


@router.get("/persons/{person}", response_model=PersonOut)
def get_person(
    request: Request, db: DB, caller: Caller, person: str, app_id: AppId = None
) -> PersonOut:
    """A person by any of their ids (userId, anonymousId or person id)."""
    app = caller_app(db, caller, app_id, Permission.READ_EVENTS)
    profile = _store(request).find_person(app.id, person)
    if profile is None:
        raise NotFound(f"no person has the id {person!r} in this app", field="person")
    return _person_out(profile)


class ErasureOut(BaseModel):
    person_id: str
    distinct_ids: list[str]
    events_deleted: int


@router.delete("/persons/{person}", response_model=ErasureOut)
def erase_person(
    request: Request, db: DB, caller: Caller, person: str, app_id: AppId = None
) -> ErasureOut:
    """Delete a person with all their ids, traits, profile and events (a GDPR erasure request).
    Events sent later under the same ids start a new person."""
    app = caller_app(db, caller, app_id, Permission.ERASE_DATA)
    try:
        erasure = _store(request).erase_person(app.id, person)
    except EventStoreError as exc:
        raise Unavailable(str(exc), retry_after=10) from None
    if erasure is None:
        raise NotFound(f"no person has the id {person!r} in this app", field="person")
    return ErasureOut(
        person_id=erasure.person_id,
        distinct_ids=list(erasure.distinct_ids),
        events_deleted=erasure.events_deleted,
    )
