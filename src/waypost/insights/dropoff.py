"""Drop-off: the units that reached a funnel step but not the next one, and what they did
instead.

- `units`: who dropped off, with the time they reached the step (listable page by page).
- `instead`: the events (pages by their path) most drop-offs did after reaching the step,
  within the funnel's window, counted once per unit.
- `over_represented`: events done more often by drop-offs (after reaching the step, within the
  window) than by converters (after reaching it, before the next step), by odds ratio with one
  added to each cell, among events at least `min_support` drop-offs did.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights._sql import UNIT_COLUMNS, Compilation, CompiledSql, plus_seconds
from waypost.insights.actions import Actions
from waypost.insights.attempts import funnel_units
from waypost.insights.paths import STEP_NAME
from waypost.insights.queries import AggregateBy, DropOffQuery


class DroppedUnit(BaseModel):
    unit: str
    user_ids: list[str]
    reached_at: datetime


class EventShare(BaseModel):
    event: str
    units: int
    share: float


class OverRepresented(BaseModel):
    event: str
    dropped: int
    converted: int
    odds_ratio: float


class DropOffResult(BaseModel):
    kind: str = "dropoff"
    step: int
    dropped: int
    converted: int
    units: list[DroppedUnit]
    instead: list[EventShare]
    over_represented: list[OverRepresented]


def compile_dropoff(
    query: DropOffQuery, app_id: str, actions: Actions | None = None
) -> dict[str, CompiledSql]:
    """Four statements over the same funnel: the units page, the counts, the two rankings."""
    sql = Compilation(actions)
    props = sql.props
    ctes = funnel_units(query, app_id, sql)
    k = query.step
    unit = UNIT_COLUMNS[query.aggregate_by]
    app = sql.bind(app_id)
    window = sql.bind(query.window_seconds)
    # What units did instead counts only the events the query looks at, as the funnel does: its
    # dates, filters and test-account rule hold here too.
    conditions = props.scope(query, app_id, unit)
    looked_at = f"""(
  SELECT {unit} AS unit, e.timestamp AS ts, {STEP_NAME} AS what
  FROM resolved_events e {props.joins()}
  WHERE {" AND ".join(conditions)}
)"""
    ctes += [
        f"dropped AS (SELECT unit, ts{k} AS reached, ts0 FROM units WHERE level = {k + 1})",
        f"""converted AS (
  SELECT unit, ts{k} AS reached, ts{k + 1} AS until FROM units WHERE level > {k + 1}
)""",
        f"""after_drop AS (
  SELECT DISTINCT d.unit, e.what FROM dropped d
  JOIN {looked_at} e ON e.unit = d.unit
   AND e.ts > d.reached AND e.ts <= {plus_seconds("d.ts0", window)}
)""",
        f"""before_next AS (
  SELECT DISTINCT c.unit, e.what FROM converted c
  JOIN {looked_at} e ON e.unit = c.unit AND e.ts > c.reached AND e.ts < c.until
)""",
    ]
    prefix = "WITH " + ",\n".join(ctes)
    top, support = sql.bind(query.top), sql.bind(query.min_support)
    page = (
        "" if query.format == "csv"
        else f"LIMIT {sql.bind(query.limit)} OFFSET {sql.bind(query.offset)}"
    )  # fmt: skip
    if query.aggregate_by is AggregateBy.PERSON:
        # Who they are in the customer's own terms: the user ids sent for the person.
        users = f"""LEFT JOIN (
  SELECT person_id, list(distinct_id ORDER BY distinct_id) AS user_ids FROM person_ids
  WHERE app_id = {app} AND is_user GROUP BY person_id
) u ON u.person_id = d.unit"""
        user_ids = "u.user_ids"
    else:
        users, user_ids = "", "NULL AS user_ids"
    return {
        "units": sql.statement(
            f"""{prefix}
SELECT d.unit::VARCHAR AS unit, {user_ids}, d.reached FROM dropped d {users}
ORDER BY d.reached, d.unit {page}"""
        ),
        "counts": sql.statement(
            f"{prefix}\nSELECT (SELECT count(*) FROM dropped), (SELECT count(*) FROM converted)"
        ),
        "instead": sql.statement(
            f"""{prefix}
SELECT what, count(*) AS n FROM after_drop GROUP BY what ORDER BY n DESC, what LIMIT {top}"""
        ),
        "over": sql.statement(
            f"""{prefix}, totals AS (
  SELECT (SELECT count(*) FROM dropped) AS dropped, (SELECT count(*) FROM converted) AS converted
), counted AS (
  SELECT what, sum(dropped_it) AS a, sum(converted_it) AS c FROM (
    SELECT what, 1 AS dropped_it, 0 AS converted_it FROM after_drop
    UNION ALL SELECT what, 0, 1 FROM before_next
  ) GROUP BY what
)
SELECT what, a, c,
       ((a + 1.0) * (totals.converted - c + 1.0))
         / ((totals.dropped - a + 1.0) * (c + 1.0)) AS ratio
FROM counted, totals WHERE a >= {support}
ORDER BY ratio DESC, what LIMIT {top}"""
        ),
    }


def dropoff_table(result: DropOffResult) -> tuple[list[str], list[list[Any]]]:
    """The drop-offs as a table: unit, user ids (space-separated), when they reached the step."""
    rows: list[list[Any]] = [
        [unit.unit, " ".join(unit.user_ids), unit.reached_at] for unit in result.units
    ]
    return ["unit", "user_ids", "reached_at"], rows


def run_dropoff(
    store: EventQueries,
    app_id: str,
    query: DropOffQuery,
    actions: Actions | None = None,
) -> DropOffResult:
    """Answer a drop-off query from the event store."""
    compiled = compile_dropoff(query, app_id, actions)

    def rows(name: str) -> list[tuple[Any, ...]]:
        return store.query(compiled[name].sql, compiled[name].params)[1]

    dropped, converted = rows("counts")[0]
    return DropOffResult(
        step=query.step,
        dropped=int(dropped),
        converted=int(converted),
        units=[
            DroppedUnit(unit=u, user_ids=list(ids or []), reached_at=at.replace(tzinfo=UTC))
            for u, ids, at in rows("units")
        ],
        instead=[
            EventShare(event=what, units=int(n), share=int(n) / int(dropped))
            for what, n in rows("instead")
        ],
        over_represented=[
            OverRepresented(event=what, dropped=int(a), converted=int(c), odds_ratio=float(ratio))
            for what, a, c, ratio in rows("over")
        ],
    )
