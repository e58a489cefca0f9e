"""What every insight compiler shares: the values bound to a statement, the compiled statement,
the columns units are counted by, and the few DuckDB spellings more than one compiler needs.

Insights compile to DuckDB's SQL. There is no dialect layer: when a second engine comes, what it
spells differently is known from two real spellings, not guessed from one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from waypost.events.store import EventQueries
from waypost.insights.actions import Actions
from waypost.insights.intervals import Offset
from waypost.insights.properties import PropertySql
from waypost.insights.queries import AggregateBy

# The breakdown value that gathers every value past a breakdown's limit.
OTHER = "Other"

UNIT_COLUMNS = {
    AggregateBy.PERSON: "e.person_id",
    AggregateBy.ACCOUNT: "e.account_id",
    AggregateBy.SESSION: "e.session_id",
}

_PLACEHOLDER = re.compile(r"\$(p\d+)\b")


@dataclass
class Params:
    """Values bound to a statement, never pasted into its text."""

    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any) -> str:
        """A placeholder bound to `value`."""
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


@dataclass(frozen=True)
class CompiledSql:
    """A statement and the values bound to it."""

    sql: str
    params: dict[str, Any]


class Compilation:
    """Where every compiler starts: the values bound so far and the property conditions over the
    events relation `e`, which bind theirs into the same statement."""

    def __init__(self, actions: Actions | None = None) -> None:
        self.params = Params()
        self.props = PropertySql(self.params, actions)

    def bind(self, value: Any) -> str:
        """A placeholder bound to `value`."""
        return self.params.add(value)

    def statement(self, sql: str) -> CompiledSql:
        """The statement with the values it names (several statements may share one
        compilation, and DuckDB refuses values a statement does not use)."""
        named = set(_PLACEHOLDER.findall(sql))
        return CompiledSql(sql, {k: v for k, v in self.params.values.items() if k in named})


def records(store: EventQueries, compiled: CompiledSql) -> list[dict[str, Any]]:
    """The statement's rows, each as a mapping from column name to value."""
    columns, rows = store.query(compiled.sql, compiled.params)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def plus_seconds(timestamp: str, seconds: str) -> str:
    """A timestamp moved by a number of seconds."""
    return f"({timestamp} + to_seconds({seconds}))"


def one_of(value: str, values: str) -> str:
    """True when `value` is in `values`, a bound list, spelled so the scan can use it."""
    # A semi-join, not `IN (a, b)`: DuckDB pushes the join's filter into the table scan, which
    # then reads the other columns only for matching rows; an IN list is checked after.
    return f"{value} IN (SELECT unnest({values}))"


def bucket(
    params: Params, timestamp: str, interval: str, zone: str, offsets: list[Offset] | None = None
) -> str:
    """The start of the hour/day/week (Monday)/month holding a UTC timestamp, as local time
    without a zone in the IANA `zone`. `offsets` are the zone's offsets from UTC over every
    timestamp given (intervals.utc_offsets), so no per-row zone lookup is needed."""
    if offsets is None:
        local = f"timezone({params.add(zone)}, {timestamp} AT TIME ZONE 'UTC')"
    elif len(offsets) == 1 and not offsets[0].offset:
        local = timestamp
    else:
        *changing, last = offsets
        seconds = params.add(int(last.offset.total_seconds()))
        if changing:
            cases = " ".join(
                f"WHEN {timestamp} < {params.add(piece.until)} "
                f"THEN {params.add(int(piece.offset.total_seconds()))}"
                for piece in changing
            )
            seconds = f"CASE {cases} ELSE {seconds} END"
        local = plus_seconds(timestamp, seconds)
    return f"date_trunc('{interval}', {local})"


def with_ctes(ctes: list[str], select: str) -> str:
    """A statement of common table expressions and the select reading them."""
    return "WITH " + ",\n".join(ctes) + "\n" + select
