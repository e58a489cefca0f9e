"""The test-account rule of every insight's scope, as a funnel shows it: the mutation run found
that no funnel test held it (only the other insights' property tests draw it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.insights.conftest import APP
from tests.insights.reference import Ev, World, at
from waypost.events import DuckDBEventStore
from waypost.insights.funnels import run_funnel
from waypost.insights.queries import FunnelQuery

Loaded = Callable[[World], DuckDBEventStore]


def _ev(person: int, event: str, minutes: float) -> Ev:
    return Ev(person, event, at(minutes), f"{person}-{event}-{minutes}", account="acme")


def _counts(store: DuckDBEventStore, **fields: Any) -> list[int]:
    query = FunnelQuery(steps=[{"event": "Signed Up"}, {"event": "Paid"}], **fields)
    return [step.count for step in run_funnel(store, APP, query).steps]


def test_only_persons_marked_as_test_accounts_are_left_out(loaded: Loaded) -> None:
    # 1 has no such trait, 2 is a test account, 3 is marked as not one, 4's mark is a string;
    # their account's mark is not theirs.
    world = World(
        [_ev(p, "Signed Up", 0) for p in (1, 2, 3, 4)] + [_ev(p, "Paid", 5) for p in (1, 2)],
        person_traits={
            2: {"is_test_account": True},
            3: {"is_test_account": False},
            4: {"is_test_account": "true"},
        },
        account_traits={"acme": {"is_test_account": True}},
    )
    store = loaded(world)
    assert _counts(store) == [4, 2]  # 1 and 2 paid
    assert _counts(store, filter_test_accounts=True) == [3, 1]  # without 2
