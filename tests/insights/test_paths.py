"""Paths: what people do after a start event or before an end event, per session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import examples
from tests.insights.conftest import APP, load, plain
from tests.insights.reference import Ev, World, paths
from tests.insights.test_funnel_properties import filters, values
from waypost.events import DuckDBEventStore
from waypost.insights.paths import run_paths
from waypost.insights.queries import PathsQuery

Loaded = Callable[[World], DuckDBEventStore]
START = datetime(2026, 6, 1, 9, tzinfo=UTC)


def _ev(person: int, event: str, minutes: float, path: str | None = None) -> Ev:
    return Ev(person, event, START + timedelta(minutes=minutes), f"{person}-{minutes}", path=path)


def test_paths_after_sign_up_show_pages_and_split_sessions(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "Signed Up", 0), _ev(1, "$page", 1, "/projects"),
            _ev(1, "$page", 2, "/projects"), _ev(1, "Created Project", 3),
            _ev(2, "Signed Up", 0), _ev(2, "$page", 1, "/projects"), _ev(2, "Created Project", 2),
            _ev(3, "Signed Up", 0), _ev(3, "$identify", 1),
            _ev(3, "$page", 45, "/billing"),  # after 45 quiet minutes: another session
        ]
    )  # fmt: skip
    result = run_paths(loaded(world), APP, PathsQuery(start_event="Signed Up", length=3))
    assert result.sessions == 3
    assert [(p.steps, p.sessions) for p in result.paths] == [
        (["Signed Up", "/projects", "Created Project"], 2),
        (["Signed Up"], 1),
    ]


def test_paths_before_an_end_event(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "A", 0), _ev(1, "B", 1), _ev(1, "Paid", 2),
            _ev(2, "C", 0), _ev(2, "B", 1), _ev(2, "Paid", 2), _ev(2, "Paid", 3),
        ]
    )  # fmt: skip
    result = run_paths(loaded(world), APP, PathsQuery(end_event="Paid", length=2))
    assert [(p.steps, p.sessions) for p in result.paths] == [(["B", "Paid"], 2)]


def test_a_page_path_anchors_paths_at_views_of_that_page(loaded: Loaded) -> None:
    world = World(
        [
            _ev(1, "$page", 0, "/home"), _ev(1, "$page", 1, "/pricing"), _ev(1, "Trial Started", 2),
            _ev(2, "$page", 0, "/pricing"), _ev(2, "$page", 1, "/docs"),
            _ev(3, "$page", 0, "/home"), _ev(3, "Signed Up", 1),  # never saw /pricing
        ]
    )  # fmt: skip
    query = PathsQuery(start_event="/pricing", length=2)
    result = run_paths(loaded(world), APP, query)
    assert result.sessions == 2
    assert [(p.steps, p.sessions) for p in result.paths] == [
        (["/pricing", "/docs"], 1),
        (["/pricing", "Trial Started"], 1),
    ]
    assert plain(result) == paths(world, query)


@st.composite
def cases(draw: st.DrawFn) -> tuple[World, PathsQuery]:
    events = []
    for i in range(draw(st.integers(0, 30))):
        event = draw(st.sampled_from(["A", "B", "C", "$page", "$identify"]))
        events.append(
            Ev(
                person=draw(st.integers(1, 4)),
                event=event,
                at=START + timedelta(minutes=draw(st.integers(0, 200))),
                message_id=f"m{i:03d}",
                properties=draw(st.dictionaries(st.sampled_from(["p", "q"]), values, max_size=2)),
                account=draw(st.sampled_from(["acme", None])),
                path=draw(st.sampled_from(["/a", "/b", None])) if event == "$page" else None,
            )
        )
    world = World(events, {1: {"is_test_account": True}}, {"acme": {"tier": 1}})
    anchor = draw(st.sampled_from(["A", "B", "$page", "/a"]))
    forward = draw(st.booleans())
    fields: dict[str, Any] = {
        ("start_event" if forward else "end_event"): anchor,
        "length": draw(st.integers(2, 4)),
        "limit": draw(st.integers(1, 5)),
        "session_gap_seconds": draw(st.sampled_from([60, 1800])),
        "collapse_repeats": draw(st.booleans()),
        "where": draw(st.lists(filters, max_size=1)),
        "filter_test_accounts": draw(st.booleans()),
    }
    if draw(st.booleans()):
        fields["exclude_events"] = []
    return world, PathsQuery(**fields)


@examples(80)
@given(case=cases())
def test_sql_paths_equal_the_reference(
    shared_store: DuckDBEventStore, case: tuple[World, PathsQuery]
) -> None:
    world, query = case
    load(shared_store, world)
    assert plain(run_paths(shared_store, APP, query)) == paths(world, query)
