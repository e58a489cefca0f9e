"""The admin API's OpenAPI document as a contract: every operation declares the error answers it
can give, each in the one error envelope, so generated clients can read every answer they get.

Declared here once, for every router, rather than route by route: a slice adding a route gets its
error answers documented without doing anything. A route may still declare a status of its own
(``responses={413: {"description": ...}}``); it gets the envelope as its body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from waypost.web.deps import changes_state

_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


class Problem(BaseModel):
    """One thing wrong with the input."""

    field: str | None = Field(description="Dotted path of the field at fault, if one is.")
    message: str


class ErrorDetail(BaseModel):
    """What went wrong, for people (`message`) and programs (`code`, `field`)."""

    code: str = Field(
        description="Stable, for programs: `invalid`, `malformed_json`, `unauthorized`, "
        "`invalid_key`, `forbidden`, `csrf`, `not_found`, `conflict`, `too_many_requests`, "
        "`unavailable`, `internal`, ..."
    )
    message: str = Field(description="What is wrong and how to put it right, in English.")
    field: str | None = Field(description="The field, parameter or header at fault, if one is.")
    problems: list[Problem] | None = Field(
        None, description="Every problem found, when the input had several (422 only)."
    )


class ErrorEnvelope(BaseModel):
    """Every error answer of the admin and tracking APIs."""

    error: ErrorDetail


ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The body cannot be read: malformed JSON, or an encoding that is not UTF-8.",
    401: "No credentials, or a secret key or session that is unknown, revoked or expired.",
    403: "The credentials may not do this: the member's role, a missing or wrong "
    "X-CSRF-Token on a change made with a console session, or a secret key on a workspace route.",
    404: "No such object for these credentials; another tenant's objects look the same.",
    409: "The change conflicts with the current state (a name in use, the last owner).",
    413: "The body is larger than this operation accepts.",
    422: "The input was read but is not valid: `field` names the first problem, `problems` all.",
    429: "Too many requests now; try again after Retry-After seconds.",
    503: "A store cannot answer now; try again after Retry-After seconds.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds after which trying again may succeed.",
        "schema": {"type": "integer"},
    }
}


def error_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an admin operation can answer with.

    Any call can be refused its credentials (401) or permission (403), name an object that is not
    the caller's (404), or meet an overloaded server (429) or a failing store (503). Input is
    refused with 422 where there is input, a body that cannot be read with 400, and a change that
    conflicts with the current state with 409.
    """
    statuses = {401, 403, 404, 429, 503}
    if "parameters" in operation or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(400)
    if changes_state(method.upper(), path):
        statuses.add(409)
    return sorted(statuses)


def declare_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Add the error envelope and each operation's error answers to an OpenAPI document, in place.

    FastAPI's own 422 (its ``HTTPValidationError`` shape, which Waypost never sends) is replaced.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(envelope.pop("$defs", {}))
    schemas[ErrorEnvelope.__name__] = envelope
    content = {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{ErrorEnvelope.__name__}"}}
    }
    for path, path_item in document.get("paths", {}).items():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            statuses = set(error_statuses(method, path, operation))
            statuses.update(int(s) for s in responses if s.isdigit() and int(s) >= 400)
            for status in sorted(statuses):
                declared = responses.get(str(status), {})
                if _is_fastapi_validation_error(declared):
                    declared = {}
                answer = {
                    "description": declared.get("description")
                    or ERROR_DESCRIPTIONS.get(status, "An error."),
                    "content": declared.get("content") or content,
                }
                if status in (429, 503):
                    answer["headers"] = _RETRY_AFTER
                responses[str(status)] = answer
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        if f'"#/components/schemas/{name}"' not in json.dumps(document["paths"]):
            schemas.pop(name, None)
    return document


def _is_fastapi_validation_error(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def install_openapi(app: FastAPI) -> None:
    """Serve the app's OpenAPI document with the error answers declared."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_error_responses(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it
