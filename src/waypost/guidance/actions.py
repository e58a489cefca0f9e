"""The app's actions as audience rules count them: per person, the kept daily counts hold events
by name, so an action counts when each of its steps names an event and nothing more (an action
made of clicks on an element or of pages by URL is matched by the insights engine, which reads
raw events; profiles do not keep those)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from waypost.errors import InvalidInput
from waypost.insights.actions import action_steps


def countable_actions(session: Session, app_id: str) -> dict[str, tuple[str, ...]]:
    """Each action that rules can count, by name, with the events it is made of."""
    found: dict[str, tuple[str, ...]] = {}
    for name, steps in action_steps(session, app_id).items():
        if all(s.event and not (s.url or s.selector or s.text or s.where) for s in steps):
            found[name] = tuple(sorted({s.event for s in steps if s.event}))
    return found


def check_actions(session: Session, app_id: str, names: Iterable[str], field: str) -> None:
    """Refuse rules that count an action the app does not have, or one made of more than event
    names (InvalidInput naming the field)."""
    wanted = sorted(set(names))
    if not wanted:
        return
    known = set(action_steps(session, app_id))
    countable = countable_actions(session, app_id)
    for name in wanted:
        if name not in known:
            raise InvalidInput(f"rules count action {name!r}, which does not exist", field=field)
        if name not in countable:
            raise InvalidInput(
                f"rules count action {name!r}, whose steps test pages, elements or properties; "
                "audience rules count actions made of event names only (name the event instead)",
                field=field,
            )
