"""Trends: counts per interval in the viewer's zone, persons and accounts, breakdowns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import examples
from tests.insights.conftest import APP, load, plain
from tests.insights.reference import Ev, World, at, trends
from tests.insights.test_funnel_properties import filters, values
from waypost.events import DuckDBEventStore
from waypost.insights.queries import TrendsQuery
from waypost.insights.trends import run_trends

Loaded = Callable[[World], DuckDBEventStore]


def _ev(person: int, event: str, when: datetime, account: str | None = None, **props: Any) -> Ev:
    return Ev(person, event, when, f"{person}-{event}-{when.isoformat()}", props, account)


def test_days_follow_the_viewers_time_zone(loaded: Loaded) -> None:
    # 23:30 UTC on June 1st is already June 2nd in Tokyo.
    late = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    world = World([_ev(1, "Login", late), _ev(2, "Login", late + timedelta(hours=1))])
    window = {"date_from": "2026-06-01T00:00:00+09:00", "date_to": "2026-06-03T00:00:00+09:00"}
    tokyo = TrendsQuery(series=[{"event": "Login"}], timezone="Asia/Tokyo", **window)
    utc = TrendsQuery(series=[{"event": "Login"}], **window)

    in_tokyo = run_trends(loaded(world), APP, tokyo)
    assert [b.isoformat() for b in in_tokyo.buckets] == [
        "2026-06-01T00:00:00+09:00",
        "2026-06-02T00:00:00+09:00",
    ]
    assert in_tokyo.series[0].values == [0, 2]
    # In UTC the same two logins fall on two days (the range starts on May 31st, 15:00 UTC).
    assert run_trends(loaded(world), APP, utc).series[0].values == [0, 1, 1]


def test_persons_count_once_per_interval_and_once_in_the_total(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Viewed", at(0, day=1)), _ev(1, "Viewed", at(5, day=1)),
            _ev(1, "Viewed", at(0, day=2)), _ev(2, "Viewed", at(0, day=2)),
        ]
    )  # fmt: skip
    query = TrendsQuery(
        series=[{"event": "Viewed"}, {"event": "Viewed", "math": "persons"}],
        date_from=at(0, day=1) - timedelta(hours=9),
        date_to=at(0, day=3) - timedelta(hours=9),
    )
    result = run_trends(loaded(world), APP, query)
    events, persons = result.series
    assert (events.values, events.total) == ([2, 2], 4)
    assert (persons.values, persons.total) == ([1, 2], 2)


def test_breakdown_keeps_the_largest_values_and_sums_the_rest_as_other(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Paid", at(0), plan="pro"), _ev(2, "Paid", at(1), plan="pro"),
            _ev(3, "Paid", at(2), plan="team"), _ev(4, "Paid", at(3)),
        ]
    )  # fmt: skip
    query = TrendsQuery(
        series=[{"event": "Paid"}],
        date_from=at(0) - timedelta(hours=9),
        date_to=at(0) + timedelta(hours=15),
        breakdown={"property": "plan", "limit": 1},
    )
    result = run_trends(loaded(world), APP, query)
    assert [(s.breakdown_value, s.total) for s in result.series] == [("pro", 2), ("Other", 2)]


def test_a_range_of_too_many_intervals_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 2000 hour intervals"):
        TrendsQuery(
            series=[{"event": "A"}],
            interval="hour",
            date_from=at(0),
            date_to=at(0, day=1) + timedelta(days=100),
        )


@st.composite
def trend_cases(draw: st.DrawFn) -> tuple[World, TrendsQuery]:
    events = [
        Ev(
            person=draw(st.integers(1, 4)),
            event=draw(st.sampled_from(["A", "B"])),
            at=datetime(2026, 3, 27, tzinfo=UTC) + timedelta(hours=draw(st.integers(0, 24 * 10))),
            message_id=f"m{i:03d}",
            properties=draw(st.dictionaries(st.sampled_from(["p", "q"]), values, max_size=2)),
            account=draw(st.sampled_from(["acme", "globex", None])),
        )
        for i in range(draw(st.integers(0, 25)))
    ]
    world = World(events, {1: {"plan": "pro"}, 2: {"plan": True}}, {"acme": {"tier": 1}})
    start = datetime(2026, 3, 27, tzinfo=UTC) + timedelta(hours=draw(st.integers(0, 48)))
    query: dict[str, Any] = {
        "series": [
            {
                "event": draw(st.sampled_from(["A", "B", None])),
                "math": draw(st.sampled_from(["total", "persons", "accounts"])),
                "where": draw(st.lists(filters, max_size=1)),
            }
            for _ in range(draw(st.integers(1, 2)))
        ],
        "interval": draw(st.sampled_from(["hour", "day", "week", "month"])),
        # Zones with DST changes inside the range (Europe on March 29th, 2026).
        "timezone": draw(
            st.sampled_from(["UTC", "Asia/Tokyo", "Europe/Berlin", "America/New_York"])
        ),
        "date_from": start,
        "date_to": start + timedelta(hours=draw(st.integers(1, 24 * 9))),
        "where": draw(st.lists(filters, max_size=1)),
        "filter_test_accounts": draw(st.booleans()),
    }
    if draw(st.booleans()):
        query["breakdown"] = {
            "source": draw(st.sampled_from(["event", "person", "account"])),
            "property": draw(st.sampled_from(["p", "plan", "tier"])),
            "limit": draw(st.integers(1, 3)),
        }
    return world, TrendsQuery(**query)


@examples(80)
@given(case=trend_cases())
def test_sql_trends_equal_the_reference(
    shared_store: DuckDBEventStore, case: tuple[World, TrendsQuery]
) -> None:
    world, query = case
    load(shared_store, world)
    got = plain(run_trends(shared_store, APP, query))
    assert got == trends(world, query)
