"""From validated messages to rows of the events table, with the promoted columns filled in."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from waypost.tracking.messages import Message

# The event name each non-track message type is stored under.
TYPE_EVENTS = {
    "page": "$page",
    "screen": "$screen",
    "identify": "$identify",
    "group": "$group",
    "alias": "$alias",
}
# Properties Waypost's snippet sends for autocaptured clicks and guidance interactions.
ELEMENT_SELECTOR = "$element_selector"
ELEMENT_TEXT = "$element_text"
CONTENT_ID = "$content_id"
CONTENT_STEP = "$content_step"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _step(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value < 2**31:
        return None
    return value


def to_row(app_id: str, message: Message) -> dict[str, Any]:
    """The events-table row for one message. Its times stay timezone-aware: the events slice's
    `to_table` stores them as UTC (Arrow converts aware times into the zone-less columns), which
    costs less than dropping the zone row by row."""
    props = message.traits if message.type in ("identify", "group") else message.properties
    page = message.context.get("page")
    page = page if isinstance(page, dict) else {}
    location = message.properties if message.type == "page" else page
    account = message.group_id if message.type == "group" else message.context.get("groupId")
    return {
        "app_id": app_id,
        "message_id": message.message_id or str(uuid.uuid4()),
        "type": message.type,
        "event": message.event if message.type == "track" else TYPE_EVENTS[message.type],
        "name": message.event if message.type in ("page", "screen") else None,
        "distinct_id": message.user_id or message.anonymous_id,
        "user_id": message.user_id,
        "anonymous_id": message.anonymous_id,
        "previous_id": message.previous_id,
        "account_id": _text(account) or (str(account) if isinstance(account, int) else None),
        "timestamp": message.timestamp,
        "received_at": message.received_at,
        "session_id": _text(message.context.get("sessionId")),
        "url": _text(location.get("url")),
        "path": _text(location.get("path")),
        "referrer": _text(location.get("referrer")),
        "element_selector": _text(message.properties.get(ELEMENT_SELECTOR)),
        "element_text": _text(message.properties.get(ELEMENT_TEXT)),
        "content_id": _text(message.properties.get(CONTENT_ID)),
        "content_step": _step(message.properties.get(CONTENT_STEP)),
        "properties": orjson.dumps(props).decode(),
        "context": orjson.dumps(message.context).decode(),
    }
