"""Goals: of the people whose clock started in the range (they saw a content item, did a start
event such as signing up, or are in a saved segment), how many reached the goal event within
N days of their start, how soon, and by cohort of their start.

Waypost does not record when someone entered a segment, so a segment's members start at their
first event in the range. Goal events after the range count: a start near its end still gets
its whole window.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights._sql import Compilation, bucket, one_of, plus_seconds, records
from waypost.insights.actions import Actions
from waypost.insights.catalog import ContentCatalog
from waypost.insights.engagement import SHOWN
from waypost.insights.intervals import interval_starts
from waypost.insights.properties import PropertySql
from waypost.insights.queries import AggregateBy, EventMatch, GoalQuery
from waypost.insights.stats import wilson


class GoalCohort(BaseModel):
    start: datetime
    started: int
    reached: int
    rate: float | None


class GoalResult(BaseModel):
    kind: str = "goal"
    started: int
    reached: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    median_seconds: float | None
    trend: list[GoalCohort]


def _start_condition(query: GoalQuery, props: PropertySql, catalog: ContentCatalog) -> str:
    """Which events start a person's clock."""
    start, bind = query.start, props.params.add
    if start.item is not None:
        item = catalog.item(start.item, "start.item")
        shown = SHOWN.get(item.kind, "$guide_shown")
        return f"(e.event = {bind(shown)} AND e.content_id = {bind(start.item)})"
    if start.segment is not None:
        members = catalog.segment_members([start.segment], "start.segment")[start.segment]
        return f"e.person_id IN (SELECT unnest({bind(sorted(members))}::BIGINT[]))"
    return props.matches(EventMatch(event=start.event, action=start.action, where=start.where))


def run_goal(
    store: EventQueries,
    app_id: str,
    query: GoalQuery,
    actions: Actions | None,
    catalog: ContentCatalog,
) -> GoalResult:
    """Answer a goal query from the event store."""
    sql = Compilation(actions)
    props, params = sql.props, sql.params
    conditions = props.scope(query, app_id, "e.person_id", guidance=True)
    conditions.append(_start_condition(query, props, catalog))
    starts_view, starts_joins = props.events_view(AggregateBy.PERSON), props.joins()
    goal_props = PropertySql(params, actions)
    goal_match = goal_props.matches(query.goal)
    goal_view, goal_joins = goal_props.events_view(AggregateBy.PERSON), goal_props.joins()
    window = params.add(query.within_days * 86400)
    goal_where = [f"e.app_id = {params.add(app_id)}", goal_match]
    if query.goal.event is not None:
        # The same as the goal's condition, spelled so the scan can skip other events.
        goal_where.append(one_of("e.event", params.add([query.goal.event])))
    cohort = bucket(params, "started", query.interval.value, query.timezone)
    # Counted here, the median too: quantile_cont(0.5) is the middle value, or the mean of the
    # two middle values, as statistics.median.
    counts = """count(*) AS started, count(reached_at) AS reached,
  quantile_cont(epoch_us(reached_at) - epoch_us(started), 0.5) AS median_us"""
    rows = records(
        store,
        sql.statement(f"""WITH starts AS (
  SELECT e.person_id AS unit, min(e.timestamp) AS started
  FROM {starts_view} e {starts_joins}
  WHERE {" AND ".join(conditions)}
  GROUP BY e.person_id
), goals AS (
  SELECT e.person_id AS unit, e.timestamp AS ts
  FROM {goal_view} e {goal_joins}
  WHERE {" AND ".join(goal_where)} AND e.person_id IN (SELECT unit FROM starts)
), units AS (
  SELECT s.started, min(g.ts) AS reached_at
  FROM starts s LEFT JOIN goals g
    ON g.unit = s.unit AND g.ts >= s.started AND g.ts <= {plus_seconds("s.started", window)}
  GROUP BY s.unit, s.started
)
SELECT true AS overall, NULL AS cohort, {counts} FROM units
UNION ALL
SELECT false, {cohort}, {counts} FROM units GROUP BY 2"""),
    )
    overall = next(row for row in rows if row["overall"])
    by_cohort = {row["cohort"]: row for row in rows if not row["overall"]}
    started, reached = int(overall["started"]), int(overall["reached"])
    share = wilson(reached, started, "nobody started")
    zone = ZoneInfo(query.timezone)
    trend = []
    for start in interval_starts(query.date_from, query.date_to, query.interval, query.timezone):
        row = by_cohort.get(start)
        begun, hit = (int(row["started"]), int(row["reached"])) if row else (0, 0)
        trend.append(
            GoalCohort(
                start=start.replace(tzinfo=zone),
                started=begun,
                reached=hit,
                rate=hit / begun if begun else None,
            )
        )
    median = overall["median_us"]
    return GoalResult(
        started=started,
        reached=reached,
        rate=share.value,
        ci_low=share.ci_low,
        ci_high=share.ci_high,
        median_seconds=None if median is None else float(median) / 1e6,
        trend=trend,
    )
