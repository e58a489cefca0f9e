"""What differs between the SQL engines insights compile to. Compilers ask the dialect for
every engine-specific piece, so a ClickHouse dialect can join DuckDB's without touching them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from waypost.insights.intervals import Offset


@dataclass
class Params:
    """Values bound to a query, never pasted into its text."""

    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any) -> str:
        """A placeholder bound to `value`."""
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


class Dialect(Protocol):
    """SQL fragments one engine spells its own way."""

    name: str

    def json_type(self, column: str, key: str | None) -> str:
        """The JSON type name of the top-level `key` of a JSON column (NULL when absent); a
        `key` of None means the column's own value (a trait's)."""

    def json_text(self, column: str, key: str | None) -> str:
        """The value at `key` as text: strings bare, other values as JSON text."""

    def json_number(self, column: str, key: str | None) -> str:
        """The value at `key` as a double when it is a JSON number, else NULL."""

    def is_json_number(self, column: str, key: str | None) -> str:
        """True when the value at `key` is a JSON number."""

    def is_json_string(self, column: str, key: str | None) -> str:
        """True when the value at `key` is a JSON string."""

    def is_json_bool(self, column: str, key: str | None, value: bool) -> str:
        """True when the value at `key` is the JSON boolean `value`."""

    def contains_ci(self, text: str, needle: str) -> str:
        """Case-insensitive substring test."""

    def contains(self, text: str, needle: str) -> str:
        """Substring test, case counting."""

    def regex(self, text: str, pattern: str) -> str:
        """True when `pattern` matches anywhere in `text`."""

    def epoch_us(self, timestamp: str) -> str:
        """Microseconds since 1970 of a timestamp."""

    def plus_seconds(self, timestamp: str, seconds: str) -> str:
        """A timestamp moved by a number of seconds."""

    def one_of(self, value: str, values: str) -> str:
        """True when value is in `values`, a bound list, spelled so the scan can use it."""

    def bucket(
        self, timestamp: str, interval: str, zone: str, offsets: list[Offset] | None = None
    ) -> str:
        """The start of the hour/day/week (Monday)/month holding a UTC timestamp, as local time
        without a zone in the IANA `zone` (a name, bound here). `offsets` are the zone's offsets
        from UTC over every timestamp given (intervals.utc_offsets), so no per-row zone lookup
        is needed."""

    def quantile(self, value: str, fraction: float) -> str:
        """The fraction's quantile, interpolating linearly between neighbours (NULLs ignored)."""

    def count_if(self, condition: str) -> str:
        """How many rows meet the condition."""

    def avg_if(self, value: str, condition: str) -> str:
        """Average of value over rows meeting the condition."""

    def median_if(self, value: str, condition: str) -> str:
        """Median (the mean of the middle two for an even count) over rows meeting the condition."""

    def int_div(self, numerator: str, denominator: str) -> str:
        """Integer division, rounding down (operands are not negative)."""

    def sorted_non_null(self, values: list[str]) -> str:
        """The non-null values as a sorted list."""

    def list_length(self, values: str) -> str:
        """How many items a list has."""

    def list_item(self, values: str, index: int) -> str:
        """The item at 0-based `index`, NULL past the end."""

    def collect_pairs(self, key: str, value: str) -> str:
        """An aggregate: the rows' (key, value) pairs as a list ordered by key."""

    def collect_sorted(self, value: str) -> str:
        """An aggregate: the rows' values as a sorted list."""


class DuckDBDialect:
    """DuckDB's spelling."""

    name = "duckdb"

    def __init__(self, params: Params) -> None:
        self.params = params

    def _path(self, key: str | None) -> str:
        # Names are limited by the query models (no quotes or backslashes); bound all the same.
        return self.params.add("$" if key is None else f'$."{key}"')

    def json_type(self, column: str, key: str | None) -> str:
        return f"json_type({column}, {self._path(key)})"

    def json_text(self, column: str, key: str | None) -> str:
        return f"json_extract_string({column}, {self._path(key)})"

    def json_number(self, column: str, key: str | None) -> str:
        path = self._path(key)
        return (
            f"CASE WHEN json_type({column}, {path}) IN ('BIGINT', 'UBIGINT', 'DOUBLE') "
            f"THEN TRY_CAST(json_extract_string({column}, {path}) AS DOUBLE) END"
        )

    def is_json_number(self, column: str, key: str | None) -> str:
        return f"coalesce({self.json_type(column, key)} IN ('BIGINT', 'UBIGINT', 'DOUBLE'), false)"

    def is_json_string(self, column: str, key: str | None) -> str:
        return f"coalesce({self.json_type(column, key)} = 'VARCHAR', false)"

    def is_json_bool(self, column: str, key: str | None, value: bool) -> str:
        path = self._path(key)
        return (
            f"coalesce(json_type({column}, {path}) = 'BOOLEAN' "
            f"AND json_extract_string({column}, {path}) = '{'true' if value else 'false'}', false)"
        )

    def contains_ci(self, text: str, needle: str) -> str:
        return f"contains(lower({text}), lower({needle}))"

    def contains(self, text: str, needle: str) -> str:
        return f"contains({text}, {needle})"

    def regex(self, text: str, pattern: str) -> str:
        return f"regexp_matches({text}, {pattern})"

    def epoch_us(self, timestamp: str) -> str:
        return f"epoch_us({timestamp})"

    def plus_seconds(self, timestamp: str, seconds: str) -> str:
        return f"({timestamp} + to_seconds({seconds}))"

    def one_of(self, value: str, values: str) -> str:
        # A semi-join, not `IN (a, b)`: DuckDB pushes the join's filter into the table scan, which
        # then reads the other columns only for matching rows; an IN list is checked after.
        return f"{value} IN (SELECT unnest({values}))"

    def bucket(
        self, timestamp: str, interval: str, zone: str, offsets: list[Offset] | None = None
    ) -> str:
        if offsets is None:
            local = f"timezone({self.params.add(zone)}, {timestamp} AT TIME ZONE 'UTC')"
        elif len(offsets) == 1 and not offsets[0].offset:
            local = timestamp
        else:
            *changing, last = offsets
            seconds = self.params.add(int(last.offset.total_seconds()))
            if changing:
                cases = " ".join(
                    f"WHEN {timestamp} < {self.params.add(piece.until)} "
                    f"THEN {self.params.add(int(piece.offset.total_seconds()))}"
                    for piece in changing
                )
                seconds = f"CASE {cases} ELSE {seconds} END"
            local = f"({timestamp} + to_seconds({seconds}))"
        return f"date_trunc('{interval}', {local})"

    def quantile(self, value: str, fraction: float) -> str:
        return f"quantile_cont({value}, {float(fraction)})"

    def count_if(self, condition: str) -> str:
        return f"count(*) FILTER (WHERE {condition})"

    def avg_if(self, value: str, condition: str) -> str:
        return f"avg({value}) FILTER (WHERE {condition})"

    def median_if(self, value: str, condition: str) -> str:
        return f"median({value}) FILTER (WHERE {condition})"

    def int_div(self, numerator: str, denominator: str) -> str:
        return f"(({numerator}) // ({denominator}))"

    def sorted_non_null(self, values: list[str]) -> str:
        return f"list_sort(list_filter([{', '.join(values)}], lambda x: x IS NOT NULL))"

    def list_length(self, values: str) -> str:
        return f"len({values})"

    def list_item(self, values: str, index: int) -> str:
        return f"{values}[{index + 1}]"

    def collect_pairs(self, key: str, value: str) -> str:
        return f"list([{key}, {value}] ORDER BY {key})"

    def collect_sorted(self, value: str) -> str:
        return f"list({value} ORDER BY {value})"
