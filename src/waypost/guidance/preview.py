"""Who is in a segment now: the rules tested against the persons of the app as the decisions
would test them (page, device and locale rules hold for nobody here: there is no page). Only
the persons a SQL prefilter keeps are read: it keeps everyone the rules can hold for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from waypost.events import EventStore
from waypost.guidance.decide import Person, lookback, person_facts
from waypost.guidance.library import Released
from waypost.guidance.prefilter import prefilter
from waypost.guidance.rules import Rule, holds
from waypost.guidance.state import item_states


@dataclass(frozen=True)
class Preview:
    """How many persons match, of how many, and a sample of them (by person id)."""

    count: int
    total: int
    sample: list[dict[str, Any]] = field(default_factory=list)


def preview(
    store: EventStore,
    app_id: str,
    rules: Rule,
    segments: Mapping[str, Rule],
    released: Mapping[str, Released],
    actions: Mapping[str, tuple[str, ...]],
    sample: int = 20,
    now: datetime | None = None,
) -> Preview:
    """Test the rules against every person of the app; the count, of how many, and the first
    `sample` (in person id order)."""
    now = now or datetime.now(UTC)
    total = store.person_count(app_id)
    where = prefilter([rules], segments, actions, now)
    count = 0
    found: list[dict[str, Any]] = []
    for activity in store.person_activities(app_id, lookback(now), where=where):
        profile = activity.profile
        key = (profile.user_ids or profile.anonymous_ids or (profile.person_id,))[0]
        person = Person(key=key, activity=activity, traits=profile.traits)
        facts = person_facts(person, now, item_states(activity.content), released, actions)
        if not holds(rules, facts, segments):
            continue
        count += 1
        if len(found) < sample:
            found.append(
                {
                    "person_id": profile.person_id,
                    "user_ids": list(profile.user_ids),
                    "anonymous_ids": list(profile.anonymous_ids[:3]),
                    "traits": profile.traits,
                    "account_id": profile.account_id,
                }
            )
    return Preview(count, total, found)
