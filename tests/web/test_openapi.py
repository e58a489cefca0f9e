"""The admin API's OpenAPI document declares every error answer, in the one error envelope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

ENVELOPE_REF = "#/components/schemas/ErrorEnvelope"


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    spec: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    return spec


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_operation_declares_the_errors_any_call_can_get(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        for status in ("401", "403", "404", "429", "503"):
            assert status in responses, (method, path, status)
        if "parameters" in operation or "requestBody" in operation:
            assert "422" in responses, (method, path)
        if "requestBody" in operation:
            assert "400" in responses, (method, path)


def test_every_declared_error_is_the_envelope(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": ENVELOPE_REF}, (method, path, status)
                assert response["description"]


def test_fastapi_validation_error_shape_is_gone_from_the_document(
    document: dict[str, Any],
) -> None:
    # FastAPI documents 422 as {"detail": [...]}, which Waypost never sends.
    assert "HTTPValidationError" not in json.dumps(document)
    envelope = document["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["error"]
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message", "field"}


def test_retry_after_is_declared_where_the_server_sends_it(document: dict[str, Any]) -> None:
    rotate = document["paths"]["/api/v1/apps/{app_id}/keys/rotate"]["post"]["responses"]
    assert "Retry-After" in rotate["429"]["headers"]
    assert "Retry-After" in rotate["503"]["headers"]
    assert "headers" not in rotate["404"]


def test_conflict_is_declared_on_changes_only(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert "409" in paths["/api/v1/actions"]["post"]["responses"]
    assert "409" not in paths["/api/v1/actions"]["get"]["responses"]
    # A POST only because the query is too rich for a query string: it changes nothing.
    assert "409" not in paths["/api/v1/insights/query"]["post"]["responses"]


def test_every_reference_in_the_document_resolves(document: dict[str, Any]) -> None:
    # An unresolvable $ref breaks generated clients (issue 18 found one in the insights query).
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [ref for value in node.values() for ref in refs(value)]
        if isinstance(node, list):
            return [ref for value in node for ref in refs(value)]
        return []

    def resolves(ref: str) -> bool:
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return False
            target = target[part]
        return True

    found = refs(document)
    assert found
    assert [ref for ref in found if not resolves(ref)] == []
