"""An app's home: where a team starts its day. For a period and a segment, cards with onboarding
completion, time to value, the activation funnel, NPS and content whose targets went missing,
each linking to its detail page. An app without events yet shows how to get the first one, and
the page turns into the dashboard when it arrives.

Which events make the activation funnel and the value event: chosen in the page (kept in its
address), else inferred from what the app already says about itself: the onboarding checklist's
tasks, the goals of its walkthroughs, and the events people most often do first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.orm import Session

from waypost.console.shell import ConsoleError, ConsolePage, Page
from waypost.events import EventStore
from waypost.guidance import library
from waypost.guidance.app_settings import HomeJourney, app_settings, save_app_settings
from waypost.guidance.conditions import Match
from waypost.guidance.rules import Rule
from waypost.guidance.segments import segment_documents
from waypost.i18n import translator
from waypost.tenancy.keys import KeyKind, active_keys
from waypost.tenancy.roles import Permission
from waypost.tenancy.sessions import CSRF_FORM_FIELD, csrf_matches

router = APIRouter(include_in_schema=False)

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
# A funnel of more steps than this no longer reads at a glance on a card.
MAX_STEPS = 6
# Events the home may offer: the most widespread ones; the rest are for the insights page.
MAX_EVENTS = 30
# New people count as onboarded when they did every step within this many days.
ONBOARDING_DAYS = 14
FUNNEL_WINDOW_SECONDS = 14 * 86400


@dataclass(frozen=True)
class EventStat:
    """How widespread one of the app's own events is, and where it usually comes in a
    person's life: `typical_rank` is its mean position among their first occurrences."""

    name: str
    persons: int
    typical_rank: float
    firsts: int


@dataclass(frozen=True)
class HomeEvents:
    """What the home measures: the start of a person's journey, the activation steps after
    it (the funnel and the onboarding milestones) and the event that means value."""

    start: str
    steps: tuple[str, ...]
    value: str
    chosen: bool  # picked in the page rather than inferred
    saved: bool = False  # the app's own choice, kept in its settings


def event_stats(store: EventStore, app_id: str) -> list[EventStat]:
    """The app's own events (not `$page`, `$identify`, guidance events…) by how many people did
    them, read from the per-person profiles rather than the raw events."""
    # The profile table is the event store's documented per-person summary (docs/tracking.md),
    # with its backlog: the counts of the last seconds' events, not folded in yet.
    _, rows = store.query(
        """
        WITH profile AS (
          SELECT person_id, event, min(first_seen) AS first_seen FROM (
            SELECT person_id, event, first_seen FROM person_event_stats WHERE app_id = $app
            UNION ALL
            SELECT person_id, event, first_seen FROM activity_backlog WHERE app_id = $app
          ) WHERE NOT starts_with(event, '$') GROUP BY person_id, event
        ),
        firsts AS (
          SELECT event, row_number() OVER (PARTITION BY person_id ORDER BY first_seen) AS rank
          FROM profile
        )
        SELECT event, count(*) AS persons, avg(rank) AS typical_rank,
               count(*) FILTER (WHERE rank = 1) AS firsts
        FROM firsts GROUP BY event ORDER BY persons DESC, event LIMIT $most
        """,
        {"app": app_id, "most": MAX_EVENTS},
    )
    return [EventStat(str(n), int(p), float(r), int(f)) for n, p, r, f in rows]


def inferred_events(stats: list[EventStat], documents: list[Any]) -> HomeEvents | None:
    """Sensible defaults: the start is what people most often do first; the steps are the
    checklist tasks' events (else the most widespread events), in the order people usually do
    them; the value event is the goal of the most important walkthrough (else the first step)."""
    if not stats:
        return None
    known = {stat.name: stat for stat in stats}
    start = max(stats, key=lambda stat: (stat.firsts, stat.persons)).name
    tasks = sorted(
        (d for d in documents if d.kind == "task" and d.complete_when.event in known),
        key=lambda d: -d.priority,
    )
    steps = [d.complete_when.event for d in tasks if d.complete_when.event != start]
    if not steps:
        steps = [stat.name for stat in stats if stat.name != start][: MAX_STEPS - 2]
    steps = sorted(dict.fromkeys(steps), key=lambda name: known[name].typical_rank)
    steps = steps[: MAX_STEPS - 1]
    goals = sorted(
        (
            d
            for d in documents
            if d.kind == "walkthrough"
            and d.goal
            and d.goal.event in known
            and d.goal.event != start
        ),
        key=lambda d: -d.priority,
    )
    value = goals[0].goal.event if goals else (steps[0] if steps else start)
    return HomeEvents(start=start, steps=tuple(steps), value=value, chosen=False)


def chosen_events(page: Page, stats: list[EventStat], inferred: HomeEvents | None) -> HomeEvents:
    """The events the page's address names (`start`, `step`…, `value`), where they are events of
    the app; what is not named stays as inferred."""
    names = {stat.name for stat in stats}
    params = page.request.query_params
    start = params.get("start") if params.get("start") in names else None
    steps = [name for name in dict.fromkeys(params.getlist("step")) if name in names]
    value = params.get("value") if params.get("value") in names else None
    if inferred is None:
        fallback = stats[0].name if stats else ""
        inferred = HomeEvents(fallback, (), fallback, False)
    if start is None and not steps and value is None:
        return inferred
    start = start or inferred.start
    rank = {stat.name: stat.typical_rank for stat in stats}
    ordered = sorted((s for s in steps if s != start), key=lambda name: rank[name])
    return HomeEvents(
        start=start,
        steps=tuple(ordered[: MAX_STEPS - 1]) if steps else inferred.steps,
        value=value or inferred.value,
        chosen=True,
    )


# What is special in a regular expression (RE2 refuses escapes of other characters).
_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")


def _literal(text: str) -> str:
    """A regular expression matching the text as it is."""
    return _SPECIAL.sub(r"\\\1", text)


_MATCH_OPS = {"eq": "eq", "neq": "neq", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}


def _match_filters(source: str, traits: dict[str, Match]) -> list[dict[str, Any]] | None:
    """Conditions on traits as insight filters; None when one has no filter to say it."""
    filters: list[dict[str, Any]] = []
    for name, match in traits.items():
        condition: dict[str, Any] = {"source": source, "property": name}
        given = match.model_fields_set
        if not given:  # a condition with no operator holds for any value that is present
            filters.append({**condition, "op": "is_set"})
        for op in given:
            value = getattr(match, op)
            if op in _MATCH_OPS:
                filters.append({**condition, "op": _MATCH_OPS[op], "value": value})
            elif op == "in_":
                filters.append({**condition, "op": "in", "value": list(value)})
            elif op == "not_in":
                filters.extend({**condition, "op": "neq", "value": each} for each in value)
            elif op in ("contains", "regex"):
                filters.append({**condition, "op": op, "value": value})
            elif op == "starts_with":
                filters.append({**condition, "op": "regex", "value": "^" + _literal(value)})
            elif op == "ends_with":
                filters.append({**condition, "op": "regex", "value": _literal(value) + "$"})
            elif op == "exists":
                filters.append({**condition, "op": "is_set" if value else "is_not_set"})
            else:
                return None
    return filters


def segment_filters(
    rule: Rule, segments: dict[str, Rule], seen: frozenset[str] = frozenset()
) -> list[dict[str, Any]] | None:
    """A segment's rules as insight filters (all must hold), when they are only conditions on
    person and account traits joined by `all`; None for rules about behaviour, pages, content
    or anything `any`/`not` joins, which filters cannot say."""
    if rule.trait is not None:
        return _match_filters("person", rule.trait)
    if rule.account is not None:
        return _match_filters("account", rule.account)
    if rule.all is not None:
        filters: list[dict[str, Any]] = []
        for child in rule.all:
            part = segment_filters(child, segments, seen)
            if part is None:
                return None
            filters.extend(part)
        return filters
    if rule.segment is not None and rule.segment in segments and rule.segment not in seen:
        return segment_filters(segments[rule.segment], segments, seen | {rule.segment})
    return None


@dataclass(frozen=True)
class SegmentChoice:
    """A saved segment the home can filter by."""

    key: str
    name: str
    where: list[dict[str, Any]]


def segment_choices(session: Session, app_id: str) -> tuple[list[SegmentChoice], int]:
    """The app's segments the home can filter by, and how many it cannot."""
    documents = segment_documents(session, app_id)
    rules = {document.key: document.rules for document in documents}
    choices, skipped = [], 0
    for document in documents:
        where = segment_filters(document.rules, rules, frozenset({document.key}))
        if where is None:
            skipped += 1
        else:
            choices.append(SegmentChoice(document.key, document.name, where))
    return choices, skipped


def nps_question(documents: list[Any]) -> tuple[str, str, str] | None:
    """The app's NPS survey as (survey key, question key, survey name), if it has one."""
    for document in documents:
        if document.kind != "survey":
            continue
        for question in document.questions:
            if question.type == "nps":
                return document.key, question.key, document.name
    return None


def home_queries(
    events: HomeEvents,
    since: datetime,
    until: datetime,
    where: list[dict[str, Any]],
    timezone: str,
    nps: tuple[str, str, str] | None,
) -> dict[str, dict[str, Any]]:
    """Each card's insight query, as the insights API takes it."""
    span = {"date_from": _iso(since), "date_to": _iso(until), "where": where}
    steps = [{"event": name} for name in events.steps]
    queries: dict[str, dict[str, Any]] = {"engagement": {"kind": "engagement", **span}}
    if events.start and events.value and events.value != events.start:
        queries["time_to_value"] = {
            "kind": "time_to_value",
            "start": {"event": events.start},
            "value": {"event": events.value},
            "within_days": [1, 7, 30],
            "timezone": timezone,
            **span,
        }
    if events.start and steps:
        queries["onboarding"] = {
            "kind": "onboarding",
            "new": {"event": events.start},
            "milestones": steps,
            "within_days": ONBOARDING_DAYS,
            "timezone": timezone,
            **span,
        }
        queries["funnel"] = {
            "kind": "funnel",
            "steps": [{"event": events.start}, *steps],
            "window_seconds": FUNNEL_WINDOW_SECONDS,
            **span,
        }
    if nps is not None:
        queries["nps"] = {
            "kind": "survey",
            "survey": nps[0],
            "question": nps[1],
            "answers_limit": 0,
            "timezone": timezone,
            **span,
        }
    return queries


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def has_events(store: EventStore, app_id: str) -> bool:
    """Whether any event of the app has arrived (stops at the first row it finds)."""
    _, rows = store.query("SELECT 1 FROM events WHERE app_id = $app LIMIT 1", {"app": app_id})
    return bool(rows)


def public_base(page: Page) -> str:
    """The server's address as the app's pages reach it, for the snippet."""
    # Without a configured public URL, the address the builder reached us at is the best guess.
    return (page.settings.public_url or str(page.request.base_url)).rstrip("/")


def _period(page: Page) -> int:
    chosen = page.request.query_params.get("days", "")
    return int(chosen) if chosen.isdigit() and int(chosen) in PERIODS else DEFAULT_PERIOD


@router.get("/console/apps/{app_id}/home")
def home(page: ConsolePage, app_id: str) -> HTMLResponse:
    """The app's home: the install steps until the first event, then the cards."""
    app = page.app(app_id, Permission.QUERY_INSIGHTS)
    store: EventStore = page.request.app.state.events
    documents = library.drafts(page.db, app.id)
    if not has_events(store, app.id):
        write_key = next((k for k in active_keys(page.db, app.id) if k.kind == KeyKind.WRITE), None)
        return page.render(
            "app/home_empty.html",
            section="home",
            base_url=public_base(page),
            write_key=write_key.public_value if write_key else None,
            has_walkthrough=any(d.kind == "walkthrough" for d in documents),
        )
    stats = event_stats(store, app.id)
    saved = app_settings(page.db, app.id).home
    fallback = (
        HomeEvents(saved.start, tuple(saved.steps), saved.value, chosen=False, saved=True)
        if saved is not None
        else inferred_events(stats, documents)
    )
    events = chosen_events(page, stats, fallback)
    days = _period(page)
    segments, skipped = segment_choices(page.db, app.id)
    segment = next((s for s in segments if s.key == page.request.query_params.get("segment")), None)
    until = datetime.now(UTC).replace(microsecond=0)
    nps = nps_question(documents)
    queries = home_queries(
        events,
        until - timedelta(days=days),
        until,
        segment.where if segment else [],
        page.timezone or "UTC",
        nps,
    )
    insights = f"/console/apps/{app.id}/insights?q="
    links = {
        name: insights + quote(json.dumps(query, separators=(",", ":")), safe="")
        for name, query in queries.items()
        if name != "nps"
    }
    if nps is not None:
        links["nps"] = f"/console/apps/{app.id}/surveys/{quote(nps[0], safe='')}"
    links["engagement"] = f"/console/apps/{app.id}/content"
    return page.render(
        "app/home.html",
        section="home",
        days=days,
        periods=PERIODS,
        segments=segments,
        skipped_segments=skipped,
        segment=segment,
        events=events,
        stats=sorted(stats, key=lambda stat: stat.typical_rank),
        nps=nps,
        links=links,
        config={
            "queries": queries,
            "value": events.value,
            "start": events.start,
            "own": bool(stats),
        },
    )


@router.post("/console/apps/{app_id}/home/journey")
async def journey(page: ConsolePage, app_id: str) -> RedirectResponse:
    """The journey form: `show` opens the home measuring it (kept in the address); `save`
    keeps it as the app's for every member, `forget` goes back to inferring it (both for
    builders and up)."""
    app = page.app(app_id, Permission.QUERY_INSIGHTS)
    form = await page.request.form()
    if not csrf_matches(page.signed_in.csrf_token, str(form.get(CSRF_FORM_FIELD, ""))):
        raise ConsoleError(403, translator(page.locale)("login.expired_form"))
    start, value = str(form.get("start", "")), str(form.get("value", ""))
    steps = [str(step) for step in form.getlist("step") if step and step != start]
    keep = [("days", str(form.get("days", "")))]
    if form.get("segment"):
        keep.append(("segment", str(form.get("segment"))))
    action = form.get("action", "show")
    if action in ("save", "forget"):
        page.app(app_id, Permission.EDIT_CONTENT)
        current = app_settings(page.db, app.id)
        chosen = (
            HomeJourney(start=start, steps=steps[:10], value=value)
            if action == "save" and start and value
            else None
        )
        save_app_settings(page.db, app.id, current.model_copy(update={"home": chosen}))
        return RedirectResponse(f"/console/apps/{app.id}/home?{urlencode(keep)}", 303)
    shown = [*keep, ("start", start), *(("step", step) for step in steps), ("value", value)]
    return RedirectResponse(f"/console/apps/{app.id}/home?{urlencode(shown)}", status_code=303)


@router.get("/console/apps/{app_id}/home/status")
def home_status(page: ConsolePage, app_id: str) -> JSONResponse:
    """Whether the app's first event has arrived: what the empty home asks every few seconds."""
    app = page.app(app_id, Permission.QUERY_INSIGHTS)
    store: EventStore = page.request.app.state.events
    return JSONResponse({"has_events": has_events(store, app.id)})
