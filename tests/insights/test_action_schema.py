"""What the OpenAPI document allows for an action, the server accepts, and what it refuses the
document refuses too: each body below is checked by both, and they must agree."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from waypost.app import create_app
from waypost.insights.actions import ActionIn
from waypost.settings import Settings

BODIES: list[dict[str, Any]] = [
    {"name": "A", "steps": [{"event": "Paid"}]},
    {"name": "A", "steps": [{"url": "/pricing"}]},
    {"name": "A", "steps": [{"selector": "#buy", "text": "Buy"}]},
    {"name": "A", "steps": [{"where": [{"property": "plan", "value": "pro"}]}]},
    {"name": "A", "steps": [{"where": [{"property": "plan", "op": "in", "value": ["a", "b"]}]}]},
    {"name": "A", "steps": [{"where": [{"property": "n", "op": "gte", "value": 3}]}]},
    {"name": "A", "steps": [{"where": [{"property": "n", "op": "is_set"}]}]},
    {
        "name": "A",
        "steps": [{"event": "X", "where": [{"property": "t", "op": "contains", "value": "x"}]}],
    },
    # refused by both
    {"name": "A", "steps": [{}]},
    {"name": "A", "steps": [{"url_match": "exact"}]},
    {"name": "A", "steps": [{"where": []}]},
    {"name": "A", "steps": [{"event": ""}]},
    {"name": "A", "steps": [{"event": None}]},
    {"name": "A", "steps": [{"where": [{"property": "plan"}]}]},
    {"name": "A", "steps": [{"where": [{"property": "plan", "op": "in", "value": []}]}]},
    {"name": "A", "steps": [{"where": [{"property": "plan", "op": "in", "value": "pro"}]}]},
    {"name": "A", "steps": [{"where": [{"property": "n", "op": "gt", "value": "3"}]}]},
    {"name": "A", "steps": [{"where": [{"property": "n", "op": "gt", "value": True}]}]},
    {"name": "A", "steps": [{"where": [{"property": "n", "op": "is_set", "value": 1}]}]},
    {"name": "A", "steps": [{"where": [{"property": "t", "op": "regex", "value": 3}]}]},
    {"name": "A", "steps": [{"where": [{"property": "p", "op": "eq", "value": ["x"]}]}]},
    {"name": "A", "steps": [{"where": [{"property": "", "value": "x"}]}]},
    {"name": "A", "steps": [{"where": [{"property": "a\nb", "value": "x"}]}]},
]


@pytest.fixture(scope="module")
def validator(tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("schema")))
    document = app.openapi()
    body = document["paths"]["/api/v1/actions"]["post"]["requestBody"]["content"]
    schema = {**body["application/json"]["schema"], "components": document["components"]}
    return jsonschema_rs.validator_for(schema)


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_the_document_and_the_server_agree_on_an_action(
    validator: Any, body: dict[str, Any]
) -> None:
    try:
        ActionIn.model_validate(body)
        accepted = True
    except ValidationError:
        accepted = False
    assert validator.is_valid(body) is accepted
