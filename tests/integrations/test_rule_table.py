"""One rule table, two paths: every rule of `tracking.RULES` is broken, field by field, by a message
that breaks nothing else, and the request path (`validate_message`, and `/v1/batch` over HTTP) and
the import (its SQL, then `validate_message` for what the SQL does not accept) must refuse it with
the same code and field. A rule added to the table fails here until it has such a message and both
paths refuse it; a refusal the request path makes outside the table fails here too."""

from __future__ import annotations

import ast
import base64
import inspect
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from waypost.events import DuckDBEventStore
from waypost.integrations import Rejection, import_events
from waypost.tracking import RULES, BrokenRule, checks_sql, decode_body, messages, validate_message

RECEIVED = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
GOOD = {"type": "track", "event": "E", "userId": "u", "timestamp": "2024-01-01T00:00:00Z"}
DROP = object()
ORIGINAL = {"timestamp": DROP, "originalTimestamp": "2024-01-01T00:00:00Z"}


def _message(base: dict[str, Any] = GOOD, **changes: Any) -> str:
    """A message's JSON text: `base` with `changes` (DROP removes a key)."""
    merged = {**base, **changes}
    return json.dumps({key: value for key, value in merged.items() if value is not DROP})


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


def _page(**changes: Any) -> str:
    return _message({**GOOD, "type": "page", "event": DROP}, **changes)


# For each rule and each field it names (None: the message itself), a message that breaks that
# rule there and keeps every other rule.
BREAKS: dict[tuple[str, str | None], str] = {
    ("message_object", None): "[1, 2]",
    ("known_key", None): _message(userID="u"),
    ("unicode", None): _message(properties={"text": "\ud800"}),
    ("storable", None): _message(properties={"n": 2**64}),
    ("message_size", None): _message(properties={"big": "b" * 33_000}),
    ("finite", None): _message()[:-1] + ', "properties": {"x": [1, 1e400]}}',
    ("message_type", "type"): _message(type="Track"),
    **{("identifier_kind", key): _message(**{key: True}) for key in ("userId", "groupId")},
    ("identifier_kind", "anonymousId"): _message(anonymousId={"id": 1}),
    ("identifier_kind", "previousId"): _message(previousId=["p"]),
    ("identifier_kind", "messageId"): _message(messageId=False),
    **{("identifier_empty", key): _message(**{key: " \u3000"}) for key in ("userId", "groupId")},
    ("identifier_empty", "anonymousId"): _message(anonymousId=""),
    ("identifier_empty", "previousId"): _message(previousId="\t"),
    ("identifier_empty", "messageId"): _message(messageId=""),
    **{
        ("identifier_length", key): _message(**{key: "é" * 256})
        for key in ("userId", "anonymousId", "previousId", "groupId", "messageId")
    },
    ("alias_ids", "previousId"): _message(type="alias", event=DROP),
    ("some_id", "userId"): _message(userId=DROP),
    ("group_id", "groupId"): _message(type="group", event=DROP),
    ("event_required", "event"): _message(event=DROP),
    ("name_text", "event"): _message(event="  "),
    ("name_text", "name"): _page(name=7),
    ("name_length", "event"): _message(event="y" * 256),
    ("name_length", "name"): _page(name=" " + "y" * 255),
    ("time_text", "timestamp"): _message(timestamp=1700000000),
    ("time_text", "originalTimestamp"): _message(**{**ORIGINAL, "originalTimestamp": True}),
    ("time_text", "sentAt"): _message(**ORIGINAL, sentAt=5),
    ("time_format", "timestamp"): _message(timestamp="2024-02-30T00:00:00Z"),
    ("time_format", "originalTimestamp"): _message(**{**ORIGINAL, "originalTimestamp": "soon"}),
    ("time_format", "sentAt"): _message(**ORIGINAL, sentAt="yesterday"),
    ("time_range", "timestamp"): _message(timestamp="0001-01-01T00:00:00+01:00"),
    ("time_range", "originalTimestamp"): _message(
        **{**ORIGINAL, "originalTimestamp": "0001-01-01T00:30:00+02:00"}
    ),
    ("time_range", "sentAt"): _message(**ORIGINAL, sentAt="0001-01-01T00:00:00+05:00"),
    ("corrected_time", "originalTimestamp"): _message(
        **{**ORIGINAL, "originalTimestamp": "2000-01-01T00:00:00Z"}, sentAt="9999-12-31T00:00:00Z"
    ),
    ("not_future", "timestamp"): _message(timestamp="2999-01-01T00:00:00Z"),
    ("not_future", "originalTimestamp"): _message(
        **{**ORIGINAL, "originalTimestamp": "2999-01-01T00:00:00Z"}
    ),
    ("not_before_2000", "timestamp"): _message(timestamp="1999-12-31T23:59:59Z"),
    ("not_before_2000", "originalTimestamp"): _message(
        **{**ORIGINAL, "originalTimestamp": "1999-12-31"}
    ),
    ("object", "properties"): _message(properties=["plan"]),
    ("object", "traits"): _message(traits="pro"),
    ("object", "context"): _message(context=5),
    # One level past the limit: {"d": _nested(14)} in properties is the deepest kept.
    ("nesting", "properties"): _message(properties={"d": _nested(15)}),
    ("nesting", "traits"): _message(traits={"d": _nested(16)}),
    ("nesting", "context"): _message(context={"a": {"b": _nested(14)}}),
}
CASES = [(rule, field) for rule in RULES for field in rule.proofs]


def _name(rule_name: str, field: str | None) -> str:
    return f"{rule_name}@{field or 'message'}"


def _sql_accepts(texts: list[str], folder: Path) -> list[bool]:
    """Whether the SQL compiled from the table accepts each message by itself, read from a JSON
    Lines file as the import reads it (a line DuckDB cannot parse has no text and is never
    accepted)."""
    path = folder / "messages.jsonl"
    path.write_text("\n".join(texts) + "\n")
    source = (
        "SELECT json::VARCHAR AS text FROM read_json_objects("
        f"'{path}', format = 'newline_delimited', ignore_errors = true)"
    )
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")  # as the import runs it
        checked = checks_sql(source, RECEIVED)
        rows = connection.sql(f"SELECT accepted FROM ({checked})").fetchall()
    return [bool(accepted) for (accepted,) in rows]


def _live(text: str) -> BrokenRule | None:
    try:
        validate_message(decode_body(text.encode(), None), RECEIVED)
    except BrokenRule as exc:
        return exc
    return None


def test_every_rule_has_a_message_that_breaks_it_at_each_field() -> None:
    wanted = {(rule.name, field) for rule, field in CASES}
    assert sorted(wanted - set(BREAKS), key=str) == [], "add a message that breaks each"
    assert sorted(set(BREAKS) - wanted, key=str) == [], "these are not rules of the table"


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


def test_each_broken_rule_gets_the_same_verdict_on_the_request_path_and_the_import(
    client: TestClient, tenant: Tenant, tmp_path: Path
) -> None:
    names = [_name(rule.name, field) for rule, field in CASES]
    texts = [BREAKS[rule.name, field] for rule, field in CASES]

    # The request path, in process: refused by this very rule, at this field (or inside it).
    live = {name: _live(text) for name, text in zip(names, texts, strict=True)}
    assert {name: refusal and refusal.rule.name for name, refusal in live.items()} == {
        name: rule.name for name, (rule, _) in zip(names, CASES, strict=True)
    }
    for name, (_, field) in zip(names, CASES, strict=True):
        at = live[name].field if live[name] is not None else None  # type: ignore[union-attr]
        assert field is None or at == field or str(at).startswith((f"{field}.", f"{field}[")), name
    expected = {name: (r.code, r.field) for name, r in live.items() if r is not None}

    # The same over HTTP, all in one batch with a good message, which is stored.
    body = '{"batch": [' + ", ".join([*texts, _message(messageId="kept")]) + "]}"
    key = base64.b64encode(f"{tenant.app.write_key}:".encode()).decode()
    answer = client.post("/v1/batch", content=body, headers={"Authorization": f"Basic {key}"})
    assert answer.status_code == 200
    assert answer.json()["accepted"] == 1
    over_http = {}
    for refusal in answer.json()["rejected"]:
        prefix = f"batch[{refusal['index']}]"
        field = refusal["field"]
        at = None if field == prefix else field.removeprefix(prefix + ".")
        over_http[names[refusal["index"]]] = (refusal["code"], at)
    assert over_http == expected

    # The import: its SQL accepts none of them by itself, and what Python then says is the same.
    assert dict(zip(names, _sql_accepts(texts, tmp_path), strict=True)) == dict.fromkeys(
        names, False
    )
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join([*texts, _message(messageId="kept")]) + "\n")
    refusals: list[Rejection] = []
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    try:
        summary = import_events(
            store, "app", path, received_at=RECEIVED, on_rejection=refusals.append
        )
    finally:
        store.close()
    assert summary.stored == 1
    assert {names[r.line - 1]: (r.code, r.field) for r in refusals} == expected


# Messages at the edges of the rules, kept by both paths; the SQL must accept them itself, or the
# import would send every such message through Python.
KEEPS = [
    _message(),
    _message(userId="é" * 255, anonymousId=" a ", groupId=42, messageId="m" * 255),
    _message(event=" " + "y" * 254, properties={"d": _nested(14)}, context={"page": {"url": "/"}}),
    _message(type="identify", event=DROP, traits={"plan": "pro"}, userId=-12),
    _message(type="alias", event=DROP, previousId="p"),
    _message(type="group", event=DROP, groupId="acme"),
    _message(type="page", event=DROP, name="Pricing", properties={"n": [1e15, -2, 0.5]}),
    _message(type="screen", event=DROP, anonymousId="a", userId=DROP),
    _message(**ORIGINAL, sentAt="2024-01-01T00:01:00+01:00"),
    _message(timestamp="2026-11-24T11:59:59.999999Z", properties={"big": "b" * 7_000}),
    _message(timestamp="2000-01-01"),
    _message(integrations={"All": True}, context={"library": {"name": "analytics.js"}}),
]


def test_messages_that_keep_every_rule_are_accepted_by_the_sql_itself(tmp_path: Path) -> None:
    assert [_live(text) for text in KEEPS] == [None] * len(KEEPS)
    assert _sql_accepts(KEEPS, tmp_path) == [True] * len(KEEPS)


def test_the_request_path_refuses_only_by_rules_of_the_table() -> None:
    tree = ast.parse(inspect.getsource(messages))
    outside = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise)
        and node.exc is not None
        and not (
            isinstance(node.exc, ast.Call)
            and isinstance(node.exc.func, ast.Attribute)
            and node.exc.func.attr == "broken"
        )
    ]
    assert outside == []
