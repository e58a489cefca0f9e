"""The store remembers person activity for decisions, and never answers from memory what a
load has changed since: the person's own events, a merge through one of their ids, a group call
that changes their account, an erasure, a first event for an id that named nobody, and events
acknowledged but not loaded yet."""

from __future__ import annotations

import asyncio
from datetime import date

from tests.events.messages import identify, send, table, track
from waypost.events import DuckDBEventStore

SINCE = date(2026, 1, 1)


def _counts(store: DuckDBEventStore, any_id: str) -> dict[str, int]:
    activity = store.person_activity("app1", any_id, SINCE)
    assert activity is not None
    return {c.event: c.count for c in activity.profile.event_counts}


def test_a_second_read_is_answered_from_memory(store: DuckDBEventStore) -> None:
    send(store, track("Seen", 0, userId="ann"))
    first = store.person_activity("app1", "ann", SINCE)
    store._connection.close()  # nothing more can be read from the file
    assert store.person_activity("app1", "ann", SINCE) is first


def test_the_persons_own_events_are_seen_at_once(store: DuckDBEventStore) -> None:
    send(store, track("Seen", 0, userId="ann"))
    assert _counts(store, "ann") == {"Seen": 1}
    send(store, track("Seen", 1, userId="ann"), track("Paid", 2, userId="ann"))
    assert _counts(store, "ann") == {"Seen": 2, "Paid": 1}


def test_a_merge_through_an_anonymous_id_is_seen(store: DuckDBEventStore) -> None:
    send(store, track("Browsed", 0, anonymousId="anon-1"), track("Paid", 0, userId="ann"))
    assert _counts(store, "anon-1") == {"Browsed": 1}
    assert _counts(store, "ann") == {"Paid": 1}
    send(store, identify(5, userId="ann", anonymousId="anon-1"))
    merged = {"Browsed": 1, "Paid": 1, "$identify": 1}
    assert _counts(store, "anon-1") == merged
    assert _counts(store, "ann") == merged


def test_a_group_call_by_a_colleague_changes_the_accounts_traits_for_everyone(
    store: DuckDBEventStore,
) -> None:
    send(
        store,
        {
            "type": "group",
            "userId": "ann",
            "groupId": "acme",
            "traits": {"plan": "trial"},
            "timestamp": "2026-03-01T09:00:00+00:00",
        },
        {
            "type": "group",
            "userId": "bob",
            "groupId": "acme",
            "timestamp": "2026-03-01T09:00:00+00:00",
        },
    )
    before = store.person_activity("app1", "ann", SINCE)
    assert before is not None and before.profile.account_traits == {"plan": "trial"}
    send(
        store,
        {
            "type": "group",
            "userId": "bob",
            "groupId": "acme",
            "traits": {"plan": "pro"},
            "timestamp": "2026-03-01T10:00:00+00:00",
        },
    )
    after = store.person_activity("app1", "ann", SINCE)
    assert after is not None and after.profile.account_traits == {"plan": "pro"}


def test_an_erased_person_is_gone_from_memory_too(store: DuckDBEventStore) -> None:
    send(store, track("Seen", 0, userId="ann"))
    assert store.person_activity("app1", "ann", SINCE) is not None
    assert store.erase_person("app1", "ann") is not None
    assert store.person_activity("app1", "ann", SINCE) is None


def test_an_id_that_named_nobody_is_found_once_its_first_event_lands(
    store: DuckDBEventStore,
) -> None:
    assert store.person_activity("app1", "newcomer", SINCE) is None
    send(store, track("Signed Up", 0, userId="newcomer"))
    assert _counts(store, "newcomer") == {"Signed Up": 1}


def test_events_acknowledged_but_not_loaded_are_waited_for(store: DuckDBEventStore) -> None:
    send(store, track("Seen", 0, userId="ann"))
    assert _counts(store, "ann") == {"Seen": 1}
    plain_load = store.load
    loads: list[int] = []

    def slow_load(rows, journal_seq):  # type: ignore[no-untyped-def]
        import time

        time.sleep(0.2)  # acknowledged long before it is loaded
        plain_load(rows, journal_seq)
        loads.append(journal_seq)

    store.load = slow_load  # type: ignore[method-assign]
    store.start()
    asyncio.run(store.ingest(table(track("Paid", 1, userId="ann")).to_pylist()))
    assert not loads, "the read below begins before the load"
    assert _counts(store, "ann") == {"Seen": 1, "Paid": 1}
