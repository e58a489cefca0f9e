"""Retention: recurring and first-time cohorts, by day, week or month, against hand counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import examples
from tests.insights.conftest import APP, load, plain
from tests.insights.reference import Ev, World, retention
from tests.insights.test_funnel_properties import filters, values
from waypost.events import DuckDBEventStore
from waypost.insights.queries import RetentionQuery
from waypost.insights.retention import run_retention

Loaded = Callable[[World], DuckDBEventStore]
MONDAY = datetime(2026, 6, 1, 10, tzinfo=UTC)


def _ev(person: int, event: str, day: int) -> Ev:
    return Ev(person, event, MONDAY + timedelta(days=day), f"{person}-{event}-{day}")


def _query(**fields: Any) -> RetentionQuery:
    return RetentionQuery(
        **{"start": {"event": "Signed Up"}, "returning": {"event": "Used"}, **fields},
        date_from=MONDAY.replace(hour=0),
        date_to=MONDAY.replace(hour=0) + timedelta(weeks=3),
    )


def test_weekly_cohorts_count_who_came_back_each_week(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Signed Up", 0), _ev(1, "Used", 8), _ev(1, "Used", 15),
            _ev(2, "Signed Up", 1), _ev(2, "Used", 16),  # skips week 1, back in week 2
            _ev(3, "Signed Up", 2),
            _ev(4, "Signed Up", 7), _ev(4, "Used", 14),
        ]
    )  # fmt: skip
    result = run_retention(loaded(world), APP, _query())
    assert [(c.size, c.values) for c in result.cohorts] == [(3, [3, 1, 2]), (1, [1, 1]), (0, [0])]
    assert result.cohorts[0].rates == [1.0, 1 / 3, 2 / 3]


def test_first_time_cohorts_ignore_later_start_events(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Signed Up", -10),  # started before the range: in no cohort
            _ev(1, "Signed Up", 8), _ev(1, "Used", 15),
            _ev(2, "Signed Up", 0), _ev(2, "Signed Up", 7), _ev(2, "Used", 8),
        ]
    )  # fmt: skip
    recurring = run_retention(loaded(world), APP, _query())
    first_time = run_retention(loaded(world), APP, _query(cohort_type="first_time"))
    assert [c.values for c in recurring.cohorts] == [[1, 1, 0], [2, 1], [0]]
    assert [c.values for c in first_time.cohorts] == [[1, 1, 0], [0, 0], [0]]


def test_any_event_then_any_event_counts_the_active_units_of_each_later_week(
    loaded: Loaded,
) -> None:
    # The usual "weekly active, and who stays active" question: start and returning alike.
    world = World(
        [
            _ev(1, "Used", 0), _ev(1, "Signed Up", 8), _ev(1, "Used", 15),
            _ev(2, "Used", 1), _ev(2, "Used", 2),
            _ev(3, "Used", 9),
        ]
    )  # fmt: skip
    query = _query(start={"event": None}, returning={"event": None})
    result = run_retention(loaded(world), APP, query)
    assert [c.values for c in result.cohorts] == [[2, 1, 1], [2, 1], [1]]
    assert plain(result) == retention(world, query)


@st.composite
def retention_cases(draw: st.DrawFn) -> tuple[World, RetentionQuery]:
    base = datetime(2026, 3, 20, tzinfo=UTC)
    events = [
        Ev(
            person=draw(st.integers(1, 5)),
            event=draw(st.sampled_from(["S", "R", "X"])),
            at=base + timedelta(hours=draw(st.integers(0, 24 * 40))),
            message_id=f"m{i:03d}",
            properties=draw(st.dictionaries(st.sampled_from(["p", "q"]), values, max_size=2)),
            account=draw(st.sampled_from(["acme", "globex", None])),
        )
        for i in range(draw(st.integers(0, 30)))
    ]
    world = World(events, {1: {"plan": "pro", "is_test_account": True}}, {"acme": {"tier": 1}})
    start = base + timedelta(days=draw(st.integers(0, 10)), hours=draw(st.integers(0, 23)))
    query = RetentionQuery(
        start={
            "event": draw(st.sampled_from(["S", None])),
            "where": draw(st.lists(filters, max_size=1)),
        },
        returning={"event": draw(st.sampled_from(["R", "S", None]))},
        cohort_type=draw(st.sampled_from(["recurring", "first_time"])),
        interval=draw(st.sampled_from(["day", "week", "month"])),
        timezone=draw(st.sampled_from(["UTC", "Asia/Tokyo", "Europe/Berlin"])),
        aggregate_by=draw(st.sampled_from(["person", "account"])),
        date_from=start,
        date_to=start + timedelta(days=draw(st.integers(1, 30))),
        where=draw(st.lists(filters, max_size=1)),
        filter_test_accounts=draw(st.booleans()),
    )
    return world, query


@examples(80)
@given(case=retention_cases())
def test_sql_retention_equals_the_reference(
    shared_store: DuckDBEventStore, case: tuple[World, RetentionQuery]
) -> None:
    world, query = case
    load(shared_store, world)
    assert plain(run_retention(shared_store, APP, query)) == retention(world, query)
