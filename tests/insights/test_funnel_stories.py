"""Funnels as a person would check them by hand: a few people, their events, the numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from tests.insights.conftest import APP, plain
from tests.insights.reference import Ev, World, at, funnel
from waypost.events import DuckDBEventStore
from waypost.insights.actions import ActionStep
from waypost.insights.funnels import run_funnel
from waypost.insights.queries import FunnelQuery

Loaded = Callable[[World], DuckDBEventStore]


def _query(*events: str | None, **fields: Any) -> FunnelQuery:
    return FunnelQuery(steps=[{"event": e} for e in events], **fields)


def _ev(person: int, event: str, minutes: float, **props: Any) -> Ev:
    return Ev(person, event, at(minutes), f"{person}-{event}-{minutes}", props)


def _counts(result: Any) -> list[int]:
    return [step.count for step in result.steps]


def test_three_people_drop_out_at_different_steps(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Signed Up", 0), _ev(1, "Created Project", 5), _ev(1, "Invited", 20),
            _ev(2, "Signed Up", 0), _ev(2, "Created Project", 60),
            _ev(3, "Signed Up", 0),
            _ev(4, "Created Project", 0), _ev(4, "Invited", 1),  # never signed up
        ]
    )  # fmt: skip
    query = _query("Signed Up", "Created Project", "Invited")
    result = run_funnel(loaded(world), APP, query)

    assert _counts(result) == [3, 2, 1]
    assert [round(s.conversion_from_first, 3) for s in result.steps] == [1.0, 0.667, 0.333]
    assert result.steps[1].average_seconds_from_previous == (5 * 60 + 60 * 60) / 2
    assert result.steps[1].median_seconds_from_previous == (5 * 60 + 60 * 60) / 2
    assert result.steps[2].average_seconds_from_previous == 15 * 60
    assert plain(result) == funnel(world, query)


def test_a_step_after_the_window_does_not_count(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Signed Up", 0), _ev(1, "Activated", 60),  # exactly at the window: counts
            _ev(2, "Signed Up", 0), _ev(2, "Activated", 61),
        ]
    )  # fmt: skip
    query = _query("Signed Up", "Activated", window_seconds=3600)
    assert _counts(run_funnel(loaded(world), APP, query)) == [2, 1]


def test_a_later_attempt_can_finish_what_an_earlier_one_could_not(loaded: Loaded) -> None:
    world = World(
        [_ev(1, "Signed Up", 0), _ev(1, "Signed Up", 60 * 24 * 10), _ev(1, "Paid", 60 * 24 * 12)]
    )
    query = _query("Signed Up", "Paid", window_seconds=7 * 86400)
    result = run_funnel(loaded(world), APP, query)
    assert _counts(result) == [1, 1]
    assert result.steps[1].average_seconds_from_previous == 2 * 86400


def test_strict_order_breaks_on_any_other_event(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "A", 0), _ev(1, "B", 1),
            _ev(2, "A", 0), _ev(2, "Other", 1), _ev(2, "B", 2),
        ]
    )  # fmt: skip
    assert _counts(run_funnel(loaded(world), APP, _query("A", "B"))) == [2, 2]
    assert _counts(run_funnel(loaded(world), APP, _query("A", "B", order="strict"))) == [2, 1]


def test_unordered_counts_steps_done_in_any_order(loaded: Loaded) -> None:
    world = World([_ev(1, "C", 0), _ev(1, "A", 1), _ev(1, "B", 2), _ev(2, "B", 0)])
    result = run_funnel(loaded(world), APP, _query("A", "B", "C", order="unordered"))
    assert _counts(result) == [2, 1, 1]


def test_an_exclusion_between_steps_leaves_the_person_out(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Trial", 0), _ev(1, "Cancelled", 1), _ev(1, "Paid", 2),
            _ev(2, "Trial", 0), _ev(2, "Paid", 2), _ev(2, "Cancelled", 3),  # after: fine
        ]
    )  # fmt: skip
    query = _query(
        "Trial", "Paid", exclusions=[{"event": "Cancelled", "from_step": 0, "to_step": 1}]
    )
    assert _counts(run_funnel(loaded(world), APP, query)) == [1, 1]


def test_breakdown_by_first_touch_with_other_bucket(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Visit", 0, source="ads"), _ev(1, "Signup", 1),
            _ev(2, "Visit", 0, source="ads"),
            _ev(3, "Visit", 0, source="blog"), _ev(3, "Signup", 1),
            _ev(4, "Visit", 0),
        ]
    )  # fmt: skip
    query = _query("Visit", "Signup", breakdown={"property": "source", "limit": 1})
    result = run_funnel(loaded(world), APP, query)
    assert result.breakdowns is not None
    assert [(b.value, _counts(b)) for b in result.breakdowns] == [
        ("ads", [2, 1]),
        ("Other", [2, 1]),
    ]
    assert plain(result) == funnel(world, query)


def test_a_step_given_as_an_action_is_named_by_the_action(loaded: Loaded) -> None:
    world = World(
        [_ev(1, "Trial Started", 0), _ev(1, "Plan Changed", 5)],
        actions={"Upgraded": [ActionStep(event="Plan Changed")]},
    )
    query = FunnelQuery(steps=[{"event": "Trial Started"}, {"action": "Upgraded"}])
    result = run_funnel(loaded(world), APP, query, world.actions)
    assert [(s.event, s.action, s.count) for s in result.steps] == [
        ("Trial Started", None, 1),
        (None, "Upgraded", 1),
    ]
    assert plain(result) == funnel(world, query)


def test_first_touch_takes_the_first_step_that_carries_the_property(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Visit", 0), _ev(1, "Signup", 1, source="ads"),  # the visit lacks it
            _ev(2, "Visit", 0, source="blog"), _ev(2, "Signup", 1, source="ads"),
            _ev(3, "Visit", 0),  # no step carries it
        ]
    )  # fmt: skip
    query = _query("Visit", "Signup", breakdown={"property": "source"})
    result = run_funnel(loaded(world), APP, query)
    assert result.breakdowns is not None
    assert [(b.value, _counts(b)) for b in result.breakdowns] == [
        ("", [1, 0]),
        ("ads", [1, 1]),
        ("blog", [1, 1]),
    ]
    assert plain(result) == funnel(world, query)


def test_last_touch_takes_the_last_step_that_carries_the_property(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Visit", 0, source="blog"), _ev(1, "Signup", 1),  # the sign-up lacks it
            _ev(2, "Visit", 0, source="blog"), _ev(2, "Signup", 1, source="ads"),
        ]
    )  # fmt: skip
    query = _query("Visit", "Signup", breakdown={"property": "source", "attribution": "last_touch"})
    result = run_funnel(loaded(world), APP, query)
    assert result.breakdowns is not None
    assert [(b.value, _counts(b)) for b in result.breakdowns] == [
        ("ads", [1, 1]),
        ("blog", [1, 1]),
    ]
    assert plain(result) == funnel(world, query)


def test_unordered_first_touch_takes_the_first_event_that_carries_the_property(
    loaded: Loaded,
) -> None:
    # The sign-up came first and lacks the property; the visit after it carries it.
    world = World([_ev(1, "Signup", 0), _ev(1, "Visit", 1, source="ads")])
    query = _query("Visit", "Signup", order="unordered", breakdown={"property": "source"})
    result = run_funnel(loaded(world), APP, query)
    assert result.breakdowns is not None
    assert [(b.value, _counts(b)) for b in result.breakdowns] == [("ads", [1, 1])]
    assert plain(result) == funnel(world, query)


def test_an_exclusion_inside_an_unordered_attempt_leaves_the_person_out(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Paid", 0), _ev(1, "Cancelled", 1), _ev(1, "Trial", 2),  # between: void
            _ev(2, "Trial", 0), _ev(2, "Paid", 2), _ev(2, "Cancelled", 3),  # after: fine
            _ev(3, "Trial", 0), _ev(3, "Cancelled", 1),  # never paid, cancelled in the window
        ]
    )  # fmt: skip
    query = _query(
        "Trial",
        "Paid",
        order="unordered",
        exclusions=[{"event": "Cancelled", "from_step": 0, "to_step": 1}],
    )
    result = run_funnel(loaded(world), APP, query)
    assert _counts(result) == [1, 1]
    assert plain(result) == funnel(world, query)


def test_an_unordered_exclusion_spans_the_whole_attempt() -> None:
    with pytest.raises(ValidationError, match="from_step must be 0"):
        _query(
            "A",
            "B",
            "C",
            order="unordered",
            exclusions=[{"event": "X", "from_step": 1, "to_step": 2}],
        )
