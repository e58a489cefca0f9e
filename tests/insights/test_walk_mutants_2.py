"""Funnel rules of the one-pass walk (funnel_walk.py) that the second mutation run found unheld:
a funnel over a single event, the histogram's bins of equal whole seconds, and the average time
between steps summed exactly, in whole microseconds, however large the sum. Each story is
answered by the walk, by the SQL form and by the reference, which must all agree with the numbers
a person expects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.insights.conftest import APP, plain
from tests.insights.reference import Ev, World, at, funnel
from waypost.events import DuckDBEventStore
from waypost.insights.funnels import run_funnel, steps_never_overlap
from waypost.insights.queries import FunnelQuery

Loaded = Callable[[World], DuckDBEventStore]


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


def test_a_funnel_over_a_single_event_counts_its_one_person_at_the_first_step(
    loaded: Loaded,
) -> None:
    world = World([Ev(1, "Signed Up", at(0), "1-a")])
    answer = _answers(loaded(world), world, _query("Signed Up", "Paid"))
    assert [step["count"] for step in answer["steps"]] == [1, 0]
    assert answer["histogram"] == []


def test_the_histogram_splits_conversion_times_into_bins_of_equal_whole_seconds(
    loaded: Loaded,
) -> None:
    # Six persons pay 10, 11, …, 15 seconds after signing up: two bins of three seconds each
    # (the width is (15 - 10 + 2) // 2), three persons in each.
    world = World(
        [Ev(p, "Signed Up", at(p), f"{p}-a") for p in range(1, 7)]
        + [Ev(p, "Paid", at(p) + timedelta(seconds=9 + p), f"{p}-b") for p in range(1, 7)]
    )
    answer = _answers(loaded(world), world, _query("Signed Up", "Paid", histogram_bins=2))
    assert answer["histogram"] == [
        {"from_seconds": 10, "to_seconds": 13, "count": 3},
        {"from_seconds": 13, "to_seconds": 16, "count": 3},
    ]


def test_the_average_time_is_exact_when_the_times_add_up_past_what_a_float_holds(
    loaded: Loaded,
) -> None:
    # 285 persons each pay p microseconds short of a year after their trial (the window is a
    # year): the times add up to a little over 2**53 microseconds, beyond which a float
    # cannot hold every whole number. Summed as whole microseconds, the average is exact.
    year_us = 366 * 86400 * 1_000_000
    persons = range(1, 286)
    trial = {p: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=p) for p in persons}
    gaps = {p: year_us - p for p in persons}
    assert sum(gaps.values()) > 2**53
    world = World(
        [Ev(p, "Trial", trial[p], f"{p}-a") for p in persons]
        + [Ev(p, "Paid", trial[p] + timedelta(microseconds=gaps[p]), f"{p}-b") for p in persons]
    )
    query = _query("Trial", "Paid", window_seconds=366 * 86400)
    paid = _answers(loaded(world), world, query)["steps"][1]
    assert paid["count"] == 285
    assert paid["average_seconds_from_previous"] == sum(gaps.values()) / 285 / 1e6
    assert paid["median_seconds_from_previous"] == gaps[143] / 1e6
