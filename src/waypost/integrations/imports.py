"""Backfilling historical Segment messages from a file (JSON Lines, CSV or Parquet).

DuckDB reads the file and checks the messages set-based, in SQL compiled from the rule table by
which the live tracking API checks one message at a time (`tracking.checks_sql`; live:
`validate_message`, then `to_row`). The SQL only ever *accepts*: a message it cannot prove valid on
its cheap path (an unusual time format, a float id, deep nesting, an escaped surrogate, anything it
would reject) goes through `validate_message` itself. So every rejection carries exactly the field
and reason the live API would give, and unusual messages cost Python time only for the rows that
have them. Accepted rows reach the event store in chunks through `EventStore.append`, which dedupes
and resolves identities as it does for live traffic.

Three rules are the import's own: a CSV or Parquet cell of an object column must hold JSON text, a
message must say when it happened (`timestamp` or `originalTimestamp`), and a message without a
`messageId` gets one derived from its text, so running the same import again stores nothing twice.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from waypost.errors import InvalidInput, WaypostError
from waypost.events import EVENT_COLUMNS, EVENTS_ARROW_SCHEMA, EventStore, to_table
from waypost.tracking import (
    CONTENT_ID,
    CONTENT_STEP,
    ELEMENT_SELECTOR,
    ELEMENT_TEXT,
    KNOWN_KEYS,
    TYPE_EVENTS,
    Holds,
    Rule,
    checks_sql,
    decode_body,
    to_row,
    validate_message,
)

DEFAULT_CHUNK_ROWS = 250_000
DERIVED_ID_PREFIX = "import-"
# A line longer than this is not even parsed: no valid message comes near it.
MAX_LINE_BYTES = 16 * 1024 * 1024
# Keys whose values are JSON documents; a CSV cell (or Parquet text column) holds them as JSON text.
DOCUMENT_KEYS = ("properties", "traits", "context", "integrations", "_metadata", "options")
TIME_KEYS = ("timestamp", "originalTimestamp", "sentAt", "receivedAt")
# The import's own rules, checked in the same SQL as the message rules.
JSON_CELL = Rule(
    "json_cell",
    "must hold JSON text",
    {None: Holds("bad_cell IS NULL")},  # the refusal names the column
    code="invalid_json",
)
MISSING_TIME = Rule(
    "missing_time",
    "an import needs each message's time: give timestamp (or originalTimestamp)",
    {"timestamp": Holds("(j_timestamp IS NOT NULL OR j_originalTimestamp IS NOT NULL)")},
    code="missing_time",
)


class ImportFormat(StrEnum):
    """The file formats an import reads."""

    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that was not imported: where it is, the field at fault and why.

    `line` is the line of a JSON Lines file, or the row of a CSV or Parquet file (the first data
    row is 1)."""

    line: int
    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The rejection as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """How far an import has got; `fraction` is None when the file's length is unknown."""

    read: int
    stored: int
    fraction: float | None


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did: messages read, stored, skipped as already stored, and rejected."""

    read: int
    stored: int
    duplicates: int
    rejected: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        """Messages read per second, over the whole import."""
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict, rate included."""
        return {
            **asdict(self),
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_per_second),
        }


def detect_format(path: Path) -> ImportFormat:
    """The format a file's name says: `.jsonl`/`.ndjson`/`.json`, `.csv` (either may end in
    `.gz`), `.parquet`; InvalidInput otherwise."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    last = suffixes[-2 if compressed else -1] if len(suffixes) > compressed else ""
    if last in (".jsonl", ".ndjson", ".json"):
        return ImportFormat.JSONL
    if last == ".csv":
        return ImportFormat.CSV
    if last in (".parquet", ".pq") and not compressed:
        return ImportFormat.PARQUET
    raise InvalidInput(
        f"cannot tell the format of {path.name}: name it .jsonl, .csv or .parquet, or give the "
        "format",
        field="format",
    )


def import_events(
    store: EventStore,
    app_id: str,
    path: Path,
    *,
    file_format: ImportFormat | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    received_at: datetime | None = None,
    on_rejection: Callable[[Rejection], None] | None = None,
    on_progress: Callable[[ImportProgress], None] | None = None,
) -> ImportSummary:
    """Check every message in the file and store the valid ones as the app's events.

    Rejections go to `on_rejection` in file order once the whole file is read (only then are the
    line numbers of a JSON Lines file with blank lines known); `on_progress` hears after each
    chunk. InvalidInput when the file cannot be read as the format."""
    started = time.perf_counter()
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file", field="file")
    file_format = file_format or detect_format(path)
    received_at = (received_at or datetime.now(UTC)).astimezone(UTC)
    run = _Run(store, app_id, received_at)
    # A JSON Lines file's progress is told by bytes; compressed, only by messages read.
    text_size = (
        path.stat().st_size if file_format is ImportFormat.JSONL and not _is_gzip(path) else None
    )
    with contextlib.closing(_connection()) as connection:
        try:
            source, total_rows = _source(connection, path, file_format)
            reader = connection.sql(_checks(source, app_id, received_at)).to_arrow_reader(
                chunk_rows
            )
            for chunk in _chunks(reader, chunk_rows):
                run.take(chunk)
                if on_progress is not None:
                    on_progress(_progress(run, text_size, total_rows))
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            raise InvalidInput(f"cannot read {path.name}: {message}", field="file") from None
    if file_format is ImportFormat.JSONL:
        run.settle_lines(path)
    for rejection in sorted(run.rejections, key=lambda r: r.line):
        if on_rejection is not None:
            on_rejection(rejection)
    return ImportSummary(
        read=run.read,
        stored=run.stored,
        duplicates=run.appended - run.stored,
        rejected=len(run.rejections),
        seconds=time.perf_counter() - started,
    )


def _chunks(reader: pa.RecordBatchReader, rows: int) -> Iterator[pa.Table]:
    """The reader's batches gathered into tables of at least `rows` rows (the last may be
    shorter). DuckDB hands a JSON Lines scan over in batches of about 27,000 rows whatever it is
    asked for, and each append has a fixed cost (a commit among it), so the import gathers them."""
    waiting: list[pa.RecordBatch] = []
    count = 0
    for batch in reader:
        waiting.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(waiting)
            waiting, count = [], 0
    if waiting:
        yield pa.Table.from_batches(waiting)


def _connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for reading and checking a file."""
    connection = duckdb.connect()
    # Times without a zone are UTC, as Python's rules take them.
    connection.execute("SET TimeZone = 'UTC'")
    # DuckDB rewrites a long IN list into a join, which gives up the file's row order; rows are
    # numbered by that order.
    connection.execute("SET disabled_optimizers = 'in_clause'")
    return connection


def derived_message_id(text: bytes) -> str:
    """The messageId an import gives a message without one: a hash of the message's text."""
    return DERIVED_ID_PREFIX + hashlib.md5(text, usedforsecurity=False).hexdigest()


def check_message(
    text: bytes, line: int, app_id: str, received_at: datetime
) -> dict[str, Any] | Rejection:
    """One message's events-table row by the live rules and the import's own, or its Rejection.

    The exact (and slow) path: the SQL sends here every message it does not accept itself."""
    try:
        raw = decode_body(text, None, MAX_LINE_BYTES)
        message = validate_message(raw, received_at)
    except WaypostError as exc:
        return Rejection(line, exc.field, exc.code, exc.message)
    except (OverflowError, ValueError) as exc:
        # Times that land outside years 1-9999 and integers of thousands of digits, which the
        # live API does not catch either.
        return Rejection(line, None, "invalid", f"the message cannot be read: {exc}")
    if raw.get("timestamp") is None and raw.get("originalTimestamp") is None:
        return Rejection(line, "timestamp", MISSING_TIME.code, MISSING_TIME.reason)
    row = to_row(app_id, message)
    if message.message_id is None:
        row["message_id"] = derived_message_id(text.strip())
    return row


@dataclass
class _Run:
    """One import's counts and rejections while checked chunks arrive from DuckDB."""

    store: EventStore
    app_id: str
    received_at: datetime
    read: int = 0
    appended: int = 0
    stored: int = 0
    text_bytes: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    # JSON Lines DuckDB could not parse, by message number; read again from the file at the end.
    unparsed: list[int] = field(default_factory=list)

    def take(self, checked: pa.Table) -> None:
        """Store one chunk (the next messages of the file, in order): the rows the SQL accepted
        and those the Python check accepts."""
        numbers = pa.array(range(self.read + 1, self.read + 1 + checked.num_rows), pa.int64())
        checked = checked.append_column("line", numbers)
        self.read += checked.num_rows
        self.text_bytes += int(pc.sum(checked.column("size")).as_py() or 0)
        accepted = checked.column("accepted")
        rows = checked.filter(accepted).select(_WITH_LINE)
        if not pc.all(accepted).as_py():
            extra = self._check_in_python(checked.filter(pc.invert(accepted)))
            if extra is not None:
                # Arrival order breaks ties in identity and traits, so keep the file's order.
                rows = pa.concat_tables([rows.cast(extra.schema), extra]).sort_by("line")
        self._append(rows.select(_EVENT_NAMES).cast(EVENTS_ARROW_SCHEMA))

    def _check_in_python(self, others: pa.Table) -> pa.Table | None:
        found: list[dict[str, Any]] = []
        lines: list[int] = []
        for line, text, bad_cell in zip(
            others.column("line").to_pylist(),
            others.column("text").to_pylist(),
            others.column("bad_cell").to_pylist(),
            strict=True,
        ):
            if bad_cell is not None:
                self.rejections.append(Rejection(line, bad_cell, JSON_CELL.code, JSON_CELL.reason))
            elif text is None:
                self.unparsed.append(line)
            else:
                outcome = check_message(text.encode(), line, self.app_id, self.received_at)
                if isinstance(outcome, Rejection):
                    self.rejections.append(outcome)
                else:
                    found.append(outcome)
                    lines.append(line)
        if not found:
            return None
        return to_table(found).append_column("line", pa.array(lines, pa.int64()))

    def _append(self, rows: pa.Table) -> None:
        if rows.num_rows:
            result = self.store.append(rows)
            self.appended += rows.num_rows
            self.stored += result.stored_count

    def settle_lines(self, path: Path) -> None:
        """Check the lines DuckDB could not parse, and turn message numbers into line numbers
        (DuckDB skips blank lines without counting them)."""
        if not self.rejections and not self.unparsed:
            return
        located = _locate(path, {r.line for r in self.rejections} | set(self.unparsed))
        settled = [replace(r, line=located[r.line][0]) for r in self.rejections]
        found: list[dict[str, Any]] = []
        for number in self.unparsed:
            line, text = located[number]
            outcome = check_message(text, line, self.app_id, self.received_at)
            if isinstance(outcome, Rejection):
                settled.append(outcome)
            else:
                found.append(outcome)
        self.rejections = settled
        if found:
            self._append(to_table(found))


_EVENT_NAMES = [column.name for column in EVENT_COLUMNS]
_WITH_LINE = [*_EVENT_NAMES, "line"]


def _locate(path: Path, numbers: set[int]) -> dict[int, tuple[int, bytes]]:
    """For each message number (non-blank lines counted from 1): its line number and text."""
    found: dict[int, tuple[int, bytes]] = {}
    number = 0
    with _open_binary(path) as handle:
        for line, raw in enumerate(handle, start=1):
            text = raw.strip()
            if not text:
                continue
            number += 1
            if number in numbers:
                found[number] = (line, text)
                if len(found) == len(numbers):
                    break
    return found


def _open_binary(path: Path) -> BinaryIO:
    if _is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _progress(run: _Run, text_size: int | None, total_rows: int | None) -> ImportProgress:
    fraction: float | None = None
    if total_rows:
        fraction = run.read / total_rows
    elif text_size:
        # Each message's text plus its newline; blank lines and indentation make this a shade low.
        fraction = (run.text_bytes + run.read) / text_size
    return ImportProgress(run.read, run.stored, None if fraction is None else min(fraction, 1.0))


# ---------------------------------------------------------------- reading the file


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _name(key: str) -> str:
    return '"' + key.replace('"', '""') + '"'


def _source(
    connection: duckdb.DuckDBPyConnection, path: Path, file_format: ImportFormat
) -> tuple[str, int | None]:
    """SQL giving each message's JSON text and the name of a CSV or Parquet column whose cell is
    not JSON text (`bad_cell`), in file order; and the number of messages, when known.

    Messages are numbered by their place in the result: numbering them in SQL (WITH ORDINALITY)
    would make DuckDB read the file on one thread. So the checks must keep the file's order: no
    joins (see `_connection` for the one DuckDB would add by itself)."""
    where = _literal(str(path))
    if file_format is ImportFormat.JSONL:
        sql = (
            "SELECT json::VARCHAR AS text, NULL::VARCHAR AS bad_cell "
            f"FROM read_json_objects({where}, format = 'newline_delimited', ignore_errors = true, "
            f"maximum_object_size = {MAX_LINE_BYTES})"
        )
        return sql, None
    if file_format is ImportFormat.CSV:
        scan = (
            f"read_csv({where}, header = true, all_varchar = true, delim = ',', quote = '\"', "
            "escape = '\"')"
        )
        total = None
    else:
        scan = f"read_parquet({where})"
        total = int(
            connection.execute(
                f"SELECT sum(num_rows) FROM parquet_file_metadata({where})"
            ).fetchone()[0]  # type: ignore[index]
        )
    columns = connection.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    parts, bad = [], []
    for key, kind, *_ in columns:
        if key not in KNOWN_KEYS:
            raise InvalidInput(
                f"{path.name} has a column {key!r}, which is not a Segment message key; custom "
                "data belongs in properties, traits or context",
                field=key,
            )
        value, is_text = _cell_json(_name(key), key, str(kind))
        parts.append(
            f"CASE WHEN {_name(key)} IS NOT NULL THEN {_literal(_json_key(key))} || {value} END"
        )
        if is_text:
            column = _name(key)
            bad.append(
                f"WHEN {column} IS NOT NULL AND NOT json_valid({column}) THEN {_literal(key)}"
            )
    bad_cell = f"CASE {' '.join(bad)} END" if bad else "NULL::VARCHAR"
    sql = (
        f"SELECT '{{' || concat_ws(',', {', '.join(parts)}) || '}}' AS text, "
        f"{bad_cell} AS bad_cell FROM {scan}"
    )
    return sql, total


def _json_key(key: str) -> str:
    return f'"{key}":'


def _cell_json(column: str, key: str, kind: str) -> tuple[str, bool]:
    """A column's value as JSON text, and whether the column holds JSON as text."""
    if key in DOCUMENT_KEYS and kind in ("VARCHAR", "JSON"):
        return f"CASE WHEN json_valid({column}) THEN json({column}) END", True
    if key in TIME_KEYS and kind.startswith("TIMESTAMP"):
        return f"to_json(strftime({column}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%fZ'))", False
    if key in TIME_KEYS and kind == "DATE":
        return f"to_json(strftime({column}, '%Y-%m-%d'))", False
    return f"to_json({column})", False


# ---------------------------------------------------------------- checked messages to rows

# The values only the row reads, found by the same parse of each message as the checks' values.
_ROW_PATHS = {
    "account": "$.context.groupId",
    "session": "$.context.sessionId",
    "page_url": "$.context.page.url",
    "page_path": "$.context.page.path",
    "page_referrer": "$.context.page.referrer",
    "url": "$.properties.url",
    "path": "$.properties.path",
    "referrer": "$.properties.referrer",
    "element_selector": f'$.properties."{ELEMENT_SELECTOR}"',
    "element_text": f'$.properties."{ELEMENT_TEXT}"',
    "content_id": f'$.properties."{CONTENT_ID}"',
    "content_step": f'$.properties."{CONTENT_STEP}"',
}
_INTEGER = r"-?[0-9]+"


def _text(name: str) -> str:
    """rows._text: a non-empty string, else NULL."""
    return f"nullif({name}_s, '')"


def _checks(source: str, app_id: str, received_at: datetime) -> str:
    """SQL that checks each message of `source` and maps the accepted ones to events rows, plus
    `size` (of its text), `accepted`, `text` (of the others) and `bad_cell`, in file order."""
    checked = checks_sql(
        source, received_at, also_read=_ROW_PATHS, also_required=(JSON_CELL, MISSING_TIME)
    )
    received_sql = f"TIMESTAMP '{received_at.replace(tzinfo=None).isoformat(sep=' ')}'"
    events = " ".join(
        f"WHEN {_literal(kind)} THEN {_literal(name)}" for kind, name in TYPE_EVENTS.items()
    )
    return f"""
WITH checked AS ({checked})
SELECT size, accepted, CASE WHEN NOT accepted THEN text END AS text, bad_cell,
  {_literal(app_id)} AS app_id,
  CASE WHEN j_messageId IS NULL THEN {_literal(DERIVED_ID_PREFIX)} || md5(text)
       ELSE messageId_v END AS message_id,
  type_s AS type,
  CASE type_s WHEN 'track' THEN event_v {events} END AS event,
  CASE WHEN type_s IN ('page', 'screen') THEN name_v END AS name,
  coalesce(userId_v, anonymousId_v) AS distinct_id,
  userId_v AS user_id, anonymousId_v AS anonymous_id, previousId_v AS previous_id,
  CASE WHEN type_s = 'group' THEN groupId_v
       WHEN j_account = 'true' THEN 'True'
       WHEN j_account = 'false' THEN 'False'
       WHEN regexp_full_match(j_account, '{_INTEGER}') THEN j_account
       ELSE {_text("account")} END AS account_id,
  happened AS "timestamp",
  {received_sql} AS received_at,
  {_text("session")} AS session_id,
  CASE WHEN type_s = 'page' THEN {_text("url")} ELSE {_text("page_url")} END AS url,
  CASE WHEN type_s = 'page' THEN {_text("path")} ELSE {_text("page_path")} END AS path,
  CASE WHEN type_s = 'page' THEN {_text("referrer")} ELSE {_text("page_referrer")} END
    AS referrer,
  {_text("element_selector")} AS element_selector,
  {_text("element_text")} AS element_text,
  {_text("content_id")} AS content_id,
  CASE WHEN regexp_full_match(j_content_step, '{_INTEGER}')
       THEN try_cast(j_content_step AS INTEGER) END AS content_step,
  CASE WHEN type_s IN ('identify', 'group') THEN coalesce(j_traits, '{{}}')
       ELSE coalesce(j_properties, '{{}}') END AS properties,
  coalesce(j_context, '{{}}') AS context
FROM checked
"""
