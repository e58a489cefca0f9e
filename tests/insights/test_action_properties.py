"""Random worlds of clicks and page views, random actions: funnels and trends whose steps name
actions must equal the reference, which matches actions by the rules in docs/insights.md."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import examples
from tests.insights.conftest import APP, close, load, plain
from tests.insights.reference import Ev, World, at, does, funnel, trends
from tests.insights.test_funnel_properties import filters, values
from waypost.events import DuckDBEventStore
from waypost.insights._sql import Compilation
from waypost.insights.actions import ActionStep
from waypost.insights.funnels import run_funnel
from waypost.insights.queries import FunnelQuery, Step, TrendsQuery
from waypost.insights.trends import run_trends

EVENTS = ["$autocapture", "$page", "A", "B"]
ACTIONS = ["Upgrade", "Browse"]
# URLs that one rule kind would match and another would not: differing only in case, one inside
# another.
URLS = [
    "https://x.io/billing",
    "https://x.io/billing/plan",
    "https://x.io/Billing",
    "https://x.io/home",
    None,
]
URL_RULES = {
    "contains": ["billing", "Billing", "x.io/home"],
    "exact": ["https://x.io/billing", "https://x.io/home"],
    "regex": ["billing$", "^https://x\\.io/(home|billing)", "[Bb]illing/"],
}
SELECTORS = ["button#upgrade", "a.nav"]
TEXTS = ["Upgrade now", "upgrade now", "Go"]
# Filters, but mostly none: every condition makes a match rarer, and matches are what is checked.
few_filters = st.one_of(st.just([]), st.just([]), st.lists(filters, min_size=1, max_size=1))


@st.composite
def action_steps(draw: st.DrawFn) -> ActionStep:
    """One way of doing an action: one or two of its conditions, and sometimes a filter."""
    given = draw(
        st.lists(st.sampled_from(["event", "url", "selector", "text"]), min_size=1, max_size=2)
    )
    fields: dict[str, Any] = {"where": draw(few_filters)}
    if "event" in given:
        fields["event"] = draw(st.sampled_from(EVENTS))
    if "url" in given:
        fields["url_match"] = draw(st.sampled_from(sorted(URL_RULES)))
        fields["url"] = draw(st.sampled_from(URL_RULES[fields["url_match"]]))
    if "selector" in given:
        fields["selector"] = draw(st.sampled_from(SELECTORS))
    if "text" in given:
        fields["text"] = draw(st.sampled_from(TEXTS))
    return ActionStep(**fields)


@st.composite
def worlds(draw: st.DrawFn, least: int = 0) -> World:
    """At least `least` events carrying page URLs, paths, element selectors and texts, and the
    app's actions."""
    events = []
    for index in range(draw(st.integers(least, 30))):
        person = draw(st.integers(1, 5))
        event = draw(st.sampled_from(EVENTS))
        events.append(
            Ev(
                person=person,
                event=event,
                at=at(draw(st.integers(0, 12)) * 5),
                message_id=f"m{index:03d}",
                properties=draw(st.dictionaries(st.sampled_from(["p", "q"]), values, max_size=2)),
                account=draw(st.sampled_from(["acme", "globex", None])),
                session=f"s{person}-{draw(st.integers(0, 1))}",
                path=draw(st.sampled_from(["/billing", "/home", None]))
                if event == "$page"
                else None,
                url=draw(st.sampled_from(URLS)),
                element_selector=draw(st.sampled_from([*SELECTORS, None])),
                element_text=draw(st.sampled_from([*TEXTS, None])),
            )
        )
    traits = draw(
        st.dictionaries(
            st.integers(1, 5),
            st.dictionaries(st.sampled_from(["plan", "is_test_account"]), values, max_size=2),
        )
    )
    actions = {name: draw(st.lists(action_steps(), min_size=1, max_size=3)) for name in ACTIONS}
    return World(events, traits, {"acme": {"tier": 1}}, actions)


@st.composite
def event_matches(draw: st.DrawFn) -> dict[str, Any]:
    """A step, exclusion or series: an action (mostly), an event, or any event."""
    match: dict[str, Any] = {"where": draw(st.lists(filters, max_size=1))}
    kind = draw(st.sampled_from(["action", "action", "event", "any"]))
    if kind == "action":
        match["action"] = draw(st.sampled_from(ACTIONS))
    elif kind == "event":
        match["event"] = draw(st.sampled_from(EVENTS))
    return match


@st.composite
def funnel_queries(draw: st.DrawFn) -> FunnelQuery:
    order = draw(st.sampled_from(["ordered", "strict", "unordered"]))
    n = draw(st.integers(2, 3))
    fields: dict[str, Any] = {
        "steps": [draw(event_matches()) for _ in range(n)],
        "order": order,
        "window_seconds": draw(st.sampled_from([600, 1800, 86400])),
        "aggregate_by": draw(st.sampled_from(["person", "account", "session"])),
        "where": draw(st.lists(filters, max_size=1)),
        "filter_test_accounts": draw(st.booleans()),
    }
    if draw(st.booleans()):
        # An unordered funnel's exclusions span the whole attempt.
        start = 0 if order == "unordered" else draw(st.integers(0, n - 2))
        end = n - 1 if order == "unordered" else draw(st.integers(start + 1, n - 1))
        exclusion = {"from_step": start, "to_step": end}
        fields["exclusions"] = [{**draw(event_matches()), **exclusion}]
    return FunnelQuery(**fields)


@st.composite
def trend_queries(draw: st.DrawFn) -> TrendsQuery:
    return TrendsQuery(
        series=[
            {**draw(event_matches()), "math": draw(st.sampled_from(["total", "persons"]))}
            for _ in range(draw(st.integers(1, 2)))
        ],
        interval="hour",
        date_from=at(-60),
        date_to=at(draw(st.integers(1, 3)) * 30),
        where=draw(st.lists(filters, max_size=1)),
    )


@examples(80)
@given(world=worlds(least=10))
def test_sql_picks_the_events_the_reference_says_do_each_action_and_step(
    shared_store: DuckDBEventStore, world: World
) -> None:
    load(shared_store, world)
    # Each action, and each of its steps as an action of its own: which events do it.
    ways = {
        f"{name} {i}": [way] for name, steps in world.actions.items() for i, way in enumerate(steps)
    }
    world = replace(world, actions={**world.actions, **ways})
    matches = [Step(action=name) for name in world.actions]
    sql = Compilation(world.actions)
    columns = ", ".join(sql.props.matches(match) for match in matches)
    _, rows = shared_store.query(
        f"SELECT e.message_id, {columns} FROM resolved_events e {sql.props.joins()}",
        sql.params.values,
    )
    got = {row[0]: list(row[1:]) for row in rows}
    expected = {ev.message_id: [does(world, ev, match) for match in matches] for ev in world.events}
    assert got == expected


@examples(80)
@given(world=worlds(), query=funnel_queries())
def test_sql_funnel_with_actions_equals_the_reference(
    shared_store: DuckDBEventStore, world: World, query: FunnelQuery
) -> None:
    load(shared_store, world)
    got = plain(run_funnel(shared_store, APP, query, world.actions))
    expected = funnel(world, query)
    assert close(got, expected), (got, expected)


@examples(80)
@given(world=worlds(), query=trend_queries())
def test_sql_trends_with_actions_equal_the_reference(
    shared_store: DuckDBEventStore, world: World, query: TrendsQuery
) -> None:
    load(shared_store, world)
    assert plain(run_trends(shared_store, APP, query, world.actions)) == trends(world, query)


def test_an_action_is_any_of_its_steps_and_a_step_all_of_its_conditions(
    shared_store: DuckDBEventStore,
) -> None:
    click = Ev(1, "$autocapture", at(0), "m", url="https://x.io/Billing/plan", element_text="Go")
    by_url = ActionStep(url="billing")  # `contains` counts case: /Billing is not /billing
    by_click = ActionStep(event="$autocapture", text="Go")
    by_wrong_click = ActionStep(event="$page", text="Go")
    world = World(
        [click],
        actions={"Url": [by_url], "Either": [by_url, by_click], "Page": [by_wrong_click]},
    )
    load(shared_store, world)
    query = TrendsQuery(
        series=[{"action": "Url"}, {"action": "Either"}, {"action": "Page"}],
        date_from=at(-60),
        date_to=at(60),
    )
    got = run_trends(shared_store, APP, query, world.actions)
    assert [s.total for s in got.series] == [0, 1, 0]
    assert plain(got) == trends(world, query)
