"""Content engagement and lift: per content item, how often it was shown and to how many, how
many finished it, where walkthroughs lose people step by step, clicks, dismissals, how often
its element could not be found, and its goal for those who saw it against its holdout.

The lift compares people who saw the item with people drawn into its holdout (who were in
its audience and never saw it): each from their first sight (or holdout draw) in the range,
reaching the item's goal within its days. Goal events after the range count, so a start near
the range's end still gets its whole window.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights._sql import Compilation, one_of, plus_seconds, records
from waypost.insights.actions import Actions
from waypost.insights.catalog import ContentCatalog, ContentItemInfo
from waypost.insights.exports import ExportFile, csv_file
from waypost.insights.properties import PropertySql
from waypost.insights.queries import AggregateBy, EngagementQuery, EventMatch
from waypost.insights.stats import lift

SHOWN = {"survey": "$survey_shown"}
COMPLETED = {"survey": "$survey_answered", "task": "$task_completed"}
DISMISSED = {"survey": "$survey_dismissed"}
HOLDOUT = "$holdout_assigned"
GUIDANCE_EVENTS = (
    "$guide_shown",
    "$guide_step_viewed",
    "$guide_completed",
    "$guide_dismissed",
    "$guide_cta_clicked",
    "$guide_target_missing",
    "$survey_shown",
    "$survey_answered",
    "$survey_dismissed",
    "$task_completed",
    HOLDOUT,
)


class StepEngagement(BaseModel):
    """One walkthrough step: the people who saw it, as a share of those shown the walkthrough,
    and how many of the previous step's people it lost."""

    step: int
    people: int
    share: float | None
    dropped: int


class GoalLift(BaseModel):
    event: str | None
    action: str | None
    within_days: int
    exposed_people: int
    exposed_reached: int
    exposed_rate: float | None
    holdout_people: int
    holdout_reached: int
    holdout_rate: float | None
    lift_absolute: float | None
    lift_relative: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    significant: bool
    verdict: str


class ItemEngagement(BaseModel):
    key: str
    kind: str | None
    name: str | None
    shown: int
    people: int
    completed: int
    completion_rate: float | None
    steps: list[StepEngagement]
    cta_clicks: int
    dismissals: int
    target_missing: int
    target_missing_rate: float | None
    goal: GoalLift | None


class EngagementResult(BaseModel):
    kind: str = "engagement"
    items: list[ItemEngagement]


def _counts(
    store: EventQueries, app_id: str, query: EngagementQuery, actions: Actions | None
) -> tuple[dict[tuple[str, str], tuple[int, int]], dict[tuple[str, int], int]]:
    """Per (item, guidance event): events and distinct people; per (item, step): people who
    viewed the step."""
    sql = Compilation(actions)
    props = sql.props
    conditions = props.scope(query, app_id, "e.person_id", guidance=True)
    conditions.append(one_of("e.event", sql.bind(list(GUIDANCE_EVENTS))))
    if query.items is not None:
        conditions.append(one_of("e.content_id", sql.bind(query.items)))
    where = " AND ".join(conditions)
    view = props.events_view(AggregateBy.PERSON)
    joins = props.joins()
    # One read of the events. People are sets of bits, one bitstring per block of 65,536
    # person ids (the id's high bits pick the block, the low bits the bit): an item's people
    # over all its steps are the union of its steps' sets, and a set's size is its bits
    # counted; exact, with a few dozen groups where counting distinct ids would hash millions.
    rows = records(
        store,
        sql.statement(f"""WITH sets AS MATERIALIZED (
  SELECT e.content_id AS item, e.event, e.content_step AS step, e.person_id >> 16 AS block,
    count(*) AS events, bitstring_agg(e.person_id & 65535, 0, 65535) AS people
  FROM {view} e {joins}
  WHERE {where} AND e.content_id IS NOT NULL
  GROUP BY ALL
)
SELECT item, event, NULL::INTEGER AS step, sum(events) AS events, sum(people) AS people
FROM (
  SELECT item, event, block, sum(events) AS events, bit_count(bit_or(people)) AS people
  FROM sets GROUP BY item, event, block
) GROUP BY item, event
UNION ALL
SELECT item, event, step, sum(events), sum(bit_count(people))
FROM sets WHERE event = '$guide_step_viewed' AND step IS NOT NULL GROUP BY item, event, step"""),
    )
    totals: dict[tuple[str, str], tuple[int, int]] = {}
    steps: dict[tuple[str, int], int] = {}
    for row in rows:
        if row["step"] is None:
            totals[(row["item"], row["event"])] = (int(row["events"]), int(row["people"]))
        else:
            steps[(row["item"], int(row["step"]))] = int(row["people"])
    return totals, steps


def _goal_lifts(
    store: EventQueries,
    app_id: str,
    query: EngagementQuery,
    actions: Actions | None,
    items: list[ContentItemInfo],
) -> dict[str, GoalLift]:
    """Each item's goal reached by those who saw it and by its holdout, counted in one
    statement for every item whose goal has no property conditions (the rest, one by one)."""
    found = {}
    counted = []
    for item in items:
        goal = getattr(item.document, "goal", None)
        if goal is None:
            continue
        if goal.where:
            found[item.key] = _goal_lift(store, app_id, query, actions, item, goal)
        else:
            counted.append((item, goal))
    if not counted:
        return found
    sql = Compilation(actions)
    props, bind = sql.props, sql.bind
    conditions = props.scope(query, app_id, "e.person_id", guidance=True)
    # Each item starts at its holdout draw or at a show of its own kind's event: spelled as
    # lists the scan can skip other events by, and, when the items' kinds show with different
    # events, which items each event starts.
    by_show: dict[str, list[str]] = {}
    for item, _ in counted:
        by_show.setdefault(SHOWN.get(item.kind, "$guide_shown"), []).append(item.key)
    conditions.append(one_of("e.event", bind(sorted({*by_show, HOLDOUT}))))
    conditions.append(one_of("e.content_id", bind([item.key for item, _ in counted])))
    if len(by_show) > 1:
        shown = (
            f"(e.event = {bind(event)} AND list_contains({bind(keys)}, e.content_id))"
            for event, keys in by_show.items()
        )
        conditions.append(f"(e.event = {bind(HOLDOUT)} OR {' OR '.join(shown)})")
    starts_view, starts_joins = props.events_view(AggregateBy.PERSON), props.joins()
    # The goals' events are matched apart from the query's filters, which choose the starts.
    goal_props = PropertySql(sql.params, actions)
    reached = [
        goal_props.matches(EventMatch(event=goal.event, action=goal.action, where=[]))
        for _, goal in counted
    ]
    goal_view, goal_joins = goal_props.events_view(AggregateBy.PERSON), goal_props.joins()
    widest = bind(max(goal.within_days for _, goal in counted) * 86400)
    named = [goal.event for _, goal in counted]
    goal_where = [f"e.app_id = {bind(app_id)}", f"({' OR '.join(reached)})"]
    if None not in named:
        # The same as the goals' condition, spelled so the scan can skip other events.
        goal_where.append(one_of("e.event", bind(sorted(set(named)))))
    # Whether a goal event counts for the start it joined: the start's item's goal, in time.
    hit = " ".join(
        f"WHEN {bind(item.key)} THEN g.g{k} AND g.ts <= "
        f"{plus_seconds('s.started', bind(goal.within_days * 86400))}"
        for k, (item, goal) in enumerate(counted)
    )
    rows = records(
        store,
        sql.statement(f"""WITH starts AS (
  SELECT e.content_id AS item, e.person_id AS unit,
    arg_min(e.event, e.timestamp) = {bind(HOLDOUT)} AS holdout, min(e.timestamp) AS started
  FROM {starts_view} e {starts_joins}
  WHERE {" AND ".join(conditions)}
  GROUP BY ALL
), goals AS (
  SELECT e.person_id AS unit, e.timestamp AS ts,
    {", ".join(f"{match} AS g{k}" for k, match in enumerate(reached))}
  FROM {goal_view} e {goal_joins}
  WHERE {" AND ".join(goal_where)} AND e.person_id IN (SELECT unit FROM starts)
), arms AS (
  SELECT s.item, s.unit, s.holdout, coalesce(bool_or(CASE s.item {hit} END), false) AS reached
  FROM starts s LEFT JOIN goals g
    ON g.unit = s.unit AND g.ts >= s.started AND g.ts <= {plus_seconds("s.started", widest)}
  GROUP BY ALL
)
SELECT item, holdout, count(*) AS people, count(*) FILTER (WHERE reached) AS reached
FROM arms GROUP BY ALL"""),
    )
    arms = {(r["item"], bool(r["holdout"])): (int(r["people"]), int(r["reached"])) for r in rows}
    for item, goal in counted:
        exposed, holdout = arms.get((item.key, False), (0, 0)), arms.get((item.key, True), (0, 0))
        found[item.key] = _lift(goal, exposed, holdout)
    return found


def _goal_lift(
    store: EventQueries,
    app_id: str,
    query: EngagementQuery,
    actions: Actions | None,
    item: ContentItemInfo,
    goal: Any,
) -> GoalLift:
    """One item's goal with property conditions, which are tested here on each goal event."""
    sql = Compilation(actions)
    props = sql.props
    conditions = props.scope(query, app_id, "e.person_id", guidance=True)
    shown = sql.bind(SHOWN.get(item.kind, "$guide_shown"))
    key = sql.bind(item.key)
    starts_where = " AND ".join(conditions)
    starts_view, starts_joins = props.events_view(AggregateBy.PERSON), props.joins()
    # The goal's events are matched apart from the query's filters, which choose the starts.
    goal_props = PropertySql(sql.params, actions)
    reached = goal_props.matches(EventMatch(event=goal.event, action=goal.action, where=[]))
    goal_view, goal_joins = goal_props.events_view(AggregateBy.PERSON), goal_props.joins()
    window = sql.bind(goal.within_days * 86400)
    app = sql.bind(app_id)
    rows = records(
        store,
        sql.statement(f"""WITH starts AS (
  SELECT e.person_id AS unit, arg_min(e.event, e.timestamp) = {sql.bind(HOLDOUT)} AS holdout,
    min(e.timestamp) AS started
  FROM {starts_view} e {starts_joins}
  WHERE {starts_where} AND e.content_id = {key} AND e.event IN ({shown}, '{HOLDOUT}')
  GROUP BY e.person_id
), goals AS (
  SELECT e.person_id AS unit, e.timestamp AS ts, e.properties
  FROM {goal_view} e {goal_joins}
  WHERE e.app_id = {app} AND {reached}
    AND e.person_id IN (SELECT unit FROM starts)
)
SELECT s.unit, s.holdout, g.ts IS NOT NULL AS reached, g.properties
FROM starts s LEFT JOIN goals g
  ON g.unit = s.unit AND g.ts >= s.started AND g.ts <= {plus_seconds("s.started", window)}"""),
    )
    arms: dict[int, tuple[bool, bool]] = {}
    for row in rows:
        hit = bool(row["reached"])
        if hit:
            properties = orjson.loads(row["properties"] or "{}")
            hit = all(match.holds(properties.get(name)) for name, match in goal.where.items())
        unit = int(row["unit"])
        before = arms.get(unit, (bool(row["holdout"]), False))
        arms[unit] = (before[0], before[1] or hit)
    exposed = [hit for in_holdout, hit in arms.values() if not in_holdout]
    holdout = [hit for in_holdout, hit in arms.values() if in_holdout]
    return _lift(goal, (len(exposed), sum(exposed)), (len(holdout), sum(holdout)))


def _lift(goal: Any, exposed: tuple[int, int], holdout: tuple[int, int]) -> GoalLift:
    """The goal's lift from each arm's (people, reached)."""
    result = lift(exposed[1], exposed[0], holdout[1], holdout[0])
    return GoalLift(
        event=goal.event,
        action=goal.action,
        within_days=goal.within_days,
        exposed_people=exposed[0],
        exposed_reached=exposed[1],
        exposed_rate=result.exposed_rate,
        holdout_people=holdout[0],
        holdout_reached=holdout[1],
        holdout_rate=result.holdout_rate,
        lift_absolute=result.absolute,
        lift_relative=result.relative,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        p_value=result.p_value,
        significant=result.significant,
        verdict=result.verdict,
    )


def _item(
    key: str,
    info: ContentItemInfo | None,
    totals: dict[tuple[str, str], tuple[int, int]],
    steps: dict[tuple[str, int], int],
    goal: GoalLift | None,
) -> ItemEngagement:
    kind = info.kind if info else None
    shown_event = SHOWN.get(kind or "", "$guide_shown")

    def events(name: str) -> int:
        return totals.get((key, name), (0, 0))[0]

    def people(name: str) -> int:
        return totals.get((key, name), (0, 0))[1]

    shown_people = people(shown_event)
    completed = people(COMPLETED.get(kind or "", "$guide_completed"))
    walked: list[StepEngagement] = []
    count = len(getattr(info.document, "steps", ()) or ()) if info else 0
    count = max([count, *(step + 1 for item, step in steps if item == key)])
    previous = shown_people
    for step in range(count):
        viewed = steps.get((key, step), 0)
        walked.append(
            StepEngagement(
                step=step,
                people=viewed,
                share=viewed / shown_people if shown_people else None,
                dropped=max(0, previous - viewed),
            )
        )
        previous = viewed
    missing = events("$guide_target_missing")
    attempts = missing + (events("$guide_step_viewed") if walked else events(shown_event))
    return ItemEngagement(
        key=key,
        kind=kind,
        name=info.name if info else None,
        shown=events(shown_event),
        people=shown_people,
        completed=completed,
        completion_rate=completed / shown_people if shown_people else None,
        steps=walked,
        cta_clicks=events("$guide_cta_clicked"),
        dismissals=events(DISMISSED.get(kind or "", "$guide_dismissed")),
        target_missing=missing,
        target_missing_rate=missing / attempts if attempts else None,
        goal=goal,
    )


ITEM_COLUMNS = (
    "key", "kind", "name", "shown", "people", "completed", "completion_rate", "cta_clicks",
    "dismissals", "target_missing", "target_missing_rate",
)  # fmt: skip
GOAL_COLUMNS = (
    "event", "action", "within_days", "exposed_people", "exposed_reached", "exposed_rate",
    "holdout_people", "holdout_reached", "holdout_rate", "lift_absolute", "lift_relative",
    "ci_low", "ci_high", "p_value", "verdict",
)  # fmt: skip
CSV_COLUMNS = (*ITEM_COLUMNS, *(f"goal_{name}" for name in GOAL_COLUMNS))


def engagement_rows(result: EngagementResult) -> list[list[Any]]:
    """One row per item, in CSV_COLUMNS' order (goal columns empty without a goal)."""
    rows = []
    for item in result.items:
        row = [getattr(item, name) for name in ITEM_COLUMNS]
        goal = item.goal
        row += [getattr(goal, name) if goal else None for name in GOAL_COLUMNS]
        rows.append(row)
    return rows


def run_engagement(
    store: EventQueries,
    app_id: str,
    query: EngagementQuery,
    actions: Actions | None,
    catalog: ContentCatalog,
) -> EngagementResult | ExportFile:
    """Answer an engagement query from the event store."""
    if query.items is not None:
        for index, key in enumerate(query.items):
            catalog.item(key, f"items.{index}")
    totals, steps = _counts(store, app_id, query, actions)
    keys = query.items if query.items is not None else sorted({item for item, _ in totals})
    known = [info for key in keys if (info := catalog.items.get(key)) is not None]
    goals = _goal_lifts(store, app_id, query, actions, known)
    found = [_item(key, catalog.items.get(key), totals, steps, goals.get(key)) for key in keys]
    result = EngagementResult(items=found)
    if query.format == "csv":
        return csv_file("engagement", CSV_COLUMNS, engagement_rows(result))
    return result
