"""Property filters and actions (properties.py) the mutation run found unheld: `eq`, `in`,
`contains`, `regex`, `gt` and a `false` value on an event property, several filters in one list,
actions of several steps, and the refusal of an action the app lacks. Each story is a funnel whose
first step carries the filters; its count is the SQL form's, the walk's and the reference's, and
the number a person expects from docs/insights.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.insights.conftest import APP, plain
from tests.insights.reference import Ev, World, at, funnel
from waypost.errors import InvalidInput
from waypost.events import DuckDBEventStore
from waypost.insights.actions import ActionStep
from waypost.insights.funnels import run_funnel
from waypost.insights.queries import FunnelQuery

Loaded = Callable[[World], DuckDBEventStore]


def _viewed(*properties: dict[str, Any]) -> World:
    """Persons 1, 2, … each view once, with the properties given in that order."""
    return World(
        [Ev(p, "Viewed", at(p), f"{p}-a", props) for p, props in enumerate(properties, start=1)]
    )


def _entered(loaded: Loaded, world: World, step: dict[str, Any]) -> int:
    """How many persons did the funnel's first step, then Paid (nobody pays)."""
    query = FunnelQuery(steps=[step, {"event": "Paid"}])
    store = loaded(world)
    answer = plain(run_funnel(store, APP, query, world.actions))
    assert answer == plain(run_funnel(store, APP, query, world.actions, one_pass=False))
    assert answer == funnel(world, query)
    count: int = answer["steps"][0]["count"]
    return count


def _viewed_where(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"event": "Viewed", "where": list(filters)}


def test_eq_on_an_event_property_matches_that_propertys_exact_text(loaded: Loaded) -> None:
    world = _viewed(
        {"plan": "pro"},
        {"plan": "Pro"},
        {"plan": "pro yearly"},
        {"tier": "pro"},
        {"plan": ["pro"]},
    )
    step = _viewed_where({"property": "plan", "op": "eq", "value": "pro"})
    assert _entered(loaded, world, step) == 1  # only 1


def test_in_on_an_event_property_matches_any_of_its_values_by_json_type(loaded: Loaded) -> None:
    world = _viewed({"plan": "pro"}, {"plan": "team"}, {"plan": "free"}, {"plan": 5}, {"plan": "5"})
    step = _viewed_where({"property": "plan", "op": "in", "value": ["pro", "team", 5]})
    assert _entered(loaded, world, step) == 3  # 1, 2 and 4; "5" is text, not the number 5


def test_contains_ignores_case_and_reads_only_the_named_property(loaded: Loaded) -> None:
    world = _viewed(
        {"plan": "Pro Yearly"},
        {"plan": "basic", "note": "pro"},  # "pro" is in the event, but not in its plan
        {"plan": "team"},
    )
    step = _viewed_where({"property": "plan", "op": "contains", "value": "PRO"})
    assert _entered(loaded, world, step) == 1  # only 1


def test_regex_matches_the_named_property_as_a_pattern_and_case_counts(loaded: Loaded) -> None:
    world = _viewed({"plan": "pro"}, {"plan": "Pro"}, {"plan": "pro yearly"}, {"plan": "^pro"})
    step = _viewed_where({"property": "plan", "op": "regex", "value": "^pro"})
    assert _entered(loaded, world, step) == 2  # 1 and 3: "^" anchors, "Pro" differs in case


def test_gt_compares_the_named_event_propertys_number(loaded: Loaded) -> None:
    world = _viewed({"seats": 10}, {"seats": 7.5}, {"seats": 5}, {"seats": 3}, {"seats": "20"})
    step = _viewed_where({"property": "seats", "op": "gt", "value": 5})
    assert _entered(loaded, world, step) == 2  # 1 and 2; "20" is text


def test_eq_false_matches_a_false_value_only(loaded: Loaded) -> None:
    world = _viewed(
        {"trial": False},
        {"trial": False},
        {"trial": True},
        {"trial": "false"},
        {"trial": 0},
        {},
    )
    step = _viewed_where({"property": "trial", "op": "eq", "value": False})
    assert _entered(loaded, world, step) == 2  # 1 and 2


def test_every_filter_of_one_list_must_hold(loaded: Loaded) -> None:
    world = _viewed({"plan": "pro", "seats": 10}, {"plan": "pro", "seats": 3}, {"seats": 10})
    step = _viewed_where(
        {"property": "plan", "op": "eq", "value": "pro"},
        {"property": "seats", "op": "gt", "value": 5},
    )
    assert _entered(loaded, world, step) == 1  # only 1


def test_an_action_is_done_by_an_event_doing_any_of_its_steps_in_full(loaded: Loaded) -> None:
    world = World(
        [
            Ev(1, "Upgraded", at(1), "1-a", {"to": "pro"}),  # the first step, in full
            Ev(2, "Upgraded", at(2), "2-a", {"to": "team"}),  # the first step's event only
            Ev(3, "$autocapture", at(3), "3-a", element_text="Upgrade now"),  # the second
            Ev(4, "$autocapture", at(4), "4-a", element_text="Cancel"),
        ],
        actions={
            "Upgrade": [
                ActionStep(
                    event="Upgraded", where=[{"property": "to", "op": "eq", "value": "pro"}]
                ),
                ActionStep(event="$autocapture", text="Upgrade now"),
            ]
        },
    )
    assert _entered(loaded, world, {"action": "Upgrade"}) == 2  # 1 and 3


def test_a_step_of_any_event_counts_every_person_whose_event_meets_its_filters(
    loaded: Loaded,
) -> None:
    world = _viewed({"plan": "pro"}, {"plan": "team"})
    step = {"where": [{"property": "plan", "op": "eq", "value": "team"}]}
    assert _entered(loaded, world, step) == 1  # only 2


def test_a_step_naming_an_action_the_app_lacks_is_refused_naming_the_action_field(
    loaded: Loaded,
) -> None:
    store = loaded(_viewed({}))
    query = FunnelQuery(steps=[{"event": "Viewed"}, {"action": "Nope"}])
    for one_pass in (True, False):
        with pytest.raises(InvalidInput, match="no action named 'Nope'") as refused:
            run_funnel(store, APP, query, {}, one_pass=one_pass)
        assert (refused.value.code, refused.value.field) == ("invalid", "action")
