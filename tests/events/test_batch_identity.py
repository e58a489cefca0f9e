"""One append of many messages resolves identities as the same messages appended one at a time.

The store looks at each distinct id and each distinct link of an append once, however many rows
repeat them, and keeps only the first of a message id repeated within the append; it applies an
append's links before it gives new ids their persons, and tells whether a new id is a userId by
how it was first seen. These tests hold all that to the plain way: one message per append, in
time order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.conftest import examples
from waypost.events import DuckDBEventStore, to_table
from waypost.tracking.messages import validate_message
from waypost.tracking.rows import to_row

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RECEIVED = START + timedelta(days=1)
_anonymous = st.sampled_from(["a1", "a2", "a3", "a4"])
_users = st.sampled_from(["u1", "u2", "u3"])


def _at(minute: int) -> str:
    return (START + timedelta(minutes=minute)).isoformat()


@st.composite
def _message(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["track", "track", "identify", "alias", "group"]))
    message: dict[str, Any] = {"type": kind}
    if kind == "alias":
        message["previousId"] = draw(st.one_of(_anonymous, _users))
        message["userId"] = draw(_users)
        return message
    ids = draw(st.sampled_from(["anonymous", "user", "both"]))
    if ids in ("anonymous", "both"):
        # Now and then a userId sent as an anonymousId (a shared computer, or a careless sender).
        message["anonymousId"] = draw(st.one_of(_anonymous, _anonymous, _users))
    if ids in ("user", "both"):
        message["userId"] = draw(_users)
    if kind == "track":
        message["event"] = draw(st.sampled_from(["Signed Up", "Viewed"]))
        message["properties"] = {"$set": {"plan": draw(st.sampled_from(["free", "pro"]))}}
    elif kind == "identify":
        message["traits"] = {"plan": draw(st.sampled_from(["free", "pro", "team"]))}
    else:
        message["groupId"] = draw(st.sampled_from(["acme", "globex"]))
        message["traits"] = {"seats": draw(st.integers(1, 3))}
    return message


@st.composite
def _messages(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Messages with ids m1, m2, …, some sent again later (a retry: the same message)."""
    drawn = draw(st.lists(_message(), min_size=1, max_size=25))
    # Each message a time of its own, in any order: two values of a trait set at the same
    # microsecond are told apart by arrival within an append, but across a merge the surviving
    # person's value stays, so equal times would make the two ways differ by design.
    minutes = draw(st.permutations(range(len(drawn))))
    messages = [
        {**message, "messageId": f"m{number}", "timestamp": _at(minute)}
        for number, (message, minute) in enumerate(zip(drawn, minutes, strict=True))
    ]
    retries = draw(st.lists(st.sampled_from(messages), max_size=5))
    for retry in retries:
        messages.insert(draw(st.integers(messages.index(retry) + 1, len(messages))), retry)
    return messages


def _rows(messages: list[dict[str, Any]], app_id: str) -> pa.Table:
    return to_table([to_row(app_id, validate_message(m, RECEIVED)) for m in messages])


def _state(store: DuckDBEventStore, app_id: str) -> dict[str, Any]:
    """What the store knows of the app, with persons named by their ids (numbering differs).

    Trait history is compared as the values each trait ever had: rows differ by design, since a
    merge keeps each former person's own record of a change the batch sees once."""
    cursor = store.cursor()

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return cursor.execute(sql, [app_id]).fetchall()

    ids: dict[int, set[str]] = {}
    for distinct_id, person_id in rows(
        "SELECT distinct_id, person_id FROM person_ids WHERE app_id = ?"
    ):
        ids.setdefault(person_id, set()).add(distinct_id)
    name = {person: frozenset(found) for person, found in ids.items()}
    history: dict[tuple[str, Any, str], set[str]] = {}
    for kind, owner, trait, value in rows(
        "SELECT entity, entity_id, trait, value FROM trait_history WHERE app_id = ?"
    ):
        key = (kind, name[int(owner)] if kind == "person" else owner, trait)
        history.setdefault(key, set()).add(value)
    state = {
        "persons": set(name.values()),
        "users": set(rows("SELECT distinct_id FROM person_ids WHERE app_id = ? AND is_user")),
        "events": {
            message_id: name[person]
            for message_id, person in rows(
                "SELECT message_id, person_id FROM resolved_events WHERE app_id = ?"
            )
        },
        "traits": {
            (name[person], trait, value)
            for person, trait, value in rows(
                "SELECT person_id, trait, value FROM person_traits WHERE app_id = ?"
            )
        },
        "accounts": {
            (name[person], account)
            for person, account in rows(
                "SELECT person_id, account_id FROM persons "
                "WHERE app_id = ? AND account_id IS NOT NULL"
            )
        },
        "history": history,
    }
    cursor.close()
    return state


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DuckDBEventStore, ...]]:
    """Two stores for the whole module; each example uses an app of its own in both."""
    folder = tmp_path_factory.mktemp("batch")
    opened = (DuckDBEventStore(folder / "batch.duckdb"), DuckDBEventStore(folder / "one.duckdb"))
    yield opened
    for store in opened:
        store.close()


_apps = itertools.count(1)


def _link(minute: int, number: int, anonymous_id: str, user_id: str) -> dict[str, Any]:
    return {"type": "identify", "anonymousId": anonymous_id, "userId": user_id,
            "timestamp": _at(minute), "messageId": f"m{number}"}  # fmt: skip


def _track(minute: int, number: int, **ids: str) -> dict[str, Any]:
    return {"type": "track", "event": "E", "timestamp": _at(minute), "messageId": f"m{number}",
            **ids}  # fmt: skip


def _alias(minute: int, number: int, previous_id: str, user_id: str) -> dict[str, Any]:
    return {"type": "alias", "previousId": previous_id, "userId": user_id,
            "timestamp": _at(minute), "messageId": f"m{number}"}  # fmt: skip


@examples(80)
@given(messages=_messages())
# The same link twice with another between: its first time decides (a1 joins u1, so u2, coming
# second to a1's identified person, gets a person of its own).
@example(messages=[_link(1, 1, "a1", "u1"), _link(3, 2, "a1", "u2"), _link(5, 3, "a1", "u1")])
# An id first seen as a userId stays one when an alias later names it as previousId.
@example(messages=[_track(0, 1, userId="u2"), _alias(1, 2, "u2", "u1")])
# A userId, later sent as the anonymousId of another user (a shared computer): two persons.
@example(messages=[_track(0, 1, userId="u1"), _link(1, 2, "u1", "u2")])
# An id first sent as an anonymousId is not a userId, though later sent as one.
@example(messages=[_track(0, 1, anonymousId="u1"), _track(1, 2, userId="u1")])
def test_one_append_resolves_as_the_same_messages_one_at_a_time(
    stores: tuple[DuckDBEventStore, DuckDBEventStore], messages: list[dict[str, Any]]
) -> None:
    batch, single = stores
    app_id = f"app{next(_apps)}"
    result = batch.append(_rows(messages, app_id))
    # A retry is skipped; the first time a message id comes is the one stored.
    first = {m["messageId"]: index for index, m in reversed(list(enumerate(messages)))}
    assert result.stored.to_pylist() == [
        first[m["messageId"]] == index for index, m in enumerate(messages)
    ]
    in_time_order = sorted(
        (m for index, m in enumerate(messages) if first[m["messageId"]] == index),
        key=lambda m: m["timestamp"],  # a stable sort: arrival order breaks ties
    )
    for message in in_time_order:
        single.append(_rows([message], app_id))
    assert _state(batch, app_id) == _state(single, app_id)


def test_an_append_answers_for_each_row_in_order(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    track = {"type": "track", "event": "E", "userId": "u1", "timestamp": START.isoformat()}
    store.append(_rows([{**track, "messageId": "old"}], "app1"))
    result = store.append(
        _rows([{**track, "messageId": i} for i in ("new", "old", "other", "new", "last")], "app1")
    )
    store.close()
    assert result.stored.to_pylist() == [True, False, True, False, True]
    assert (result.stored_count, result.duplicate_count) == (3, 2)
