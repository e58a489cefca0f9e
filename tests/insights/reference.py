"""Brute-force insights in plain Python: the definitions the SQL compilers must agree with.

Slow on purpose: loops over every unit and attempt, written to be read, not to be fast.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from waypost.insights.actions import ActionStep, UrlMatch
from waypost.insights.intervals import interval_starts, truncate
from waypost.insights.queries import (
    AggregateBy,
    Attribution,
    Breakdown,
    DropOffQuery,
    Filter,
    Funnel,
    FunnelOrder,
    FunnelQuery,
    Op,
    Source,
)

OTHER = "Other"


@dataclass(frozen=True)
class Ev:
    """One stored event as the reference sees it (after identity resolution)."""

    person: int
    event: str
    at: datetime
    message_id: str
    properties: dict[str, Any] = field(default_factory=dict)
    account: str | None = None
    session: str | None = None
    path: str | None = None
    url: str | None = None
    element_selector: str | None = None
    element_text: str | None = None


@dataclass
class World:
    """Events plus the current traits of persons and accounts, and the app's actions by name."""

    events: list[Ev]
    person_traits: dict[int, dict[str, Any]] = field(default_factory=dict)
    account_traits: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: dict[str, list[ActionStep]] = field(default_factory=dict)


def user_id(person: int) -> str:
    """The one user id a person of a world is sent with (as tests.insights.conftest.load stores
    it)."""
    return f"d{person}"


_MISSING = object()


def _lookup(world: World, ev: Ev, source: Source, name: str) -> Any:
    if source is Source.EVENT:
        return ev.properties.get(name, _MISSING)
    if source is Source.PERSON:
        return world.person_traits.get(ev.person, {}).get(name, _MISSING)
    if ev.account is None:
        return _MISSING
    return world.account_traits.get(ev.account, {}).get(name, _MISSING)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equals(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool):
        return isinstance(value, bool) and value == wanted
    if _is_number(wanted):
        return _is_number(value) and float(value) == float(wanted)
    return isinstance(value, str) and value == wanted


def matches(world: World, ev: Ev, f: Filter) -> bool:
    """Whether one filter holds for one event."""
    value = _lookup(world, ev, f.source, f.property)
    present = value is not _MISSING and value is not None
    if f.op is Op.IS_SET:
        return present
    if f.op is Op.IS_NOT_SET:
        return not present
    if f.op is Op.EQ:
        return _equals(value, f.value)
    if f.op is Op.NEQ:
        return not _equals(value, f.value)
    if f.op is Op.IN:
        assert isinstance(f.value, list)
        return any(_equals(value, v) for v in f.value)
    if f.op is Op.CONTAINS:
        return isinstance(value, str) and str(f.value).lower() in value.lower()
    if f.op is Op.REGEX:
        return isinstance(value, str) and re.search(str(f.value), value) is not None
    if not _is_number(value):
        return False
    number, bound = float(value), float(f.value)  # type: ignore[arg-type]
    return {Op.GT: number > bound, Op.GTE: number >= bound, Op.LT: number < bound}.get(
        f.op, number <= bound
    )


def text(value: Any) -> str:
    """A value as breakdowns show it: strings bare, other JSON as stored, missing as ''."""
    if value is _MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _all(world: World, ev: Ev, filters: list[Filter]) -> bool:
    return all(matches(world, ev, f) for f in filters)


def _unit(ev: Ev, by: AggregateBy) -> Any:
    return {AggregateBy.PERSON: ev.person, AggregateBy.ACCOUNT: ev.account}.get(by, ev.session)


def in_scope(
    world: World, ev: Ev, q: Any, by: AggregateBy | None = None, dates: bool = True
) -> bool:
    """What every insight starts from (as PropertySql.scope): the query's dates (unless `dates`
    is false), events with a unit to count by, the filters, and no test accounts."""
    return (
        (not dates or q.date_from is None or ev.at >= q.date_from)
        and (not dates or q.date_to is None or ev.at < q.date_to)
        and (by is None or _unit(ev, by) is not None)
        and _all(world, ev, q.where)
        and not (
            q.filter_test_accounts
            and world.person_traits.get(ev.person, {}).get("is_test_account") is True
        )
    )


def does(world: World, ev: Ev, step: Any) -> bool:
    """Whether an event is the step's event or action (any event, when it names neither) and
    meets the step's filters."""
    if step.action is not None:
        named = any(performs(world, ev, way) for way in world.actions[step.action])
    else:
        named = step.event is None or ev.event == step.event
    return named and _all(world, ev, step.where)


def performs(world: World, ev: Ev, way: ActionStep) -> bool:
    """Whether an event is one way of doing an action: every condition the step gives holds."""
    return (
        (way.event is None or ev.event == way.event)
        and (way.url is None or _url_matches(ev.url, way.url, way.url_match))
        and (way.selector is None or ev.element_selector == way.selector)
        and (way.text is None or ev.element_text == way.text)
        and _all(world, ev, way.where)
    )


def _url_matches(url: str | None, wanted: str, how: UrlMatch) -> bool:
    """An event without a URL matches no URL rule; `contains` counts case, as `exact` does."""
    if url is None:
        return False
    if how is UrlMatch.EXACT:
        return url == wanted
    if how is UrlMatch.REGEX:
        return re.search(wanted, url) is not None
    return wanted in url


def shown(ev: Ev) -> str:
    """An event as paths and drop-offs name it: a page view by its path, others by name."""
    return ev.path if ev.event == "$page" and ev.path is not None else ev.event


@dataclass
class Attempt:
    start: int
    positions: list[int]
    void: bool = False

    @property
    def level(self) -> int:
        return len(self.positions)


def funnel(world: World, q: FunnelQuery) -> dict[str, Any]:
    """The funnel's counts, times and breakdowns, by the rules in waypost.insights.funnels."""
    events = [ev for ev in world.events if in_scope(world, ev, q, q.aggregate_by)]
    total = _run(world, q, events)
    result: dict[str, Any] = {"steps": _steps(q, total), "histogram": _histogram(q, total)}
    if q.breakdown is not None:
        result["breakdowns"] = _breakdowns(q, _run(world, q, events, q.breakdown))
    return result


def _step_of(world: World, q: Funnel, ev: Ev, k: int) -> bool:
    return does(world, ev, q.steps[k])


def _run(
    world: World, q: Funnel, events: list[Ev], breakdown: Breakdown | None = None
) -> list[tuple[str, list[Ev], Attempt]]:
    """Each counted unit's label (by `breakdown`), ordered events and chosen attempt."""
    n = len(q.steps)
    window = timedelta(seconds=q.window_seconds)
    per_value = breakdown is not None and breakdown.attribution is Attribution.ALL_EVENTS
    value = None
    if breakdown is not None:
        value = lambda ev: text(_lookup(world, ev, breakdown.source, breakdown.property))  # noqa: E731
    groups: dict[Any, list[Ev]] = {}
    for ev in events:
        key = (_unit(ev, q.aggregate_by), value(ev) if per_value and value else None)
        groups.setdefault(key, []).append(ev)
    chosen = []
    for (_, group_value), group in groups.items():

        def first_step(ev: Ev) -> int:
            return next((k for k in range(n) if _step_of(world, q, ev, k)), n)

        if q.order is not FunnelOrder.STRICT:
            group = [
                ev
                for ev in group
                if first_step(ev) < n or any(does(world, ev, x) for x in q.exclusions)
            ]
        seq = sorted(group, key=lambda ev: (ev.at, first_step(ev), ev.message_id))
        attempts = _attempts(world, q, seq, window, first_step)
        if not attempts:
            continue
        best = max(a.level for a in attempts)
        clean = [a for a in attempts if a.level == best and not a.void]
        if not clean:
            continue
        attempt = min(clean, key=lambda a: a.start)
        if per_value:
            label = group_value
        elif breakdown is None:
            label = ""
        elif breakdown.attribution is Attribution.STEP:
            step = breakdown.step
            assert step is not None
            label = value(seq[attempt.positions[step]]) if step < attempt.level else ""
        else:
            # The first (or last) value among the attempt's step events that is not empty.
            values = [value(seq[p]) for p in sorted(attempt.positions)]
            if breakdown.attribution is Attribution.LAST_TOUCH:
                values.reverse()
            label = next((v for v in values if v), "")
        chosen.append((label, seq, attempt))
    return chosen


def _attempts(world, q, seq, window, first_step) -> list[Attempt]:  # type: ignore[no-untyped-def]
    n = len(q.steps)
    attempts = []
    if q.order is FunnelOrder.UNORDERED:
        for i, start in enumerate(seq):
            if first_step(start) >= n:
                continue
            firsts: dict[int, int] = {}
            for j in range(i, len(seq)):
                if seq[j].at > start.at + window:
                    break
                k = first_step(seq[j])
                if k < n and k not in firsts:
                    firsts[k] = j
            attempt = Attempt(i, sorted(firsts.values()))
            # Exclusions span the whole attempt: from its first event to the one completing it.
            for x in q.exclusions:
                j = next((j for j in range(i + 1, len(seq)) if does(world, seq[j], x)), None)
                if j is None:
                    continue
                if attempt.level == n:
                    attempt.void |= j < attempt.positions[-1]
                else:
                    attempt.void |= seq[j].at <= start.at + window
            attempts.append(attempt)
        return attempts
    for i, start in enumerate(seq):
        if not _step_of(world, q, start, 0):
            continue
        positions = [i]
        for k in range(1, n):
            candidates = (
                [positions[-1] + 1]
                if q.order is FunnelOrder.STRICT
                else range(positions[-1] + 1, len(seq))
            )
            found = next(
                (
                    j
                    for j in candidates
                    if j < len(seq)
                    and _step_of(world, q, seq[j], k)
                    and seq[j].at <= start.at + window
                ),
                None,
            )
            if found is None:
                break
            positions.append(found)
        attempt = Attempt(i, positions)
        for x in q.exclusions:
            if x.from_step >= attempt.level:
                continue
            after = positions[x.from_step]
            for j in range(after + 1, len(seq)):
                ev = seq[j]
                if not does(world, ev, x):
                    continue
                if x.to_step < attempt.level:
                    attempt.void |= j < positions[x.to_step]
                else:
                    attempt.void |= ev.at <= start.at + window
                break
        attempts.append(attempt)
    return attempts


def _us(delta: timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _steps(q: FunnelQuery, chosen: list[tuple[str, list[Ev], Attempt]]) -> list[dict[str, Any]]:
    n = len(q.steps)
    counts = [sum(1 for _, _, a in chosen if a.level > k) for k in range(n)]
    steps = []
    for k in range(n):
        gaps = [
            _us(seq[a.positions[k]].at - seq[a.positions[k - 1]].at)
            for _, seq, a in chosen
            if k and a.level > k
        ]
        gaps = [g for g in gaps if g > 0]
        previous = counts[k - 1] if k else counts[0]
        steps.append(
            {
                "index": k,
                "event": q.steps[k].event,
                "action": q.steps[k].action,
                "count": counts[k],
                "conversion_from_previous": counts[k] / previous if previous else 0.0,
                "conversion_from_first": counts[k] / counts[0] if counts[0] else 0.0,
                "average_seconds_from_previous": sum(gaps) / len(gaps) / 1e6 if gaps else None,
                "median_seconds_from_previous": statistics.median(gaps) / 1e6 if gaps else None,
            }
        )
    return steps


def _histogram(q: FunnelQuery, chosen: list[tuple[str, list[Ev], Attempt]]) -> list[dict[str, int]]:
    start, end = q.histogram_steps or (0, len(q.steps) - 1)
    spans = [
        _us(seq[a.positions[end]].at - seq[a.positions[start]].at) // 1_000_000
        for _, seq, a in chosen
        if a.level > end
    ]
    if not spans:
        return []
    lo, hi = min(spans), max(spans)
    width = max(1, (hi - lo + q.histogram_bins) // q.histogram_bins)
    bins: dict[int, int] = {}
    for span in spans:
        bins[(span - lo) // width] = bins.get((span - lo) // width, 0) + 1
    return [
        {
            "from_seconds": lo + b * width,
            "to_seconds": lo + (b + 1) * width,
            "count": bins.get(b, 0),
        }
        for b in range(max(bins) + 1)
    ]


def _breakdowns(
    q: FunnelQuery, chosen: list[tuple[str, list[Ev], Attempt]]
) -> list[dict[str, Any]]:
    assert q.breakdown is not None
    sizes: dict[str, int] = {}
    for label, _, _ in chosen:
        sizes[label] = sizes.get(label, 0) + 1
    ranked = sorted(sizes, key=lambda label: (-sizes[label], label))
    kept = set(ranked[: q.breakdown.limit])
    groups: dict[str, list[tuple[str, list[Ev], Attempt]]] = {}
    for item in chosen:
        groups.setdefault(item[0] if item[0] in kept else OTHER, []).append(item)
    rows = [{"value": label, "steps": _steps(q, items)} for label, items in groups.items()]
    rows.sort(key=lambda row: (row["value"] == OTHER, -row["steps"][0]["count"], row["value"]))
    return rows


def dropoff(world: World, q: DropOffQuery) -> dict[str, Any]:
    """Who reached step k but not k + 1 (oldest first), what they did after reaching it within the
    window, and which events set them apart from those who went on, by docs/insights.md."""
    events = [ev for ev in world.events if in_scope(world, ev, q, q.aggregate_by)]
    k, window = q.step, timedelta(seconds=q.window_seconds)
    # Per unit: when it reached step k, and the events (as shown) it did in the span looked at.
    dropped: list[tuple[Any, datetime, set[str]]] = []
    converted: list[tuple[Any, datetime, set[str]]] = []
    for _, seq, attempt in _run(world, q, events):
        if attempt.level <= k:
            continue
        unit = _unit(seq[attempt.start], q.aggregate_by)
        started, reached = seq[attempt.positions[0]].at, seq[attempt.positions[k]].at
        mine = [ev for ev in events if _unit(ev, q.aggregate_by) == unit]
        if attempt.level == k + 1:
            after = {shown(ev) for ev in mine if reached < ev.at <= started + window}
            dropped.append((unit, reached, after))
        else:
            until = seq[attempt.positions[k + 1]].at
            between = {shown(ev) for ev in mine if reached < ev.at < until}
            converted.append((unit, reached, between))

    dropped.sort(key=lambda d: (d[1], d[0]))
    listed = dropped if q.format == "csv" else dropped[q.offset : q.offset + q.limit]
    units = [
        {
            "unit": str(unit),
            "user_ids": [user_id(unit)] if q.aggregate_by is AggregateBy.PERSON else [],
            "reached_at": reached,
        }
        for unit, reached, _ in listed
    ]

    def how_many(group: list[tuple[Any, datetime, set[str]]], name: str) -> int:
        return sum(1 for _, _, did in group if name in did)

    names = sorted({name for _, _, did in dropped for name in did})
    instead = sorted(names, key=lambda name: (-how_many(dropped, name), name))[: q.top]
    odds: dict[str, Fraction] = {}
    for name in names:
        a, c = how_many(dropped, name), how_many(converted, name)
        if a >= q.min_support:
            b, d = len(dropped) - a, len(converted) - c
            odds[name] = Fraction((a + 1) * (d + 1), (b + 1) * (c + 1))
    over = sorted(odds, key=lambda name: (-odds[name], name))[: q.top]
    return {
        "step": k,
        "dropped": len(dropped),
        "converted": len(converted),
        "units": units,
        "instead": [
            {
                "event": name,
                "units": how_many(dropped, name),
                "share": how_many(dropped, name) / len(dropped),
            }
            for name in instead
        ],
        "over_represented": [
            {
                "event": name,
                "dropped": how_many(dropped, name),
                "converted": how_many(converted, name),
                "odds_ratio": float(odds[name]),
            }
            for name in over
        ],
    }


def at(minutes: float, day: int = 1) -> datetime:
    """A moment on 2026-06-<day>, `minutes` after 09:00 UTC (for readable test tables)."""
    return datetime(2026, 6, day, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)


def trends(world: World, q: Any) -> dict[str, Any]:
    """Counts per interval in the query's zone, every interval listed, totals over the range."""
    zone = ZoneInfo(q.timezone)
    starts = interval_starts(q.date_from, q.date_to, q.interval, q.timezone)
    series = []
    for index, s in enumerate(q.series):
        picked = [
            ev
            for ev in world.events
            if in_scope(world, ev, q)
            and does(world, ev, s)
            and not (s.math.value == "accounts" and ev.account is None)
        ]

        def measure(events: list[Ev], math: str = s.math.value) -> int:
            if math == "persons":
                return len({ev.person for ev in events})
            if math == "accounts":
                return len({ev.account for ev in events})
            return len(events)

        def value_of(ev: Ev) -> str:
            assert q.breakdown is not None
            return text(_lookup(world, ev, q.breakdown.source, q.breakdown.property))

        groups: dict[str, list[Ev]] = {}
        if q.breakdown is None:
            groups[""] = picked
        else:
            by_value: dict[str, list[Ev]] = {}
            for ev in picked:
                by_value.setdefault(value_of(ev), []).append(ev)
            ranked = sorted(by_value, key=lambda v: (-measure(by_value[v]), v))
            for rank, value in enumerate(ranked):
                label = value if rank < q.breakdown.limit else OTHER
                groups.setdefault(label, []).extend(by_value[value])
        labels = sorted(groups, key=lambda label: (label == OTHER, -measure(groups[label]), label))
        for label in labels:
            events = groups[label]
            values = []
            for start in starts:
                inside = [
                    ev
                    for ev in events
                    if truncate(ev.at.astimezone(zone).replace(tzinfo=None), q.interval) == start
                ]
                values.append(measure(inside))
            series.append(
                {
                    "index": index,
                    "label": s.label or s.event or "all events",
                    "event": s.event,
                    "math": s.math,
                    "breakdown_value": label if q.breakdown else None,
                    "values": values,
                    "total": measure(events),
                }
            )
    return {
        "interval": q.interval,
        "timezone": q.timezone,
        "buckets": [start.replace(tzinfo=zone) for start in starts],
        "series": series,
    }


def retention(world: World, q: Any) -> dict[str, Any]:
    """Cohorts by period of the start event; who did the returning event in each later period."""
    zone = ZoneInfo(q.timezone)
    starts = interval_starts(q.date_from, q.date_to, q.interval, q.timezone)

    def period(ev: Ev) -> datetime:
        return truncate(ev.at.astimezone(zone).replace(tzinfo=None), q.interval)

    def usable(ev: Ev) -> bool:
        return in_scope(world, ev, q, q.aggregate_by, dates=False)

    in_range = [ev for ev in world.events if q.date_from <= ev.at < q.date_to]
    members: dict[datetime, set[Any]] = {start: set() for start in starts}
    if q.cohort_type.value == "first_time":
        firsts: dict[Any, Ev] = {}
        for ev in sorted(world.events, key=lambda ev: ev.at):
            if usable(ev) and does(world, ev, q.start):
                firsts.setdefault(_unit(ev, q.aggregate_by), ev)
        for unit, ev in firsts.items():
            if q.date_from <= ev.at < q.date_to:
                members[period(ev)].add(unit)
    else:
        for ev in in_range:
            if usable(ev) and does(world, ev, q.start):
                members[period(ev)].add(_unit(ev, q.aggregate_by))
    active: dict[datetime, set[Any]] = {start: set() for start in starts}
    for ev in in_range:
        if usable(ev) and does(world, ev, q.returning):
            active[period(ev)].add(_unit(ev, q.aggregate_by))
    cohorts = []
    for i, start in enumerate(starts):
        size = len(members[start])
        values = [size] + [len(members[start] & active[later]) for later in starts[i + 1 :]]
        cohorts.append(
            {
                "start": start.replace(tzinfo=zone),
                "size": size,
                "values": values,
                "rates": [v / size if size else 0.0 for v in values],
            }
        )
    return {"interval": q.interval, "timezone": q.timezone, "cohorts": cohorts}


def _quantile(values: list[int], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (the common 'type 7' definition)."""
    if not values:
        return None
    ordered = sorted(values)
    h = (len(ordered) - 1) * fraction
    low = int(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


def time_to_value(world: World, q: Any) -> dict[str, Any]:
    """First start in range → first value at or after it within the window; stats per group."""
    zone = ZoneInfo(q.timezone)
    window = timedelta(days=q.window_days)
    usable = [ev for ev in world.events if in_scope(world, ev, q, q.aggregate_by)]

    firsts: dict[Any, Ev] = {}
    for ev in sorted(usable, key=lambda ev: ev.at):
        if does(world, ev, q.start):
            firsts.setdefault(_unit(ev, q.aggregate_by), ev)
    rows = []
    for unit, first in firsts.items():
        later = [
            ev.at
            for ev in usable
            if _unit(ev, q.aggregate_by) == unit
            and does(world, ev, q.value)
            and first.at <= ev.at <= first.at + window
        ]
        segment = (
            text(_lookup(world, first, q.breakdown.source, q.breakdown.property))
            if q.breakdown
            else ""
        )
        gap = _us(min(later) - first.at) if later else None
        cohort = truncate(first.at.astimezone(zone).replace(tzinfo=None), q.cohort_interval)
        rows.append((cohort, segment, gap))

    def stats(group: list[tuple[Any, str, int | None]]) -> dict[str, Any]:
        gaps = [gap for _, _, gap in group if gap is not None]
        units = len(group)

        def seconds(fraction: float) -> float | None:
            value = _quantile(gaps, fraction)
            return None if value is None else value / 1e6

        return {
            "units": units,
            "reached": len(gaps),
            "median_seconds": seconds(0.5),
            "p75_seconds": seconds(0.75),
            "p90_seconds": seconds(0.9),
            "within": [
                {
                    "days": days,
                    "count": sum(1 for g in gaps if g <= days * 86_400_000_000),
                    "share": sum(1 for g in gaps if g <= days * 86_400_000_000) / units
                    if units
                    else 0.0,
                }
                for days in q.within_days
            ],
        }

    starts = interval_starts(q.date_from, q.date_to, q.cohort_interval, q.timezone)
    result: dict[str, Any] = {
        "overall": stats(rows),
        "cohorts": [
            {"start": start.replace(tzinfo=zone), **stats([r for r in rows if r[0] == start])}
            for start in starts
        ],
    }
    if q.breakdown is not None:
        sizes: dict[str, int] = {}
        for _, segment, _ in rows:
            sizes[segment] = sizes.get(segment, 0) + 1
        ranked = sorted(sizes, key=lambda s: (-sizes[s], s))
        kept = set(ranked[: q.breakdown.limit])
        groups: dict[str, list[Any]] = {}
        for row in rows:
            groups.setdefault(row[1] if row[1] in kept else OTHER, []).append(row)
        segments = [{"value": label, **stats(group)} for label, group in groups.items()]
        segments.sort(key=lambda s: (s["value"] == OTHER, -s["units"], s["value"]))
        result["breakdowns"] = segments
    return result


def onboarding(world: World, q: Any) -> dict[str, Any]:
    """Who reached each milestone, and all of them, within N days of becoming new."""
    zone = ZoneInfo(q.timezone)
    window = timedelta(days=q.within_days)
    usable = [ev for ev in world.events if in_scope(world, ev, q, q.aggregate_by)]

    firsts: dict[Any, Ev] = {}
    for ev in sorted(usable, key=lambda ev: ev.at):
        if does(world, ev, q.new):
            firsts.setdefault(_unit(ev, q.aggregate_by), ev)
    units = []
    for unit, first in firsts.items():
        mine = [
            ev
            for ev in usable
            if _unit(ev, q.aggregate_by) == unit and first.at <= ev.at <= first.at + window
        ]
        done = [any(does(world, ev, m) for ev in mine) for m in q.milestones]
        cohort = truncate(first.at.astimezone(zone).replace(tzinfo=None), q.cohort_interval)
        units.append((cohort, done))

    def completion(group: list[tuple[datetime, list[bool]]]) -> dict[str, Any]:
        size = len(group)
        completed = sum(1 for _, done in group if all(done))
        return {
            "units": size,
            "completed": completed,
            "completed_share": completed / size if size else 0.0,
            "milestones": [
                {
                    "index": k,
                    "event": m.event,
                    "count": sum(1 for _, done in group if done[k]),
                    "share": sum(1 for _, done in group if done[k]) / size if size else 0.0,
                }
                for k, m in enumerate(q.milestones)
            ],
        }

    starts = interval_starts(q.date_from, q.date_to, q.cohort_interval, q.timezone)
    return {
        "overall": completion(units),
        "cohorts": [
            {"start": start.replace(tzinfo=zone), **completion([u for u in units if u[0] == start])}
            for start in starts
        ],
    }


def paths(world: World, q: Any) -> dict[str, Any]:
    """Sessions split at long pauses; the steps from the anchor's first occurrence (an event of
    that name, or a view of the page with that path)."""
    gap = timedelta(seconds=q.session_gap_seconds)
    usable = sorted(
        (ev for ev in world.events if ev.event not in q.exclude_events and in_scope(world, ev, q)),
        key=lambda ev: (ev.person, ev.at, ev.message_id),
    )
    sessions: list[list[Ev]] = []
    for ev in usable:
        last = sessions[-1][-1] if sessions else None
        if last is None or last.person != ev.person or ev.at - last.at > gap:
            sessions.append([])
        sessions[-1].append(ev)

    counts: dict[tuple[str, ...], int] = {}
    for session in sessions:
        kept = [
            ev
            for i, ev in enumerate(session)
            if not (q.collapse_repeats and i and shown(session[i - 1]) == shown(ev))
        ]
        anchor = q.start_event or q.end_event
        at = next((i for i, ev in enumerate(kept) if anchor in (ev.event, shown(ev))), None)
        if at is None:
            continue
        if q.start_event is not None:
            chosen = kept[at : at + q.length]
        else:
            chosen = kept[max(0, at - q.length + 1) : at + 1]
        key = tuple(shown(ev) for ev in chosen)
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts, key=lambda key: (-counts[key], key))[: q.limit]
    return {
        "sessions": sum(counts.values()),
        "paths": [{"steps": list(key), "sessions": counts[key]} for key in ranked],
    }
