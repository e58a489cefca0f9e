"""Random worlds and random drop-off queries: the SQL drop-off must equal the reference."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import examples
from tests.insights.conftest import APP, close, load, plain
from tests.insights.reference import World, at, dropoff
from tests.insights.test_action_properties import EVENTS, event_matches, worlds
from tests.insights.test_funnel_properties import filters
from waypost.events import DuckDBEventStore
from waypost.insights.dropoff import run_dropoff
from waypost.insights.queries import DropOffQuery

# Half the steps a bare event name, so that many units get far enough to drop off or go on.
steps = st.one_of(st.builds(lambda name: {"event": name}, st.sampled_from(EVENTS)), event_matches())


@st.composite
def dropoff_queries(draw: st.DrawFn) -> DropOffQuery:
    order = draw(st.sampled_from(["ordered", "strict", "unordered"]))
    n = draw(st.integers(2, 4))
    fields: dict[str, Any] = {
        "steps": [draw(steps) for _ in range(n)],
        "order": order,
        "step": draw(st.integers(0, n - 2)),
        "window_seconds": draw(st.sampled_from([300, 600, 1800, 86400])),
        "aggregate_by": draw(st.sampled_from(["person", "person", "account", "session"])),
        "where": draw(st.sampled_from([[], [], [draw(filters)]])),
        "filter_test_accounts": draw(st.booleans()),
        "limit": draw(st.integers(1, 4)),
        "offset": draw(st.integers(0, 2)),
        # Often the whole ranking, so converters' counts of every event are compared too.
        "top": draw(st.sampled_from([1, 2, 100, 100])),
        "min_support": draw(st.sampled_from([1, 1, 1, 2, 3])),
        "format": draw(st.sampled_from(["json", "json", "csv"])),
    }
    if draw(st.integers(0, 2)) == 0:
        fields["date_from"] = at(draw(st.integers(0, 20)))
    if draw(st.integers(0, 2)) == 0:
        fields["date_to"] = at(draw(st.integers(21, 60)))
    if draw(st.booleans()):
        # An unordered funnel's exclusions span the whole attempt.
        start = 0 if order == "unordered" else draw(st.integers(0, n - 2))
        end = n - 1 if order == "unordered" else draw(st.integers(start + 1, n - 1))
        exclusion = {"from_step": start, "to_step": end}
        fields["exclusions"] = [{**draw(event_matches()), **exclusion}]
    return DropOffQuery(**fields)


@examples(80)
@given(world=worlds(least=10), query=dropoff_queries())
def test_sql_dropoff_equals_the_reference(
    shared_store: DuckDBEventStore, world: World, query: DropOffQuery
) -> None:
    load(shared_store, world)
    got = plain(run_dropoff(shared_store, APP, query, world.actions))
    expected = dropoff(world, query)
    assert close(got, expected), (got, expected)
