"""Random worlds and random funnel queries: the funnel, as SQL or walked in one pass, must equal
the reference."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import examples
from tests.insights.conftest import APP, close, load, plain
from tests.insights.reference import Ev, World, at, funnel
from waypost.events import DuckDBEventStore
from waypost.insights.funnels import run_funnel
from waypost.insights.queries import FunnelQuery

EVENTS = ["A", "B", "C", "D"]
ACCOUNTS = ["acme", "globex", None]
values = st.one_of(
    st.sampled_from(["x", "y", "Yes", "日本"]), st.integers(-2, 3), st.booleans(), st.none()
)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    events = []
    for index in range(draw(st.integers(0, 30))):
        person = draw(st.integers(1, 5))
        events.append(
            Ev(
                person=person,
                event=draw(st.sampled_from(EVENTS)),
                # Few distinct minutes, so ties and window edges happen often.
                at=at(draw(st.integers(0, 12)) * 5),
                message_id=f"m{index:03d}",
                properties=draw(st.dictionaries(st.sampled_from(["p", "q"]), values, max_size=2)),
                account=draw(st.sampled_from(ACCOUNTS)),
                session=f"s{person}-{draw(st.integers(0, 1))}",
            )
        )
    traits = draw(
        st.dictionaries(
            st.integers(1, 5),
            st.dictionaries(st.sampled_from(["plan", "is_test_account"]), values, max_size=2),
        )
    )
    account_traits = draw(
        st.dictionaries(
            st.sampled_from(["acme", "globex"]),
            st.dictionaries(st.just("tier"), values, max_size=1),
        )
    )
    return World(events, traits, account_traits)


filters = st.builds(
    dict,
    source=st.sampled_from(["event", "person", "account"]),
    property=st.sampled_from(["p", "q", "plan", "tier"]),
).flatmap(
    lambda base: st.one_of(
        st.builds(
            lambda v: {**base, "op": "eq", "value": v}, values.filter(lambda v: v is not None)
        ),
        st.builds(lambda v: {**base, "op": "neq", "value": v}, st.sampled_from(["x", 1, True])),
        st.just({**base, "op": "in", "value": ["x", 1]}),
        st.just({**base, "op": "contains", "value": "e"}),
        st.just({**base, "op": "regex", "value": "^[xy]$"}),
        st.builds(
            lambda o: {**base, "op": o, "value": 1}, st.sampled_from(["gt", "gte", "lt", "lte"])
        ),
        st.builds(lambda o: {**base, "op": o}, st.sampled_from(["is_set", "is_not_set"])),
    )
)


@st.composite
def funnel_queries(draw: st.DrawFn) -> FunnelQuery:
    order = draw(st.sampled_from(["ordered", "strict", "unordered"]))
    n = draw(st.integers(2, 4))
    steps = [
        {
            "event": draw(st.sampled_from([*EVENTS, None])),
            "where": draw(st.lists(filters, max_size=1)),
        }
        for _ in range(n)
    ]
    fields: dict[str, Any] = {
        "steps": steps,
        "order": order,
        "window_seconds": draw(st.sampled_from([300, 600, 1800, 86400])),
        "aggregate_by": draw(st.sampled_from(["person", "person", "account", "session"])),
        "where": draw(st.lists(filters, max_size=1)),
        "filter_test_accounts": draw(st.booleans()),
        "histogram_bins": draw(st.integers(1, 4)),
    }
    if draw(st.booleans()):
        fields["date_from"] = at(draw(st.integers(0, 20)))
    if draw(st.booleans()):
        # An unordered funnel's exclusions span the whole attempt.
        start = 0 if order == "unordered" else draw(st.integers(0, n - 2))
        end = n - 1 if order == "unordered" else draw(st.integers(start + 1, n - 1))
        fields["exclusions"] = [
            {"event": draw(st.sampled_from(EVENTS)), "from_step": start, "to_step": end}
        ]
    if draw(st.booleans()):
        attributions = ["first_touch", "all_events"]
        if order != "unordered":
            attributions += ["last_touch", "step"]
        source = draw(st.sampled_from(["event", "event", "person", "account"]))
        attribution = draw(st.sampled_from(attributions)) if source == "event" else "first_touch"
        fields["breakdown"] = {
            "source": source,
            "property": draw(st.sampled_from(["p", "plan", "tier"])),
            "attribution": attribution,
            "limit": draw(st.integers(1, 3)),
            **({"step": draw(st.integers(0, n - 1))} if attribution == "step" else {}),
        }
    return FunnelQuery(**fields)


def assert_matches_reference(
    store: DuckDBEventStore, world: World, query: FunnelQuery, one_pass: bool = True
) -> None:
    load(store, world)
    got = plain(run_funnel(store, APP, query, one_pass=one_pass))
    expected = funnel(world, query)
    assert close(got, expected), (got, expected)


@examples(120)
@given(world=worlds(), query=funnel_queries())
def test_sql_funnel_equals_the_reference(
    shared_store: DuckDBEventStore, world: World, query: FunnelQuery
) -> None:
    assert_matches_reference(shared_store, world, query)


@st.composite
def funnels_without_overlapping_steps(draw: st.DrawFn) -> FunnelQuery:
    """Ordered funnels whose steps and exclusion name different events, without a breakdown:
    the shape walked in one pass, or compiled with time-and-step keys instead of row numbers."""
    names = draw(st.permutations(EVENTS))
    n = draw(st.integers(2, 3))
    fields: dict[str, Any] = {
        "steps": [
            {"event": name, "where": draw(st.lists(filters, max_size=1))} for name in names[:n]
        ],
        "window_seconds": draw(st.sampled_from([300, 600, 1800, 86400])),
        "aggregate_by": draw(st.sampled_from(["person", "account", "session"])),
        "histogram_bins": draw(st.integers(1, 4)),
    }
    if draw(st.booleans()):
        start = draw(st.integers(0, n - 2))
        fields["exclusions"] = [
            {"event": names[n], "from_step": start, "to_step": draw(st.integers(start + 1, n - 1))}
        ]
    return FunnelQuery(**fields)


@examples(120)
@given(world=worlds(), query=funnels_without_overlapping_steps())
def test_one_pass_funnel_without_overlapping_steps_equals_the_reference(
    shared_store: DuckDBEventStore, world: World, query: FunnelQuery
) -> None:
    assert_matches_reference(shared_store, world, query)


@examples(120)
@given(world=worlds(), query=funnels_without_overlapping_steps())
def test_sql_funnel_without_overlapping_steps_equals_the_reference(
    shared_store: DuckDBEventStore, world: World, query: FunnelQuery
) -> None:
    assert_matches_reference(shared_store, world, query, one_pass=False)
