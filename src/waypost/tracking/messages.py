"""Validating one Segment-shaped message into a typed value, with Segment's timestamp rule.

A bad message raises InvalidInput naming the field and the reason, so a batch can store the good
messages beside it and report the bad ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson

from waypost.errors import InvalidInput
from waypost.tracking.bodies import MAX_EVENT_BYTES

MESSAGE_TYPES = frozenset({"track", "identify", "page", "screen", "group", "alias"})
# Every top-level key the Segment spec and its official libraries send. Anything else is
# most likely a typo (`userID`, `propertes`) that would otherwise be dropped without a word.
KNOWN_KEYS = frozenset(
    {
        "type", "messageId", "timestamp", "originalTimestamp", "sentAt", "receivedAt",
        "anonymousId", "userId", "event", "name", "category", "properties", "traits",
        "context", "integrations", "groupId", "previousId", "channel", "version",
        "_metadata", "writeKey", "options",
    }
)  # fmt: skip
MAX_ID_LENGTH = 255
MAX_NAME_LENGTH = 255
MAX_NESTING = 16
# A clock more than a day ahead is broken, not skewed; events years old are kept (imports).
MAX_FUTURE = timedelta(days=1)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class Message(NamedTuple):
    """A validated message: what the writer and identity resolution work from. A named tuple:
    built once per event on the request path, it costs a fifth of a frozen dataclass."""

    type: str
    message_id: str | None
    timestamp: datetime
    received_at: datetime
    user_id: str | None
    anonymous_id: str | None
    event: str | None
    group_id: str | None
    previous_id: str | None
    properties: dict[str, Any]
    traits: dict[str, Any]
    context: dict[str, Any]


def parse_time(value: Any, name: str) -> datetime:
    """An ISO 8601 time as timezone-aware UTC; a time without a zone is taken as UTC."""
    if not isinstance(value, str):
        raise InvalidInput("must be an ISO 8601 date-time string", field=name)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{value[:40]!r} is not an ISO 8601 date-time", field=name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01 in a zone east of UTC
        raise InvalidInput(f"{value[:40]!r} is out of range", field=name) from None


def event_time(
    raw: dict[str, Any], received_at: datetime, batch_sent_at: datetime | None
) -> datetime:
    """When the event happened, by Segment's rule.

    An explicit ``timestamp`` is trusted as given (server libraries and historical imports).
    Otherwise ``originalTimestamp`` is corrected for the sender's clock skew:
    ``receivedAt - (sentAt - originalTimestamp)``. With neither, the time it arrived.
    """
    if raw.get("timestamp") is not None:
        when = parse_time(raw["timestamp"], "timestamp")
        name = "timestamp"
    elif raw.get("originalTimestamp") is not None:
        original = parse_time(raw["originalTimestamp"], "originalTimestamp")
        sent = (
            parse_time(raw["sentAt"], "sentAt") if raw.get("sentAt") is not None else batch_sent_at
        )
        name = "originalTimestamp"
        try:
            when = received_at - (sent - original) if sent is not None else original
        except OverflowError:
            raise InvalidInput(
                "with this sentAt the corrected time falls outside the calendar", field=name
            ) from None
    else:
        return received_at
    if when > received_at + MAX_FUTURE:
        raise InvalidInput(
            f"{when.isoformat()} is more than a day in the future; check the sender's clock",
            field=name,
        )
    if when < EARLIEST:
        raise InvalidInput(f"{when.isoformat()} is before the year 2000", field=name)
    return when


def _identifier(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if type(value) is str:  # nearly always, and the quickest test
        text = value.strip()
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput("must be a string (or a number)", field=key)
    else:
        text = str(value).strip()
    if not text:
        raise InvalidInput("must not be empty", field=key)
    if len(text) > MAX_ID_LENGTH:
        raise InvalidInput(f"must be at most {MAX_ID_LENGTH} characters", field=key)
    return text


def _object(raw: dict[str, Any], key: str, shallow: bool) -> dict[str, Any]:
    """The object under `key`, checked for nesting unless the whole message is `shallow`."""
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"must be a JSON object, not {type(value).__name__}", field=key)
    if not shallow and not _within_nesting(value, 1):
        _check_depth(value, key, 1)
    return value


def _within_nesting(value: dict[str, Any] | list[Any], depth: int) -> bool:
    """Whether every value inside `value` (itself at `depth`) is at most MAX_NESTING deep. Visits
    only objects and arrays and builds no paths: the usual message costs a few dict walks."""
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        if depth >= MAX_NESTING:
            return False
        if isinstance(item, (dict, list)) and not _within_nesting(item, depth + 1):
            return False
    return True


def _check_depth(value: Any, path: str, depth: int) -> None:
    """Raise InvalidInput with the path of the first value nested past MAX_NESTING."""
    where = _first(value, path, depth, lambda _, level: level > MAX_NESTING)
    if where is not None:
        raise InvalidInput(f"is nested more than {MAX_NESTING} levels deep", field=where)


def _all_finite(value: Any) -> bool:
    """Whether no number inside `value` is infinite. Builds no paths: the usual message, which
    has none, costs a few dict walks."""
    if type(value) is float:
        return not math.isinf(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:  # noqa: SIM110 - a loop, not all(): no generator per object
        if not _all_finite(item):
            return False
    return True


def _check_finite(value: Any, path: str) -> None:
    """Raise InvalidInput with the path of the first number that is infinite (too large)."""
    where = _first(value, path, 0, lambda item, _: type(item) is float and math.isinf(item))
    if where is not None:
        raise InvalidInput(
            "is a number too large to store (beyond ±1.8e308)",
            field=where,
            code="number_out_of_range",
        )


def _first(value: Any, path: str, depth: int, bad: Callable[[Any, int], bool]) -> str | None:
    """The path of the first value, `value` itself or anything inside it (each before what it
    holds), for which `bad(value, depth)` holds; None when there is none. The slow walk, for
    reporting where a problem is; the message's own path is ``""``."""
    if bad(value, depth):
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            found = _first(item, f"{path}.{key}" if path else str(key), depth + 1, bad)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first(item, f"{path}[{index}]", depth + 1, bad)
            if found is not None:
                return found
    return None


def _name(raw: dict[str, Any], key: str, required: bool) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise InvalidInput("is required for this message type", field=key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("must be a non-empty string", field=key)
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidInput(f"must be at most {MAX_NAME_LENGTH} characters", field=key)
    return value.strip()


def validate_message(
    raw: Any,
    received_at: datetime,
    batch_sent_at: datetime | None = None,
    implied_type: str | None = None,
) -> Message:
    """A validated Message, or InvalidInput naming the first field at fault and why.

    ``implied_type`` is the type the endpoint stands for (``/v1/track`` → ``track``); a message
    sent there may omit ``type`` but may not contradict it.
    """
    if not isinstance(raw, dict):
        raise InvalidInput(f"each message must be a JSON object, not {type(raw).__name__}")
    if not KNOWN_KEYS.issuperset(raw):
        unknown = sorted(set(raw) - KNOWN_KEYS)
        raise InvalidInput(
            f"unknown key {unknown[0]!r}; custom data belongs in properties, traits or context",
            field=unknown[0],
        )
    try:
        text = orjson.dumps(raw)
    except orjson.JSONEncodeError as exc:
        # JSON escapes like "\ud800" decode to lone surrogates, which no text column can hold.
        if "surrogates" in str(exc):
            raise InvalidInput(
                "contains an invalid Unicode escape (a lone surrogate)", code="invalid_unicode"
            ) from None
        raise InvalidInput(
            f"cannot be stored: {exc}; integers must fit in 64 bits", code="unstorable_value"
        ) from None
    if len(text) > MAX_EVENT_BYTES:
        raise InvalidInput(
            f"the message is {len(text):,} bytes; the limit is {MAX_EVENT_BYTES:,}",
            code="message_too_large",
        )
    # orjson writes a number too large for a 64-bit float (1e400 in the body) as null, so only
    # a message whose text holds "null" can carry one; it is refused rather than changed.
    if b"null" in text and not _all_finite(raw):
        _check_finite(raw, "")
    # With no more opening brackets in its text than levels allowed (brackets inside strings
    # only add to the count), nothing in the message can be nested too deep: the usual message
    # needs no walk through its objects.
    shallow = text.count(b"{") + text.count(b"[") <= MAX_NESTING
    kind = raw.get("type", implied_type)
    if kind not in MESSAGE_TYPES or (implied_type is not None and kind != implied_type):
        expected = implied_type or ", ".join(sorted(MESSAGE_TYPES))
        raise InvalidInput(f"must be {expected}", field="type")
    user_id = _identifier(raw, "userId")
    anonymous_id = _identifier(raw, "anonymousId")
    previous_id = _identifier(raw, "previousId")
    if kind == "alias":
        if user_id is None or previous_id is None:
            raise InvalidInput("alias needs both userId and previousId", field="previousId")
    elif user_id is None and anonymous_id is None:
        raise InvalidInput("either userId or anonymousId is required", field="userId")
    group_id = _identifier(raw, "groupId")
    if kind == "group" and group_id is None:
        raise InvalidInput("is required for a group message", field="groupId")
    if kind == "track":
        event = _name(raw, "event", required=True)
    elif kind in ("page", "screen"):
        event = _name(raw, "name", required=False)
    else:
        event = None
    return Message(
        type=kind,
        message_id=_identifier(raw, "messageId"),
        timestamp=event_time(raw, received_at, batch_sent_at),
        received_at=received_at,
        user_id=user_id,
        anonymous_id=anonymous_id,
        event=event,
        group_id=group_id,
        previous_id=previous_id,
        properties=_object(raw, "properties", shallow),
        traits=_object(raw, "traits", shallow),
        context=_object(raw, "context", shallow),
    )
