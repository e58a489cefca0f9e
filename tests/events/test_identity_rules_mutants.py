"""Identity rules the mutation run found unheld: an unknown anonymous id joining a known user,
a userId that stays apart, and who counts as identified after a merge within one batch."""

from __future__ import annotations

import itertools

from waypost.events.identity import Link, LinkPlan, plan_links


def _plan(
    links: list[Link],
    known: dict[str, str],
    users: set[str] | None = None,
    user_ids: set[str] | None = None,
) -> LinkPlan[str]:
    counter = itertools.count(1)
    return plan_links(links, known, users or set(), lambda: f"new{next(counter)}", user_ids)


def test_an_unknown_anonymous_id_joins_the_known_users_person_as_anonymous() -> None:
    plan = _plan([Link("anon", "alice")], known={"alice": "p1"}, users={"p1"})
    assert plan.assign == {"anon": ("p1", False)}
    assert plan.new_persons == set() and plan.merges == {}


def test_a_source_first_seen_as_a_user_id_keeps_a_person_of_its_own() -> None:
    # One message at a time, bob was a person with a userId before the link from bob to alice
    # came; the link does not merge two identified persons, so bob stays apart.
    plan = _plan(
        [Link("bob", "alice")], known={"alice": "p1"}, users={"p1"}, user_ids={"bob", "alice"}
    )
    assert plan.assign == {"bob": ("new1", True)}
    assert plan.new_persons == {"new1"} and plan.merges == {}


def test_merging_an_anonymous_person_does_not_make_the_survivor_identified() -> None:
    # x was only ever anonymous: after anon's person merges into x's, a userId may still join it.
    plan = _plan([Link("anon", "x"), Link("x", "bob")], known={"anon": "p1", "x": "p2"})
    assert plan.merges == {"p1": "p2"}
    assert plan.assign == {"bob": ("p2", True)}


def test_an_alias_from_an_identified_person_makes_the_survivor_identified() -> None:
    # alice's person merges into x's by alias, so x's person now has a userId: a second user
    # reaching it through x gets a person of their own (the shared-computer rule).
    plan = _plan(
        [Link("alice", "x", alias=True), Link("x", "carol")],
        known={"alice": "p1", "x": "p2"},
        users={"p1"},
    )
    assert plan.merges == {"p1": "p2"}
    assert plan.assign == {"carol": ("new1", True)}
    assert plan.new_persons == {"new1"}
