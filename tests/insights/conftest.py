"""Insight tests: load a small world of events straight into a real DuckDB event store."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from tests.insights.reference import World, user_id
from waypost.events import DuckDBEventStore

APP = "app_test"


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEventStore]:
    """One store for a module's property tests; each example replaces its contents (`load`)."""
    events = DuckDBEventStore(tmp_path_factory.mktemp("shared") / "events.duckdb")
    yield events
    events.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBEventStore]:
    events = DuckDBEventStore(tmp_path / "events.duckdb")
    yield events
    events.close()


def _content(properties: dict[str, Any]) -> tuple[str | None, int | None]:
    """The content_id and content_step columns as ingest promotes them from `$content_id` and
    `$content_step` (a non-empty string; a whole number that fits an INTEGER)."""
    key, step = properties.get("$content_id"), properties.get("$content_step")
    ok_step = isinstance(step, int) and not isinstance(step, bool) and -(2**31) <= step < 2**31
    return (key if isinstance(key, str) and key else None), (step if ok_step else None)


def load(store: DuckDBEventStore, world: World) -> None:
    """Replace the store's contents with the world (persons numbered as in the world)."""
    cursor = store.cursor()
    try:
        for table in ("events", "person_ids", "persons", "person_traits", "account_traits"):
            cursor.execute(f"DELETE FROM {table}")
        people = sorted({ev.person for ev in world.events} | set(world.person_traits))
        if people:
            # One statement per table, as for the events below.
            cursor.execute(
                "INSERT INTO person_ids VALUES "
                + ", ".join(["(?, ?, ?, true, now())"] * len(people)),
                [value for person in people for value in (APP, user_id(person), person)],
            )
            cursor.execute(
                "INSERT INTO persons VALUES "
                + ", ".join(["(?, ?, now(), NULL, NULL)"] * len(people)),
                [value for person in people for value in (APP, person)],
            )
        for person, traits in world.person_traits.items():
            for trait, value in traits.items():
                cursor.execute(
                    "INSERT INTO person_traits VALUES (?, ?, ?, ?, now())",
                    [APP, person, trait, json.dumps(value)],
                )
        for account, traits in world.account_traits.items():
            for trait, value in traits.items():
                cursor.execute(
                    "INSERT INTO account_traits VALUES (?, ?, ?, ?, now())",
                    [APP, account, trait, json.dumps(value)],
                )
        rows = [
            [APP, ev.message_id, "track", ev.event, user_id(ev.person), ev.account, ev.session,
             ev.at.astimezone(UTC).replace(tzinfo=None), json.dumps(ev.properties), ev.path,
             ev.url, ev.element_selector, ev.element_text, *_content(ev.properties), ev.person]
            for ev in world.events
        ]  # fmt: skip
        if rows:
            # One statement for all rows: DuckDB's executemany inserts row by row, a few ms each,
            # which adds up over a property test's examples and shrinks.
            row = "(?, ?, ?, ?, ?, ?, ?, ?, now(), ?, '{}', ?, ?, ?, ?, ?, ?, ?)"
            cursor.execute(
                "INSERT INTO events (app_id, message_id, type, event, distinct_id, account_id, "
                "session_id, timestamp, received_at, properties, context, path, url, "
                "element_selector, element_text, content_id, content_step, person_id) VALUES "
                + ", ".join([row] * len(rows)),
                [value for values in rows for value in values],
            )
    finally:
        cursor.close()


@pytest.fixture
def loaded(store: DuckDBEventStore) -> Callable[[World], DuckDBEventStore]:
    def load_world(world: World) -> DuckDBEventStore:
        load(store, world)
        return store

    return load_world


def plain(result: Any) -> dict[str, Any]:
    """A result model as plain data, without None breakdowns, to compare with the reference."""
    data: dict[str, Any] = result.model_dump()
    data.pop("kind", None)
    if data.get("breakdowns") is None:
        data.pop("breakdowns", None)
    return data


def close(got: Any, expected: Any) -> bool:
    """Equal, but for floats, which need only agree to nine significant digits."""
    if isinstance(got, float) and isinstance(expected, float):
        return math.isclose(got, expected, rel_tol=1e-9)
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(close(got[k], expected[k]) for k in got)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(
            close(a, b) for a, b in zip(got, expected, strict=True)
        )
    return bool(got == expected)
