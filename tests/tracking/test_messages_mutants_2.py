"""Validation rules the second mutation run over `tracking/messages.py` found unheld: the field
and the time named when a time is refused, the edges of the allowed times, an originalTimestamp
sent without any sentAt, the batch's sentAt, the names of screens and of messages that have none,
and what the refusals of unknown keys and unstorable values say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from waypost.errors import InvalidInput
from waypost.tracking.messages import EARLIEST, MAX_FUTURE, event_time, validate_message

RECEIVED = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
MESSAGE = {"type": "track", "event": "E", "userId": "u"}
MICROSECOND = timedelta(microseconds=1)


def _refusal(raw: dict[str, Any], batch_sent_at: datetime | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate_message(raw, RECEIVED, batch_sent_at)
    return caught.value


@pytest.mark.parametrize("key", ["timestamp", "originalTimestamp"])
def test_a_time_up_to_a_day_ahead_is_kept_and_later_refused_naming_the_field_and_time(
    key: str,
) -> None:
    latest = RECEIVED + MAX_FUTURE
    kept = validate_message({**MESSAGE, key: latest.isoformat()}, RECEIVED)
    assert kept.timestamp == latest

    too_late = latest + MICROSECOND
    error = _refusal({**MESSAGE, key: too_late.isoformat()})
    assert (error.field, error.code) == (key, "invalid")
    assert error.message == (
        "2026-11-24T12:00:00.000001+00:00 is more than a day in the future; "
        "check the sender's clock"
    )


@pytest.mark.parametrize("key", ["timestamp", "originalTimestamp"])
def test_a_time_from_the_first_instant_of_2000_is_kept_and_earlier_refused_naming_field_and_time(
    key: str,
) -> None:
    kept = validate_message({**MESSAGE, key: "2000-01-01T00:00:00Z"}, RECEIVED)
    assert kept.timestamp == EARLIEST

    error = _refusal({**MESSAGE, key: (EARLIEST - MICROSECOND).isoformat()})
    assert (error.field, error.code) == (key, "invalid")
    assert error.message == "1999-12-31T23:59:59.999999+00:00 is before the year 2000"


@pytest.mark.parametrize(
    ("times", "field", "words"),
    [
        ({"originalTimestamp": 1700000000}, "originalTimestamp", "ISO 8601 date-time string"),
        ({"originalTimestamp": "soon"}, "originalTimestamp", "'soon' is not an ISO 8601"),
        (
            {"originalTimestamp": "0001-01-01T00:00:00+01:00"},
            "originalTimestamp",
            "out of range",
        ),
        (
            {"originalTimestamp": "2026-11-23T12:00:00Z", "sentAt": 1700000000},
            "sentAt",
            "ISO 8601 date-time string",
        ),
        (
            {"originalTimestamp": "2026-11-23T12:00:00Z", "sentAt": "later"},
            "sentAt",
            "'later' is not an ISO 8601",
        ),
        (
            {"originalTimestamp": "2026-11-23T12:00:00Z", "sentAt": "0001-01-01T00:00:00+01:00"},
            "sentAt",
            "out of range",
        ),
    ],
)
def test_a_bad_original_timestamp_or_sent_at_is_refused_naming_that_field(
    times: dict[str, Any], field: str, words: str
) -> None:
    error = _refusal({**MESSAGE, **times})
    assert error.field == field
    assert words in error.message


def test_an_original_timestamp_without_any_sent_at_is_taken_as_given() -> None:
    original = "2026-11-23T11:58:30.250000Z"
    happened = datetime(2026, 11, 23, 11, 58, 30, 250000, tzinfo=UTC)
    assert event_time({"originalTimestamp": original}, RECEIVED, None) == happened
    message = validate_message({**MESSAGE, "originalTimestamp": original}, RECEIVED)
    assert message.timestamp == happened


def test_a_message_is_corrected_by_its_batchs_sent_at_when_it_has_none_of_its_own() -> None:
    # The device's clock runs 10 minutes fast; only the batch says when it was sent.
    raw = {**MESSAGE, "originalTimestamp": "2026-11-23T12:09:00Z"}
    batch_sent = datetime(2026, 11, 23, 12, 10, tzinfo=UTC)
    message = validate_message(raw, RECEIVED, batch_sent)
    assert message.timestamp == RECEIVED - timedelta(minutes=1)


def test_a_screens_name_is_kept_as_its_event() -> None:
    message = validate_message({"type": "screen", "name": "Home", "userId": "u"}, RECEIVED)
    assert (message.type, message.event) == ("screen", "Home")
    error = _refusal({"type": "screen", "name": "  ", "userId": "u"})
    assert error.field == "name"


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "identify", "userId": "u", "name": "Ada"},
        {"type": "group", "userId": "u", "groupId": "g"},
        {"type": "alias", "userId": "u", "previousId": "a"},
    ],
)
def test_messages_of_types_without_a_name_have_no_event(raw: dict[str, Any]) -> None:
    assert validate_message(raw, RECEIVED).event is None


def test_an_unknown_key_is_named_in_the_refusal() -> None:
    error = _refusal({**MESSAGE, "userID": "u"})
    assert (error.field, error.code) == ("userID", "invalid")
    assert error.message == (
        "unknown key 'userID'; custom data belongs in properties, traits or context"
    )


def test_an_unstorable_value_is_refused_saying_what_the_encoder_found() -> None:
    with pytest.raises(orjson.JSONEncodeError) as encoding:
        orjson.dumps(2**70)
    error = _refusal({**MESSAGE, "properties": {"n": 2**70}})
    assert error.code == "unstorable_value"
    assert error.message == (f"cannot be stored: {encoding.value}; integers must fit in 64 bits")
