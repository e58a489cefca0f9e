"""A person's activity as the guidance engine reads it: counts per day, and guidance events per
content item with the latest version and step, kept at ingest, folded or not, across devices."""

from __future__ import annotations

from datetime import date, timedelta

from tests.events.messages import START, identify, send, track
from waypost.events import DuckDBEventStore, PersonCondition

DAY = 24 * 60


def _guide(event: str, minute: int, key: str, version: int, step: int | None = None, **ids: str):
    properties: dict[str, object] = {"$content_id": key, "$content_version": version}
    if step is not None:
        properties["$content_step"] = step
    return {**track(event, minute, **ids), "properties": properties}


def test_daily_counts_are_kept_per_utc_day_and_read_from_a_given_day(
    store: DuckDBEventStore,
) -> None:
    send(
        store,
        track("Report Built", 0, userId="ann"),
        track("Report Built", 10, userId="ann"),
        track("Report Built", 2 * DAY, userId="ann"),
        track("Logged In", 2 * DAY, userId="ann"),
        track("Report Built", 0, userId="bob"),
    )
    first_day = START.date()
    activity = store.person_activity("app1", "ann", since=first_day)
    assert activity is not None
    assert activity.daily == {
        ("Report Built", first_day): 2,
        ("Report Built", first_day + timedelta(days=2)): 1,
        ("Logged In", first_day + timedelta(days=2)): 1,
    }
    later = store.person_activity("app1", "ann", since=first_day + timedelta(days=1))
    assert later is not None
    assert later.daily == {
        ("Report Built", first_day + timedelta(days=2)): 1,
        ("Logged In", first_day + timedelta(days=2)): 1,
    }


def test_guidance_events_count_per_item_with_the_latest_version_and_step_after_a_fold(
    store: DuckDBEventStore,
) -> None:
    send(
        store,
        _guide("$guide_shown", 0, "tour", 1, userId="ann"),
        _guide("$guide_step_viewed", 1, "tour", 1, 0, userId="ann"),
        _guide("$guide_step_viewed", 2, "tour", 1, 1, userId="ann"),
    )
    store.fold_activity()  # the first three now live in the folded table, the rest in the backlog
    send(
        store,
        _guide("$guide_step_viewed", 30, "tour", 2, 0, userId="ann"),
        _guide("$guide_shown", 31, "tips", 4, userId="ann"),
    )

    activity = store.person_activity("app1", "ann", since=date(2026, 1, 1))
    assert activity is not None
    rows = {(c.content_id, c.event): c for c in activity.content}
    assert set(rows) == {
        ("tour", "$guide_shown"),
        ("tour", "$guide_step_viewed"),
        ("tips", "$guide_shown"),
    }
    steps = rows[("tour", "$guide_step_viewed")]
    assert (steps.count, steps.last_version, steps.last_step) == (3, 2, 0)
    assert steps.first_seen == START.replace(tzinfo=None) + timedelta(minutes=1)
    assert rows[("tips", "$guide_shown")].last_version == 4


def test_an_anonymous_visitors_guidance_state_follows_them_once_identified(
    store: DuckDBEventStore,
) -> None:
    send(store, _guide("$guide_completed", 0, "welcome", 1, anonymousId="browser-1"))
    store.fold_activity()
    send(
        store,
        _guide("$guide_dismissed", 5, "tips", 1, anonymousId="phone-7"),
        identify(6, {"plan": "pro"}, userId="ann", anonymousId="browser-1"),
        identify(7, userId="ann", anonymousId="phone-7"),
    )

    activity = store.person_activity("app1", "phone-7", since=date(2026, 1, 1))
    assert activity is not None
    assert {(c.content_id, c.event) for c in activity.content} == {
        ("welcome", "$guide_completed"),
        ("tips", "$guide_dismissed"),
    }
    assert activity.profile.traits == {"plan": "pro"}


def test_erasing_a_person_removes_their_daily_counts_and_guidance_state(
    store: DuckDBEventStore,
) -> None:
    send(store, _guide("$guide_shown", 0, "tour", 1, userId="ann"), track("X", 1, userId="ann"))
    store.fold_activity()
    assert store.erase_person("app1", "ann") is not None
    send(store, track("Y", 2, userId="ann"))  # the same user id comes back as a new person

    activity = store.person_activity("app1", "ann", since=date(2026, 1, 1))
    assert activity is not None
    assert activity.content == ()
    assert list(activity.daily) == [("Y", START.date())]


def test_unknown_ids_and_other_apps_have_no_activity(store: DuckDBEventStore) -> None:
    send(store, _guide("$guide_shown", 0, "tour", 1, userId="ann"), app_id="app2")
    assert store.person_activity("app1", "ann", since=date(2026, 1, 1)) is None
    assert store.person_activity("app2", "nobody", since=date(2026, 1, 1)) is None


def test_every_persons_activity_is_read_in_batches_in_person_order(
    store: DuckDBEventStore,
) -> None:
    send(store, *(track("Seen", n, userId=f"u{n}") for n in range(5)))
    send(store, _guide("$guide_shown", 9, "tour", 1, userId="u3"))
    send(store, track("Other app", 0, userId="u9"), app_id="app2")

    everyone = list(store.person_activities("app1", since=date(2026, 1, 1), batch=2))
    assert [a.profile.user_ids for a in everyone] == [(f"u{n}",) for n in range(5)]
    assert [len(a.content) for a in everyone] == [0, 0, 0, 1, 0]
    one = store.person_activity("app1", "u3", since=date(2026, 1, 1))
    assert everyone[3] == one


def test_a_condition_keeps_only_the_persons_it_holds_for(store: DuckDBEventStore) -> None:
    send(store, *(track("Seen", n, userId=f"u{n}") for n in range(5)))
    send(store, track("Paid", 6, userId="u1"), track("Paid", 7, userId="u4"))
    send(store, track("Paid", 0, userId="u9"), app_id="app2")
    paid = PersonCondition(
        "p.person_id IN (SELECT person_id FROM activity_backlog "
        "WHERE app_id = $app_id AND event = $event)",
        {"event": "Paid"},
    )

    kept = list(store.person_activities("app1", since=date(2026, 1, 1), batch=1, where=paid))
    assert [a.profile.user_ids for a in kept] == [("u1",), ("u4",)]
    assert (store.person_count("app1"), store.person_count("app2")) == (5, 1)
