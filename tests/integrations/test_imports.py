"""Backfilling a history of Segment messages from files: each format, what is refused and where,
running the same import twice, and persons built from imported identify messages."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from waypost.errors import InvalidInput
from waypost.events import AppendResult, DuckDBEventStore
from waypost.integrations import ImportFormat, Rejection, detect_format, import_events
from waypost.tracking import PYTHON_WHITESPACE

APP = "app-shop"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBEventStore]:
    events = DuckDBEventStore(tmp_path / "events.duckdb")
    yield events
    events.close()


def _events(store: DuckDBEventStore) -> list[dict[str, Any]]:
    cursor = store.cursor()
    result = cursor.execute("SELECT * FROM events ORDER BY timestamp, message_id")
    names = [d[0] for d in result.description or ()]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _jsonl(path: Path, *messages: dict[str, Any] | str) -> Path:
    path.write_text(
        "\n".join(m if isinstance(m, str) else json.dumps(m) for m in messages) + "\n",
        encoding="utf-8",
    )
    return path


def _import(store: DuckDBEventStore, path: Path, **options: Any) -> tuple[Any, list[Rejection]]:
    refused: list[Rejection] = []
    summary = import_events(
        store, APP, path, received_at=NOW, on_rejection=refused.append, **options
    )
    return summary, refused


# A small shop's history: Ada browses anonymously, signs up, then buys on behalf of her company.
HISTORY: list[dict[str, Any]] = [
    {
        "type": "page",
        "anonymousId": "anon-ada",
        "name": "Pricing",
        "timestamp": "2024-03-01T09:00:00Z",
        "properties": {"url": "https://shop.example/pricing", "path": "/pricing"},
    },
    {
        "type": "track",
        "anonymousId": "anon-ada",
        "event": "Plan Compared",
        "timestamp": "2024-03-01T09:01:00Z",
        "context": {"page": {"path": "/pricing", "referrer": "https://search.example/"}},
    },
    {
        "type": "identify",
        "userId": "ada",
        "anonymousId": "anon-ada",
        "messageId": "ident-1",
        "timestamp": "2024-03-01T09:05:00Z",
        "traits": {"email": "ada@example.com", "plan": "trial"},
    },
    {
        "type": "group",
        "userId": "ada",
        "groupId": "acme",
        "timestamp": "2024-03-02T08:00:00Z",
        "traits": {"name": "Acme"},
    },
    {
        "type": "track",
        "userId": "ada",
        "event": "Order Completed",
        "timestamp": "2024-03-02T10:05:00.250+01:00",
        "properties": {"total": 99.5, "$content_id": "tour-1", "$content_step": 2},
        "context": {"groupId": "acme"},
    },
]


def test_json_lines_history_is_stored_with_promoted_columns(
    store: DuckDBEventStore, tmp_path: Path
) -> None:
    summary, refused = _import(store, _jsonl(tmp_path / "history.jsonl", *HISTORY))
    assert (summary.read, summary.stored, summary.duplicates, summary.rejected) == (5, 5, 0, 0)
    assert refused == []
    rows = _events(store)
    assert [r["event"] for r in rows] == [
        "$page",
        "Plan Compared",
        "$identify",
        "$group",
        "Order Completed",
    ]
    page, compared, identify, group, order = rows
    assert (page["name"], page["path"], page["distinct_id"]) == ("Pricing", "/pricing", "anon-ada")
    assert (compared["path"], compared["referrer"]) == ("/pricing", "https://search.example/")
    assert json.loads(identify["properties"]) == {"email": "ada@example.com", "plan": "trial"}
    assert identify["message_id"] == "ident-1"
    assert group["account_id"] == "acme"
    assert order["timestamp"] == datetime(2024, 3, 2, 9, 5, 0, 250000)
    assert (order["account_id"], order["content_id"], order["content_step"]) == (
        "acme",
        "tour-1",
        2,
    )
    assert all(r["received_at"] == NOW.replace(tzinfo=None) for r in rows)


def test_imported_identify_merges_the_anonymous_past_into_one_person_with_traits(
    store: DuckDBEventStore, tmp_path: Path
) -> None:
    _import(store, _jsonl(tmp_path / "history.jsonl", *HISTORY))
    ada = store.find_person(APP, "anon-ada")
    assert ada is not None
    assert (ada.user_ids, ada.anonymous_ids) == (("ada",), ("anon-ada",))
    assert ada.traits == {"email": "ada@example.com", "plan": "trial"}
    assert ada.account_id == "acme"
    assert ada.account_traits == {"name": "Acme"}
    assert {c.event: c.count for c in ada.event_counts} == {
        "$page": 1,
        "Plan Compared": 1,
        "$identify": 1,
        "$group": 1,
        "Order Completed": 1,
    }


def test_importing_the_same_file_twice_stores_nothing_twice(
    store: DuckDBEventStore, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "history.jsonl", *HISTORY)
    _import(store, path)
    again, _ = _import(store, path)
    assert (again.read, again.stored, again.duplicates) == (5, 0, 5)
    assert len(_events(store)) == 5
    ada = store.find_person(APP, "ada")
    assert ada is not None
    assert {c.event: c.count for c in ada.event_counts}["Order Completed"] == 1


def test_a_message_without_id_gets_the_same_id_on_every_run(
    store: DuckDBEventStore, tmp_path: Path
) -> None:
    message = HISTORY[1]
    _import(store, _jsonl(tmp_path / "first.jsonl", message))
    # The same message in another file, at another line, is recognised as already stored.
    again, _ = _import(store, _jsonl(tmp_path / "second.jsonl", HISTORY[0], message))
    assert (again.stored, again.duplicates) == (1, 1)
    ids = [r["message_id"] for r in _events(store)]
    assert len(set(ids)) == 2 and all(i.startswith("import-") for i in ids)


def test_each_refused_message_is_reported_by_line_and_field(
    store: DuckDBEventStore, tmp_path: Path
) -> None:
    good = HISTORY[1]
    path = _jsonl(
        tmp_path / "mixed.jsonl",
        good,
        "",
        {**good, "userID": "typo"},
        "   ",
        {**good, "event": ""},
        "{not json",
        {**good, "timestamp": "1999-12-31T23:59:59Z"},
        {k: v for k, v in good.items() if k != "timestamp"},
        {**good, "properties": ["a", "list"]},
        '{"type": "track", "event": "E", "userId": "u", "timestamp": "2024-01-01", "x": "\\ud800"}',
        good | {"messageId": "m-last"},
    )
    summary, refused = _import(store, path)
    assert [(r.line, r.field, r.code) for r in refused] == [
        (3, "userID", "invalid"),
        (5, "event", "invalid"),
        (6, None, "malformed_json"),
        (7, "timestamp", "invalid"),
        (8, "timestamp", "missing_time"),
        (9, "properties", "invalid"),
        (10, "x", "invalid"),
    ]
    assert refused[1].message == "must be a non-empty string"
    assert "before the year 2000" in refused[3].message
    assert "an import needs each message's time" in refused[4].message
    assert (summary.read, summary.stored, summary.rejected) == (9, 2, 7)


def test_an_empty_file_imports_nothing(store: DuckDBEventStore, tmp_path: Path) -> None:
    summary, refused = _import(store, _jsonl(tmp_path / "empty.jsonl", ""))
    assert (summary.read, summary.stored, refused) == (0, 0, [])


def test_gzipped_json_lines_are_read_as_they_are(store: DuckDBEventStore, tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(m) for m in HISTORY) + "\n\n{bad\n")
    summary, refused = _import(store, path)
    assert (summary.stored, [(r.line, r.code) for r in refused]) == (5, [(7, "malformed_json")])


CSV_HEADER = "type,event,name,userId,anonymousId,groupId,timestamp,properties,traits,context\n"


def test_csv_rows_are_messages_with_json_text_in_object_columns(
    store: DuckDBEventStore, tmp_path: Path
) -> None:
    path = tmp_path / "history.csv"
    path.write_text(
        CSV_HEADER
        + 'page,,Pricing,,anon-ada,,2024-03-01T09:00:00Z,"{""path"": ""/pricing""}",,\n'
        + 'identify,,,ada,anon-ada,,2024-03-01T09:05:00Z,,"{""plan"": ""trial""}",\n'
        + 'track,Order Completed,,ada,,,2024-03-02T10:05:00Z,"{""total"": 99.5}",,'
        + '"{""groupId"": ""acme""}"\n'
        + "track,Broken,,ada,,,2024-03-02T10:06:00Z,{not json},,\n"
        + "track,,,ada,,,2024-03-02T10:07:00Z,,,\n",
        encoding="utf-8",
    )
    summary, refused = _import(store, path)
    assert [(r.line, r.field, r.code) for r in refused] == [
        (4, "properties", "invalid_json"),
        (5, "event", "invalid"),
    ]
    rows = _events(store)
    assert [(r["event"], r["distinct_id"], r["path"], r["account_id"]) for r in rows] == [
        ("$page", "anon-ada", "/pricing", None),
        ("$identify", "ada", None, None),
        ("Order Completed", "ada", None, "acme"),
    ]
    assert json.loads(rows[1]["properties"]) == {"plan": "trial"}
    assert summary.stored == 3
    ada = store.find_person(APP, "anon-ada")
    assert ada is not None and ada.traits == {"plan": "trial"}


def test_csv_with_a_column_that_is_not_a_message_key_is_refused_whole(
    store: DuckDBEventStore, tmp_path: Path
) -> None:
    path = tmp_path / "typo.csv"
    path.write_text("type,event,userID,timestamp\ntrack,E,u,2024-01-01\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        _import(store, path)
    assert refused.value.field == "userID"
    assert "not a Segment message key" in refused.value.message
    assert _events(store) == []


def test_parquet_with_typed_columns_and_struct_properties(
    store: DuckDBEventStore, tmp_path: Path
) -> None:
    path = tmp_path / "history.parquet"
    table = pa.table(
        {
            "type": ["track", "identify", "track"],
            "event": ["Order Completed", None, "Order Completed"],
            "userId": pa.array([42, 42, None], pa.int64()),
            "timestamp": pa.array(
                [
                    datetime(2024, 3, 2, 10, 5, tzinfo=UTC),
                    datetime(2024, 3, 1, 9, 5, tzinfo=UTC),
                    datetime(2024, 3, 3, 8, 0, tzinfo=UTC),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "properties": pa.array(
                [{"total": 99.5, "currency": "EUR"}, None, {"total": 5.0, "currency": "EUR"}]
            ),
            "traits": ['{"plan": "pro"}', '{"plan": "pro"}', None],
        }
    )
    pq.write_table(table, path)
    summary, refused = _import(store, path)
    assert [(r.line, r.field) for r in refused] == [(3, "userId")]
    rows = _events(store)
    assert [(r["event"], r["user_id"], r["timestamp"]) for r in rows] == [
        ("$identify", "42", datetime(2024, 3, 1, 9, 5)),
        ("Order Completed", "42", datetime(2024, 3, 2, 10, 5)),
    ]
    assert json.loads(rows[1]["properties"]) == {"total": 99.5, "currency": "EUR"}
    assert summary.stored == 2


def test_progress_is_told_after_each_chunk(store: DuckDBEventStore, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "history.jsonl", *HISTORY)
    seen: list[tuple[int, float | None]] = []
    import_events(
        store,
        APP,
        path,
        chunk_rows=2,
        received_at=NOW,
        on_progress=lambda p: seen.append((p.read, p.fraction)),
    )
    assert [read for read, _ in seen] == [2, 4, 5]
    fractions = [f for _, f in seen]
    assert all(f is not None for f in fractions) and fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("events.jsonl", ImportFormat.JSONL),
        ("events.ndjson.gz", ImportFormat.JSONL),
        ("EVENTS.CSV", ImportFormat.CSV),
        ("events.csv.gz", ImportFormat.CSV),
        ("events.parquet", ImportFormat.PARQUET),
    ],
)
def test_format_is_told_by_the_file_name(name: str, expected: ImportFormat) -> None:
    assert detect_format(Path(name)) is expected


def test_a_name_that_says_no_format_asks_for_one() -> None:
    with pytest.raises(InvalidInput) as refused:
        detect_format(Path("events.txt"))
    assert refused.value.field == "format"


def test_python_whitespace_is_every_character_python_strips() -> None:
    assert set(PYTHON_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


class RecordingStore:
    """Keeps the message ids of each append, in the order the import sent them."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self.appends: list[int] = []

    def append(self, rows: pa.Table) -> AppendResult:
        ids = rows.column("message_id").to_pylist()
        self.message_ids.extend(ids)
        self.appends.append(len(ids))
        return AppendResult(stored=pa.array([True] * len(ids)))


def _large_file(path: Path, count: int, bad: set[int]) -> Path:
    """Large enough for DuckDB to read it in parallel, in several batches."""
    padding = "p" * 600
    with path.open("w", encoding="utf-8") as handle:
        for line in range(1, count + 1):
            message = {**HISTORY[1], "messageId": f"m-{line:06d}", "properties": {"pad": padding}}
            if line in bad:
                message["userID"] = "typo"
            handle.write(json.dumps(message) + "\n")
    return path


def test_a_file_read_on_many_threads_keeps_its_order_and_line_numbers(tmp_path: Path) -> None:
    # Rows are numbered by their order.
    count, bad = 60_000, {1, 20_001, 45_000, 60_000}
    path = _large_file(tmp_path / "large.jsonl", count, bad)
    store = RecordingStore()
    refused: list[Rejection] = []
    import_events(store, APP, path, received_at=NOW, on_rejection=refused.append)
    assert [r.line for r in refused] == sorted(bad)
    assert store.message_ids == [f"m-{n:06d}" for n in range(1, count + 1) if n not in bad]


def test_appends_take_whole_chunks_not_the_readers_batches(tmp_path: Path) -> None:
    # DuckDB reads JSON Lines in batches of about 27,000 rows; each append costs a commit.
    path = _large_file(tmp_path / "large.jsonl", 60_000, set())
    store = RecordingStore()
    import_events(store, APP, path, received_at=NOW, chunk_rows=50_000)
    assert len(store.appends) == 2 and store.appends[0] >= 50_000
    assert sum(store.appends) == 60_000
