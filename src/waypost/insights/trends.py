"""Trends: how many events, persons or accounts per hour, day, week or month.

Intervals follow the query's time zone (a Tokyo team's "day" starts at midnight in Tokyo) and
weeks start on Monday. Every interval of the range is listed, empty ones as 0. A series' total
counts distinct persons or accounts over the whole range, not the sum of its intervals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights._sql import OTHER, Compilation, CompiledSql, bucket, records
from waypost.insights.actions import Actions
from waypost.insights.intervals import interval_starts, utc_offsets
from waypost.insights.properties import PropertySql
from waypost.insights.queries import Interval, Math, TrendsQuery

_COUNTS = {
    Math.TOTAL: "count(*)",
    Math.PERSONS: "count(DISTINCT e.person_id)",
    Math.ACCOUNTS: "count(DISTINCT e.account_id)",
}


class TrendSeries(BaseModel):
    index: int
    label: str
    event: str | None
    math: Math
    breakdown_value: str | None
    values: list[int]
    total: int


class TrendsResult(BaseModel):
    kind: str = "trends"
    interval: Interval
    timezone: str
    buckets: list[datetime]
    series: list[TrendSeries]


def compile_trends(query: TrendsQuery, app_id: str, actions: Actions | None = None) -> CompiledSql:
    """One statement: per series (and breakdown value), a row per interval with events in it
    and a row with the whole range's total (interval NULL)."""
    sql = Compilation(actions)
    params = sql.params
    parts = []
    offsets = utc_offsets(query.timezone, query.date_from, query.date_to)
    for index, series in enumerate(query.series):
        # Each series' select joins in only the traits its own conditions name.
        props = PropertySql(params, actions)
        unit = "e.account_id" if series.math is Math.ACCOUNTS else None
        conditions = [*props.scope(query, app_id, unit), props.matches(series)]
        breakdown = query.breakdown
        value = props.text(breakdown.source, breakdown.property) if breakdown else "''"
        period = bucket(params, "e.timestamp", query.interval.value, query.timezone, offsets)
        count = _COUNTS[series.math]
        selected = f"""
  SELECT {period} AS bucket, {value} AS b, e.person_id, e.account_id
  FROM resolved_events e
  {props.joins()}
  WHERE {" AND ".join(conditions)}"""
        if breakdown:
            limit = params.add(breakdown.limit)
            labelled = f"""(
  SELECT CASE WHEN ranks.r <= {limit} THEN s.b ELSE '{OTHER}' END AS label, s.*
  FROM ({selected}) s JOIN (
    SELECT b, row_number() OVER (ORDER BY {count} DESC, b) AS r
    FROM ({selected}) e GROUP BY b
  ) ranks USING (b)
)"""
        else:
            labelled = f"(SELECT '' AS label, s.* FROM ({selected}) s)"
        parts.append(
            f"""SELECT {index} AS series, bucket, label, {count} AS value
FROM {labelled} e
GROUP BY GROUPING SETS ((bucket, label), (label))"""
        )
    return sql.statement("\nUNION ALL\n".join(parts))


def run_trends(
    store: EventQueries,
    app_id: str,
    query: TrendsQuery,
    actions: Actions | None = None,
) -> TrendsResult:
    """Answer a trends query from the event store."""
    rows = records(store, compile_trends(query, app_id, actions))
    starts = interval_starts(query.date_from, query.date_to, query.interval, query.timezone)
    position = {start: i for i, start in enumerate(starts)}
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        entry = found.setdefault(
            (row["series"], row["label"]), {"values": [0] * len(starts), "total": 0}
        )
        if row["bucket"] is None:
            entry["total"] = int(row["value"])
        elif row["bucket"] in position:
            entry["values"][position[row["bucket"]]] = int(row["value"])
    zone = ZoneInfo(query.timezone)
    series = []
    for index, definition in enumerate(query.series):
        labels = sorted(
            (label for i, label in found if i == index),
            key=lambda label: (label == OTHER, -found[(index, label)]["total"], label),
        )
        if query.breakdown is None and not labels:
            labels = [""]
        for label in labels:
            entry = found.get((index, label), {"values": [0] * len(starts), "total": 0})
            series.append(
                TrendSeries(
                    index=index,
                    label=definition.label or definition.event or "all events",
                    event=definition.event,
                    math=definition.math,
                    breakdown_value=label if query.breakdown else None,
                    values=entry["values"],
                    total=entry["total"],
                )
            )
    return TrendsResult(
        interval=query.interval,
        timezone=query.timezone,
        buckets=[start.replace(tzinfo=zone) for start in starts],
        series=series,
    )
