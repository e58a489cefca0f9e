"""Identity, traits, accounts, profiles and erasure in the DuckDB store, on real files."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.events.messages import START, at, identify, send, track
from waypost.events import DuckDBEventStore, EventFilter


def counts(store: DuckDBEventStore, any_id: str) -> dict[str, int]:
    person = store.find_person("app1", any_id)
    assert person is not None
    return {c.event: c.count for c in person.event_counts}


def test_events_before_identify_count_for_the_identified_person(store: DuckDBEventStore) -> None:
    send(store, track("Viewed Pricing", 0, anonymousId="a1"))
    send(store, track("Viewed Pricing", 1, anonymousId="a1"))
    send(store, identify(2, userId="u1", anonymousId="a1"), track("Signed Up", 3, userId="u1"))

    person = store.find_person("app1", "u1")
    assert person is not None
    assert (person.user_ids, person.anonymous_ids) == (("u1",), ("a1",))
    assert counts(store, "a1") == {"Viewed Pricing": 2, "$identify": 1, "Signed Up": 1}
    assert person.first_seen == START.replace(tzinfo=None)
    events = store.list_events("app1", EventFilter(distinct_ids=store.person_ids("app1", "u1")))
    assert {e["person_id"] for e in events} == {person.person_id}
    assert len(events) == 4


def test_identify_merges_an_anonymous_person_into_a_known_user(store: DuckDBEventStore) -> None:
    send(store, track("Opened App", 0, userId="u1"), identify(1, {"plan": "trial"}, userId="u1"))
    send(
        store, track("Viewed Docs", 5, anonymousId="a9"), identify(6, {"seat": 3}, anonymousId="a9")
    )
    before = store.find_person("app1", "a9")
    assert before is not None

    send(store, identify(10, userId="u1", anonymousId="a9"))

    person = store.find_person("app1", "a9")
    assert person is not None and person.user_ids == ("u1",)
    assert store.find_person("app1", before.person_id) is None  # the anonymous person is gone
    assert counts(store, "u1") == {"Opened App": 1, "$identify": 3, "Viewed Docs": 1}
    assert person.traits == {"plan": "trial", "seat": 3}


def test_a_second_user_on_a_shared_computer_is_not_merged(store: DuckDBEventStore) -> None:
    send(store, identify(0, userId="alice", anonymousId="browser-1"))
    send(store, identify(5, userId="bob", anonymousId="browser-1"))

    alice, bob = store.find_person("app1", "alice"), store.find_person("app1", "bob")
    assert alice is not None and bob is not None
    assert alice.person_id != bob.person_id
    assert alice.anonymous_ids == ("browser-1",) and bob.anonymous_ids == ()


def test_alias_merges_two_identified_persons(store: DuckDBEventStore) -> None:
    send(store, track("A", 0, userId="old@example.com"), track("B", 1, userId="u-42"))
    send(store, {"type": "alias", "previousId": "old@example.com", "userId": "u-42"})

    person = store.find_person("app1", "old@example.com")
    assert person is not None
    assert set(person.user_ids) == {"old@example.com", "u-42"}
    assert counts(store, "u-42") == {"A": 1, "B": 1, "$alias": 1}


def test_traits_keep_the_latest_value_and_its_history(store: DuckDBEventStore) -> None:
    send(store, identify(0, {"plan": "trial", "name": "Aiko"}, userId="u1"))
    send(store, identify(60, {"plan": "pro"}, userId="u1"))
    send(store, identify(30, {"plan": "starter"}, userId="u1"))  # late, older: not current
    send(store, identify(90, {"plan": "pro"}, userId="u1"))  # unchanged: no new history

    person = store.find_person("app1", "u1")
    assert person is not None and person.traits == {"name": "Aiko", "plan": "pro"}
    cursor = store.cursor()
    history = cursor.execute(
        "SELECT value, set_at FROM trait_history WHERE trait = 'plan' ORDER BY set_at"
    ).fetchall()
    assert [json.loads(value) for value, _ in history] == ["trial", "starter", "pro"]


def test_set_once_never_overwrites_and_set_works_on_any_event(store: DuckDBEventStore) -> None:
    first = {"$set_once": {"first_referrer": "google"}, "$set": {"theme": "dark"}}
    send(store, {**track("Opened", 0, userId="u1"), "properties": first})
    again = {"$set_once": {"first_referrer": "bing"}, "$set": {"theme": "light"}}
    send(store, {**track("Opened", 5, userId="u1"), "properties": again})

    person = store.find_person("app1", "u1")
    assert person is not None
    assert person.traits == {"first_referrer": "google", "theme": "light"}


def test_group_sets_account_traits_and_the_persons_current_account(
    store: DuckDBEventStore,
) -> None:
    send(store, track("Signed Up", 0, userId="u1"))
    traits = {"plan": "enterprise", "employees": 250, "renewal_date": "2027-01-31"}
    send(store, {"type": "group", "userId": "u1", "groupId": "acme", "traits": traits})
    send(
        store,
        track("Invited", 5, userId="u1"),
        {**track("Exported", 6, userId="u1"), "context": {"groupId": "globex"}},
    )

    person = store.find_person("app1", "u1")
    assert person is not None
    assert person.account_id == "acme" and person.account_traits == traits
    accounts = {e["event"]: e["account_id"] for e in store.list_events("app1", EventFilter())}
    # The event's own group first, else the person's current account (also for earlier events).
    assert accounts == {
        "Signed Up": "acme", "$group": "acme", "Invited": "acme", "Exported": "globex"
    }  # fmt: skip


def test_the_latest_group_call_is_the_current_account(store: DuckDBEventStore) -> None:
    send(store, {"type": "group", "userId": "u1", "groupId": "new", "timestamp": at(10)})
    send(store, {"type": "group", "userId": "u1", "groupId": "old", "timestamp": at(0)})
    person = store.find_person("app1", "u1")
    assert person is not None and person.account_id == "new"


def test_duplicates_do_not_count_twice_in_profiles(store: DuckDBEventStore) -> None:
    message = {**track("Paid", 0, userId="u1"), "messageId": "same"}
    send(store, message)
    send(store, message, message)
    assert counts(store, "u1") == {"Paid": 1}


def test_the_same_ids_in_two_apps_are_two_persons(store: DuckDBEventStore) -> None:
    send(store, identify(0, {"plan": "a"}, userId="u1"), app_id="app1")
    send(store, identify(0, {"plan": "b"}, userId="u1"), app_id="app2")
    one, two = store.find_person("app1", "u1"), store.find_person("app2", "u1")
    assert one is not None and two is not None
    assert one.person_id != two.person_id
    assert (one.traits, two.traits) == ({"plan": "a"}, {"plan": "b"})
    assert store.find_person("app2", one.person_id) is None


def test_erasing_a_person_removes_every_trace_but_not_others(store: DuckDBEventStore) -> None:
    send(
        store,
        track("Viewed", 0, anonymousId="a1"),
        identify(1, {"email": "x@y.jp"}, userId="u1", anonymousId="a1"),
    )
    send(store, track("Viewed", 2, userId="u2"))

    erasure = store.erase_person("app1", "a1")

    assert erasure is not None and erasure.distinct_ids == ("a1", "u1")
    assert erasure.events_deleted == 2
    assert store.find_person("app1", "u1") is None
    assert [e["distinct_id"] for e in store.list_events("app1", EventFilter())] == ["u2"]
    store.fold_activity()  # counts still in the backlog would reappear here
    cursor = store.cursor()
    tables = ("person_ids", "persons", "person_traits", "trait_history", "person_event_stats")
    for table in (*tables, "activity_backlog", "person_overrides"):
        leftover = cursor.execute(f"SELECT count(*) FROM {table} WHERE app_id = 'app1'").fetchone()
        assert leftover is not None
        assert leftover[0] == (1 if table in ("person_ids", "persons", "person_event_stats") else 0)
    assert store.erase_person("app1", "a1") is None


def test_events_list_newest_first_with_filters_and_pages(store: DuckDBEventStore) -> None:
    send(store, *[track("Tick" if m % 2 else "Tock", m, userId="u1") for m in range(10)])
    send(store, track("Tick", 3, userId="u2"))

    page = store.list_events("app1", EventFilter(event="Tick", limit=3))
    assert [e["timestamp"].minute for e in page] == [9, 7, 5]
    last = page[-1]
    rest = store.list_events(
        "app1", EventFilter(event="Tick", before=(last["timestamp"], last["message_id"]))
    )
    assert [e["timestamp"].minute for e in rest] == [3, 3, 1]
    assert {e["distinct_id"] for e in rest[:2]} == {"u1", "u2"}
    window = EventFilter(since=START + timedelta(minutes=2), until=START + timedelta(minutes=4))
    assert sorted(e["timestamp"].minute for e in store.list_events("app1", window)) == [2, 3, 3]
