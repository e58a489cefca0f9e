"""Errors as values: a code, a message a person understands, the field at fault, an HTTP status.

Every slice raises these. Every error answer, from the admin API, the tracking API or the server's
last-resort handler, is the envelope :func:`error_body` builds; docs/decisions.md says which
status each kind of bad request gets.
"""

from __future__ import annotations

from typing import Any


def error_body(
    code: str,
    message: str,
    field: str | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The one error envelope: ``{"error": {"code", "message", "field"}}``, plus ``problems``
    (every problem found, each with ``field`` and ``message``) when there were several."""
    error: dict[str, Any] = {"code": code, "message": message, "field": field}
    if problems:
        error["problems"] = problems
    return {"error": error}


class WaypostError(Exception):
    """Base of every error a caller should see."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        problems: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # Every problem found, when there were several (the first is `message` and `field`).
        self.problems = problems
        # Seconds after which trying again may succeed (sent as Retry-After).
        self.retry_after = retry_after
        if code is not None:
            self.code = code

    def as_body(self) -> dict[str, Any]:
        """The JSON body sent to API callers."""
        return error_body(self.code, self.message, self.field, self.problems)

    def headers(self) -> dict[str, str]:
        """The HTTP headers that go with the answer: Retry-After when trying again may succeed."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class InvalidInput(WaypostError):
    status = 422
    code = "invalid"


class Unauthorized(WaypostError):
    status = 401
    code = "unauthorized"


class Forbidden(WaypostError):
    status = 403
    code = "forbidden"


class NotFound(WaypostError):
    status = 404
    code = "not_found"


class Conflict(WaypostError):
    status = 409
    code = "conflict"


class TooManyRequests(WaypostError):
    status = 429
    code = "too_many_requests"
    retry_after: int  # always given

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, retry_after=retry_after)


class Unavailable(WaypostError):
    """The server cannot do this now (a store is failing); trying again later may succeed."""

    status = 503
    code = "unavailable"
