"""An erasure that fails part-way erases nothing and leaves the store working: a case the
mutation run found unheld (nothing made a statement of the erasure fail)."""

from __future__ import annotations

import pytest

from tests.events.messages import identify, send, track
from waypost.events import DuckDBEventStore, EventFilter, EventStoreError, duckdb_store


def test_a_failed_erasure_erases_nothing_and_the_store_goes_on(
    store: DuckDBEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(store, identify(0, {"plan": "pro"}, userId="u1"), track("Paid", 1, userId="u1"))
    # The last statement of the erasure fails (a table that is not there), after the others ran.
    failing = (*duckdb_store._ERASE_STATEMENTS, "DELETE FROM no_such_table WHERE ? AND ?")
    monkeypatch.setattr(duckdb_store, "_ERASE_STATEMENTS", failing)

    with pytest.raises(EventStoreError, match="could not erase 'u1'"):
        store.erase_person("app1", "u1")

    person = store.find_person("app1", "u1")
    assert person is not None and person.traits == {"plan": "pro"}
    assert len(store.list_events("app1", EventFilter())) == 2
    # The failed transaction was rolled back: the next append is stored.
    send(store, track("Paid", 2, userId="u1"))
    assert len(store.list_events("app1", EventFilter())) == 3
