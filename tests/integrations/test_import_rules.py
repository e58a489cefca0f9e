"""The import keeps the live API's rules: random messages, good and bad in many ways, are written to
a JSON Lines file and imported, and each line must fare exactly as `validate_message` + `to_row`
(plus the import's two rules of its own) say it fares live: the same lines accepted, the same field
named for each rejected one, and the same row stored for each accepted one."""

from __future__ import annotations

import hashlib
import itertools
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.conftest import examples
from waypost.errors import WaypostError
from waypost.events import DuckDBEventStore, to_table
from waypost.integrations import import_events
from waypost.tracking.bodies import decode_body
from waypost.tracking.messages import validate_message
from waypost.tracking.rows import to_row

APP = "app-under-test"
RECEIVED = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)
KINDS = ["track", "identify", "page", "screen", "group", "alias"]

# ---------------------------------------------------------------- messages, good and bad

texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(' \t\u3000\\"'),
    max_size=12,
)
padded = st.builds(lambda a, t, b: a + t + b, st.sampled_from(["", " ", "\u2003", "\n"]), texts,
                   st.sampled_from(["", " ", "\xa0", "\t"]))  # fmt: skip
# Lengths about the 255-character limit, padded or not, in bytes and in characters.
long_text = st.builds(
    lambda n, pad, char: char * n + pad,
    st.integers(254, 257),
    st.sampled_from(["", " "]),
    st.sampled_from(["x", "é", "\U0001f600"]),
)
# Integers about the 64-bit limits (beyond them a message cannot be stored).
edge_integers = st.sampled_from(
    [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30, -(10**30)]
)
numbers = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
scalars = st.none() | st.booleans() | numbers | texts
good_ids = st.one_of(
    st.text("abcdefgh-_0123456789", min_size=1, max_size=10),
    st.text("abcdefgh-_0123456789", min_size=1, max_size=10),
    st.integers(0, 10**6),
    padded.filter(str.strip),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    long_text,
)
bad_ids = st.one_of(
    long_text,
    st.booleans(),
    st.sampled_from(["", "   ", "\u3000"]),
    st.just([]),
    st.just({"id": 1}),
)
good_names = st.sampled_from(["Signed Up", "Pricing", "  Padded  ", " " + "y" * 254]) | long_text
bad_names = st.one_of(long_text, st.sampled_from(["", " \t"]), st.integers(0, 9), st.just(["E"]))


def _render_time(when: datetime, shape: str, fraction: int) -> str:
    text = when.strftime(shape)
    if ".%f" in shape and fraction != 6:
        whole, rest = text.split(".", 1)
        text = whole + ("." + rest[:fraction] if fraction else "") + rest[6:]
    return text


SHAPES = [
    "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S.%f+02:00",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S-11:30", "%Y-%m-%d", "%Y-%m-%dT%H:%M",
    "%Y-%m-%dt%H:%M:%S", "%Y%m%dT%H%M%S", " %Y-%m-%dT%H:%M:%SZ ", "%Y-%m-%dT%H:%M:%S+0530",
]  # fmt: skip
good_times = st.builds(
    _render_time,
    st.datetimes(datetime(2000, 1, 2), datetime(2026, 11, 23), timezones=st.just(UTC)),
    st.sampled_from(SHAPES[:6] * 3 + SHAPES),
    st.integers(0, 7),
)
bad_times = st.one_of(
    st.builds(
        _render_time,
        st.datetimes(datetime(1990, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC)),
        st.sampled_from(SHAPES),
        st.integers(0, 7),
    ),
    st.sampled_from(
        ["2024-02-30T00:00:00Z", "not a time", "", "2024-13-01", "9999-12-31",
         "1999-12-31T23:59:59Z", "2026-11-24T12:00:00.123457Z", "2026-11-24T12:00:00.123456Z",
         "0001-01-01T00:00:00+01:00"]
    ),
    st.integers(0, 2**40),
)  # fmt: skip


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
promoted = scalars | st.sampled_from(["https://example.com/a?b=1", "/a", ""])
contexts = st.fixed_dictionaries(
    {},
    optional={
        "page": st.fixed_dictionaries(
            {}, optional={"url": promoted, "path": promoted, "referrer": promoted, "title": texts}
        )
        | scalars,
        "groupId": scalars | st.sampled_from([{"id": 1}, "", "acme", True, 2**70]),
        "sessionId": scalars,
        "library": st.just({"name": "analytics.js", "version": "4.1.0"}),
        "more": documents,
    },
)
properties = st.fixed_dictionaries(
    {},
    optional={
        "url": promoted,
        "path": promoted,
        "referrer": promoted,
        "$element_selector": promoted,
        "$element_text": promoted,
        "$content_id": promoted,
        "$content_step": st.sampled_from([0, 2**31 - 1, 2**31, -(2**31) - 1, 2.0]) | scalars,
        "plan": documents,
        "$set": st.dictionaries(st.sampled_from(["plan", "email"]), scalars, max_size=2),
        "exponent": st.sampled_from([1e15, 1e16, 1e-7, 12345678901234567.0, 0.5, 1e300]),
        "escaped": st.sampled_from(["\U0001f600 smile", "tab\tand\u0001", "quote\"", "\u2028"]),
    },
)  # fmt: skip


def _valid(kind: str, draw: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"type": kind}
    if kind == "alias":
        message |= {"userId": draw(good_ids), "previousId": draw(good_ids)}
    else:
        user, anonymous = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
        message |= {"userId": draw(good_ids)} if user else {}
        message |= {"anonymousId": draw(good_ids)} if anonymous else {}
    if kind == "track":
        message["event"] = draw(good_names)
    if kind in ("page", "screen") and draw(st.booleans()):
        message["name"] = draw(good_names)
    if kind == "group" or draw(st.integers(0, 4)) == 0:
        message["groupId"] = draw(good_ids)
    if draw(st.booleans()):
        message["messageId"] = draw(good_ids)
    timing = draw(st.sampled_from(["timestamp", "original", "original+sent"]))
    message["timestamp" if timing == "timestamp" else "originalTimestamp"] = draw(good_times)
    if timing == "original+sent":
        message["sentAt"] = draw(good_times)
    for key, values in (("properties", properties), ("traits", properties), ("context", contexts)):
        if draw(st.integers(0, 3)):
            message[key] = draw(values)
    if draw(st.integers(0, 5)) == 0:
        message[draw(st.sampled_from(["channel", "integrations", "_metadata", "version"]))] = draw(
            documents
        )
    return message


def _mutate(message: dict[str, Any], draw: Any) -> None:
    """One way a sender gets a message wrong (or merely unusual)."""
    key = draw(st.sampled_from(
        ["type", "id", "no ids", "event", "name", "time", "no time", "object", "deep", "big",
         "unknown", "surrogate", "null", "integer"]
    ))  # fmt: skip
    if key == "type":
        message["type"] = draw(st.sampled_from(["Track", "", "event", None, 5]))
    elif key == "id":
        message[draw(st.sampled_from(["userId", "anonymousId", "previousId", "groupId",
                                      "messageId"]))] = draw(bad_ids)  # fmt: skip
    elif key == "no ids":
        for name in ("userId", "anonymousId", "previousId"):
            message.pop(name, None)
    elif key == "event":
        message["event"] = draw(bad_names | st.none())
    elif key == "name":
        message["name"] = draw(bad_names)
    elif key == "time":
        message[draw(st.sampled_from(["timestamp", "originalTimestamp", "sentAt"]))] = draw(
            bad_times | good_times
        )
    elif key == "no time":
        message.pop("timestamp", None)
        message.pop("originalTimestamp", None)
    elif key == "object":
        message[draw(st.sampled_from(["properties", "traits", "context"]))] = draw(
            scalars | st.lists(scalars, max_size=2)
        )
    elif key == "deep":
        where = draw(st.sampled_from(["properties", "traits", "context", "integrations"]))
        message[where] = {"deep": _nested(draw(st.integers(13, 18)))}
    elif key == "big":
        message["properties"] = {"big": "b" * draw(st.integers(32_450, 32_700))}
    elif key == "unknown":
        message[draw(st.sampled_from(["userID", "extra", "Type"]))] = draw(scalars)
    elif key == "surrogate":
        message["properties"] = {
            "text": draw(st.sampled_from(["\ud800", "a\udfff", "\ud83d\ude00"]))
        }
    elif key == "integer":
        where = draw(st.sampled_from(["properties", "context", "userId", "messageId"]))
        message[where] = (
            {"n": draw(edge_integers)}
            if where in ("properties", "context")
            else draw(edge_integers)
        )
    elif key == "null":
        message[draw(st.sampled_from(["timestamp", "userId", "properties", "context", "type"]))] = (
            None
        )


@st.composite
def messages(draw: Any) -> dict[str, Any]:
    """A valid message of a random kind, with up to two things wrong or unusual about it."""
    message = _valid(draw(st.sampled_from(KINDS)), draw)
    for _ in range(draw(st.integers(0, 2))):
        _mutate(message, draw)
    return message


def _line(message: Any, compact: bool, ascii_only: bool) -> str:
    separators = (",", ":") if compact else (", ", ": ")
    text = json.dumps(message, separators=separators, ensure_ascii=ascii_only, allow_nan=True)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate can only be written escaped
        text = json.dumps(message, separators=separators, allow_nan=True)
    return text


# Lines no dict serialises to: not objects, not JSON, or JSON that parsers read differently.
ODD_LINES = [
    "[1, 2]",
    '"just text"',
    "42",
    "null",
    '{"type": "track",',
    "{}",
    "   ",
    '{"type": "track", "event": "E", "userId": "u", "timestamp": NaN}',
    '{"type":"track","event":"E","userId":"u","timestamp":"2024-01-01","properties":{"x":NaN}}',
    '{"type":"page","userId":"u","timestamp":"2024-01-01","context":{"x":-Infinity}}',
    '{"type":"track","event":"E","userId":"u","timestamp":"2024-01-01",}',
    '{"type":"track","event":"E","userId":"u","properties":{"a":[1,]},"timestamp":"2024-01-01"}',
    '{"type":"track","event":"E","userId":"u","userId":" v ","timestamp":"2024-01-01"}',
    '{"type":"track","event":"E","event":"F","userId":"u","timestamp":"2024-01-01"}',
    '{"type":"track","event":"E","userId":"u","timestamp":"2024-01-01","properties":{"x":1E400}}',
    '{"type":"track","event":"E","userId":"u","timestamp":"2024-01-01","context":{"x":-2e-999}}',
]
lines = st.builds(_line, messages(), st.booleans(), st.booleans()) | st.sampled_from(ODD_LINES)

# ---------------------------------------------------------------- what live ingestion says


def _live(text: str, app_id: str) -> dict[str, Any] | tuple[str | None, str]:
    """The row live ingestion would store for this line, or the (field, code) it refuses with."""
    try:
        raw = decode_body(text.encode("utf-8"), None)
        message = validate_message(raw, RECEIVED)
    except WaypostError as exc:
        return (exc.field, exc.code)
    except (OverflowError, ValueError):
        # Not expected from either path (both refuse with InvalidInput); kept as a refusal.
        return (None, "invalid")
    if raw.get("timestamp") is None and raw.get("originalTimestamp") is None:
        return ("timestamp", "missing_time")
    row = to_row(app_id, message)
    if message.message_id is None:
        row["message_id"] = "import-" + hashlib.md5(text.strip().encode()).hexdigest()
    return to_table([row]).to_pylist()[0]  # as the writer stores it (times in UTC, zone-less)


def _comparable(row: dict[str, Any]) -> dict[str, Any]:
    # Both are the same JSON; DuckDB writes some floats differently (1e+16 vs 10000000000000000.0).
    return {
        **{k: v for k, v in row.items() if k != "received_at"},
        "properties": json.loads(row["properties"]),
        "context": json.loads(row["context"]),
    }


def _edge(**fields: Any) -> str:
    return json.dumps(
        {"type": "track", "event": "E", "userId": "u", "timestamp": "2024-01-01"} | fields
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEventStore]:
    """One store for the module's examples, each importing into an app of its own."""
    opened = DuckDBEventStore(tmp_path_factory.mktemp("imports") / "events.duckdb")
    yield opened
    opened.close()


_apps = itertools.count(1)


@examples(200)
@example(  # numbers written short that grow past 32 KB when the message is measured
    [_edge(properties={"n": [1e15] * 1800}), _edge(properties={"n": [1e15] * 1700})], 2
)
@example(  # nesting about the limit of 16 levels, in properties and in context
    [_edge(properties={"d": _nested(n)}) for n in (14, 15, 16)]
    + [_edge(context={"d": _nested(n)}) for n in (14, 15, 16)],
    4,
)
@example([_edge(properties={"n": 2**64 - 1}), _edge(properties={"n": 2**64}), "", "  "], 1)
@example(  # promoted columns at their edges
    [_edge(properties={"$content_step": step}) for step in (2**31 - 1, 2**31, -(2**31), True, 2.0)]
    + [_edge(context={"groupId": group}) for group in (True, 42, 2**64 - 1, "", " a ", 1.5, {})]
    + [_edge(type="page", properties={"url": url, "path": "/p"}) for url in ("", 5, "https://x")]
    + [_edge(context={"page": page, "sessionId": 7}) for page in ("x", {"url": "u", "path": ""})],
    50,
)
@given(st.lists(lines, min_size=1, max_size=25), st.integers(1, 30))
def test_import_accepts_refuses_and_stores_exactly_as_live_ingestion(
    store: DuckDBEventStore, file_lines: list[str], chunk_rows: int
) -> None:
    app_id = f"{APP}-{next(_apps)}"  # each example imports into an app of its own
    expected_rows: dict[str, dict[str, Any]] = {}
    expected_refusals: dict[int, tuple[str | None, str]] = {}
    for number, text in enumerate(file_lines, start=1):
        if not text.strip(" \t\r\n\x0b\x0c"):
            continue  # blank lines are skipped, not refused
        outcome = _live(text, app_id)
        if isinstance(outcome, tuple):
            expected_refusals[number] = outcome
        else:
            expected_rows.setdefault(outcome["message_id"], outcome)
    refusals: dict[int, tuple[str | None, str]] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_text("\n".join(file_lines) + "\n", encoding="utf-8")
        summary = import_events(
            store,
            app_id,
            path,
            chunk_rows=chunk_rows,
            received_at=RECEIVED,
            on_rejection=lambda r: refusals.__setitem__(r.line, (r.field, r.code)),
        )
    cursor = store.cursor()
    result = cursor.execute(
        "SELECT * EXCLUDE (person_id, preview) FROM events WHERE app_id = ?", [app_id]
    )
    columns = [d[0] for d in result.description or ()]
    stored = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
    assert refusals == expected_refusals
    assert {row["message_id"]: _comparable(row) for row in stored} == {
        key: _comparable(row) for key, row in expected_rows.items()
    }
    assert summary.stored == len(expected_rows)
    assert all(row["received_at"] == RECEIVED.replace(tzinfo=None) for row in stored)
