"""Paths: what people do after a start event, or before an end event.

A person's events are split into sessions wherever they pause longer than `session_gap_seconds`.
In each session with the anchor, the path is its first occurrence and the `length - 1` events
after it (or, for an end event, before it); a page view shows as its path, other events by name.
The anchor is an event name or a page path: `/pricing` anchors at views of that page. With
`collapse_repeats`, a run of the same step counts once. Paths are counted per session and listed
most common first.
"""

from __future__ import annotations

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights._sql import Compilation, CompiledSql, one_of
from waypost.insights.actions import Actions
from waypost.insights.queries import AggregateBy, PathsQuery

# Page views are told apart by page: a path through three pages is three steps, not "$page" x3.
STEP_NAME = "CASE WHEN e.event = '$page' AND e.path IS NOT NULL THEN e.path ELSE e.event END"


class PathCount(BaseModel):
    steps: list[str]
    sessions: int


class PathsResult(BaseModel):
    kind: str = "paths"
    sessions: int
    paths: list[PathCount]


def compile_paths(query: PathsQuery, app_id: str, actions: Actions | None = None) -> CompiledSql:
    """Rows (steps as a list, sessions, all anchor sessions), most common first."""
    sql = Compilation(actions)
    props, params = sql.props, sql.params
    conditions = props.scope(query, app_id, "e.person_id")
    if query.exclude_events:
        conditions.append(f"NOT {one_of('e.event', params.add(sorted(query.exclude_events)))}")
    joins = props.joins()
    gap = params.add(query.session_gap_seconds * 1_000_000)
    forward = query.start_event is not None
    named = (query.start_event if forward else query.end_event) or ""
    anchor = params.add(named)
    # An anchor is named as steps are shown, so a page's path finds views of it. Only a path
    # (it starts with /) needs the page branch, which would cost an event name's query time.
    if named.startswith("/"):
        is_anchor = f"(event = {anchor} OR step = {anchor})"
        has_anchor = f"(e.event = {anchor} OR (e.event = '$page' AND e.path = {anchor}))"
    else:
        is_anchor = has_anchor = f"event = {anchor}"
        has_anchor = f"e.{has_anchor}"
    order = "ts, message_id"
    span = params.add(query.length - 1)
    within = f"n BETWEEN a.n0 AND a.n0 + {span}" if forward else f"n BETWEEN a.n0 - {span} AND a.n0"
    repeats = "WHERE previous IS NULL OR previous <> step" if query.collapse_repeats else ""
    events = props.events_view(AggregateBy.PERSON)
    where = " AND ".join(conditions)
    # Only persons with the anchor in range can have a path, and only their sessions holding it
    # (collapsing repeats never removes an anchor's first occurrence), so the rest is skipped
    # before the windows sort.
    return sql.statement(f"""WITH timed AS (
  SELECT e.person_id AS person, e.timestamp AS ts, e.message_id, e.event, {STEP_NAME} AS step,
         epoch_us(e.timestamp) - epoch_us(lag(e.timestamp) OVER w) AS pause
  FROM {events} e {joins}
  WHERE {where} AND e.person_id IN (
    SELECT e.person_id FROM {events} e {joins}
    WHERE {where} AND {has_anchor}
  )
  WINDOW w AS (PARTITION BY e.person_id ORDER BY e.timestamp, e.message_id)
), sessioned AS (
  SELECT *, sum(CASE WHEN pause IS NULL OR pause > {gap} THEN 1 ELSE 0 END)
              OVER (PARTITION BY person ORDER BY {order}) AS session
  FROM timed
), anchored AS (
  SELECT s.* FROM sessioned s
  JOIN (SELECT DISTINCT person, session FROM sessioned WHERE {is_anchor})
    USING (person, session)
), kept AS (
  SELECT * FROM (
    SELECT *, lag(step) OVER (PARTITION BY person, session ORDER BY {order}) AS previous
    FROM anchored
  ) {repeats}
), numbered AS (
  SELECT *, row_number() OVER (PARTITION BY person, session ORDER BY {order}) AS n FROM kept
), anchors AS (
  SELECT person, session, min(n) AS n0 FROM numbered WHERE {is_anchor} GROUP BY person, session
), paths AS (
  SELECT list(step ORDER BY n) AS steps
  FROM numbered JOIN anchors a USING (person, session)
  WHERE {within}
  GROUP BY person, session
)
SELECT steps, count(*) AS sessions, sum(count(*)) OVER () AS total FROM paths GROUP BY steps
ORDER BY sessions DESC, steps LIMIT {params.add(query.limit)}""")


def run_paths(
    store: EventQueries,
    app_id: str,
    query: PathsQuery,
    actions: Actions | None = None,
) -> PathsResult:
    """Answer a paths query from the event store."""
    compiled = compile_paths(query, app_id, actions)
    _, rows = store.query(compiled.sql, compiled.params)
    return PathsResult(
        sessions=int(rows[0][2]) if rows else 0,
        paths=[PathCount(steps=list(steps), sessions=int(n)) for steps, n, _ in rows],
    )
