"""Time to value: how long from a unit's first start event in the range to its first value
event at or after it (within `window_days`), as a distribution and as the share that got there
within N days, overall, per cohort (the period of the start) and per segment.

Percentiles interpolate between neighbouring values (the usual "linear" definition); units that
never reached value count in the shares' denominators, not in the percentiles.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights._sql import (
    OTHER,
    UNIT_COLUMNS,
    Compilation,
    CompiledSql,
    bucket,
    one_of,
    plus_seconds,
    records,
)
from waypost.insights.actions import Actions
from waypost.insights.intervals import interval_starts
from waypost.insights.queries import TimeToValueQuery

DAY_US = 86_400_000_000


class Share(BaseModel):
    days: int
    count: int
    share: float


class ValueStats(BaseModel):
    units: int
    reached: int
    median_seconds: float | None
    p75_seconds: float | None
    p90_seconds: float | None
    within: list[Share]


class CohortStats(ValueStats):
    start: datetime


class SegmentStats(ValueStats):
    value: str


class TimeToValueResult(BaseModel):
    kind: str = "time_to_value"
    overall: ValueStats
    cohorts: list[CohortStats]
    breakdowns: list[SegmentStats] | None = None


def compile_time_to_value(
    query: TimeToValueQuery,
    app_id: str,
    actions: Actions | None = None,
    gaps_only: bool = False,
) -> CompiledSql:
    """Rows per group (kind 'all', 'cohort' or 'segment', its key) with the statistics; with
    `gaps_only`, each unit's microseconds to value instead, shortest first (for tests between
    periods)."""
    sql = Compilation(actions)
    props, params = sql.props, sql.params
    unit = UNIT_COLUMNS[query.aggregate_by]
    common = props.scope(query, app_id, unit)

    segment = (
        props.text(query.breakdown.source, query.breakdown.property) if query.breakdown else "''"
    )
    window = params.add(query.window_days * 86400)
    gap = "(epoch_us(valued) - epoch_us(started))"
    starts, values = props.matches(query.start), props.matches(query.value)
    named = [query.start.event, query.value.event]
    if None not in named:
        # Only the start's and the value's events count, so the scan can skip the rest.
        common.append(one_of("e.event", params.add(sorted(set(named)))))
    # Conditions first: compiling them registers the trait joins that joins() then lists.
    view, joins = props.events_view(query.aggregate_by), props.joins()
    # One scan for both: each event the start or the value matches, flagged.
    ctes = f"""WITH flagged AS MATERIALIZED (
  SELECT {unit} AS unit, e.timestamp AS ts, {starts} AS is_start, {values} AS is_value,
    {segment} AS segment
  FROM {view} e {joins}
  WHERE {" AND ".join(common)} AND ({starts} OR {values})
), starts AS (
  SELECT unit, min(ts) AS started, arg_min(segment, ts) AS segment
  FROM flagged WHERE is_start GROUP BY unit
), valued AS (
  SELECT s.unit, s.started, s.segment, min(v.ts) AS valued
  FROM starts s LEFT JOIN (SELECT unit, ts FROM flagged WHERE is_value) v
    ON v.unit = s.unit AND v.ts >= s.started AND v.ts <= {plus_seconds("s.started", window)}
  GROUP BY s.unit, s.started, s.segment
)"""
    if gaps_only:
        return sql.statement(
            f"{ctes}\nSELECT {gap} AS gap FROM valued WHERE valued IS NOT NULL ORDER BY gap"
        )
    cohort = bucket(params, "started", query.cohort_interval.value, query.timezone)
    stats = [
        "count(*) AS units",
        "count(valued) AS reached",
        f"quantile_cont({gap}, 0.5) AS median_us",
        f"quantile_cont({gap}, 0.75) AS p75_us",
        f"quantile_cont({gap}, 0.9) AS p90_us",
        *(
            f"count(*) FILTER (WHERE {gap} <= {params.add(days * DAY_US)}) AS within_{i}"
            for i, days in enumerate(query.within_days)
        ),
    ]
    limit = params.add(query.breakdown.limit if query.breakdown else 1)
    return sql.statement(f"""{ctes}, ranked AS (
  SELECT v.*, CASE WHEN r.rank <= {limit} THEN v.segment ELSE '{OTHER}' END AS label
  FROM valued v JOIN (
    SELECT segment, row_number() OVER (ORDER BY count(*) DESC, segment) AS rank
    FROM valued GROUP BY segment
  ) r USING (segment)
)
SELECT 'all' AS grouping, NULL AS cohort, NULL AS label, {", ".join(stats)} FROM ranked
UNION ALL
SELECT 'cohort', {cohort}, NULL, {", ".join(stats)} FROM ranked GROUP BY 2
UNION ALL
SELECT 'segment', NULL, label, {", ".join(stats)} FROM ranked GROUP BY 3""")


def _stats(query: TimeToValueQuery, row: dict[str, Any] | None) -> dict[str, Any]:
    units = int(row["units"]) if row else 0
    return {
        "units": units,
        "reached": int(row["reached"]) if row else 0,
        "median_seconds": _seconds(row, "median_us"),
        "p75_seconds": _seconds(row, "p75_us"),
        "p90_seconds": _seconds(row, "p90_us"),
        "within": [
            Share(
                days=days,
                count=int(row[f"within_{i}"]) if row else 0,
                share=int(row[f"within_{i}"]) / units if row and units else 0.0,
            )
            for i, days in enumerate(query.within_days)
        ],
    }


def _seconds(row: dict[str, Any] | None, key: str) -> float | None:
    return None if not row or row[key] is None else float(row[key]) / 1e6


def value_gaps(
    store: EventQueries,
    app_id: str,
    query: TimeToValueQuery,
    actions: Actions | None = None,
) -> list[int]:
    """Each unit's microseconds from start to value, for units that got there, shortest first."""
    compiled = compile_time_to_value(query, app_id, actions, gaps_only=True)
    _, rows = store.query(compiled.sql, compiled.params)
    return [int(row[0]) for row in rows]


def run_time_to_value(
    store: EventQueries,
    app_id: str,
    query: TimeToValueQuery,
    actions: Actions | None = None,
) -> TimeToValueResult:
    """Answer a time-to-value query from the event store."""
    found = records(store, compile_time_to_value(query, app_id, actions))
    overall = next((r for r in found if r["grouping"] == "all" and r["units"]), None)
    by_cohort = {r["cohort"]: r for r in found if r["grouping"] == "cohort"}
    starts = interval_starts(query.date_from, query.date_to, query.cohort_interval, query.timezone)
    zone = ZoneInfo(query.timezone)
    result = TimeToValueResult(
        overall=ValueStats(**_stats(query, overall)),
        cohorts=[
            CohortStats(start=start.replace(tzinfo=zone), **_stats(query, by_cohort.get(start)))
            for start in starts
        ],
    )
    if query.breakdown is not None:
        segments = [r for r in found if r["grouping"] == "segment"]
        segments.sort(key=lambda r: (r["label"] == OTHER, -r["units"], r["label"]))
        result.breakdowns = [SegmentStats(value=r["label"], **_stats(query, r)) for r in segments]
    return result
