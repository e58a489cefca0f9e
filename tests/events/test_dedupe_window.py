"""The dedupe window: a retried messageId is stored once for at least 7 days after it was first
received, and forgotten once the window (8 days) has passed.

Time is simulated: each message carries the time it was received, and the store forgets by the
`now` it is given, as the writer's housekeeping calls it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from waypost.events import DuckDBEventStore, EventFilter, to_table
from waypost.tracking.messages import validate_message
from waypost.tracking.rows import to_row

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
# The promise to senders is 7 days; the store keeps ids a day more for their clocks' differences.
WINDOW = timedelta(days=8)


def _message(message_id: str) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": message_id,
        "userId": "u1",
        "event": "Paid",
        "timestamp": T0.isoformat(),
    }


def _send(
    store: DuckDBEventStore, received: datetime, *message_ids: str, app_id: str = "app1"
) -> list[bool]:
    """Append the messages as received at `received`; which of them were stored."""
    rows = [to_row(app_id, validate_message(_message(m), received)) for m in message_ids]
    return store.append(to_table(rows), now=received).stored.to_pylist()


def _stored(store: DuckDBEventStore, app_id: str = "app1") -> list[str]:
    return sorted(row["message_id"] for row in store.list_events(app_id, EventFilter()))


def test_a_retry_is_refused_for_seven_days_and_more(store: DuckDBEventStore) -> None:
    assert _send(store, T0, "m1") == [True]
    assert _send(store, T0 + timedelta(hours=1), "m1") == [False]

    week = T0 + timedelta(days=7)
    assert store.forget_old_message_ids(week) == 0
    assert _send(store, week, "m1") == [False]

    # Still remembered up to the window's end, counted from when it was first received.
    almost = T0 + WINDOW - MINUTE
    assert store.forget_old_message_ids(almost) == 0
    assert _send(store, almost, "m1") == [False]
    assert _stored(store) == ["m1"]


def test_a_message_id_is_forgotten_after_the_window(store: DuckDBEventStore) -> None:
    assert _send(store, T0, "m1") == [True]
    assert _send(store, T0 + timedelta(days=2), "m2") == [True]
    assert _send(store, T0 + timedelta(days=7), "m1") == [False]  # retries do not renew it

    after = T0 + WINDOW + MINUTE
    assert store.forget_old_message_ids(after) == 1  # m1; m2 has six days to go

    assert _send(store, after, "m1", "m2") == [True, False]
    assert _stored(store) == ["m1", "m1", "m2"]
    # Once stored again, the id is remembered afresh.
    assert _send(store, after + timedelta(days=7), "m1") == [False]


def test_forgetting_before_the_window_keeps_every_id(store: DuckDBEventStore) -> None:
    assert _send(store, T0, "m1", "m2") == [True, True]
    assert store.forget_old_message_ids(T0 + timedelta(hours=1)) == 0
    assert store.forget_old_message_ids(T0 + timedelta(days=1)) == 0
    assert _send(store, T0 + timedelta(days=1), "m1", "m2") == [False, False]


def test_each_app_remembers_its_own_message_ids(store: DuckDBEventStore) -> None:
    assert _send(store, T0, "m1", app_id="app1") == [True]
    assert _send(store, T0 + timedelta(days=1), "m1", app_id="app2") == [True]

    # app1's m1 is past the window, app2's is not.
    after = T0 + WINDOW + MINUTE
    assert store.forget_old_message_ids(after) == 1
    assert _send(store, after, "m1", app_id="app1") == [True]
    assert _send(store, after, "m1", app_id="app2") == [False]
    assert _stored(store, "app1") == ["m1", "m1"]
    assert _stored(store, "app2") == ["m1"]
