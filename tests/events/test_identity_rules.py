"""The identity rules on their own: who links with whom, and when persons merge."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from waypost.events.identity import Link, LinkPlan, plan_links


def _plan(links: list[Link], known: dict[str, str] | None = None, users: set[str] | None = None):
    counter = itertools.count(1)
    return plan_links(links, known or {}, users or set(), lambda: f"new{next(counter)}")


def test_two_unknown_ids_become_one_new_person() -> None:
    plan = _plan([Link("anon", "user")])
    assert plan.assign == {"anon": ("new1", False), "user": ("new1", True)}
    assert plan.new_persons == {"new1"} and plan.merges == {}


def test_user_id_joins_the_known_anonymous_person() -> None:
    plan = _plan([Link("anon", "user")], known={"anon": "p1"})
    assert plan.assign == {"user": ("p1", True)} and plan.new_persons == set()


def test_anonymous_person_merges_into_the_user_person() -> None:
    plan = _plan([Link("anon", "user")], known={"anon": "p1", "user": "p2"}, users={"p2"})
    assert plan.merges == {"p1": "p2"}


def test_shared_computer_second_user_gets_a_person_of_their_own() -> None:
    plan = _plan([Link("anon", "bob")], known={"anon": "alice"}, users={"alice"})
    assert plan.assign == {"bob": ("new1", True)} and plan.merges == {}


def test_identified_persons_do_not_merge_on_identify() -> None:
    known = {"anon": "alice", "bob": "bob-person"}
    plan = _plan([Link("anon", "bob")], known=known, users={"alice", "bob-person"})
    assert plan.merges == {} and plan.assign == {}


def test_alias_merges_even_identified_persons() -> None:
    known = {"old-id": "p1", "new-id": "p2"}
    plan = _plan([Link("old-id", "new-id", alias=True)], known=known, users={"p1", "p2"})
    assert plan.merges == {"p1": "p2"}


def test_chained_merges_point_at_the_final_person() -> None:
    links = [Link("a", "b", alias=True), Link("b", "c", alias=True)]
    plan = _plan(links, known={"a": "pa", "b": "pb", "c": "pc"})
    assert plan.merges == {"pa": "pc", "pb": "pc"}


def test_persons_made_and_merged_in_one_batch_never_reach_the_store() -> None:
    plan = _plan([Link("a1", "u1"), Link("a2", "u2"), Link("u1", "u2", alias=True)])
    assert plan.new_persons == {"new2"}
    assert plan.merges == {}
    assert {person for person, _ in plan.assign.values()} == {"new2"}


_ids = st.sampled_from(["a1", "a2", "a3", "u1", "u2", "u3"])
_links = st.lists(
    st.builds(Link, _ids, _ids, st.booleans()).filter(lambda link: link.source != link.user_id),
    max_size=12,
)


def _apply(plan: LinkPlan, known: dict[str, str], users: set[str]) -> None:
    for distinct_id, person in list(known.items()):
        known[distinct_id] = plan.merges.get(person, person)
    for distinct_id, (person, is_user) in plan.assign.items():
        known[distinct_id] = person
        if is_user:
            users.add(person)
    for loser, winner in plan.merges.items():
        if loser in users:
            users.add(winner)


@given(_links)
def test_one_batch_decides_as_the_same_links_one_at_a_time(links: list[Link]) -> None:
    counter = itertools.count(1)

    def new_id() -> str:
        return f"p{next(counter)}"

    batch_known: dict[str, str] = {}
    batch_users: set[str] = set()
    _apply(plan_links(links, {}, set(), new_id), batch_known, batch_users)

    one_known: dict[str, str] = {}
    one_users: set[str] = set()
    for link in links:
        _apply(plan_links([link], one_known, one_users, new_id), one_known, one_users)

    def groups(known: dict[str, str]) -> set[frozenset[str]]:
        by_person: dict[str, set[str]] = {}
        for distinct_id, person in known.items():
            by_person.setdefault(person, set()).add(distinct_id)
        return {frozenset(ids) for ids in by_person.values()}

    assert groups(batch_known) == groups(one_known)
    # Persons only ever join, so every alias leaves its two ids on one person for good.
    for link in links:
        if link.alias:
            assert batch_known[link.source] == batch_known[link.user_id]
