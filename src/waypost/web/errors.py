"""Every error leaves as ``{"error": {"code", "message", "field"}}``; never a bare 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from waypost.errors import WaypostError

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
    **extra: Any,
) -> JSONResponse:
    """A JSON error response in Waypost's one shape."""
    body: dict[str, Any] = {"code": code, "message": message, "field": field, **extra}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def describe_location(loc: tuple[int | str, ...]) -> str | None:
    """Pydantic's error location as a dotted field path, without the 'body'/'query' prefix."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or None


async def _waypost_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WaypostError)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    extra = {"problems": exc.problems} if exc.problems else {}
    return error_response(exc.status, exc.code, exc.message, exc.field, headers, **extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": describe_location(tuple(err["loc"])), "message": err["msg"]}
        for err in exc.errors()
    ]
    first = problems[0] if problems else {"field": None, "message": "invalid request"}
    return error_response(422, "invalid", str(first["message"]), first["field"], problems=problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
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
