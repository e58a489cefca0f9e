"""Funnels: how far each person (or account, or session) got through a sequence of steps.

The rules, which the reference implementation in the tests spells out in plain Python:

- Each unit's events are put in one order: by time, then by the first step an event matches (so
  different steps at the same moment are taken in step order), then by message id.
- Every event matching step 0 starts an attempt. An ordered attempt takes, for each next step,
  the first later event matching it, within `window_seconds` of the attempt's start (inclusive);
  a strict attempt needs that event to be the very next one. One event advances an attempt by
  one step at most. An unordered attempt starts at any step's event and counts the distinct
  steps done within the window, each event counting for the first step it matches.
- An exclusion voids an attempt when its event comes after the attempt reached `from_step` and
  before it reached `to_step` (or, if it never did, within the window).
- A unit counts at the furthest step any attempt reached, through the earliest clean attempt
  that got that far; when every attempt that got that far is void, the unit is left out.
- Times between steps come from that attempt; zero-second conversions are left out of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights.actions import ActionStep
from waypost.insights.dialects import Dialect, DuckDBDialect, Params
from waypost.insights.funnel_walk import StepEvents, Walk, walk_funnel
from waypost.insights.properties import PropertySql
from waypost.insights.queries import (
    AggregateBy,
    Attribution,
    FunnelOrder,
    FunnelQuery,
)

OTHER = "Other"
UNIT_COLUMNS = {
    AggregateBy.PERSON: "e.person_id",
    AggregateBy.ACCOUNT: "e.account_id",
    AggregateBy.SESSION: "e.session_id",
}


class FunnelStep(BaseModel):
    index: int
    event: str | None
    count: int
    conversion_from_previous: float
    conversion_from_first: float
    average_seconds_from_previous: float | None
    median_seconds_from_previous: float | None


class HistogramBin(BaseModel):
    from_seconds: int
    to_seconds: int
    count: int


class FunnelBreakdown(BaseModel):
    value: str
    steps: list[FunnelStep]


class FunnelResult(BaseModel):
    kind: str = "funnel"
    steps: list[FunnelStep]
    histogram: list[HistogramBin]
    breakdowns: list[FunnelBreakdown] | None = None


@dataclass(frozen=True)
class CompiledSql:
    """A statement and the values bound to it."""

    sql: str
    params: dict[str, Any]


def funnel_units(
    query: FunnelQuery, app_id: str, d: Dialect, params: Params, props: PropertySql
) -> list[str]:
    """The CTEs up to `units`: per counted unit, its label, furthest `level` and the time of
    each step reached (`ts0`, `ts1`, …), by the rules above."""
    ctes = _ranked(query, app_id, d, params, props)
    n = len(query.steps)
    window = params.add(query.window_seconds)
    breakdown = query.breakdown
    per_value = _per_value(query)
    part = "unit, b" if per_value else "unit"
    same_unit = "a.unit = c.unit" + (" AND a.b = c.b" if per_value else "")
    in_window = f"c.ts <= {d.plus_seconds('a.ts0', window)}"
    if query.order is FunnelOrder.UNORDERED:
        ctes.append(
            f"a0 AS (SELECT {part}, pos AS pos0, ts AS ts0, b AS b0 FROM ranked WHERE m < {n})"
        )
        for k in range(n):
            ctes.append(
                f"""a{k + 1} AS (
  SELECT a.*, CASE WHEN {in_window} THEN c.ts END AS t{k}
  FROM a{k} a ASOF LEFT JOIN (SELECT * FROM ranked WHERE m = {k}) c
    ON {same_unit} AND a.pos0 <= c.pos
)"""
            )
        done = d.sorted_non_null([f"t{k}" for k in range(n)])
        level = f"{d.list_length(done)}"
        times = [f"{d.list_item(done, k)}" for k in range(n)]
        ctes.append(
            f"""attempts AS (
  SELECT {part}, pos0, b0, {level} AS level, false AS void,
         {", ".join(f"{t} AS ts{k}" for k, t in enumerate(times))}
  FROM a{n}
)"""
        )
    else:
        ctes.append(f"a0 AS (SELECT {part}, pos AS pos0, ts AS ts0, b AS b0 FROM ranked WHERE s0)")
        for k in range(1, n):
            if query.order is FunnelOrder.STRICT:
                join = f"LEFT JOIN ranked c ON {same_unit} AND c.pos = a.pos{k - 1} + 1 AND c.s{k}"
            else:
                join = (
                    f"ASOF LEFT JOIN (SELECT * FROM ranked WHERE s{k}) c "
                    f"ON {same_unit} AND a.pos{k - 1} < c.pos"
                )
            ctes.append(
                f"""a{k} AS (
  SELECT a.*, CASE WHEN {in_window} THEN c.pos END AS pos{k},
         CASE WHEN {in_window} THEN c.ts END AS ts{k},
         CASE WHEN {in_window} THEN c.b END AS b{k}
  FROM a{k - 1} a {join}
)"""
            )
        last = f"a{n - 1}"
        for i, x in enumerate(query.exclusions):
            ctes.append(
                f"""q{i} AS (
  SELECT a.*, c.pos AS qpos{i}, c.ts AS qts{i}
  FROM {last} a ASOF LEFT JOIN (SELECT * FROM ranked WHERE x{i}) c
    ON {same_unit} AND a.pos{x.from_step} < c.pos
)"""
            )
            last = f"q{i}"
        voids = [
            f"(qpos{i} IS NOT NULL AND CASE WHEN pos{x.to_step} IS NOT NULL "
            f"THEN qpos{i} < pos{x.to_step} "
            f"ELSE qts{i} <= {d.plus_seconds('ts0', window)} END)"
            for i, x in enumerate(query.exclusions)
        ]
        level = (
            "CASE "
            + " ".join(f"WHEN pos{k} IS NOT NULL THEN {k + 1}" for k in reversed(range(n)))
            + " END"
        )
        ctes.append(
            f"""attempts AS (
  SELECT *, {level} AS level, {" OR ".join(voids) or "false"} AS void FROM {last}
)"""
        )
    if breakdown is None or per_value:
        label = "b" if per_value else "''"
    elif breakdown.attribution is Attribution.STEP:
        label = f"coalesce(b{breakdown.step}, '')"
    elif breakdown.attribution is Attribution.LAST_TOUCH:
        label = "CASE level " + " ".join(f"WHEN {k + 1} THEN b{k}" for k in range(n)) + " END"
    else:
        label = "b0"
    ctes.append(
        f"""units AS (
  SELECT {label} AS label, * FROM (
    SELECT a.*, row_number() OVER (PARTITION BY {part} ORDER BY pos0) AS pick
    FROM attempts a
    JOIN (SELECT {part}, max(level) AS best FROM attempts GROUP BY {part}) best USING ({part})
    WHERE a.level = best.best AND NOT a.void
  ) WHERE pick = 1
)"""
    )
    return ctes


def _per_value(query: FunnelQuery) -> bool:
    """Whether each breakdown value is a funnel of its own (attribution `all_events`)."""
    breakdown = query.breakdown
    return breakdown is not None and breakdown.attribution is Attribution.ALL_EVENTS


def _ranked(
    query: FunnelQuery, app_id: str, d: Dialect, params: Params, props: PropertySql
) -> list[str]:
    """The CTEs `flagged` (the unit's events in scope, with a flag per step `s0`, … and per
    exclusion `x0`, …) and `ranked` (those a step or exclusion matches, with `m`, the first
    step an event matches, and `pos`, its place in the unit's order)."""
    n = len(query.steps)
    breakdown = query.breakdown
    step_flags = [f"{props.matches(step)} AS s{k}" for k, step in enumerate(query.steps)]
    exclusion_flags = [f"{props.matches(x)} AS x{i}" for i, x in enumerate(query.exclusions)]
    value = props.text(breakdown.source, breakdown.property) if breakdown else "''"
    conditions = props.scope(query, app_id, UNIT_COLUMNS[query.aggregate_by])
    named = [step.event for step in query.steps] + [x.event for x in query.exclusions]
    if query.order is not FunnelOrder.STRICT and None not in named:
        # Only events a step or an exclusion names can count, so the scan can skip the rest.
        conditions.append(d.one_of("e.event", params.add(sorted(set(named)))))
    # The first step an event matches (n: none, so an exclusion or, in strict funnels, another).
    step = "CASE " + " ".join(f"WHEN s{k} THEN {k}" for k in range(n)) + f" ELSE {n} END"
    relevant = " OR ".join(
        [f"s{k}" for k in range(n)] + [f"x{i}" for i in range(len(query.exclusions))]
    )
    part = "unit, b" if _per_value(query) else "unit"
    # Conditions are compiled by now, so the joins they need are known.
    events = props.events_view(query.aggregate_by)
    return [
        f"""flagged AS (
  SELECT {UNIT_COLUMNS[query.aggregate_by]} AS unit, e.timestamp AS ts, e.message_id,
         {value} AS b, {", ".join(step_flags + exclusion_flags)}
  FROM {events} e
  {props.joins()}
  WHERE {" AND ".join(conditions)}
)""",
        f"""ranked AS (
  SELECT *, {step} AS m, {_position(query, d, part, step)} AS pos
  FROM flagged
  {"" if query.order is FunnelOrder.STRICT else f"WHERE {relevant}"}
)""",
    ]


def _position(query: FunnelQuery, d: Dialect, part: str, step: str) -> str:
    """Each relevant event's place in its unit's order: by time, then step, then message id.

    When no event can match two of the steps and exclusions (an ordered funnel whose steps and
    exclusions name different events, without a breakdown), events tied on (time, step) are
    interchangeable: any of them leads to the same later matches, times and counts. Then
    `time * (n + 1) + step` orders them as well as a row number does, without a window's sort by
    unit (about a fifth of a large funnel's time). Otherwise the row number is needed.
    """
    if steps_never_overlap(query):
        return f"{d.epoch_us('ts')} * {len(query.steps) + 1} + {step}"
    return f"row_number() OVER (PARTITION BY {part} ORDER BY ts, {step}, message_id)"


def steps_never_overlap(query: FunnelQuery) -> bool:
    """Whether no event can match two of an ordered funnel's steps and exclusions (each names
    an event, all different) and no breakdown needs the message-id order."""
    matches = [*query.steps, *query.exclusions]
    names = [match.event for match in matches]
    return (
        query.order is FunnelOrder.ORDERED
        and query.breakdown is None
        and all(match.action is None and match.event is not None for match in matches)
        and len(set(names)) == len(names)
    )


def compile_funnel(
    query: FunnelQuery,
    app_id: str,
    dialect: Callable[[Params], Dialect] = DuckDBDialect,
    actions: Mapping[str, list[ActionStep]] | None = None,
) -> CompiledSql:
    """One statement answering the funnel: a row per breakdown value (one row without a
    breakdown) with each step's count, average and median seconds, and the histogram."""
    params = Params()
    d = dialect(params)
    props = PropertySql(d, params, actions)
    ctes = funnel_units(query, app_id, d, params, props)
    n = len(query.steps)
    breakdown = query.breakdown
    if breakdown is not None:
        limit = params.add(breakdown.limit)
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
        aggregates.append(f"{d.count_if(reached)} AS c{k}")
        if k:
            gap = f"({d.epoch_us(f'ts{k}')} - {d.epoch_us(f'ts{k - 1}')})"
            kept = f"{reached} AND {gap} > 0"
            aggregates.append(f"{d.avg_if(gap, kept)} AS avg{k}")
            aggregates.append(f"{d.median_if(gap, kept)} AS med{k}")
    start, end = query.histogram_steps or (0, n - 1)
    bins = params.add(query.histogram_bins)
    ctes.append(
        f"""spans AS (
  SELECT {d.int_div(f"{d.epoch_us(f'ts{end}')} - {d.epoch_us(f'ts{start}')}", "1000000")} AS v
  FROM units WHERE level > {end}
)"""
    )
    ctes.append(
        f"""histogram AS (
  SELECT {d.collect_pairs("bin", "n")} AS bins, min(lo) AS lo, min(width) AS width FROM (
    SELECT {d.int_div("v - lo", "width")} AS bin, count(*) AS n, min(lo) AS lo,
           min(width) AS width
    FROM spans, (
      SELECT min(v) AS lo,
             greatest(1, {d.int_div(f"max(v) - min(v) + {bins}", bins)}) AS width
      FROM spans
    ) bounds
    GROUP BY bin
  )
)"""
    )
    sql = (
        "WITH "
        + ",\n".join(ctes)
        + f"""
SELECT {grouping} AS label, {", ".join(aggregates)},
       (SELECT bins FROM histogram) AS histogram, (SELECT lo FROM histogram) AS lo,
       (SELECT width FROM histogram) AS width
FROM {source}
GROUP BY 1"""
    )
    return CompiledSql(sql, params.values)


def compile_step_events(
    query: FunnelQuery,
    app_id: str,
    dialect: Callable[[Params], Dialect] = DuckDBDialect,
    actions: Mapping[str, list[ActionStep]] | None = None,
) -> CompiledSql:
    """The funnel's relevant events in the order funnel_walk.py walks them: by unit, then time
    and step. Only for funnels whose steps never overlap (`steps_never_overlap`)."""
    params = Params()
    d = dialect(params)
    props = PropertySql(d, params, actions)
    ctes = _ranked(query, app_id, d, params, props)
    exclusion = (
        "CASE " + " ".join(f"WHEN x{i} THEN {i}" for i in range(len(query.exclusions))) + " END"
        if query.exclusions
        else "NULL"
    )
    sql = (
        "WITH "
        + ",\n".join(ctes)
        + f"""
SELECT unit, {d.epoch_us("ts")} AS at, m AS step, coalesce({exclusion}, -1) AS exclusion
FROM ranked
ORDER BY unit, pos"""
    )
    return CompiledSql(sql, params.values)


def run_funnel(
    store: EventQueries,
    app_id: str,
    query: FunnelQuery,
    actions: Mapping[str, list[ActionStep]] | None = None,
    one_pass: bool = True,
) -> FunnelResult:
    """Answer a funnel query from the event store.

    Funnels whose steps never overlap are walked in one pass (funnel_walk.py) unless
    `one_pass` is false; the rest, and every breakdown, are answered by one SQL statement
    each."""
    overall = query.model_copy(update={"breakdown": None})
    if one_pass and steps_never_overlap(overall):
        total = _walk(store, overall, compile_step_events(overall, app_id, actions=actions))
    else:
        totals = _rows(store, compile_funnel(overall, app_id, actions=actions))
        total = totals[0] if totals else None
    result = FunnelResult(
        steps=_steps(query, total),
        histogram=_histogram(total),
    )
    if query.breakdown is not None:
        rows = _rows(store, compile_funnel(query, app_id, actions=actions))
        rows.sort(key=lambda row: (row["label"] == OTHER, -row["c0"], row["label"]))
        result.breakdowns = [
            FunnelBreakdown(value=row["label"], steps=_steps(query, row)) for row in rows
        ]
    return result


def _walk(store: EventQueries, query: FunnelQuery, compiled: CompiledSql) -> dict[str, Any] | None:
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


def _rows(store: EventQueries, compiled: CompiledSql) -> list[dict[str, Any]]:
    columns, rows = store.query(compiled.sql, compiled.params)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _steps(query: FunnelQuery, row: dict[str, Any] | None) -> list[FunnelStep]:
    counts = [int(row[f"c{k}"]) if row else 0 for k in range(len(query.steps))]
    steps = []
    for k, step in enumerate(query.steps):
        previous = counts[k - 1] if k else counts[0]
        average = row.get(f"avg{k}") if row and k else None
        median = row.get(f"med{k}") if row and k else None
        steps.append(
            FunnelStep(
                index=k,
                event=step.event,
                count=counts[k],
                conversion_from_previous=counts[k] / previous if previous else 0.0,
                conversion_from_first=counts[k] / counts[0] if counts[0] else 0.0,
                average_seconds_from_previous=None if average is None else average / 1e6,
                median_seconds_from_previous=None if median is None else median / 1e6,
            )
        )
    return steps


def _histogram(row: dict[str, Any] | None) -> list[HistogramBin]:
    if not row or not row.get("histogram"):
        return []
    counts = {int(b): int(n) for b, n in row["histogram"]}
    lo, width = int(row["lo"]), int(row["width"])
    return [
        HistogramBin(
            from_seconds=lo + b * width, to_seconds=lo + (b + 1) * width, count=counts.get(b, 0)
        )
        for b in range(max(counts) + 1)
    ]
