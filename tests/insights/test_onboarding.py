"""Onboarding completion: milestones reached within N days of becoming new, in any order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import examples
from tests.insights.conftest import APP, load, plain
from tests.insights.reference import Ev, World, onboarding
from tests.insights.test_funnel_properties import filters, values
from waypost.events import DuckDBEventStore
from waypost.insights.onboarding import run_onboarding
from waypost.insights.queries import OnboardingQuery

Loaded = Callable[[World], DuckDBEventStore]
MONDAY = datetime(2026, 6, 1, tzinfo=UTC)


def _ev(person: int, event: str, days: float) -> Ev:
    return Ev(person, event, MONDAY + timedelta(days=days), f"{person}-{event}-{days}")


def test_completion_counts_milestones_in_any_order_within_the_days(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Signed Up", 0), _ev(1, "Invited", 1), _ev(1, "Created Project", 2),
            _ev(2, "Signed Up", 0), _ev(2, "Created Project", 3), _ev(2, "Invited", 9),  # late
            _ev(3, "Signed Up", 1),
        ]
    )  # fmt: skip
    query = OnboardingQuery(
        new={"event": "Signed Up"},
        milestones=[{"event": "Created Project"}, {"event": "Invited"}],
        within_days=7,
        date_from=MONDAY,
        date_to=MONDAY + timedelta(days=14),
    )
    overall = run_onboarding(loaded(world), APP, query).overall
    assert (overall.units, overall.completed) == (3, 1)
    assert [m.count for m in overall.milestones] == [2, 1]
    assert overall.completed_share == 1 / 3


@st.composite
def cases(draw: st.DrawFn) -> tuple[World, OnboardingQuery]:
    base = datetime(2026, 3, 20, tzinfo=UTC)
    events = [
        Ev(
            person=draw(st.integers(1, 6)),
            event=draw(st.sampled_from(["N", "A", "B"])),
            at=base + timedelta(hours=draw(st.integers(0, 24 * 20))),
            message_id=f"m{i:03d}",
            properties=draw(st.dictionaries(st.sampled_from(["p", "q"]), values, max_size=2)),
            account=draw(st.sampled_from(["acme", "globex", None])),
        )
        for i in range(draw(st.integers(0, 30)))
    ]
    world = World(events, {1: {"plan": "pro"}, 2: {"is_test_account": True}}, {"acme": {"tier": 2}})
    start = base + timedelta(days=draw(st.integers(0, 5)))
    milestone = st.builds(
        lambda e, w: {"event": e, "where": w},
        st.sampled_from(["A", "B", "N", None]),
        st.lists(filters, max_size=1),
    )
    fields: dict[str, Any] = {
        "new": {"event": "N"},
        "milestones": draw(st.lists(milestone, min_size=1, max_size=3)),
        "within_days": draw(st.integers(1, 6)),
        "date_from": start,
        "date_to": start + timedelta(days=draw(st.integers(1, 20))),
        "cohort_interval": draw(st.sampled_from(["day", "week"])),
        "timezone": draw(st.sampled_from(["UTC", "Asia/Tokyo"])),
        "aggregate_by": draw(st.sampled_from(["person", "account"])),
        "where": draw(st.lists(filters, max_size=1)),
        "filter_test_accounts": draw(st.booleans()),
    }
    return world, OnboardingQuery(**fields)


@examples(60)
@given(case=cases())
def test_sql_onboarding_equals_the_reference(
    shared_store: DuckDBEventStore, case: tuple[World, OnboardingQuery]
) -> None:
    world, query = case
    load(shared_store, world)
    assert plain(run_onboarding(shared_store, APP, query)) == onboarding(world, query)
