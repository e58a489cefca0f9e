"""Every error leaves in the one envelope of :func:`waypost.errors.error_body`; never a bare 500.

The status families (docs/decisions.md, "Error statuses"): 400 when the body cannot be read at
all, 413 when it is too large, 422 when it is read but its content is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from waypost.errors import WaypostError, error_body

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    """A JSON error response in Waypost's one envelope."""
    return JSONResponse(
        error_body(code, message, field, problems), status_code=status, headers=headers
    )


def describe_location(loc: tuple[int | str, ...]) -> str | None:
    """Pydantic's error location as a dotted field path, without the 'body'/'query' prefix."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or None


async def _waypost_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WaypostError)
    return JSONResponse(exc.as_body(), status_code=exc.status, headers=exc.headers())


def _malformed_json(exc: RequestValidationError) -> JSONResponse | None:
    # FastAPI reports a body that is not JSON as a validation error; it is unreadable, so 400,
    # worded like the tracking API's answer to the same mistake.
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            document = exc.body if isinstance(exc.body, str) else ""
            position = err["loc"][-1] if isinstance(err["loc"][-1], int) else 0
            line = document.count("\n", 0, position) + 1
            column = position - document.rfind("\n", 0, position)
            reason = err.get("ctx", {}).get("error", err["msg"])
            return error_response(
                400, "malformed_json", f"malformed JSON at line {line}, column {column}: {reason}"
            )
    return None


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if (unreadable := _malformed_json(exc)) is not None:
        return unreadable
    problems = [
        {"field": describe_location(tuple(err["loc"])), "message": err["msg"]}
        for err in exc.errors()
    ]
    first = problems[0] if problems else {"field": None, "message": "invalid request"}
    return error_response(422, "invalid", str(first["message"]), first["field"], problems=problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's "There was an error parsing the body": say what, as the tracking API does.
        cause = exc.__cause__
        message = f"the body is not valid UTF-8 (byte {cause.start}: {cause.reason})"
        return error_response(400, "invalid_utf8", message)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and exc.detail == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}"
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    return error_response(exc.status_code, code, message, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Route every expected exception type to its JSON rendering.

    Unexpected exceptions are answered by the observability middleware, which knows the request id.
    """
    app.add_exception_handler(WaypostError, _waypost_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
