"""Time to value: the distribution of time from start to value, and shares within N days."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import examples
from tests.insights.conftest import APP, load, plain
from tests.insights.reference import Ev, World, time_to_value
from tests.insights.test_funnel_properties import filters, values
from waypost.events import DuckDBEventStore
from waypost.insights.queries import TimeToValueQuery
from waypost.insights.time_to_value import run_time_to_value

Loaded = Callable[[World], DuckDBEventStore]
MONDAY = datetime(2026, 6, 1, tzinfo=UTC)


def _ev(person: int, event: str, hours: float, **props: Any) -> Ev:
    return Ev(person, event, MONDAY + timedelta(hours=hours), f"{person}-{event}-{hours}", props)


def test_median_and_shares_from_sign_up_to_first_report(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Signed Up", 0), _ev(1, "Report", 2), _ev(1, "Report", 5),
            _ev(2, "Signed Up", 0), _ev(2, "Report", 30),
            _ev(3, "Signed Up", 1), _ev(3, "Report", 1 + 24 * 10),
            _ev(4, "Signed Up", 2),  # never gets there
            _ev(5, "Report", 1),  # never signed up in the range
        ]
    )  # fmt: skip
    query = TimeToValueQuery(
        start={"event": "Signed Up"},
        value={"event": "Report"},
        date_from=MONDAY,
        date_to=MONDAY + timedelta(days=28),
        within_days=[1, 7],
    )
    result = run_time_to_value(loaded(world), APP, query)
    overall = result.overall
    assert (overall.units, overall.reached) == (4, 3)
    assert overall.median_seconds == 30 * 3600
    assert [(s.days, s.share) for s in overall.within] == [(1, 0.25), (7, 0.5)]
    assert [c.units for c in result.cohorts] == [4, 0, 0, 0]


@st.composite
def cases(draw: st.DrawFn) -> tuple[World, TimeToValueQuery]:
    base = datetime(2026, 3, 20, tzinfo=UTC)
    events = [
        Ev(
            person=draw(st.integers(1, 6)),
            event=draw(st.sampled_from(["S", "V", "X"])),
            at=base + timedelta(hours=draw(st.integers(0, 24 * 20))),
            message_id=f"m{i:03d}",
            properties=draw(st.dictionaries(st.sampled_from(["p", "q"]), values, max_size=2)),
            account=draw(st.sampled_from(["acme", "globex", None])),
        )
        for i in range(draw(st.integers(0, 30)))
    ]
    world = World(events, {1: {"plan": "pro"}, 2: {"is_test_account": True}}, {"acme": {"tier": 2}})
    start = base + timedelta(days=draw(st.integers(0, 5)))
    fields: dict[str, Any] = {
        "start": {"event": "S", "where": draw(st.lists(filters, max_size=1))},
        "value": {"event": draw(st.sampled_from(["V", "S", None]))},
        "date_from": start,
        "date_to": start + timedelta(days=draw(st.integers(1, 20))),
        "window_days": draw(st.integers(1, 10)),
        "within_days": draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)),
        "cohort_interval": draw(st.sampled_from(["day", "week", "month"])),
        "timezone": draw(st.sampled_from(["UTC", "Asia/Tokyo"])),
        "aggregate_by": draw(st.sampled_from(["person", "account"])),
        "filter_test_accounts": draw(st.booleans()),
    }
    if draw(st.booleans()):
        fields["breakdown"] = {
            "source": draw(st.sampled_from(["event", "person", "account"])),
            "property": draw(st.sampled_from(["p", "plan", "tier"])),
            "limit": draw(st.integers(1, 3)),
        }
    return world, TimeToValueQuery(**fields)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@examples(80)
@given(case=cases())
def test_sql_time_to_value_equals_the_reference(
    shared_store: DuckDBEventStore, case: tuple[World, TimeToValueQuery]
) -> None:
    world, query = case
    load(shared_store, world)
    got = plain(run_time_to_value(shared_store, APP, query))
    expected = time_to_value(world, query)
    assert _close(got, expected), (got, expected)
