"""The tracking APIs: Segment's /v1/batch and one endpoint per message type, and PostHog's
capture endpoints (/batch/, /capture/, /e/), sharing write keys, validation and the writer."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from waypost.db.base import utcnow
from waypost.errors import InvalidInput, Unauthorized, WaypostError
from waypost.tracking.auth import app_for_key, key_from_basic_auth
from waypost.tracking.bodies import MAX_BATCH_BYTES, MAX_EVENT_BYTES, PayloadTooLarge, decode_body
from waypost.tracking.messages import Message, parse_time, validate_message
from waypost.tracking.posthog import read_body, read_capture, validate_event
from waypost.tracking.rows import to_row
from waypost.tracking.rules import MESSAGE_SIZE

SINGLE_TYPES = ("track", "identify", "page", "screen", "group", "alias")
# PostHog's clients post to these with a trailing slash; both spellings are served directly,
# because a redirect loses the events (requests turns a redirected POST into a GET).
POSTHOG_PATHS = ("/batch", "/capture", "/e", "/i/v0/e")
# Browsers call these from customers' pages on any origin; write keys are public by design.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding",
    "Access-Control-Max-Age": "86400",
}


def _answer(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=CORS_HEADERS)


def _error_answer(exc: WaypostError, extra: dict[str, Any] | None = None) -> JSONResponse:
    headers = {**CORS_HEADERS, **exc.headers()}
    return JSONResponse({**exc.as_body(), **(extra or {})}, status_code=exc.status, headers=headers)


async def _app_for_key(request: Request, key: str, field: str) -> str:
    """The app of a write key; both tracking APIs resolve keys here (``field`` is where their
    clients put the key)."""
    return await app_for_key(request.app.state.write_keys, key, field)


async def _app_id(request: Request, body: Any) -> str:
    key = key_from_basic_auth(request.headers.get("authorization"))
    if key is None and isinstance(body, dict) and isinstance(body.get("writeKey"), str):
        key = body["writeKey"]
    if not key:
        raise Unauthorized(
            "send the write key as HTTP Basic user name or as writeKey in the body",
            field="writeKey",
        )
    return await _app_for_key(request, key, "writeKey")


async def _store(
    request: Request,
    app_id: str,
    raws: Sequence[Any],
    validate: Callable[[Any], Message],
    prefix: str | None,
) -> tuple[int, dict[str, Any]]:
    """Validate each raw message, store the good ones, and report each bad one by index and field.

    ``prefix`` names messages in reports (``batch`` → ``batch[1].event``); None for a single one.
    """
    rows = []
    rejected: list[dict[str, Any]] = []
    matches: Callable[[str, str], bool] | None = None
    looked_up = False
    for index, raw in enumerate(raws):
        try:
            message = validate(raw)
            if _about_guidance(message):
                if not looked_up:
                    matches, looked_up = await _identity_check(request, app_id), True
                if matches is not None:
                    _check_user_hash(message, matches)
        except InvalidInput as exc:
            head = "" if prefix is None else f"{prefix}[{index}]"
            field = ".".join(part for part in (head, exc.field or "") if part) or None
            rejected.append(
                {"index": index, "field": field, "code": exc.code, "message": exc.message}
            )
            continue
        rows.append(to_row(app_id, message))
    if not rows:
        refused = _nothing_stored(rejected)
        return refused.status, {**refused.as_body(), "rejected": rejected}
    await request.app.state.events.ingest(rows)
    return 200, {"success": True, "accepted": len(rows), "rejected": rejected}


# Events that change a user's guidance state; with identity verification on they must carry
# context.userHash, as decide requests carry userHash.
GUIDANCE_STATE_EVENTS = frozenset(
    {
        "$task_completed",
        "$survey_shown",
        "$survey_answered",
        "$survey_dismissed",
        "$holdout_assigned",
    }
)


def _about_guidance(message: Message) -> bool:
    event = message.event
    return (
        message.user_id is not None
        and event is not None
        and (event.startswith("$guide_") or event in GUIDANCE_STATE_EVENTS)
    )


async def _identity_check(request: Request, app_id: str) -> Callable[[str, str], bool] | None:
    """How to check a user's hash when the app verifies identities, else None (the guidance
    slice's gate, installed by the app, knows; no gate: no app verifies)."""
    gate = getattr(request.app.state, "identity_gate", None)
    if gate is None:
        return None
    known, secret = gate.cached(app_id)
    if not known:
        secret = await run_in_threadpool(gate.secret, app_id)
    return None if secret is None else functools.partial(gate.matches, secret)


def _check_user_hash(message: Message, matches: Callable[[str, str], bool]) -> None:
    given = message.context.get("userHash")
    if not isinstance(given, str) or not matches(message.user_id or "", given):
        raise InvalidInput(
            "this app verifies identities: a guidance event about a user needs "
            "context.userHash = HMAC-SHA256(secret, userId)",
            field="context.userHash",
            code="identity_unverified",
        )


def _nothing_stored(rejected: list[dict[str, Any]]) -> WaypostError:
    """The error of a request with no valid message, naming the first one: 413 when every message
    was too large (so a single oversized message gets the status of an oversized body), else 422."""
    first = rejected[0] if rejected else {"field": "batch", "message": "the batch is empty"}
    if rejected and all(refusal["code"] == MESSAGE_SIZE.code for refusal in rejected):
        return PayloadTooLarge(first["message"], field=first["field"], code=MESSAGE_SIZE.code)
    return InvalidInput(first["message"], field=first["field"])


async def _ingest(request: Request, implied_type: str | None) -> JSONResponse:
    received_at = utcnow()
    try:
        body = decode_body(
            await request.body(),
            request.headers.get("content-encoding"),
            MAX_BATCH_BYTES if implied_type is None else MAX_EVENT_BYTES,
        )
        app_id = await _app_id(request, body)
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object")
        batch_sent_at = parse_time(body["sentAt"], "sentAt") if body.get("sentAt") else None
        if implied_type is None:
            messages = body.get("batch")
            if not isinstance(messages, list):
                raise InvalidInput("must be a list of messages", field="batch")
        else:
            messages = [body]
        status, answer = await _store(
            request,
            app_id,
            messages,
            lambda raw: validate_message(raw, received_at, batch_sent_at, implied_type),
            "batch" if implied_type is None else None,
        )
    except WaypostError as exc:
        return _error_answer(exc)
    return _answer(status, answer)


async def batch(request: Request) -> JSONResponse:
    """Up to 500 KB of messages; good ones are stored even when others are rejected."""
    return await _ingest(request, None)


def _single(kind: str) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def endpoint(request: Request) -> JSONResponse:
        return await _ingest(request, kind)

    endpoint.__doc__ = f"One {kind} message (Segment's /v1/{kind})."
    endpoint.__name__ = f"single_{kind}"
    return endpoint


async def preflight(request: Request) -> Response:
    """CORS preflight for browsers (analytics.js, posthog-js) sending events from any origin."""
    return Response(status_code=204, headers=CORS_HEADERS)


async def capture(request: Request) -> JSONResponse:
    """PostHog events, one or a batch; answered 200 (the only success posthog-python accepts)."""
    received_at = utcnow()
    try:
        body = read_body(
            await request.body(),
            request.headers.get("content-type"),
            request.headers.get("content-encoding"),
        )
        read = read_capture(body)
        if not read.api_key:
            raise Unauthorized(
                "send the write key as api_key in the body (or token in each event's properties)",
                field="api_key",
            )
        app_id = await _app_for_key(request, read.api_key, "api_key")
        status, answer = await _store(
            request,
            app_id,
            read.events,
            lambda raw: validate_event(raw, received_at, read.sent_at, read.api_key),
            read.prefix,
        )
    except WaypostError as exc:
        # posthog-python logs `detail` from an error body; PostHog's own server sends it.
        return _error_answer(exc, {"detail": exc.message})
    if status != 200:
        answer["detail"] = answer["error"]["message"]
    return _answer(status, answer)


# The app serves these ahead of the admin API, as plain Starlette routes: the endpoints read the
# request as it comes and need none of FastAPI's parameter handling, which cost more than the
# endpoint itself for a one-event request (browsers send one event per request). They are not
# in the admin API's OpenAPI document; docs/tracking.md describes them.
routes: list[BaseRoute] = [
    Route("/v1/batch", batch, methods=["POST"]),
    *(Route(f"/v1/{kind}", _single(kind), methods=["POST"]) for kind in SINGLE_TYPES),
    Route("/v1/{path:path}", preflight, methods=["OPTIONS"]),
    *(
        Route(spelling, endpoint, methods=[method])
        for path in POSTHOG_PATHS
        for spelling in (path, path + "/")
        for method, endpoint in (("POST", capture), ("OPTIONS", preflight))
    ),
]
