"""Validating one Segment-shaped message into a typed value, with Segment's timestamp rule.

A bad message raises InvalidInput naming the field and the reason, so a batch can store the good
messages beside it and report the bad ones. Every refusal is a rule of `tracking.rules`, whose
table the import's SQL is compiled from; the checks are written out here because this runs for
every event the API takes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from waypost.tracking.bodies import MAX_EVENT_BYTES
from waypost.tracking.rules import (
    ALIAS_IDS,
    CORRECTED_TIME,
    EARLIEST,
    EVENT_REQUIRED,
    FINITE,
    GROUP_ID,
    IDENTIFIER_EMPTY,
    IDENTIFIER_KIND,
    IDENTIFIER_LENGTH,
    KNOWN_KEY,
    KNOWN_KEYS,
    MAX_FUTURE,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NESTING,
    MESSAGE_OBJECT,
    MESSAGE_SIZE,
    MESSAGE_TYPE,
    MESSAGE_TYPES,
    NAME_LENGTH,
    NAME_TEXT,
    NESTING,
    NOT_BEFORE_2000,
    NOT_FUTURE,
    OBJECT,
    SOME_ID,
    STORABLE,
    TIME_FORMAT,
    TIME_RANGE,
    TIME_TEXT,
    UNICODE,
)


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
        raise TIME_TEXT.broken(name)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TIME_FORMAT.broken(name, value=value[:40]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01 in a zone east of UTC
        raise TIME_RANGE.broken(name, value=value[:40]) from None


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
            raise CORRECTED_TIME.broken(name) from None
    else:
        return received_at
    if when > received_at + MAX_FUTURE:
        raise NOT_FUTURE.broken(name, when=when.isoformat())
    if when < EARLIEST:
        raise NOT_BEFORE_2000.broken(name, when=when.isoformat())
    return when


def _identifier(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if type(value) is str:  # nearly always, and the quickest test
        text = value.strip()
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise IDENTIFIER_KIND.broken(key)
    else:
        text = str(value).strip()
    if not text:
        raise IDENTIFIER_EMPTY.broken(key)
    if len(text) > MAX_ID_LENGTH:
        raise IDENTIFIER_LENGTH.broken(key)
    return text


def _object(raw: dict[str, Any], key: str, shallow: bool) -> dict[str, Any]:
    """The object under `key`, checked for nesting unless the whole message is `shallow`."""
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OBJECT.broken(key, kind=type(value).__name__)
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
    """Raise the nesting rule with the path of the first value nested past MAX_NESTING."""
    where = _first(value, path, depth, lambda _, level: level > MAX_NESTING)
    if where is not None:
        raise NESTING.broken(where)


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
    """Raise the finite-number rule with the path of the first number that is infinite."""
    where = _first(value, path, 0, lambda item, _: type(item) is float and math.isinf(item))
    if where is not None:
        raise FINITE.broken(where)


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
            raise EVENT_REQUIRED.broken(key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise NAME_TEXT.broken(key)
    if len(value) > MAX_NAME_LENGTH:
        raise NAME_LENGTH.broken(key)
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
        raise MESSAGE_OBJECT.broken(kind=type(raw).__name__)
    if not KNOWN_KEYS.issuperset(raw):
        unknown = sorted(set(raw) - KNOWN_KEYS)
        raise KNOWN_KEY.broken(unknown[0], key=unknown[0])
    try:
        text = orjson.dumps(raw)
    except orjson.JSONEncodeError as exc:
        # JSON escapes like "\ud800" decode to lone surrogates, which no text column can hold.
        if "surrogates" in str(exc):
            raise UNICODE.broken() from None
        # orjson stops at 255 levels, which the body reader allows: deeper than that is the
        # nesting rule's to refuse, with its path.
        if "Recursion" in str(exc):
            _check_depth(raw, "", 0)
        raise STORABLE.broken(detail=exc) from None
    if len(text) > MAX_EVENT_BYTES:
        raise MESSAGE_SIZE.broken(size=len(text))
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
        raise MESSAGE_TYPE.broken("type", expected=expected)
    user_id = _identifier(raw, "userId")
    anonymous_id = _identifier(raw, "anonymousId")
    previous_id = _identifier(raw, "previousId")
    if kind == "alias":
        if user_id is None or previous_id is None:
            raise ALIAS_IDS.broken("previousId")
    elif user_id is None and anonymous_id is None:
        raise SOME_ID.broken("userId")
    group_id = _identifier(raw, "groupId")
    if kind == "group" and group_id is None:
        raise GROUP_ID.broken("groupId")
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
