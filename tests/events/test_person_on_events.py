"""Each event is stored with its person; merges, restarts, failures and old files keep that right.

The store resolves ids from a mirror of `person_ids` held in memory, so these tests check the
mirror against the tables: after merges (overrides), after reopening the file, after an append
that failed halfway, and on a file written before events carried their person.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.events.messages import identify, send, track
from waypost.events import DuckDBEventStore, EventFilter, EventStoreError, duckdb_store
from waypost.events.schema import EVENT_COLUMNS, PERSON_COLUMN


def persons_by_event(store: DuckDBEventStore) -> dict[str, str]:
    """Each event's person as queries see it (the view, overrides applied)."""
    return {e["event"]: e["person_id"] for e in store.list_events("app1", EventFilter())}


def stored_persons(store: DuckDBEventStore) -> dict[str, int]:
    """Each event's person as it was stored (before overrides)."""
    cursor = store.cursor()
    return dict(cursor.execute("SELECT event, person_id FROM events").fetchall())


def test_a_merged_persons_events_follow_the_survivor_through_an_override(
    store: DuckDBEventStore,
) -> None:
    send(store, track("A", 0, userId="u1"))
    send(store, track("B", 1, anonymousId="a1"))
    send(store, track("C", 2, anonymousId="a2"))
    written = stored_persons(store)
    assert len(set(written.values())) == 3

    send(store, identify(3, userId="u1", anonymousId="a1"))  # a1's person merges into u1's
    send(store, {"type": "alias", "previousId": "a2", "userId": "a1", "timestamp": "2026-03-01"})

    survivor = written["A"]
    assert stored_persons(store)["B"] == written["B"], "events are never rewritten"
    assert set(persons_by_event(store).values()) == {str(survivor)}
    overrides = (
        store.cursor()
        .execute("SELECT old_person_id, person_id FROM person_overrides ORDER BY 1")
        .fetchall()
    )
    assert overrides == sorted([(written["B"], survivor), (written["C"], survivor)])


def test_a_chain_of_merges_points_every_override_at_the_final_person(
    store: DuckDBEventStore,
) -> None:
    send(store, track("A", 0, anonymousId="a1"))
    send(store, track("B", 1, anonymousId="a2"))
    send(store, track("C", 2, userId="u3"))
    first = stored_persons(store)
    send(store, {"type": "alias", "previousId": "a1", "userId": "a2", "timestamp": "2026-03-01"})
    send(store, {"type": "alias", "previousId": "a2", "userId": "u3", "timestamp": "2026-03-01"})

    assert set(persons_by_event(store).values()) == {str(first["C"])}
    targets = store.cursor().execute("SELECT DISTINCT person_id FROM person_overrides").fetchall()
    assert targets == [(first["C"],)]


def test_a_reopened_store_knows_every_id_it_had(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    first = DuckDBEventStore(path)
    send(first, identify(0, userId="u1", anonymousId="a1"), track("A", 1, anonymousId="a2"))
    first.close()

    again = DuckDBEventStore(path)
    try:
        send(again, track("B", 2, userId="u1", anonymousId="a1"), track("C", 3, anonymousId="a2"))
        cursor = again.cursor()
        assert cursor.execute("SELECT count(*) FROM persons").fetchone() == (2,)
        persons = stored_persons(again)
        assert persons["B"] == persons["$identify"] and persons["C"] == persons["A"]
    finally:
        again.close()


def test_a_failed_append_leaves_no_id_the_tables_do_not_have(
    store: DuckDBEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object) -> None:
        raise duckdb.IOException("the disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(duckdb_store, "activity_statements", fail)
        with pytest.raises(EventStoreError):
            send(store, track("A", 0, userId="u1", anonymousId="a1"))

    send(store, track("A", 0, userId="u1", anonymousId="a1"))

    person = store.find_person("app1", "a1")
    assert person is not None and person.user_ids == ("u1",)
    cursor = store.cursor()
    assert cursor.execute("SELECT count(*) FROM persons").fetchone() == (1,)
    assert cursor.execute(
        "SELECT count(*) FROM events e JOIN persons p USING (app_id, person_id)"
    ).fetchone() == (1,)


def test_a_file_from_before_persons_on_events_gets_them_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    columns = ",\n".join(f"{c.name} {c.duckdb_type}" for c in EVENT_COLUMNS)
    with duckdb.connect(str(path)) as old:
        old.execute(f"CREATE TABLE events ({columns})")
        old.execute(
            "CREATE TABLE person_ids (app_id VARCHAR NOT NULL, distinct_id VARCHAR NOT NULL, "
            "person_id BIGINT NOT NULL, is_user BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL, "
            "PRIMARY KEY (app_id, distinct_id))"
        )
        old.execute("INSERT INTO person_ids VALUES ('app1', 'u1', 7, true, now())")
        old.execute(
            "INSERT INTO events (app_id, message_id, type, event, distinct_id, timestamp, "
            "received_at, properties, context) VALUES "
            "('app1', 'm1', 'track', 'A', 'u1', now(), now(), '{}', '{}')"
        )
    store = DuckDBEventStore(path)
    try:
        assert stored_persons(store) == {"A": 7}
    finally:
        store.close()


def test_profile_counts_are_the_same_before_and_after_the_backlog_is_folded(
    store: DuckDBEventStore,
) -> None:
    send(store, track("A", 0, userId="u1"), track("A", 5, userId="u1"))
    store.fold_activity()
    send(store, track("A", 9, userId="u1"), track("B", 1, userId="u1"))

    before = store.find_person("app1", "u1")
    store.fold_activity()
    after = store.find_person("app1", "u1")

    assert before is not None and after is not None
    assert before.event_counts == after.event_counts
    assert {(c.event, c.count) for c in after.event_counts} == {("A", 3), ("B", 1)}
    backlog = store.cursor().execute("SELECT count(*) FROM activity_backlog").fetchone()
    assert backlog == (0,)


def stored_previews(store: DuckDBEventStore) -> dict[str, bool | None]:
    cursor = store.cursor()
    return dict(cursor.execute("SELECT event, preview FROM events").fetchall())


def test_a_builders_preview_events_are_flagged_as_they_are_stored(
    store: DuckDBEventStore,
) -> None:
    send(
        store,
        track("Previewed", 0, userId="u1", properties={"$preview": True}),
        track("Said false", 1, userId="u1", properties={"$preview": False}),
        track("Said text", 2, userId="u1", properties={"$preview": "yes"}),
        track("Plain", 3, userId="u1", properties={"note": "$preview"}),
    )

    assert stored_previews(store) == {
        "Previewed": True,
        "Said false": None,
        "Said text": None,
        "Plain": None,
    }


def test_a_file_from_before_the_preview_flag_gets_it_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    columns = ",\n".join(f"{c.name} {c.duckdb_type}" for c in (*EVENT_COLUMNS, PERSON_COLUMN))
    with duckdb.connect(str(path)) as old:
        old.execute(f"CREATE TABLE events ({columns})")
        old.execute(
            "INSERT INTO events (app_id, message_id, type, event, distinct_id, timestamp, "
            "received_at, properties, context, person_id) VALUES "
            """('app1', 'm1', 'track', 'Previewed', 'u1', now(), now(), '{"$preview": true}',
              '{}', 7),
            ('app1', 'm2', 'track', 'Live', 'u1', now(), now(), '{"$preview": false}', '{}', 7)"""
        )
    store = DuckDBEventStore(path)
    try:
        assert stored_previews(store) == {"Previewed": True, "Live": None}
    finally:
        store.close()
