"""Segment's HTTP tracking API: /v1/batch and one endpoint per message type."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from waypost.db.base import utcnow
from waypost.errors import InvalidInput, TooManyRequests, Unauthorized, WaypostError
from waypost.tracking.auth import key_from_basic_auth
from waypost.tracking.bodies import MAX_BATCH_BYTES, MAX_EVENT_BYTES, decode_body
from waypost.tracking.messages import parse_time, validate_message
from waypost.tracking.rows import to_row

router = APIRouter(tags=["tracking"])
SINGLE_TYPES = ("track", "identify", "page", "screen", "group", "alias")
# Browsers call these from customers' pages on any origin; write keys are public by design.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding",
    "Access-Control-Max-Age": "86400",
}


def _answer(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=CORS_HEADERS)


def _error_answer(exc: WaypostError) -> JSONResponse:
    headers = dict(CORS_HEADERS)
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(exc.as_body(), status_code=exc.status, headers=headers)


async def _app_id(request: Request, body: Any) -> str:
    key = key_from_basic_auth(request.headers.get("authorization"))
    if key is None and isinstance(body, dict) and isinstance(body.get("writeKey"), str):
        key = body["writeKey"]
    if not key:
        raise Unauthorized(
            "send the write key as HTTP Basic user name or as writeKey in the body",
            field="writeKey",
        )
    write_keys = request.app.state.write_keys
    # Known keys are answered from memory; only a miss waits on the metadata database.
    known: str | None = write_keys.cached(key)
    if known is not None:
        return known
    app_id: str = await run_in_threadpool(write_keys.app_id, key)
    return app_id


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
    except WaypostError as exc:
        return _error_answer(exc)

    rows, rejected = [], []
    for index, raw in enumerate(messages):
        try:
            message = validate_message(raw, received_at, batch_sent_at, implied_type)
        except InvalidInput as exc:
            prefix = f"batch[{index}]" if implied_type is None else ""
            field = ".".join(part for part in (prefix, exc.field or "") if part) or None
            rejected.append(
                {"index": index, "field": field, "code": exc.code, "message": exc.message}
            )
            continue
        rows.append(to_row(app_id, message))
    if not rows:
        first = rejected[0] if rejected else {"field": "batch", "message": "the batch is empty"}
        return _answer(
            400,
            {
                "error": {"code": "invalid", "message": first["message"], "field": first["field"]},
                "rejected": rejected,
            },
        )
    try:
        await request.app.state.writer.write(rows)
    except WaypostError as exc:
        return _error_answer(exc)
    return _answer(200, {"success": True, "accepted": len(rows), "rejected": rejected})


@router.post("/v1/batch")
async def batch(request: Request) -> JSONResponse:
    """Up to 500 KB of messages; good ones are stored even when others are rejected."""
    return await _ingest(request, None)


def _single(kind: str):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> JSONResponse:
        return await _ingest(request, kind)

    endpoint.__doc__ = f"One {kind} message (Segment's /v1/{kind})."
    endpoint.__name__ = f"single_{kind}"
    return endpoint


for _kind in SINGLE_TYPES:
    router.add_api_route(f"/v1/{_kind}", _single(_kind), methods=["POST"])


@router.options("/v1/{path:path}", include_in_schema=False)
def preflight(path: str) -> Response:
    """CORS preflight for browsers sending events from any origin."""
    return Response(status_code=204, headers=CORS_HEADERS)
