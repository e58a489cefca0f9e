"""Funnel rules the mutation run found unheld. In the one-pass walk (funnel_walk.py): exclusions
that void every attempt, several exclusions, an exclusion from a step never reached or after the
window, a step one microsecond after the previous one; each story is answered by the walk, by
the SQL form and by the reference, which must all agree with the numbers a person expects. In
the SQL form: a strict funnel per breakdown value (attribution all_events), and an exclusion a
microsecond before the first step (the order of events when steps never overlap)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tests.insights.conftest import APP, plain
from tests.insights.reference import Ev, World, at, funnel
from waypost.events import DuckDBEventStore
from waypost.insights.funnels import run_funnel, steps_never_overlap
from waypost.insights.queries import FunnelQuery

Loaded = Callable[[World], DuckDBEventStore]


def _ev(person: int, event: str, minutes: float) -> Ev:
    return Ev(person, event, at(minutes), f"{person}-{event}-{minutes}")


def _query(*steps: str, **fields: Any) -> FunnelQuery:
    query = FunnelQuery(steps=[{"event": step} for step in steps], **fields)
    assert steps_never_overlap(query), "the story must be one the walk answers"
    return query


def _answers(store: DuckDBEventStore, world: World, query: FunnelQuery) -> dict[str, Any]:
    """The walk's answer, once checked to be the SQL form's and the reference's."""
    walked = plain(run_funnel(store, APP, query))
    assert walked == plain(run_funnel(store, APP, query, one_pass=False))
    assert walked == funnel(world, query)
    return walked


def _counts(answer: dict[str, Any]) -> list[int]:
    return [step["count"] for step in answer["steps"]]


def test_a_funnel_whose_every_attempt_is_voided_counts_nobody(loaded: Loaded) -> None:
    world = World([_ev(1, "Trial", 0), _ev(1, "Cancelled", 1), _ev(1, "Paid", 2)])
    cancelled = {"event": "Cancelled", "from_step": 0, "to_step": 1}
    query = _query("Trial", "Paid", exclusions=[cancelled])
    assert _counts(_answers(loaded(world), world, query)) == [0, 0]


def test_each_of_several_exclusions_voids_an_attempt(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Trial", 0), _ev(1, "Cancelled", 1), _ev(1, "Paid", 2),
            _ev(2, "Trial", 0), _ev(2, "Refunded", 1), _ev(2, "Paid", 2),
            _ev(3, "Trial", 0), _ev(3, "Paid", 2),
        ]
    )  # fmt: skip
    query = _query(
        "Trial",
        "Paid",
        exclusions=[
            {"event": "Cancelled", "from_step": 0, "to_step": 1},
            {"event": "Refunded", "from_step": 0, "to_step": 1},
        ],
    )
    assert _counts(_answers(loaded(world), world, query)) == [1, 1]  # only 3


def test_an_exclusion_counts_from_its_first_step_and_within_the_window(loaded: Loaded) -> None:
    world = World(
        [
            # 1 never reaches Invited, where the exclusion starts: Cancelled does not void.
            _ev(1, "Trial", 0), _ev(1, "Cancelled", 1),
            # 2 never pays; Cancelled comes after the 60-minute window: it does not void.
            _ev(2, "Trial", 0), _ev(2, "Invited", 5), _ev(2, "Cancelled", 90),
            # 3 never pays; Cancelled inside the window voids the attempt.
            _ev(3, "Trial", 0), _ev(3, "Invited", 5), _ev(3, "Cancelled", 30),
        ]
    )  # fmt: skip
    query = _query(
        "Trial",
        "Invited",
        "Paid",
        window_seconds=3600,
        exclusions=[{"event": "Cancelled", "from_step": 1, "to_step": 2}],
    )
    assert _counts(_answers(loaded(world), world, query)) == [2, 1, 0]


def test_a_step_one_microsecond_after_the_previous_counts_in_its_times(loaded: Loaded) -> None:
    signed_up = at(0)
    world = World(
        [
            Ev(1, "Signed Up", signed_up, "1-a"),
            Ev(1, "Activated", signed_up + timedelta(microseconds=1), "1-b"),
        ]
    )
    answer = _answers(loaded(world), world, _query("Signed Up", "Activated"))
    assert answer["steps"][1]["average_seconds_from_previous"] == 1e-6
    assert answer["steps"][1]["median_seconds_from_previous"] == 1e-6


def test_a_strict_funnel_per_value_is_broken_only_by_events_of_that_value(
    loaded: Loaded,
) -> None:
    # With attribution all_events each value is a funnel of its own: for "ads", 1's Visit and
    # Signup follow each other; the Help event between them belongs to "blog".
    world = World(
        [
            Ev(1, "Visit", at(0), "1-a", {"source": "ads"}),
            Ev(1, "Help", at(1), "1-b", {"source": "blog"}),
            Ev(1, "Signup", at(2), "1-c", {"source": "ads"}),
        ]
    )
    query = FunnelQuery(
        steps=[{"event": "Visit"}, {"event": "Signup"}],
        order="strict",
        breakdown={"property": "source", "attribution": "all_events"},
    )
    answer = plain(run_funnel(loaded(world), APP, query))
    assert answer == funnel(world, query)
    ads = next(b for b in answer["breakdowns"] if b["value"] == "ads")
    assert [step["count"] for step in ads["steps"]] == [1, 1]


def test_an_exclusion_a_microsecond_before_the_first_step_does_not_void_it(
    loaded: Loaded,
) -> None:
    trial = at(0)
    world = World(
        [
            Ev(1, "Cancelled", trial - timedelta(microseconds=1), "1-a"),
            Ev(1, "Trial", trial, "1-b"),
            Ev(1, "Paid", trial + timedelta(minutes=5), "1-c"),
        ]
    )
    cancelled = {"event": "Cancelled", "from_step": 0, "to_step": 1}
    query = _query("Trial", "Paid", exclusions=[cancelled])
    assert _counts(_answers(loaded(world), world, query)) == [1, 1]
