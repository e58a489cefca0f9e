"""Validation rules the mutation run found unheld: the event name's and ids' length limits and
empty ids, an infinite number alone in a message, the path named for nesting that goes through
arrays, the type named when properties are not an object, and timestamps without a zone."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from waypost.errors import InvalidInput
from waypost.tracking.bodies import MAX_EVENT_BYTES
from waypost.tracking.messages import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NESTING,
    validate_message,
)

RECEIVED = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
MESSAGE = {"type": "track", "event": "E", "userId": "u"}


def _refusal(raw: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate_message(raw, RECEIVED)
    return caught.value


def test_an_event_name_is_held_to_its_length_limit() -> None:
    longest = "e" * MAX_NAME_LENGTH
    assert validate_message({**MESSAGE, "event": longest}, RECEIVED).event == longest
    error = _refusal({**MESSAGE, "event": longest + "e"})
    assert error.field == "event"
    assert f"at most {MAX_NAME_LENGTH} characters" in error.message


@pytest.mark.parametrize(
    ("properties", "field"),
    [
        ({"big": float("inf")}, "properties.big"),
        ({"a": [float("-inf")]}, "properties.a[0]"),
    ],
)
def test_a_lone_infinite_number_is_refused(properties: dict[str, Any], field: str) -> None:
    error = _refusal({**MESSAGE, "properties": properties})
    assert (error.field, error.code) == (field, "number_out_of_range")
    assert "too large" in error.message


def test_nesting_through_arrays_counts_one_level_per_array() -> None:
    # "a" holds arrays nested exactly to the limit; "b" holds objects one level past it.
    arrays: Any = 1
    for _ in range(MAX_NESTING - 2):
        arrays = [arrays]
    objects: Any = 1
    for _ in range(MAX_NESTING - 1):
        objects = {"k": objects}
    assert validate_message({**MESSAGE, "properties": {"a": arrays}}, RECEIVED)

    error = _refusal({**MESSAGE, "properties": {"a": arrays, "b": objects}})
    assert error.field == "properties.b" + ".k" * (MAX_NESTING - 1)


@pytest.mark.parametrize("blank", ["", "   "])
def test_an_empty_id_is_refused_naming_it(blank: str) -> None:
    error = _refusal({**MESSAGE, "userId": "u", "anonymousId": blank})
    assert (error.field, error.message) == ("anonymousId", "must not be empty")


def test_an_id_is_held_to_its_length_limit() -> None:
    longest = "u" * MAX_ID_LENGTH
    assert validate_message({**MESSAGE, "userId": longest}, RECEIVED).user_id == longest
    assert _refusal({**MESSAGE, "userId": longest + "u"}).field == "userId"


def test_properties_that_are_not_an_object_are_named_by_their_type() -> None:
    error = _refusal({**MESSAGE, "properties": [1]})
    assert error.field == "properties"
    assert error.message == "must be a JSON object, not list"


def test_a_timestamp_without_a_zone_is_utc_whatever_the_servers_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        message = validate_message({**MESSAGE, "timestamp": "2026-11-23T08:30:00"}, RECEIVED)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert message.timestamp == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def test_a_message_of_exactly_the_size_limit_is_kept() -> None:
    message: dict[str, Any] = {**MESSAGE, "properties": {"p": ""}}
    message["properties"]["p"] = "x" * (MAX_EVENT_BYTES - len(orjson.dumps(message)))
    assert len(orjson.dumps(message)) == MAX_EVENT_BYTES
    assert validate_message(message, RECEIVED).properties == message["properties"]
    message["properties"]["p"] += "x"
    assert _refusal(message).code == "message_too_large"


def test_refusals_of_the_type_and_of_a_non_object_say_what_was_expected() -> None:
    error = _refusal({**MESSAGE, "type": "click"})
    assert (error.field, error.message) == (
        "type",
        "must be alias, group, identify, page, screen, track",
    )
    with pytest.raises(InvalidInput, match="each message must be a JSON object, not list"):
        validate_message([MESSAGE], RECEIVED)
