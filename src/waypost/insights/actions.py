"""Actions: named definitions of what counts as one thing a user did ("Clicked Upgrade"), made
from raw events by name, page URL, autocaptured element and properties. A query step may name
an action wherever it may name an event.

An event matches an action when it matches any of the action's steps; a step matches when every
condition it gives holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field, JsonValue, TypeAdapter, model_validator
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from waypost.db.base import Base, UTCDateTime, new_id, utcnow
from waypost.errors import Conflict, NotFound
from waypost.insights.queries import JsonDict, Strict, Where


class UrlMatch(StrEnum):
    EXACT = "exact"
    CONTAINS = "contains"
    REGEX = "regex"


def _given(name: str) -> JsonValue:
    return {"required": [name], "properties": {name: {"type": "string", "minLength": 1}}}


# At least one condition, said in the schema as `_says_something` checks it.
_STEP_SCHEMA: JsonDict = {
    "anyOf": [
        *(_given(name) for name in ("event", "url", "selector", "text")),
        {"required": ["where"], "properties": {"where": {"minItems": 1}}},
    ]
}


class ActionStep(Strict):
    """One way to do the action; the conditions given must all hold."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_STEP_SCHEMA)

    event: str | None = Field(None, description="Event name, e.g. $page or $autocapture.")
    url: str | None = Field(None, max_length=2000)
    url_match: UrlMatch = UrlMatch.CONTAINS
    selector: str | None = Field(None, max_length=1000, description="Exact CSS selector.")
    text: str | None = Field(None, max_length=400, description="Exact element text.")
    where: Where

    @model_validator(mode="after")
    def _says_something(self) -> ActionStep:
        if not (self.event or self.url or self.selector or self.text or self.where):
            raise ValueError("give at least one of event, url, selector, text or where")
        return self


# An app's actions by name, as queries that name them are compiled with.
Actions = Mapping[str, list[ActionStep]]


class ActionIn(Strict):
    """An action as the API takes it."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    steps: list[ActionStep] = Field(min_length=1, max_length=20)


class ActionOut(ActionIn):
    id: str
    created_at: datetime
    updated_at: datetime


class Action(Base):
    """A stored action of one app."""

    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("app_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    steps: Mapped[str] = mapped_column(Text)  # ActionStep list as JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def out(self) -> ActionOut:
        """The action as the API shows it."""
        return ActionOut(
            id=self.id,
            name=self.name,
            description=self.description,
            steps=_STEPS.validate_json(self.steps),
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


_STEPS: TypeAdapter[list[ActionStep]] = TypeAdapter(list[ActionStep])


def _save(session: Session, action: Action) -> Action:
    try:
        with session.begin_nested():
            session.add(action)
            session.flush()
    except IntegrityError:
        raise Conflict(f"an action named {action.name!r} exists already", field="name") from None
    return action


def create_action(session: Session, app_id: str, data: ActionIn) -> Action:
    """A new action of the app; Conflict when the name is taken."""
    action = Action(
        id=new_id("act"),
        app_id=app_id,
        name=data.name.strip(),
        description=data.description,
        steps=_STEPS.dump_json(data.steps, exclude_defaults=True).decode(),
    )
    return _save(session, action)


def get_action(session: Session, app_id: str, action_id: str) -> Action:
    """The app's action, or NotFound (also for another app's action)."""
    action = session.get(Action, action_id)
    if action is None or action.app_id != app_id:
        raise NotFound(f"no action {action_id}", field="action_id")
    return action


def update_action(session: Session, app_id: str, action_id: str, data: ActionIn) -> Action:
    """Replace an action's name, description and steps."""
    action = get_action(session, app_id, action_id)
    action.name, action.description = data.name.strip(), data.description
    action.steps = _STEPS.dump_json(data.steps, exclude_defaults=True).decode()
    action.updated_at = utcnow()
    return _save(session, action)


def delete_action(session: Session, app_id: str, action_id: str) -> None:
    """Remove an action; queries naming it will say it does not exist."""
    session.delete(get_action(session, app_id, action_id))


def list_actions(session: Session, app_id: str) -> list[Action]:
    """The app's actions by name."""
    return list(
        session.scalars(select(Action).where(Action.app_id == app_id).order_by(Action.name))
    )


def action_steps(session: Session, app_id: str) -> dict[str, list[ActionStep]]:
    """Every action of the app by name, for compiling queries that name them."""
    return {
        action.name: _STEPS.validate_json(action.steps) for action in list_actions(session, app_id)
    }
