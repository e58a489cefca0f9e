"""Identity rules: which ids belong to one person, and when two persons become one.

A message that carries two ids links them: `identify` (or any message) with both a userId and an
anonymousId, and `alias` (previousId → userId). Linking never rewrites events; it only decides
which person each id points to. The rules, applied in time order:

- Two unknown ids become one new person.
- An unknown id joins the person of the known one, except that a userId never joins an
  anonymous id whose person already has another userId (a shared computer: the second user gets
  a person of their own).
- Two known ids of different persons merge when the anonymous side has no userId yet. `alias`
  is an explicit request, so it merges in every case.
- An id is a userId if it was first seen as one. When a batch holds the id's first appearance
  before its link, the store says so (`user_ids`): a source first seen as a userId already was
  a person with a userId of its own when the link came, as one message at a time would have it.

Only the linked ids need this care, and they are few beside ordinary events; the store maps all
other ids in bulk.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

# Persons are whatever the store names them by (integers in DuckDB).
P = TypeVar("P", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Link:
    """Two ids one message says belong to the same person (`source` is anonymous or previous)."""

    source: str
    user_id: str
    alias: bool = False


@dataclass
class LinkPlan(Generic[P]):
    """What the store must write: new ids with their persons, and merges (loser → winner)."""

    assign: dict[str, tuple[P, bool]] = field(default_factory=dict)
    new_persons: set[P] = field(default_factory=set)
    merges: dict[P, P] = field(default_factory=dict)


def plan_links(
    links: Iterable[Link],
    known: dict[str, P],
    identified: set[P],
    new_person_id: Callable[[], P],
    user_ids: Container[str] | None = None,
) -> LinkPlan[P]:
    """Apply the links in order to `known` (id → person) and `identified` (persons with a userId).

    A new id counts as a userId when it is the link's userId, or, when `user_ids` is given,
    when it is among them (the store passes the ids first seen as a userId, so an alias whose
    previousId is an earlier userId keeps that id a userId).

    Returns the ids to insert, the persons created and the merges, each merge pointing at its
    final winner even when a batch merges the same person twice.
    """
    plan: LinkPlan[P] = LinkPlan()
    owner = dict(known)
    users = set(identified)

    def current(person: P) -> P:
        while person in plan.merges:
            person = plan.merges[person]
        return person

    def person_of(distinct_id: str) -> P | None:
        person = owner.get(distinct_id)
        return current(person) if person is not None else None

    def give(distinct_id: str, person: P, is_user: bool) -> None:
        if user_ids is not None:
            is_user = distinct_id in user_ids
        owner[distinct_id] = person
        plan.assign[distinct_id] = (person, is_user)
        if is_user:
            users.add(person)

    def create() -> P:
        person = new_person_id()
        plan.new_persons.add(person)
        return person

    def a_user_before(distinct_id: str) -> bool:
        # A new source id first seen as a userId was, one message at a time, a person with a
        # userId of its own before this link reached it.
        return user_ids is not None and distinct_id in user_ids

    for link in links:
        source, user = person_of(link.source), person_of(link.user_id)
        apart = a_user_before(link.source) and not link.alias
        if source is None and user is None:
            person = create()
            give(link.source, person, False)
            give(link.user_id, create() if apart else person, True)
        elif user is None:
            assert source is not None
            taken = source in users and not link.alias
            give(link.user_id, create() if taken else source, True)
        elif source is None:
            give(link.source, create() if apart else user, False)
        elif source != user and (link.alias or source not in users):
            plan.merges[source] = user
            if source in users:
                users.add(user)
    created = plan.new_persons
    # Persons made and merged away within the batch never reach the store.
    return LinkPlan(
        assign={key: (current(person), user) for key, (person, user) in plan.assign.items()},
        new_persons={person for person in created if current(person) == person},
        merges={loser: current(loser) for loser in plan.merges if loser not in created},
    )
