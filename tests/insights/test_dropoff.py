"""Drop-off: who reached a step but not the next, and what they did instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.insights.conftest import APP
from tests.insights.reference import Ev, World, at
from waypost.events import DuckDBEventStore
from waypost.insights.dropoff import run_dropoff
from waypost.insights.queries import DropOffQuery, read_query

Loaded = Callable[[World], DuckDBEventStore]


def _ev(person: int, event: str, minutes: float, path: str | None = None) -> Ev:
    return Ev(person, event, at(minutes), f"{person}-{event}-{minutes}", path=path)


def _query(**fields: Any) -> DropOffQuery:
    query = read_query(
        {
            "kind": "dropoff",
            "steps": [{"event": "Signed Up"}, {"event": "Created Project"}, {"event": "Invited"}],
            "step": 0,
            "window_seconds": 3600,
            "min_support": 1,
            **fields,
        }
    )
    assert isinstance(query, DropOffQuery)
    return query


WORLD = World(
    [
        # Converters: signed up and created a project.
        _ev(1, "Signed Up", 0), _ev(1, "$page", 1, "/templates"), _ev(1, "Created Project", 2),
        _ev(2, "Signed Up", 0), _ev(2, "Created Project", 3),
        # Drop-offs: signed up, then wandered to billing or docs, and never created a project.
        _ev(3, "Signed Up", 0), _ev(3, "$page", 5, "/billing"), _ev(3, "$page", 6, "/docs"),
        _ev(4, "Signed Up", 1), _ev(4, "$page", 2, "/billing"),
        _ev(5, "Signed Up", 2), _ev(5, "$page", 3, "/templates"),
        _ev(6, "$page", 0, "/billing"),  # never signed up: in no list
    ]
)  # fmt: skip


def test_drop_offs_are_listed_oldest_first_page_by_page(loaded: Loaded) -> None:
    store = loaded(WORLD)
    result = run_dropoff(store, APP, _query(limit=2))
    assert (result.dropped, result.converted) == (3, 2)
    first_page = [u.unit for u in result.units]
    second_page = [u.unit for u in run_dropoff(store, APP, _query(limit=2, offset=2)).units]
    assert first_page + second_page == ["3", "4", "5"]


def test_what_drop_offs_did_instead_and_what_sets_them_apart(loaded: Loaded) -> None:
    result = run_dropoff(loaded(WORLD), APP, _query())
    assert [(e.event, e.units) for e in result.instead] == [
        ("/billing", 2),
        ("/docs", 1),
        ("/templates", 1),
    ]
    top = result.over_represented[0]
    # /billing: 2 of 3 drop-offs, 0 of 2 converters: (2+1)(2+1) / ((1+1)(0+1)) = 4.5
    assert (top.event, top.dropped, top.converted, top.odds_ratio) == ("/billing", 2, 0, 4.5)
    templates = next(e for e in result.over_represented if e.event == "/templates")
    assert templates.odds_ratio == (1 + 1) * (1 + 1) / ((2 + 1) * (1 + 1))


def test_what_drop_offs_did_counts_only_the_events_the_query_looks_at(loaded: Loaded) -> None:
    world = World(
        [
            _ev(3, "Signed Up", 0), _ev(3, "$page", 5, "/billing"),
            Ev(3, "$page", at(6), "3-bot", {"bot": True}, path="/status"),  # filtered out
            _ev(3, "$page", 40, "/docs"),  # after date_to
        ]
    )  # fmt: skip
    query = _query(date_to=at(30).isoformat(), where=[{"property": "bot", "op": "is_not_set"}])
    result = run_dropoff(loaded(world), APP, query)
    assert [(e.event, e.units) for e in result.instead] == [("/billing", 1)]
    assert [e.event for e in result.over_represented] == ["/billing"]


def test_converters_are_looked_at_until_the_next_step_not_at_it(loaded: Loaded) -> None:
    world = World(
        [
            # The converter saw /billing at the moment it created its project: not before it.
            _ev(1, "Signed Up", 0), _ev(1, "Created Project", 5), _ev(1, "$page", 5, "/billing"),
            _ev(2, "Signed Up", 0), _ev(2, "$page", 5, "/billing"),
        ]
    )  # fmt: skip
    top = run_dropoff(loaded(world), APP, _query()).over_represented[0]
    assert (top.event, top.dropped, top.converted) == ("/billing", 1, 0)
