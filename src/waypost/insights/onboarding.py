"""Onboarding completion: of the units that became new in the range (their first `new` event),
how many reached each milestone, and every milestone, within `within_days` of becoming new, in
any order; overall and per cohort (the interval in which they became new)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights._sql import (
    UNIT_COLUMNS,
    Compilation,
    CompiledSql,
    bucket,
    one_of,
    plus_seconds,
    records,
    with_ctes,
)
from waypost.insights.actions import Actions
from waypost.insights.intervals import interval_starts
from waypost.insights.queries import AggregateBy, Common, OnboardingQuery, Step


class Milestone(BaseModel):
    index: int
    event: str | None
    count: int
    share: float


class Completion(BaseModel):
    units: int
    completed: int
    completed_share: float
    milestones: list[Milestone]


class CohortCompletion(Completion):
    start: datetime


class OnboardingResult(BaseModel):
    kind: str = "onboarding"
    overall: Completion
    cohorts: list[CohortCompletion]


def onboarding_units(
    sql: Compilation,
    app_id: str,
    scope: Common,
    new: Step,
    milestones: Sequence[Step],
    within_days: int,
    aggregate_by: AggregateBy,
) -> list[str]:
    """The CTEs up to `units`: per unit new in the range (`started`: its first `new` event),
    whether it reached each milestone within the days (`done0`, `done1`, …) and all of them
    (`completed`)."""
    props, params = sql.props, sql.params
    unit = UNIT_COLUMNS[aggregate_by]
    conditions = props.scope(scope, app_id, unit)
    starts = props.matches(new)
    reached = [props.matches(m) for m in milestones]
    named = [new.event] + [m.event for m in milestones]
    if None not in named:
        # Only events the start or a milestone names count, so the scan can skip the rest.
        conditions.append(one_of("e.event", params.add(sorted(set(named)))))
    flags = [f"{match} AS m{k}" for k, match in enumerate(reached)]
    # Conditions first: compiling them registers the trait joins that joins() then lists.
    view, joins = props.events_view(aggregate_by), props.joins()
    window = params.add(within_days * 86400)
    done = [f"coalesce(bool_or(m.m{k}), false) AS done{k}" for k in range(len(milestones))]
    every = " AND ".join(f"coalesce(bool_or(m.m{k}), false)" for k in range(len(milestones)))
    any_milestone = " OR ".join(f"m{k}" for k in range(len(milestones)))
    # One scan for the starts and the milestones: each event the start or a milestone matches.
    return [
        f"""flagged AS MATERIALIZED (
  SELECT {unit} AS unit, e.timestamp AS ts, {starts} AS new, {", ".join(flags)}
  FROM {view} e {joins}
  WHERE {" AND ".join(conditions)} AND ({" OR ".join([starts, *reached])})
)""",
        "starts AS (SELECT unit, min(ts) AS started FROM flagged WHERE new GROUP BY unit)",
        f"""units AS (
  SELECT s.unit, s.started, {", ".join(done)}, {every} AS completed
  FROM starts s LEFT JOIN (SELECT * FROM flagged WHERE {any_milestone}) m
    ON m.unit = s.unit AND m.ts >= s.started AND m.ts <= {plus_seconds("s.started", window)}
  GROUP BY s.unit, s.started
)""",
    ]


def compile_onboarding(
    query: OnboardingQuery, app_id: str, actions: Actions | None = None
) -> CompiledSql:
    """Rows per cohort plus one overall (cohort NULL): units, completed, and per milestone."""
    sql = Compilation(actions)
    ctes = onboarding_units(
        sql, app_id, query, query.new, query.milestones, query.within_days, query.aggregate_by
    )
    cohort = bucket(sql.params, "started", query.cohort_interval.value, query.timezone)
    counts = [
        "count(*) AS units",
        "count(*) FILTER (WHERE completed) AS completed",
        *(f"count(*) FILTER (WHERE done{k}) AS c{k}" for k in range(len(query.milestones))),
    ]
    return sql.statement(
        with_ctes(
            ctes,
            f"""SELECT NULL AS cohort, {", ".join(counts)} FROM units
UNION ALL
SELECT {cohort}, {", ".join(counts)} FROM units GROUP BY 1""",
        )
    )


def _completion(query: OnboardingQuery, row: dict[str, Any] | None) -> dict[str, Any]:
    units = int(row["units"]) if row else 0
    completed = int(row["completed"]) if row else 0
    return {
        "units": units,
        "completed": completed,
        "completed_share": completed / units if units else 0.0,
        "milestones": [
            Milestone(
                index=k,
                event=m.event,
                count=int(row[f"c{k}"]) if row else 0,
                share=int(row[f"c{k}"]) / units if row and units else 0.0,
            )
            for k, m in enumerate(query.milestones)
        ],
    }


def run_onboarding(
    store: EventQueries,
    app_id: str,
    query: OnboardingQuery,
    actions: Actions | None = None,
) -> OnboardingResult:
    """Answer an onboarding-completion query from the event store."""
    found = records(store, compile_onboarding(query, app_id, actions))
    overall = next((r for r in found if r["cohort"] is None and r["units"]), None)
    by_cohort = {r["cohort"]: r for r in found if r["cohort"] is not None}
    starts = interval_starts(query.date_from, query.date_to, query.cohort_interval, query.timezone)
    zone = ZoneInfo(query.timezone)
    return OnboardingResult(
        overall=Completion(**_completion(query, overall)),
        cohorts=[
            CohortCompletion(
                start=start.replace(tzinfo=zone), **_completion(query, by_cohort.get(start))
            )
            for start in starts
        ],
    )
