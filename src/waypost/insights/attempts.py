"""Funnel attempts in SQL: how far each person (or account, or session) got through a sequence
of steps. Funnels count the units these choose; drop-offs list them.

The rules, which the reference implementation in the tests spells out in plain Python:

- Each unit's events are put in one order: by time, then by the first step an event matches (so
  different steps at the same moment are taken in step order), then by message id.
- Every event matching step 0 starts an attempt. An ordered attempt takes, for each next step,
  the first later event matching it, within `window_seconds` of the attempt's start (inclusive);
  a strict attempt needs that event to be the very next one. One event advances an attempt by
  one step at most. An unordered attempt starts at any step's event and counts the distinct
  steps done within the window, each event counting for the first step it matches.
- An exclusion voids an attempt when its event comes after the attempt reached `from_step` and
  before it reached `to_step` (or, if it never did, within the window). An unordered funnel's
  exclusions span the whole attempt: after its first event and before the event that completed
  it (or, if none did, within the window).
- A unit counts at the furthest step any attempt reached, through the earliest clean attempt
  that got that far; when every attempt that got that far is void, the unit is left out.
- Times between steps come from that attempt; zero-second conversions are left out of them.
- A breakdown files the unit under a value of the attempt's step events: `first_touch` the
  first non-empty one in the unit's order, `last_touch` the last non-empty one, `step` step k's
  as it is; with `all_events` each value is a funnel of its own, of the events carrying it.
"""

from __future__ import annotations

from collections.abc import Callable

from waypost.insights._sql import UNIT_COLUMNS, Compilation, one_of, plus_seconds
from waypost.insights.queries import Attribution, Breakdown, Exclusion, Funnel, FunnelOrder


def funnel_units(
    query: Funnel, app_id: str, sql: Compilation, breakdown: Breakdown | None = None
) -> list[str]:
    """The CTEs up to `units`: per counted unit, its breakdown `label`, furthest `level` and the
    time of each step reached (`ts0`, `ts1`, …), by the rules above."""
    ctes = ranked_events(query, app_id, sql, breakdown)
    window = sql.bind(query.window_seconds)
    compile_attempts = (
        _unordered_attempts if query.order is FunnelOrder.UNORDERED else _ordered_attempts
    )
    ctes += compile_attempts(query, breakdown, window)
    part = _partition(breakdown)
    ctes.append(
        f"""units AS (
  SELECT * FROM (
    SELECT a.*, row_number() OVER (PARTITION BY {part} ORDER BY pos0) AS pick
    FROM attempts a
    JOIN (SELECT {part}, max(level) AS best FROM attempts GROUP BY {part}) best USING ({part})
    WHERE a.level = best.best AND NOT a.void
  ) WHERE pick = 1
)"""
    )
    return ctes


def ranked_events(
    query: Funnel, app_id: str, sql: Compilation, breakdown: Breakdown | None = None
) -> list[str]:
    """The CTEs `flagged` (the unit's events in scope, with their breakdown value `b`, a flag
    per step `s0`, … and per exclusion `x0`, …) and `ranked` (those a step or exclusion matches,
    with `m`, the first step an event matches, and `pos`, its place in the unit's order)."""
    props = sql.props
    n = len(query.steps)
    step_flags = [f"{props.matches(step)} AS s{k}" for k, step in enumerate(query.steps)]
    exclusion_flags = [f"{props.matches(x)} AS x{i}" for i, x in enumerate(query.exclusions)]
    value = props.text(breakdown.source, breakdown.property) if breakdown else "''"
    conditions = props.scope(query, app_id, UNIT_COLUMNS[query.aggregate_by])
    named = [step.event for step in query.steps] + [x.event for x in query.exclusions]
    if query.order is not FunnelOrder.STRICT and None not in named:
        # Only events a step or an exclusion names can count, so the scan can skip the rest.
        conditions.append(one_of("e.event", sql.bind(sorted(set(named)))))
    # The first step an event matches (n: none, so an exclusion or, in strict funnels, another).
    step = "CASE " + " ".join(f"WHEN s{k} THEN {k}" for k in range(n)) + f" ELSE {n} END"
    relevant = " OR ".join(
        [f"s{k}" for k in range(n)] + [f"x{i}" for i in range(len(query.exclusions))]
    )
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
  SELECT *, {step} AS m, {_position(query, breakdown, step)} AS pos
  FROM flagged
  {"" if query.order is FunnelOrder.STRICT else f"WHERE {relevant}"}
)""",
    ]


def steps_never_overlap(query: Funnel) -> bool:
    """Whether no event can match two of an ordered funnel's steps and exclusions: each names
    an event, all different."""
    matches = [*query.steps, *query.exclusions]
    names = [match.event for match in matches]
    return (
        query.order is FunnelOrder.ORDERED
        and all(match.action is None and match.event is not None for match in matches)
        and len(set(names)) == len(names)
    )


def _position(query: Funnel, breakdown: Breakdown | None, step: str) -> str:
    """Each relevant event's place in its unit's order: by time, then step, then message id.

    When no event can match two of the steps and exclusions and no breakdown needs the
    message-id order, events tied on (time, step) are interchangeable: any of them leads to the
    same later matches, times and counts. Then `time * (n + 1) + step` orders them as well as a
    row number does, without a window's sort by unit (about a fifth of a large funnel's time).
    Otherwise the row number is needed.
    """
    if breakdown is None and steps_never_overlap(query):
        return f"epoch_us(ts) * {len(query.steps) + 1} + {step}"
    part = _partition(breakdown)
    return f"row_number() OVER (PARTITION BY {part} ORDER BY ts, {step}, message_id)"


def _per_value(breakdown: Breakdown | None) -> bool:
    """Whether each breakdown value is a funnel of its own (attribution `all_events`)."""
    return breakdown is not None and breakdown.attribution is Attribution.ALL_EVENTS


def _partition(breakdown: Breakdown | None) -> str:
    """The columns that tell one funnel's units apart."""
    return "unit, b" if _per_value(breakdown) else "unit"


def _same_unit(breakdown: Breakdown | None) -> str:
    """A join condition: the attempt `a` and the event `c` belong to the same funnel's unit."""
    return "a.unit = c.unit" + (" AND a.b = c.b" if _per_value(breakdown) else "")


def _ordered_attempts(query: Funnel, breakdown: Breakdown | None, window: str) -> list[str]:
    """The CTEs up to `attempts` of an ordered or strict funnel: per step-0 event, the position
    (`pos0`, …), time (`ts0`, …) and breakdown value (`b0`, …) of each step it reached, its
    `level`, whether it is `void`, and its `label`."""
    n = len(query.steps)
    part, same_unit = _partition(breakdown), _same_unit(breakdown)
    in_window = f"c.ts <= {plus_seconds('a.ts0', window)}"
    ctes = [f"a0 AS (SELECT {part}, pos AS pos0, ts AS ts0, b AS b0 FROM ranked WHERE s0)"]
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
    excluded, last, void = _exclusions(
        query,
        f"a{n - 1}",
        same_unit,
        after=lambda x: f"a.pos{x.from_step}",
        before=lambda x, position, time: (
            f"CASE WHEN pos{x.to_step} IS NOT NULL THEN {position} < pos{x.to_step} "
            f"ELSE {time} <= {plus_seconds('ts0', window)} END"
        ),
    )
    level = (
        "CASE "
        + " ".join(f"WHEN pos{k} IS NOT NULL THEN {k + 1}" for k in reversed(range(n)))
        + " END"
    )
    if breakdown is None:
        label = "''"
    elif _per_value(breakdown):
        label = "b"
    elif breakdown.attribution is Attribution.STEP:
        label = f"coalesce(b{breakdown.step}, '')"
    elif breakdown.attribution is Attribution.LAST_TOUCH:
        label = _first_non_empty([f"b{k}" for k in reversed(range(n))])
    else:
        label = _first_non_empty([f"b{k}" for k in range(n)])
    return [
        *ctes,
        *excluded,
        f"""attempts AS (
  SELECT *, {level} AS level, {void} AS void, {label} AS label FROM {last}
)""",
    ]


def _unordered_attempts(query: Funnel, breakdown: Breakdown | None, window: str) -> list[str]:
    """The CTEs up to `attempts` of an unordered funnel: per event of any step, the times of the
    steps done from it within the window, in order (`ts0`, …), its `level` (how many), whether
    it is `void`, and its `label`."""
    n = len(query.steps)
    part, same_unit = _partition(breakdown), _same_unit(breakdown)
    in_window = f"c.ts <= {plus_seconds('a.started', window)}"
    ctes = [f"a0 AS (SELECT {part}, pos AS pos0, ts AS started FROM ranked WHERE m < {n})"]
    # Per step k, the attempt's event of it: the first at or after the start that counts for k.
    for k in range(n):
        ctes.append(
            f"""a{k + 1} AS (
  SELECT a.*, CASE WHEN {in_window} THEN c.ts END AS t{k},
         CASE WHEN {in_window} THEN c.pos END AS p{k},
         CASE WHEN {in_window} THEN c.b END AS v{k}
  FROM a{k} a ASOF LEFT JOIN (SELECT * FROM ranked WHERE m = {k}) c
    ON {same_unit} AND a.pos0 <= c.pos
)"""
        )
    positions = [f"p{k}" for k in range(n)]
    complete = " AND ".join(f"{p} IS NOT NULL" for p in positions)
    excluded, last, void = _exclusions(
        query,
        f"a{n}",
        same_unit,
        after=lambda x: "a.pos0",
        before=lambda x, position, time: (
            f"CASE WHEN {complete} THEN {position} < greatest({', '.join(positions)}) "
            f"ELSE {time} <= {plus_seconds('started', window)} END"
        ),
    )
    times = ", ".join(f"t{k}" for k in range(n))
    done = f"list_sort(list_filter([{times}], lambda x: x IS NOT NULL))"
    if breakdown is None:
        label = "''"
    elif _per_value(breakdown):
        label = "b"
    else:
        # Steps are done in any order here: the first value is that of the step event with the
        # least position among those with a value.
        first = "least(" + ", ".join(f"CASE WHEN v{k} <> '' THEN p{k} END" for k in range(n)) + ")"
        label = (
            f"coalesce(CASE {first} "
            + " ".join(f"WHEN p{k} THEN v{k}" for k in range(n))
            + " END, '')"
        )
    return [
        *ctes,
        *excluded,
        f"""attempts AS (
  SELECT {part}, pos0, len({done}) AS level, {void} AS void, {label} AS label,
         {", ".join(f"{done}[{k + 1}] AS ts{k}" for k in range(n))}
  FROM {last}
)""",
    ]


def _exclusions(
    query: Funnel,
    source: str,
    same_unit: str,
    after: Callable[[Exclusion], str],
    before: Callable[[Exclusion, str, str], str],
) -> tuple[list[str], str, str]:
    """CTEs joining to each attempt of `source` the first event of each exclusion after the
    position `after` gives; the last CTE's name; and a condition true for a void attempt: an
    exclusion's event, at a position and time, is `before` the end of the span it voids."""
    ctes = []
    last = source
    for i, x in enumerate(query.exclusions):
        ctes.append(
            f"""q{i} AS (
  SELECT a.*, c.pos AS qpos{i}, c.ts AS qts{i}
  FROM {last} a ASOF LEFT JOIN (SELECT * FROM ranked WHERE x{i}) c
    ON {same_unit} AND {after(x)} < c.pos
)"""
        )
        last = f"q{i}"
    voids = [
        f"(qpos{i} IS NOT NULL AND {before(x, f'qpos{i}', f'qts{i}')})"
        for i, x in enumerate(query.exclusions)
    ]
    return ctes, last, " OR ".join(voids) or "false"


def _first_non_empty(values: list[str]) -> str:
    """The first of the values that is neither NULL (a step not reached) nor empty; '' when
    none is."""
    return "coalesce(" + ", ".join(f"nullif({v}, '')" for v in values) + ", '')"
