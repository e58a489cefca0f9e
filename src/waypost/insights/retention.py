"""Retention: of the units in each period's cohort, how many came back in each later period.

A unit joins the cohort of every period in which it did the start event (recurring), or only of
the period of its first start event ever (first time; found over all history, so a person who
started before the range is in no cohort). Cell (i, j) counts the members of cohort i who did the
returning event in period i + j; cell (i, 0) is the cohort's size.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights._sql import UNIT_COLUMNS, Compilation, CompiledSql, bucket
from waypost.insights.actions import Actions
from waypost.insights.intervals import interval_starts, utc_offsets
from waypost.insights.queries import CohortType, Interval, RetentionQuery, naive_utc


class Cohort(BaseModel):
    start: datetime
    size: int
    values: list[int]
    rates: list[float]


class RetentionResult(BaseModel):
    kind: str = "retention"
    interval: Interval
    timezone: str
    cohorts: list[Cohort]


def compile_retention(
    query: RetentionQuery, app_id: str, actions: Actions | None = None
) -> CompiledSql:
    """Rows (cohort period, active period or NULL for the cohort's size, units)."""
    sql = Compilation(actions)
    props, params = sql.props, sql.params
    unit = UNIT_COLUMNS[query.aggregate_by]
    # Every timestamp bucketed below is inside the range, so the zone's offsets there are all
    # the buckets need; no lookup per event.
    offsets = utc_offsets(query.timezone, query.date_from, query.date_to)
    period = bucket(params, "e.timestamp", query.interval.value, query.timezone, offsets)
    common = props.scope(query, app_id, unit, dates=False)
    since = f"e.timestamp >= {params.add(naive_utc(query.date_from))}"
    until = f"e.timestamp < {params.add(naive_utc(query.date_to))}"

    same = query.start == query.returning
    start = props.matches(query.start)
    returning = start if same else props.matches(query.returning)
    events = props.events_view(query.aggregate_by)
    if query.cohort_type is CohortType.FIRST_TIME:
        first = bucket(params, "min(e.timestamp)", query.interval.value, query.timezone, offsets)
        returns = " AND ".join([*common, since, until, returning])
        ctes = f"""cohorts AS (
  SELECT {unit} AS unit, {first} AS period
  FROM {events} e {props.joins()} WHERE {" AND ".join([*common, start])} GROUP BY {unit}
  HAVING min(e.timestamp) >= {params.add(naive_utc(query.date_from))}
     AND min(e.timestamp) < {params.add(naive_utc(query.date_to))}
), activity AS (
  SELECT DISTINCT {unit} AS unit, {period} AS period
  FROM {events} e {props.joins()} WHERE {returns}
)"""
    else:
        # Both sides read the same range: one scan marks each (unit, period) as started and/or
        # returned, instead of a scan and a DISTINCT each. (The usual "any event, then any
        # event" needs no marks at all.)
        either = start if same else f"(({start}) OR ({returning}))"
        started = "true" if same else f"bool_or({start})"
        returned = "true" if same else f"bool_or({returning})"
        ctes = f"""periods AS (
  SELECT {unit} AS unit, {period} AS period, {started} AS started, {returned} AS returned
  FROM {events} e {props.joins()} WHERE {" AND ".join([*common, since, until, either])}
  GROUP BY 1, 2
), cohorts AS (
  SELECT unit, period FROM periods WHERE started
), activity AS (
  SELECT unit, period FROM periods WHERE returned
)"""
    return sql.statement(f"""WITH {ctes}
SELECT period AS cohort, NULL AS active, count(*) AS units FROM cohorts GROUP BY period
UNION ALL
SELECT c.period, a.period, count(*) FROM cohorts c
JOIN activity a ON a.unit = c.unit AND a.period > c.period
GROUP BY c.period, a.period""")


def run_retention(
    store: EventQueries,
    app_id: str,
    query: RetentionQuery,
    actions: Actions | None = None,
) -> RetentionResult:
    """Answer a retention query from the event store."""
    compiled = compile_retention(query, app_id, actions=actions)
    _, rows = store.query(compiled.sql, compiled.params)
    starts = interval_starts(query.date_from, query.date_to, query.interval, query.timezone)
    index = {start: i for i, start in enumerate(starts)}
    sizes = [0] * len(starts)
    cells = [[0] * (len(starts) - i) for i in range(len(starts))]
    for cohort, active, units in rows:
        if cohort not in index:
            continue
        i = index[cohort]
        if active is None:
            sizes[i] = cells[i][0] = int(units)
        elif active in index:
            cells[i][index[active] - i] = int(units)
    zone = ZoneInfo(query.timezone)
    return RetentionResult(
        interval=query.interval,
        timezone=query.timezone,
        cohorts=[
            Cohort(
                start=start.replace(tzinfo=zone),
                size=sizes[i],
                values=cells[i],
                rates=[value / sizes[i] if sizes[i] else 0.0 for value in cells[i]],
            )
            for i, start in enumerate(starts)
        ],
    )
