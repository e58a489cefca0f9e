"""Insight queries answered for one app with what they may name read from its metadata
database (actions, content items, segments): the entry point of the API, the CLI and
dashboards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from waypost.events.store import EventStore
from waypost.guidance import library
from waypost.guidance.actions import countable_actions
from waypost.guidance.decide import Person, lookback, person_facts
from waypost.guidance.prefilter import prefilter
from waypost.guidance.rules import holds
from waypost.guidance.segments import app_segment_rules
from waypost.guidance.state import item_states
from waypost.insights.actions import action_steps
from waypost.insights.catalog import ContentCatalog, ContentItemInfo, SegmentMembers
from waypost.insights.queries import InsightQuery
from waypost.insights.runner import RUNNERS, run_query


def content_catalog(session: Session, app_id: str, store: EventStore) -> ContentCatalog:
    """The catalog of one app, read from the metadata database; segment members are worked out
    only when a query asks for them."""
    items = {
        document.key: ContentItemInfo(document.key, document.kind, document.name, document)
        for document in library.drafts(session, app_id, include_archived=True)
    }
    rules = app_segment_rules(session, app_id)
    if not rules:
        return ContentCatalog(items, frozenset(rules))
    released = {item.key: item for item in library.released_set(session, app_id)}
    actions = countable_actions(session, app_id)

    def members(keys: Sequence[str]) -> SegmentMembers:
        # The same test a segment preview makes, for the persons any of the segments may hold
        # for (the prefilter keeps all of those).
        now = datetime.now(UTC)
        found: SegmentMembers = {key: set() for key in keys}
        where = prefilter([rules[key] for key in keys], rules, actions, now)
        for activity in store.person_activities(app_id, lookback(now), where=where):
            profile = activity.profile
            person_key = (profile.user_ids or profile.anonymous_ids or (profile.person_id,))[0]
            person = Person(key=person_key, activity=activity, traits=profile.traits)
            facts = person_facts(person, now, item_states(activity.content), released, actions)
            for key in keys:
                if holds(rules[key], facts, rules):
                    found[key].add(int(profile.person_id))
        return found

    return ContentCatalog(items, frozenset(rules), members)


def answer(session: Session, store: EventStore, app_id: str, query: InsightQuery) -> BaseModel:
    """Run a query for one app with everything it may name read from the metadata database:
    what the API, the CLI and dashboards call."""
    content = content_catalog(session, app_id, store) if RUNNERS[query.kind].reads_content else None
    return run_query(store, app_id, query, action_steps(session, app_id), content)
