"""Dedupe across apps within one append, a case the mutation run found unheld: the writer loads
many apps' events in one append, and a retry of one app's message must not cost another app's
new message its place."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from waypost.events import DuckDBEventStore, EventFilter, to_table
from waypost.tracking.messages import validate_message
from waypost.tracking.rows import to_row

RECEIVED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _row(app_id: str, message_id: str) -> dict[str, Any]:
    message = {"type": "track", "messageId": message_id, "userId": "u1", "event": "Paid"}
    return to_row(app_id, validate_message(message, RECEIVED))


def _stored(store: DuckDBEventStore, app_id: str) -> list[str]:
    return sorted(row["message_id"] for row in store.list_events(app_id, EventFilter()))


def test_a_retry_in_one_app_keeps_the_new_messages_of_others_in_the_same_append(
    store: DuckDBEventStore,
) -> None:
    store.append(to_table([_row("app2", "m1")]))

    # app1's m1 and m2 are new; app2's m1 is a retry; app3's m9 is new.
    rows = [_row("app1", "m1"), _row("app2", "m1"), _row("app1", "m2"), _row("app3", "m9")]
    result = store.append(to_table(rows))

    assert result.stored.to_pylist() == [True, False, True, True]
    assert _stored(store, "app1") == ["m1", "m2"]
    assert _stored(store, "app2") == ["m1"]
    assert _stored(store, "app3") == ["m9"]
