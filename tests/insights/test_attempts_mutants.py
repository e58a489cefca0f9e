"""Funnel rules the mutation run of insights/attempts.py and insights/funnels.py found unheld:
per-value funnels (attribution all_events), ordered and unordered, where each value is a funnel
of its own; the step attribution; the order breakdowns come in; breakdowns of action steps; the
walk's window to the microsecond; and that the common shape is walked in one pass. Each story
is also checked against the reference implementation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.insights.conftest import APP, plain
from tests.insights.reference import Ev, World, at, funnel
from waypost.events import DuckDBEventStore
from waypost.insights import funnels
from waypost.insights.actions import ActionStep
from waypost.insights.funnels import run_funnel, steps_never_overlap
from waypost.insights.queries import FunnelQuery

Loaded = Callable[[World], DuckDBEventStore]


def _ev(person: int, event: str, minutes: float, source: str | None = None) -> Ev:
    properties = {} if source is None else {"source": source}
    return Ev(person, event, at(minutes), f"{person}-{event}-{minutes}", properties)


def _answer(store: DuckDBEventStore, world: World, query: FunnelQuery, **kw: Any) -> dict[str, Any]:
    """The funnel's answer, once checked to be the reference's."""
    answer = plain(run_funnel(store, APP, query, **kw))
    assert answer == funnel(world, query)
    return answer


def _counts(steps: list[dict[str, Any]]) -> list[int]:
    return [step["count"] for step in steps]


def _by_value(answer: dict[str, Any]) -> dict[str, list[int]]:
    return {b["value"]: _counts(b["steps"]) for b in answer["breakdowns"]}


def _per_value(*steps: str, **fields: Any) -> FunnelQuery:
    return FunnelQuery(
        steps=[{"event": step} for step in steps],
        breakdown={"property": "source", "attribution": "all_events"},
        **fields,
    )


def test_a_person_with_two_values_counts_in_each_values_funnel(loaded: Loaded) -> None:
    # 1 got further with "ads" than with "blog"; with all_events "blog" is a funnel of its own,
    # where 1 reached step 0, not a value 1 is left out of.
    world = World(
        [_ev(1, "Visit", 0, "ads"), _ev(1, "Signup", 1, "ads"), _ev(1, "Visit", 2, "blog")]
    )
    answer = _answer(loaded(world), world, _per_value("Visit", "Signup"))
    assert _by_value(answer) == {"ads": [1, 1], "blog": [1, 0]}


def test_a_step_of_another_value_does_not_advance_a_values_ordered_funnel(
    loaded: Loaded,
) -> None:
    # The Signup carries "blog": it completes blog's funnel, not ads'.
    world = World(
        [_ev(1, "Visit", 0, "blog"), _ev(1, "Visit", 1, "ads"), _ev(1, "Signup", 2, "blog")]
    )
    answer = _answer(loaded(world), world, _per_value("Visit", "Signup"))
    assert _by_value(answer) == {"blog": [1, 1], "ads": [1, 0]}


def test_a_step_of_another_value_does_not_advance_a_values_unordered_funnel(
    loaded: Loaded,
) -> None:
    world = World(
        [_ev(1, "Visit", 0, "blog"), _ev(1, "Visit", 1, "ads"), _ev(1, "Signup", 2, "blog")]
    )
    query = _per_value("Visit", "Signup", order="unordered")
    answer = _answer(loaded(world), world, query)
    assert _by_value(answer) == {"blog": [1, 1], "ads": [1, 0]}


def test_an_exclusion_of_another_value_does_not_void_a_values_attempt(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Visit", 0, "blog"), _ev(1, "Cancelled", 1, "blog"),
            _ev(1, "Visit", 2, "ads"), _ev(1, "Cancelled", 3, "blog"),
            _ev(1, "Signup", 4, "ads"),
        ]
    )  # fmt: skip
    cancelled = {"event": "Cancelled", "from_step": 0, "to_step": 1}
    answer = _answer(loaded(world), world, _per_value("Visit", "Signup", exclusions=[cancelled]))
    # blog's only attempt is void; ads' Cancelled-free attempt converts.
    assert _by_value(answer) == {"ads": [1, 1]}


def test_the_step_attribution_files_a_unit_under_that_steps_value(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Visit", 0, "ads"), _ev(1, "Signup", 1, "blog"),
            _ev(2, "Visit", 0, "ads"),  # never reached step 1: filed under ""
        ]
    )  # fmt: skip
    query = FunnelQuery(
        steps=[{"event": "Visit"}, {"event": "Signup"}],
        breakdown={"property": "source", "attribution": "step", "step": 1},
    )
    answer = _answer(loaded(world), world, query)
    assert _by_value(answer) == {"": [1, 0], "blog": [1, 1]}


def test_breakdowns_come_largest_first_and_other_last(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Visit", 0, "ads"),
            _ev(2, "Visit", 0, "blog"), _ev(3, "Visit", 0, "blog"),
            _ev(4, "Visit", 0, "mail"), _ev(5, "Visit", 0, "mail"), _ev(6, "Visit", 0, "mail"),
            _ev(7, "Visit", 0, "news"), _ev(8, "Visit", 0, "news"),
            _ev(8, "Visit", 1, "zine"),  # first touch: 8 is news's
        ]
    )  # fmt: skip
    query = FunnelQuery(
        steps=[{"event": "Visit"}, {"event": "Signup"}],
        breakdown={"property": "source", "limit": 2},
    )
    answer = _answer(loaded(world), world, query)
    # The two largest, mail (3) and blog (2, before news by name), then the rest (news and ads)
    # in Other, last though it is as large as mail.
    assert [(b["value"], _counts(b["steps"])) for b in answer["breakdowns"]] == [
        ("mail", [3, 0]),
        ("blog", [2, 0]),
        ("Other", [3, 0]),
    ]


def test_breakdowns_of_a_funnel_of_actions_count_the_actions(loaded: Loaded) -> None:
    upgrade = [ActionStep(event="$autocapture", text="Upgrade")]
    world = World(
        [
            _ev(1, "Visit", 0, "ads"),
            Ev(1, "$autocapture", at(1), "1-click", {"source": "ads"}, element_text="Upgrade"),
            _ev(2, "Visit", 0, "blog"),
            Ev(2, "$autocapture", at(1), "2-click", {"source": "blog"}, element_text="Cancel"),
        ],
        actions={"Clicked Upgrade": upgrade},
    )
    query = FunnelQuery(
        steps=[{"event": "Visit"}, {"action": "Clicked Upgrade"}],
        breakdown={"property": "source"},
    )
    answer = plain(run_funnel(loaded(world), APP, query, world.actions))
    assert answer == funnel(world, query)
    assert _by_value(answer) == {"ads": [1, 1], "blog": [1, 0]}


def test_the_walk_counts_a_step_at_the_windows_end_but_not_a_microsecond_after(
    loaded: Loaded,
) -> None:
    start = at(0)
    world = World(
        [
            Ev(1, "Signed Up", start, "1-a"),
            Ev(1, "Activated", start + timedelta(seconds=60), "1-b"),
            Ev(2, "Signed Up", start, "2-a"),
            Ev(2, "Activated", start + timedelta(seconds=60, microseconds=1), "2-b"),
        ]
    )
    query = FunnelQuery(steps=[{"event": "Signed Up"}, {"event": "Activated"}], window_seconds=60)
    assert steps_never_overlap(query), "the story must be one the walk answers"
    store = loaded(world)
    walked = _answer(store, world, query)
    assert walked == plain(run_funnel(store, APP, query, one_pass=False))
    assert _counts(walked["steps"]) == [2, 1]


def test_a_funnel_whose_steps_never_overlap_is_walked_without_the_sql_form(
    loaded: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[FunnelQuery] = []
    sql_form = funnels.compile_funnel

    def spy(query: FunnelQuery, *args: Any, **kwargs: Any) -> Any:
        compiled.append(query)
        return sql_form(query, *args, **kwargs)

    monkeypatch.setattr(funnels, "compile_funnel", spy)
    world = World([_ev(1, "Signed Up", 0), _ev(1, "Activated", 1)])
    query = FunnelQuery(steps=[{"event": "Signed Up"}, {"event": "Activated"}])
    assert _counts(_answer(loaded(world), world, query)["steps"]) == [1, 1]
    assert compiled == []


def test_a_breakdown_breaks_ties_in_the_same_microsecond_by_message_id(loaded: Loaded) -> None:
    # Each person visits twice in the same microsecond, once from each source; the first by
    # message id ("a-…" before "b-…") is the first touch. Half the persons get "ads" first in
    # message-id order and "blog" first in the order they were stored, the others the reverse,
    # so an order that ignored message ids would attribute some of them to the other source.
    events = []
    for person in range(1, 41):
        first, second = ("ads", "blog") if person % 2 else ("blog", "ads")
        events += [
            Ev(person, "Visit", at(0), f"b-{person}", {"source": second}),
            Ev(person, "Visit", at(0), f"a-{person}", {"source": first}),
            Ev(person, "Signup", at(1), f"c-{person}", {"source": first}),
        ]
    world = World(events)
    query = FunnelQuery(
        steps=[{"event": "Visit"}, {"event": "Signup"}], breakdown={"property": "source"}
    )
    assert steps_never_overlap(query)
    answer = _answer(loaded(world), world, query)
    assert _by_value(answer) == {"ads": [20, 20], "blog": [20, 20]}
