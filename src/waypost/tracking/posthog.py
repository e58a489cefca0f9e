"""PostHog's capture API, translated: each PostHog event becomes a Segment-shaped message.

Waypost keeps one validator and one row format for both tracking APIs. A PostHog event is
rewritten into the message the Segment API would have received (``$identify`` → identify,
``$create_alias`` → alias, ``$groupidentify`` → group, ``$pageview`` → page, ``$screen`` → screen,
anything else → track) and then goes through ``validate_message`` like any Segment message. When
that refuses it, the field is renamed back to the PostHog field it came from, so the sender reads
``distinct_id`` rather than ``userId``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from waypost.errors import InvalidInput
from waypost.tracking.bodies import MalformedBody, decode_body
from waypost.tracking.messages import Message, parse_time, validate_message

# posthog-python closes a batch at 5 MiB; answering 413 below that would make it drop whole
# batches of valid events. Each event is still held to the Segment API's 32 KB per message.
MAX_CAPTURE_BYTES = 5 * 1024 * 1024
# Where a write key travels: the body or event (posthog-python), properties.token (posthog-js).
KEY_NAMES = ("api_key", "token")
# Top-level keys of a PostHog event that the translation reads, or that describe the request
# (a single event is its own request body). Any other key is kept in properties, because PostHog's
# clients add keys over time.
EVENT_KEYS = frozenset(
    {"event", "distinct_id", "properties", "timestamp", "uuid", "$set", "$set_once", "offset"}
    | {"sent_at", "historical_migration", *KEY_NAMES}
)
# Which of an event's $groups becomes its account, when it has several.
ACCOUNT_GROUP_TYPES = ("company", "organization")


@dataclass(frozen=True, slots=True)
class Capture:
    """A capture request, read: the write key it names, its events and when it was sent.

    ``prefix`` names the events in rejection reports: ``batch`` for ``{"batch": [...]}``, an empty
    string for a bare JSON array (``[0].event``), None for a single event (``event``).
    """

    api_key: str | None
    events: list[Any]
    prefix: str | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Translation:
    """A Segment-shaped message, and for each of its top-level keys the PostHog field behind it."""

    message: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)

    def posthog_field(self, segment_field: str | None) -> str | None:
        """The PostHog name of a field of the Segment message (``userId.x`` → ``distinct_id.x``)."""
        if not segment_field:
            return segment_field
        head, rest = _split_head(segment_field)
        return self.sources.get(head, head) + rest


def _split_head(path: str) -> tuple[str, str]:
    cut = min((i for i in (path.find("."), path.find("[")) if i >= 0), default=len(path))
    return path[:cut], path[cut:]


def read_body(raw: bytes, content_type: str | None, content_encoding: str | None) -> Any:
    """The JSON document of a capture request: plain or gzip JSON, or posthog-js's form body
    ``data=<base64 JSON>``; MalformedBody or PayloadTooLarge naming the problem."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded" or raw.startswith(b"data="):
        raw = _form_data(raw)
    return decode_body(raw, content_encoding, MAX_CAPTURE_BYTES)


def _form_data(raw: bytes) -> bytes:
    try:
        form = parse_qs(raw.decode("ascii"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise MalformedBody(
            "a form body must be URL-encoded ASCII", code="malformed_form"
        ) from None
    data = form.get("data", [""])[0].strip()
    if not data:
        raise MalformedBody("the form body has no data field", field="data", code="malformed_form")
    compression = form.get("compression", [""])[0]
    if compression == "lz64":
        raise MalformedBody(
            "lz64 compression is not supported; send gzip-js or base64",
            field="compression",
            code="unsupported_encoding",
        )
    if data[0] in "{[":
        return data.encode()
    try:
        # Form decoding turns a literal '+' into a space; base64 never contains spaces.
        padded = data.replace(" ", "+")
        return base64.b64decode(padded + "=" * (-len(padded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedBody(
            "the data field is neither JSON nor base64", field="data", code="malformed_form"
        ) from None


def read_capture(body: Any) -> Capture:
    """The write key, events and send time of a decoded capture body, in any of its forms:
    ``{"api_key", "batch": [...], "sent_at"}``, a single event, or a JSON array of events."""
    if isinstance(body, list):
        return Capture(_key_of_events(body), body, "", None)
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object or an array of events")
    sent_at = parse_time(body["sent_at"], "sent_at") if body.get("sent_at") is not None else None
    if "batch" in body:
        events = body["batch"]
        if not isinstance(events, list):
            raise InvalidInput("must be a list of events", field="batch")
        return Capture(_body_key(body) or _key_of_events(events), events, "batch", sent_at)
    return Capture(_key_of_events([body]), [body], None, sent_at)


def _key(holder: Any) -> tuple[str, Any] | None:
    """The first write-key field of a body, event or properties, as (name, value)."""
    if isinstance(holder, dict):
        for name in KEY_NAMES:
            if holder.get(name) is not None:
                return name, holder[name]
    return None


def _body_key(body: dict[str, Any]) -> str | None:
    found = _key(body)
    if found is None:
        return None
    if not isinstance(found[1], str):
        raise InvalidInput("the write key must be a string", field=found[0])
    return found[1]


def _key_of_events(events: list[Any]) -> str | None:
    for event in events:
        if isinstance(event, dict):
            found = _key(event) or _key(event.get("properties"))
            if found is not None and isinstance(found[1], str) and found[1]:
                return found[1]
    return None


def validate_event(
    raw: Any, received_at: datetime, sent_at: datetime | None, api_key: str | None = None
) -> Message:
    """A validated Message for one PostHog event, or InvalidInput naming the PostHog field at fault.

    ``api_key`` is the key the request was accepted under; an event carrying another key is
    refused rather than stored in the wrong app.
    """
    translation = to_segment(raw, received_at, api_key)
    try:
        return validate_message(translation.message, received_at, sent_at)
    except InvalidInput as exc:
        raise InvalidInput(
            exc.message, field=translation.posthog_field(exc.field), code=exc.code
        ) from None


def to_segment(raw: Any, received_at: datetime, api_key: str | None = None) -> Translation:
    """The Segment-shaped message for one PostHog event (see docs/tracking.md, "PostHog")."""
    if not isinstance(raw, dict):
        raise InvalidInput(f"each event must be a JSON object, not {type(raw).__name__}")
    _check_key(raw, api_key)
    properties = _properties(raw)
    name = raw.get("event")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("is required: the event name as a non-empty string", field="event")
    distinct_id, distinct_field = raw.get("distinct_id"), "distinct_id"
    if distinct_id is None:
        distinct_id, distinct_field = properties.get("distinct_id"), "properties.distinct_id"
    if distinct_id is None:
        raise InvalidInput("is required (or properties.distinct_id)", field="distinct_id")

    message: dict[str, Any] = {
        "messageId": raw.get("uuid"),
        "timestamp": _timestamp(raw, received_at),
        "properties": properties,
        "context": _context(properties),
    }
    sources = {
        "messageId": "uuid",
        "timestamp": "timestamp" if raw.get("timestamp") is not None else "offset",
        "properties": "properties",
        "context": "properties",
    }

    if name == "$identify":
        # An identify row keeps only its traits; $set_once rides along under its own key, which
        # identity resolution reads as set-once traits.
        traits = dict(_dict(properties, "$set"))
        if _dict(properties, "$set_once"):
            traits["$set_once"] = properties["$set_once"]
        message.update(type="identify", userId=distinct_id, traits=traits)
        sources.update(userId=distinct_field, traits="properties.$set")
        if properties.get("$anon_distinct_id") is not None:
            message["anonymousId"] = properties["$anon_distinct_id"]
            sources["anonymousId"] = "properties.$anon_distinct_id"
    elif name == "$create_alias":
        # Both clients send the id already known as distinct_id and the id it is merged with
        # as properties.alias; in Segment's terms that is previousId → userId.
        if properties.get("alias") is None:
            raise InvalidInput("is required for $create_alias", field="properties.alias")
        message.update(type="alias", userId=properties["alias"], previousId=distinct_id)
        sources.update(userId="properties.alias", previousId=distinct_field)
    else:
        id_key = "anonymousId" if _is_anonymous(name, distinct_id, properties) else "userId"
        message[id_key] = distinct_id
        sources[id_key] = distinct_field
        if name == "$groupidentify":
            message.update(
                type="group",
                groupId=properties.get("$group_key"),
                traits=_dict(properties, "$group_set"),
            )
            sources.update(groupId="properties.$group_key", traits="properties.$group_set")
            if isinstance(properties.get("$group_type"), str):
                message["context"]["groupType"] = properties["$group_type"]
        elif name == "$pageview":
            message["type"] = "page"
            for key, value in message["context"].get("page", {}).items():
                properties.setdefault(key, value)
        elif name == "$screen":
            message.update(type="screen", name=properties.get("$screen_name"))
            sources["name"] = "properties.$screen_name"
        else:
            message.update(type="track", event=name)
    return Translation({k: v for k, v in message.items() if v is not None}, sources)


def _properties(raw: dict[str, Any]) -> dict[str, Any]:
    given = raw.get("properties")
    if given is not None and not isinstance(given, dict):
        raise InvalidInput(f"must be a JSON object, not {type(given).__name__}", field="properties")
    properties = {k: v for k, v in (given or {}).items() if k not in KEY_NAMES}
    # posthog-python sends $set and $set_once at the top level, posthog-node and posthog-js inside
    # properties; person traits are read from properties, so both land there.
    for key in ("$set", "$set_once"):
        top = raw.get(key)
        if top is None:
            continue
        if not isinstance(top, dict):
            raise InvalidInput(f"must be a JSON object, not {type(top).__name__}", field=key)
        properties[key] = {**_dict(properties, key), **top}
    for key, value in raw.items():
        if key not in EVENT_KEYS:
            properties.setdefault(key, value)
    return properties


def _dict(properties: dict[str, Any], key: str) -> dict[str, Any]:
    value = properties.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(
            f"must be a JSON object, not {type(value).__name__}", field=f"properties.{key}"
        )
    return value


def _check_key(raw: dict[str, Any], api_key: str | None) -> None:
    if api_key is None:
        return
    for holder, prefix in ((raw, ""), (raw.get("properties"), "properties.")):
        found = _key(holder)
        if found is not None and found[1] != api_key:
            raise InvalidInput(
                "names a different write key than the one the request was accepted with",
                field=prefix + found[0],
                code="mixed_write_keys",
            )


def _timestamp(raw: dict[str, Any], received_at: datetime) -> Any:
    if raw.get("timestamp") is not None:
        return raw["timestamp"]
    offset = raw.get("offset")
    if offset is None:
        return None
    # posthog-js may send how many milliseconds ago the event happened instead of a time.
    if isinstance(offset, bool) or not isinstance(offset, int | float) or offset < 0:
        raise InvalidInput("must be a non-negative number of milliseconds", field="offset")
    return (received_at - timedelta(milliseconds=offset)).isoformat()


def _context(properties: dict[str, Any]) -> dict[str, Any]:
    """Segment context from PostHog's $-properties, so the promoted columns fill the same way."""
    context: dict[str, Any] = {}
    library = properties.get("$lib")
    if isinstance(library, str):
        version = properties.get("$lib_version")
        context["library"] = {"name": library, "version": version}
        if not isinstance(version, str):
            del context["library"]["version"]
    if isinstance(properties.get("$session_id"), str):
        context["sessionId"] = properties["$session_id"]
    url = properties.get("$current_url")
    if isinstance(url, str) and url:
        path = properties.get("$pathname")
        page = {"url": url, "path": path if isinstance(path, str) else urlsplit(url).path or "/"}
        if isinstance(properties.get("$referrer"), str):
            page["referrer"] = properties["$referrer"]
        context["page"] = page
    account = _account(properties.get("$groups"))
    if account is not None:
        context["groupId"] = account
    return context


def _account(groups: Any) -> str | None:
    if groups is None:
        return None
    if not isinstance(groups, dict):
        raise InvalidInput(
            f"must be a JSON object of group type to key, not {type(groups).__name__}",
            field="properties.$groups",
        )
    keys = {
        kind: str(key)
        for kind, key in groups.items()
        if isinstance(key, str | int) and not isinstance(key, bool) and str(key)
    }
    for kind in ACCOUNT_GROUP_TYPES:
        if kind in keys:
            return keys[kind]
    return next(iter(keys.values()), None)


def _is_anonymous(event: str, distinct_id: Any, properties: dict[str, Any]) -> bool:
    """Whether distinct_id names a device or visitor rather than a known user.

    Server libraries send the application's user id, so that is the default. PostHog says
    otherwise when the event is personless, when posthog-js marks the visitor as not yet
    identified (or, without that mark, its distinct_id is still the device id), or when
    posthog-node made up ``$<type>_<key>`` for a group call without a user.
    """
    if properties.get("$process_person_profile") is False:
        return True
    if isinstance(properties.get("$is_identified"), bool):
        return not properties["$is_identified"]
    if properties.get("$device_id") is not None and properties["$device_id"] == distinct_id:
        return True
    made_up = f"${properties.get('$group_type')}_{properties.get('$group_key')}"
    return event == "$groupidentify" and distinct_id == made_up
