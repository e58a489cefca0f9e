"""Funnels: how many units (persons, accounts or sessions) reached each step, how long the steps
took, by breakdown value. Attempts are followed and chosen by the rules in attempts.py.

A funnel is answered in one of two forms giving the same totals (funnel_totals.py): one SQL
statement, or, for the common shape whose steps never overlap, a walk in one pass over the
step events the database sorted (funnel_walk.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights._sql import OTHER, Compilation, CompiledSql, records, with_ctes
from waypost.insights.actions import Actions
from waypost.insights.attempts import funnel_units, ranked_events, steps_never_overlap
from waypost.insights.funnel_totals import FunnelTotals, HistogramBin, histogram
from waypost.insights.funnel_walk import StepEvents, Walk, walk_funnel
from waypost.insights.queries import Breakdown, FunnelQuery


class FunnelStep(BaseModel):
    index: int
    event: str | None
    action: str | None
    count: int
    conversion_from_previous: float
    conversion_from_first: float
    average_seconds_from_previous: float | None
    median_seconds_from_previous: float | None


class FunnelBreakdown(BaseModel):
    value: str
    steps: list[FunnelStep]


class FunnelResult(BaseModel):
    kind: str = "funnel"
    steps: list[FunnelStep]
    histogram: list[HistogramBin]
    breakdowns: list[FunnelBreakdown] | None = None


def compile_funnel(
    query: FunnelQuery,
    app_id: str,
    actions: Actions | None = None,
    breakdown: Breakdown | None = None,
) -> CompiledSql:
    """One statement answering the funnel, by `breakdown`: a row per breakdown value (one row
    without a breakdown) with each step's count, average and median microseconds from the
    previous step, and the histogram."""
    sql = Compilation(actions)
    ctes = funnel_units(query, app_id, sql, breakdown)
    n = len(query.steps)
    if breakdown is not None:
        limit = sql.bind(breakdown.limit)
        ctes.append(
            """ranks AS (
  SELECT label, row_number() OVER (ORDER BY count(*) DESC, label) AS r FROM units GROUP BY label
)"""
        )
        grouping = f"CASE WHEN ranks.r <= {limit} THEN units.label ELSE '{OTHER}' END"
        source = "units JOIN ranks USING (label)"
    else:
        grouping, source = "''", "units"
    aggregates = []
    for k in range(n):
        reached = f"level > {k}"
        aggregates.append(f"count(*) FILTER (WHERE {reached}) AS c{k}")
        if k:
            gap = f"(epoch_us(ts{k}) - epoch_us(ts{k - 1}))"
            kept = f"{reached} AND {gap} > 0"
            aggregates.append(f"avg({gap}) FILTER (WHERE {kept}) AS avg{k}")
            aggregates.append(f"median({gap}) FILTER (WHERE {kept}) AS med{k}")
    start, end = query.histogram_steps or (0, n - 1)
    bins = sql.bind(query.histogram_bins)
    ctes.append(
        f"""spans AS (
  SELECT (epoch_us(ts{end}) - epoch_us(ts{start})) // 1000000 AS v FROM units WHERE level > {end}
)"""
    )
    ctes.append(
        f"""histogram AS (
  SELECT list([bin, n] ORDER BY bin) AS bins, min(lo) AS lo, min(width) AS width FROM (
    SELECT (v - lo) // width AS bin, count(*) AS n, min(lo) AS lo, min(width) AS width
    FROM spans, (
      SELECT min(v) AS lo, greatest(1, (max(v) - min(v) + {bins}) // {bins}) AS width
      FROM spans
    ) bounds
    GROUP BY bin
  )
)"""
    )
    return sql.statement(
        with_ctes(
            ctes,
            f"""SELECT {grouping} AS label, {", ".join(aggregates)},
       (SELECT bins FROM histogram) AS histogram, (SELECT lo FROM histogram) AS lo,
       (SELECT width FROM histogram) AS width
FROM {source}
GROUP BY 1""",
        )
    )


def compile_step_events(
    query: FunnelQuery, app_id: str, actions: Actions | None = None
) -> CompiledSql:
    """The funnel's relevant events in the order funnel_walk.py walks them: by unit, then time
    and step. Only for funnels whose steps never overlap (`steps_never_overlap`)."""
    sql = Compilation(actions)
    ctes = ranked_events(query, app_id, sql)
    exclusion = (
        "CASE " + " ".join(f"WHEN x{i} THEN {i}" for i in range(len(query.exclusions))) + " END"
        if query.exclusions
        else "NULL"
    )
    return sql.statement(
        with_ctes(
            ctes,
            f"""SELECT unit, epoch_us(ts) AS at, m AS step, coalesce({exclusion}, -1) AS exclusion
FROM ranked
ORDER BY unit, pos""",
        )
    )


def run_funnel(
    store: EventQueries,
    app_id: str,
    query: FunnelQuery,
    actions: Actions | None = None,
    one_pass: bool = True,
) -> FunnelResult:
    """Answer a funnel query from the event store.

    Funnels whose steps never overlap are walked in one pass (funnel_walk.py) unless
    `one_pass` is false; the rest, and every breakdown, are answered by one SQL statement
    each."""
    n = len(query.steps)
    if one_pass and steps_never_overlap(query):
        total = _walk(store, query, compile_step_events(query, app_id, actions))
    else:
        rows = records(store, compile_funnel(query, app_id, actions))
        total = _totals(rows[0], n) if rows else None
    total = total or FunnelTotals.nobody(n)
    result = FunnelResult(steps=_steps(query, total), histogram=total.histogram)
    if query.breakdown is not None:
        rows = records(store, compile_funnel(query, app_id, actions, query.breakdown))
        rows.sort(key=lambda row: (row["label"] == OTHER, -row["c0"], row["label"]))
        result.breakdowns = [
            FunnelBreakdown(value=row["label"], steps=_steps(query, _totals(row, n)))
            for row in rows
        ]
    return result


def _walk(store: EventQueries, query: FunnelQuery, compiled: CompiledSql) -> FunnelTotals | None:
    n = len(query.steps)
    walk = Walk(
        steps=n,
        window_us=query.window_seconds * 1_000_000,
        exclusions=[(x.from_step, x.to_step) for x in query.exclusions],
        histogram_steps=query.histogram_steps or (0, n - 1),
        bins=query.histogram_bins,
    )
    return walk_funnel(
        StepEvents.from_arrow(store.query_arrow(compiled.sql, compiled.params)), walk
    )


def _totals(row: dict[str, Any], steps: int) -> FunnelTotals:
    """The totals in one row of compile_funnel's statement."""
    return FunnelTotals(
        counts=[int(row[f"c{k}"]) for k in range(steps)],
        average_us=[None, *(row[f"avg{k}"] for k in range(1, steps))],
        median_us=[None, *(row[f"med{k}"] for k in range(1, steps))],
        histogram=histogram(row["histogram"], row["lo"], row["width"]),
    )


def _steps(query: FunnelQuery, totals: FunnelTotals) -> list[FunnelStep]:
    counts = totals.counts
    steps = []
    for k, step in enumerate(query.steps):
        previous = counts[k - 1] if k else counts[0]
        average, median = totals.average_us[k], totals.median_us[k]
        steps.append(
            FunnelStep(
                index=k,
                event=step.event,
                action=step.action,
                count=counts[k],
                conversion_from_previous=counts[k] / previous if previous else 0.0,
                conversion_from_first=counts[k] / counts[0] if counts[0] else 0.0,
                average_seconds_from_previous=None if average is None else average / 1e6,
                median_seconds_from_previous=None if median is None else median / 1e6,
            )
        )
    return steps
