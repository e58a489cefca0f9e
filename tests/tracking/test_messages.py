"""One message at a time: what is kept, what is refused and why, and when the event happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waypost.errors import InvalidInput
from waypost.tracking.messages import MAX_NESTING, event_time, validate_message

RECEIVED = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def _refusal(raw: object, implied: str | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate_message(raw, RECEIVED, implied_type=implied)
    return caught.value


def test_track_message_keeps_its_fields() -> None:
    message = validate_message(
        {
            "type": "track",
            "event": "Project Created",
            "userId": 42,
            "messageId": "m-1",
            "properties": {"plan": "pro", "seats": 3},
            "context": {"page": {"path": "/projects"}},
        },
        RECEIVED,
    )
    assert (message.type, message.event, message.user_id, message.message_id) == (
        "track",
        "Project Created",
        "42",
        "m-1",
    )
    assert message.properties == {"plan": "pro", "seats": 3}
    assert message.context["page"]["path"] == "/projects"
    assert message.timestamp == RECEIVED


def test_page_name_is_optional_and_kept_as_the_event() -> None:
    assert validate_message({"type": "page", "anonymousId": "a"}, RECEIVED).event is None
    named = validate_message({"type": "page", "name": "Pricing", "anonymousId": "a"}, RECEIVED)
    assert named.event == "Pricing"


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"type": "track", "userId": "u"}, "event", "required"),
        ({"type": "track", "event": "", "userId": "u"}, "event", "non-empty"),
        ({"type": "track", "event": "E"}, "userId", "userId or anonymousId"),
        ({"type": "track", "event": "E", "userId": {"id": 1}}, "userId", "string"),
        ({"type": "track", "event": "E", "userId": True}, "userId", "string"),
        ({"type": "track", "event": "E", "userId": "x" * 256}, "userId", "at most 255"),
        ({"type": "track", "event": "E", "userId": "u", "properties": [1]}, "properties", "object"),
        ({"type": "track", "event": "E", "userId": "u", "userID": "u"}, "userID", "unknown key"),
        ({"type": "click", "userId": "u"}, "type", "must be"),
        ({"type": "alias", "userId": "u"}, "previousId", "both"),
        ({"type": "group", "userId": "u"}, "groupId", "required"),
        (
            {"type": "track", "event": "E", "userId": "u", "timestamp": "yesterday"},
            "timestamp",
            "ISO 8601",
        ),
        (
            {"type": "track", "event": "E", "userId": "u", "timestamp": 1700000000},
            "timestamp",
            "string",
        ),
    ],
)
def test_bad_message_is_refused_naming_the_field_and_reason(
    raw: dict[str, object], field: str, words: str
) -> None:
    error = _refusal(raw)
    assert error.field == field
    assert words in error.message


def test_endpoint_type_is_implied_but_cannot_be_contradicted() -> None:
    implied = validate_message({"event": "E", "userId": "u"}, RECEIVED, implied_type="track")
    assert implied.type == "track"
    assert _refusal({"type": "page", "userId": "u"}, implied="track").field == "type"


def test_message_that_is_not_an_object_is_refused() -> None:
    assert "JSON object" in _refusal(["track"]).message


def test_message_over_32_kb_is_refused() -> None:
    error = _refusal(
        {"type": "track", "event": "E", "userId": "u", "properties": {"x": "a" * 33_000}}
    )
    assert error.code == "message_too_large"
    assert "32,768" in error.message


def test_lone_surrogate_from_a_json_escape_is_refused_not_crashed_on() -> None:
    error = _refusal({"type": "track", "event": "E", "userId": "u", "properties": {"x": "\ud800"}})
    assert error.code == "invalid_unicode"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp"),
        (
            {"originalTimestamp": "9999-12-31T00:00:00Z", "sentAt": "2000-01-01T00:00:00Z"},
            "originalTimestamp",
        ),
    ],
)
def test_times_outside_the_calendar_are_refused_naming_the_field(
    extra: dict[str, str], field: str
) -> None:
    error = _refusal({"type": "track", "event": "E", "userId": "u", **extra})
    assert error.field == field


def test_integer_beyond_64_bits_is_refused_not_crashed_on() -> None:
    error = _refusal({"type": "track", "event": "E", "userId": "u", "properties": {"n": 2**70}})
    assert error.code == "unstorable_value"
    assert "64 bits" in error.message


def test_nulls_sent_for_unset_fields_count_as_absent() -> None:
    # segment-analytics-python sends unset ids and names as null.
    message = validate_message(
        {"type": "page", "userId": "u", "anonymousId": None, "name": None, "category": None},
        RECEIVED,
    )
    assert (message.anonymous_id, message.event) == (None, None)


def test_nesting_past_the_limit_is_refused_with_the_path() -> None:
    deep: dict[str, object] = {}
    cursor = deep
    for _ in range(MAX_NESTING + 1):
        cursor["k"] = {}
        cursor = cursor["k"]  # type: ignore[assignment]
    error = _refusal({"type": "track", "event": "E", "userId": "u", "properties": deep})
    assert error.field is not None and error.field.startswith("properties.k.k")
    assert f"more than {MAX_NESTING} levels" in error.message


def test_nesting_deeper_than_the_json_writer_goes_is_still_the_nesting_rule() -> None:
    # The body reader takes up to 1,024 levels; the JSON writer stops at 255.
    deep: dict[str, object] = {}
    cursor = deep
    for _ in range(300):
        cursor["k"] = {}
        cursor = cursor["k"]  # type: ignore[assignment]
    error = _refusal({"type": "track", "event": "E", "userId": "u", "properties": deep})
    assert error.code == "invalid"
    assert error.field is not None and error.field.startswith("properties.k.k")
    assert f"more than {MAX_NESTING} levels" in error.message


def test_explicit_timestamp_is_trusted_even_years_old() -> None:
    raw = {"timestamp": "2021-03-04T05:06:07.123456Z"}
    assert event_time(raw, RECEIVED, None) == datetime(2021, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


def test_original_timestamp_is_corrected_for_the_senders_clock_skew() -> None:
    # The device's clock runs 10 minutes fast: it says the event happened at 12:09 and was sent
    # at 12:10, but the server received it at 12:00. The event really happened 1 minute before.
    raw = {"originalTimestamp": "2026-11-23T12:09:00Z", "sentAt": "2026-11-23T12:10:00Z"}
    assert event_time(raw, RECEIVED, None) == RECEIVED - timedelta(minutes=1)


def test_batch_sent_at_applies_when_the_message_has_none() -> None:
    raw = {"originalTimestamp": "2026-11-23T12:09:00+00:00"}
    batch_sent = datetime(2026, 11, 23, 12, 10, tzinfo=UTC)
    assert event_time(raw, RECEIVED, batch_sent) == RECEIVED - timedelta(minutes=1)


def test_time_without_a_zone_is_taken_as_utc_and_other_zones_are_converted() -> None:
    assert event_time({"timestamp": "2026-11-23T09:00:00"}, RECEIVED, None).hour == 9
    assert event_time({"timestamp": "2026-11-23T18:00:00+09:00"}, RECEIVED, None).hour == 9


def test_without_any_time_the_event_happened_when_received() -> None:
    assert event_time({}, RECEIVED, None) == RECEIVED


def test_timestamps_far_in_the_future_or_before_2000_are_refused() -> None:
    future = {"type": "track", "event": "E", "userId": "u", "timestamp": "2026-11-25T12:00:00Z"}
    assert "future" in _refusal(future).message
    ancient = {"type": "track", "event": "E", "userId": "u", "timestamp": "1999-12-31T23:59:59Z"}
    assert "2000" in _refusal(ancient).message


@given(
    skew=st.integers(min_value=-86_400 * 30, max_value=86_400 * 30),
    delay=st.integers(min_value=0, max_value=3_600),
)
def test_skew_correction_recovers_the_true_time_whatever_the_device_clock(
    skew: int, delay: int
) -> None:
    true_time = RECEIVED - timedelta(seconds=delay)
    device = timedelta(seconds=skew)  # how far the device clock is off
    raw = {
        "originalTimestamp": (true_time + device).isoformat(),
        "sentAt": (RECEIVED + device).isoformat(),
    }
    assert event_time(raw, RECEIVED, None) == true_time


def _depth(value: object, level: int = 1) -> int:
    """How deep the deepest value sits, the object itself at `level` (a plain count to hold the
    validator's quicker walk to)."""
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    )
    return max((_depth(child, level + 1) for child in children), default=level)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner, max_size=2)
    ),
    max_leaves=40,
)


def test_a_message_with_no_bracket_to_spare_is_held_exactly_to_the_limit() -> None:
    # Every bracket in these messages is one level: the count alone cannot tell them apart.
    def nested(levels: int) -> dict[str, object]:
        value: dict[str, object] = {"k": 1}
        for _ in range(levels - 1):
            value = {"k": value}
        return value

    at_limit, past_limit = nested(MAX_NESTING - 1), nested(MAX_NESTING)
    assert (_depth(at_limit), _depth(past_limit)) == (MAX_NESTING, MAX_NESTING + 1)
    message = {"type": "track", "event": "E", "userId": "u"}
    assert validate_message({**message, "properties": at_limit}, RECEIVED).properties == at_limit
    error = _refusal({**message, "properties": past_limit})
    assert error.field == "properties" + ".k" * MAX_NESTING


@given(st.dictionaries(st.text(max_size=2), _json, max_size=3), st.integers(12, 20))
def test_nesting_is_refused_exactly_past_the_limit_wherever_it_is(
    properties: dict[str, object], wrap: int
) -> None:
    for _ in range(wrap):  # push the random values near the limit
        properties = {"k": properties} if wrap % 2 else {"k": [properties]}
    message = {"type": "track", "event": "E", "userId": "u", "properties": properties}
    if _depth(properties) <= MAX_NESTING:
        assert validate_message(message, RECEIVED).properties == properties
    else:
        error = _refusal(message)
        assert error.field is not None and error.field.startswith("properties")
        assert f"more than {MAX_NESTING} levels" in error.message


def test_infinite_numbers_are_refused_with_their_path_where_nulls_are_kept() -> None:
    message = {"type": "track", "event": "E", "userId": "u", "context": {"page": None}}
    assert validate_message(message, RECEIVED).context == {"page": None}
    error = _refusal({**message, "properties": {"a": {"b": [0.5, float("-inf")]}}})
    assert (error.field, error.code) == ("properties.a.b[1]", "number_out_of_range")
