"""Decide: which published items one person may see now, on this page, and their state.

The order of the rules, for each item the environment has released:
1. the audience (saved segment and inline rules) holds for the person;
2. the schedule allows now, in the app's (or the item's) time zone;
3. the page trigger matches the URL (items already under way are exempt);
4. the frequency allows another showing;
5. the holdout: a stable share of the audience never sees the item (recorded once as
   `$holdout_assigned`); a person who has seen it is never put in its holdout afterwards;
6. the attention budget, for interruptions (walkthroughs, surveys, shoutouts) not under way.
Interruptions come back in the order the snippet must prefer them: an item under way first,
then higher priority, then the older item, then the key (documented tie rules).

A preview (a builder's preview link, verified by the caller) answers one item at its version in
staging instead of whatever production releases under that key, first of all, to that request
only: of the rules above only its page trigger applies.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, StringConstraints

from waypost.events import PersonActivity
from waypost.events.schema import PREVIEW_STATE_SUFFIX
from waypost.guidance.app_settings import AppSettings
from waypost.guidance.conditions import Strict
from waypost.guidance.documents import (
    INTERRUPTING,
    Schedule,
    Show,
    Trigger,
    Weekday,
    references,
)
from waypost.guidance.files import canonical
from waypost.guidance.library import Released
from waypost.guidance.rules import Facts, Rule, holds, stable_percent
from waypost.guidance.state import ItemState, item_states
from waypost.guidance.texts import pick, render

# Daily counts are read this far back: the longest `within_days` a rule may use.
LOOKBACK_DAYS = 3650
# Fields whose text is rich (Markdown rendered to clean HTML); every other text is plain.
RICH_FIELDS = frozenset({"body", "summary"})
# Fields holding text to resolve for the locale.
TEXT_FIELDS = frozenset(
    {"title", "body", "label", "text", "summary", "low_label", "high_label", "checklist_title"}
)
WEEKDAYS = list(Weekday)
# URLs whose page-trigger outcome a catalogue remembers (pages repeat across people).
PAGES_REMEMBERED = 4096


class DecideRequest(Strict):
    """What the snippet tells decide about the person and the page."""

    userId: str | None = Field(None, min_length=1, max_length=400)
    anonymousId: str | None = Field(None, min_length=1, max_length=400)
    userHash: str | None = Field(None, max_length=128)
    traits: dict[str, Any] = Field(default_factory=dict, max_length=200)
    groupId: str | None = Field(None, max_length=400)
    locale: str | None = Field(None, max_length=35)
    url: str | None = Field(None, max_length=4000)
    device: str | None = Field(None, max_length=20)
    # Kept for older callers: staging is read only through a preview (see sdk.py).
    environment: str = Field("production", pattern=r"^(production|staging)$")
    # A preview link's token: one item's preview release, for this request only.
    preview: str | None = Field(None, min_length=1, max_length=2000)
    writeKey: str | None = Field(None, max_length=200)
    # Definitions the snippet already holds for this locale, as "key@version": their entries
    # come without `definition` (unless it is personal: it differs per person).
    have: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=list, max_length=1000
    )


@dataclass
class Catalogue:
    """What an environment of an app has released, prepared once per content change."""

    settings: AppSettings
    released: list[Released]
    versions: Mapping[tuple[str, int], Any]
    segments: Mapping[str, Rule]
    # The actions `did` rules may count: each by name, with the events it is made of.
    actions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Definitions resolved per (key, version, locale), built on first use.
    _resolved: dict[tuple[str, int, str], dict[str, Any]] = field(default_factory=dict)
    # The keys of items whose page trigger does not match, per URL seen.
    _off_page: dict[str, frozenset[str]] = field(default_factory=dict)

    def off_page(self, url: str | None) -> frozenset[str]:
        """The keys of released items whose page trigger does not match the URL (worked out
        once per URL: many people load the same pages)."""
        ident = url if url is not None else "\x00"  # no URL: a separate entry
        found = self._off_page.get(ident)
        if found is None:
            path = _path(url) if url else None
            found = frozenset(
                item.key
                for item in self.released
                if not page_matches(item.document.trigger, url, path)
            )
            if len(self._off_page) >= PAGES_REMEMBERED:
                self._off_page.clear()
            self._off_page[ident] = found
        return found

    @functools.cached_property
    def by_key(self) -> dict[str, Released]:
        """The released items by key."""
        return {item.key: item for item in self.released}

    @functools.cached_property
    def on_call(self) -> frozenset[str]:
        """Items a person can start by their own action: listed in a menu, started by a
        launcher, a button, a task, a step or a follow-up, or triggered only manually. They are
        answered even where their page, frequency or the attention budget would keep them from
        showing by themselves (as `listed`: shown only when started)."""
        found: set[str] = set()
        for item in self.released:
            found |= references(item.document)
            trigger = item.document.trigger
            if trigger is not None and trigger.manual:
                found.add(item.key)
        return frozenset(found)

    @functools.cached_property
    def kinds(self) -> dict[str, str]:
        """Each released item's kind, by key."""
        return {item.key: item.kind for item in self.released}

    def definition(self, key: str, number: int, locale: str) -> dict[str, Any]:
        """The item's version as the browser gets it: texts for the locale, bodies as clean
        HTML, and nothing the browser does not need (audience, goal, holdout)."""
        cached = self._resolved.get((key, number, locale))
        if cached is None:
            document = self.versions[(key, number)]
            data = canonical(document)
            for private in ("audience", "goal", "holdout", "schedule", "description"):
                data.pop(private, None)
            # Rules stay on the server: a menu's sections and a split's condition are decided
            # per person (`personal`), the browser gets only the outcome.
            for section in data.get("sections", ()):
                section.pop("audience", None)
            for step in data.get("steps", ()):
                if step.get("split"):
                    step["split"].pop("when", None)
            cached = _localized(data, locale, self.settings.fallback_locale)
            self._resolved[(key, number, locale)] = cached
        return cached


def _localized(value: Any, locale: str, fallback: str, name: str = "") -> Any:
    if isinstance(value, dict):
        if name in TEXT_FIELDS and all(isinstance(v, str) for v in value.values()):
            text = pick(value, locale, fallback)
            return render(text) if name in RICH_FIELDS and text is not None else text
        return {k: _localized(v, locale, fallback, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_localized(v, locale, fallback, name) for v in value]
    if isinstance(value, str) and name in RICH_FIELDS:
        return render(value)
    return value


@dataclass(frozen=True)
class PreviewItem:
    """The item a request previews: its release in staging, and the catalogue it is from."""

    item: Released
    source: Catalogue


@dataclass(frozen=True)
class Person:
    """Who decide is about: a stable key for buckets, and what is known of them."""

    key: str
    activity: PersonActivity | None
    traits: Mapping[str, Any]


def _counter(
    activity: PersonActivity | None, now: datetime, actions: Mapping[str, tuple[str, ...]]
) -> Callable[[str, str, int | None], int]:
    """How often the person did an event, or an action (the sum of its events), in the last
    `days` days or ever."""

    def count(kind: str, name: str, days: int | None) -> int:
        if activity is None:
            return 0
        events = {name} if kind == "event" else set(actions.get(name, ()))
        if days is None:
            return sum(c.count for c in activity.profile.event_counts if c.event in events)
        since = now.date() - timedelta(days=days - 1)
        return sum(
            n for (event, day), n in activity.daily.items() if event in events and day >= since
        )

    return count


def task_done(
    item: Released, states: Mapping[str, ItemState], count: Callable[[str, str, int | None], int]
) -> bool:
    """Whether the person has done the task: reported done (`$task_completed`), or its
    `complete_when` holds: the event (or action) happened, from the page or from anywhere else
    (a backend's events count too), or the walkthrough was completed. A condition with `where`
    property filters, or `goal_of`, is known only from the report."""
    state = states.get(item.key)
    if state is not None and state.completed_at is not None:
        return True
    when = item.document.complete_when
    if when.where:
        return False
    if when.event is not None:
        return count("event", when.event, None) > 0
    if when.action is not None:
        return count("action", when.action, None) > 0
    if when.walkthrough is not None:
        done = states.get(when.walkthrough)
        return done is not None and done.completed_at is not None
    return False


def _tasks_done(
    states: Mapping[str, ItemState],
    released: Mapping[str, Released],
    count: Callable[[str, str, int | None], int],
) -> Callable[[str | None], int]:
    """How many tasks the person completed: of a menu's entries, or of every released task."""

    def done(menu: str | None) -> int:
        keys = {key for key, item in released.items() if item.kind == "task"}
        if menu is not None:
            listed = released.get(menu)
            if listed is None or listed.kind != "menu":
                return 0
            keys &= {entry for section in listed.document.sections for entry in section.items}
        return sum(1 for key in keys if task_done(released[key], states, count))

    return done


def person_facts(
    person: Person,
    now: datetime,
    states: Mapping[str, ItemState],
    released: Mapping[str, Released],
    actions: Mapping[str, tuple[str, ...]],
    url: str | None = None,
    device: str | None = None,
    locale: str | None = None,
) -> Facts:
    """What audience rules are tested against for the person now (on a page, when given)."""
    profile = person.activity.profile if person.activity else None
    count = _counter(person.activity, now, actions)
    return Facts(
        person_key=person.key,
        now=now,
        traits=person.traits,
        account_traits=profile.account_traits if profile else {},
        first_seen=_aware_or_none(profile.first_seen if profile else None),
        count=count,
        content_states={key: state.states() for key, state in states.items()},
        tasks_completed=_tasks_done(states, released, count),
        url=url,
        path=_path(url) if url else None,
        device=device,
        locale=locale,
    )


def schedule_allows(schedule: Schedule | None, now: datetime, app_zone: str) -> bool:
    """Whether the schedule lets the item show at `now`."""
    if schedule is None:
        return True
    if schedule.start is not None and now < schedule.start:
        return False
    if schedule.end is not None and now >= schedule.end:
        return False
    local = now.astimezone(ZoneInfo(schedule.timezone or app_zone))
    if schedule.days is not None and WEEKDAYS[local.weekday()] not in schedule.days:
        return False
    moment = local.time().replace(tzinfo=None)
    if schedule.from_time is not None and schedule.until is not None:
        if schedule.from_time <= schedule.until:
            return schedule.from_time <= moment < schedule.until
        return moment >= schedule.from_time or moment < schedule.until  # across midnight
    if schedule.from_time is not None and moment < schedule.from_time:
        return False
    return not (schedule.until is not None and moment >= schedule.until)


def page_matches(trigger: Trigger | None, url: str | None, path: str | None = None) -> bool:
    """Whether the trigger's page condition (if any) holds for the URL (whose path may be
    given, worked out once for many items)."""
    if trigger is None or trigger.page is None:
        return True
    if url is None:
        return False
    page = trigger.page
    if page.url is not None and not page.url.test(url):
        return False
    return page.path is None or page.path.test(path if path is not None else _path(url))


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def frequency_allows(document: Any, state: ItemState, now: datetime) -> bool:
    """Whether the item's frequency lets it show once more to a person with this history."""
    frequency = document.frequency
    show = frequency.show if frequency is not None else Show.UNTIL_COMPLETED
    if show is Show.ALWAYS or show is Show.EVERY_SESSION:
        return True
    if show is Show.ONCE:
        return state.shown == 0
    if show is Show.UNTIL_COMPLETED:
        return state.completed_at is None
    if show is Show.AT_MOST:
        return state.shown < (frequency.times or 1) if frequency else True
    # every_n_days
    days = frequency.days if frequency is not None and frequency.days else 1
    return state.last_shown is None or now - state.last_shown >= timedelta(days=days)


def in_holdout(key: str, percent: float, person: str, state: ItemState) -> bool:
    """Whether the person is in the item's holdout: recorded before, or newly drawn (a stable
    draw per item and person); never for someone who has seen the item."""
    if state.holdout:
        return True
    if percent <= 0 or state.shown:
        return False
    return stable_percent(f"holdout:{key}", person) < percent


@dataclass(frozen=True)
class Budget:
    """The person's attention budget now."""

    remaining: int
    cooldown_until: datetime | None

    def allows_new(self, now: datetime) -> bool:
        """Whether a new interruption may start now."""
        return self.remaining > 0 and (self.cooldown_until is None or now >= self.cooldown_until)


def budget_of(
    settings: AppSettings, states: Mapping[str, ItemState], kinds: Mapping[str, str], now: datetime
) -> Budget:
    """What is left of the person's attention budget: interruptions shown in the period, and
    the cooldown after their latest dismissal of one."""
    rule = settings.budget
    since = now - timedelta(hours=rule.period_hours)
    shown = sum(
        1
        for key, state in states.items()
        if kinds.get(key) in INTERRUPTING
        and state.last_shown is not None
        and state.last_shown >= since
    )
    dismissed = [
        s.dismissed_at for k, s in states.items() if kinds.get(k) in INTERRUPTING and s.dismissed_at
    ]
    cooldown = max(dismissed) + timedelta(hours=rule.cooldown_hours) if dismissed else None
    return Budget(max(rule.max_new - shown, 0), cooldown if cooldown and cooldown > now else None)


def decide(
    catalogue: Catalogue,
    request: DecideRequest,
    person: Person,
    now: datetime | None = None,
    preview: PreviewItem | None = None,
) -> dict[str, Any]:
    """The answer to one decide request (see the module's docstring for the rules), with the
    previewed item in place of what the catalogue releases under its key."""
    now = now or datetime.now(UTC)
    settings = catalogue.settings
    locale = request.locale or settings.fallback_locale
    activity = person.activity
    states = item_states(activity.content if activity else ())
    kinds, by_key = catalogue.kinds, catalogue.by_key
    facts = person_facts(
        person, now, states, by_key, catalogue.actions, request.url, request.device, locale
    )
    budget = budget_of(settings, states, kinds, now)
    off_page = catalogue.off_page(request.url)
    held = frozenset(request.have)
    chosen: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    holdouts: list[str] = []
    if preview is not None:
        found = _previewed(preview, catalogue, request, facts, states, locale, held)
        if found is not None:
            chosen.append(found)
        by_key = {**by_key, preview.item.key: preview.item}
    for item in catalogue.released:
        if preview is not None and item.key == preview.item.key:
            continue
        document = item.document
        state = states.get(item.key, NO_STATE)
        number = item.number
        under_way = item.kind == "walkthrough" and state.in_progress
        if under_way and state.version is not None and state.version != item.number:
            if (
                not document.restart_on_new_version
                and (item.key, state.version) in catalogue.versions
            ):
                number = state.version  # finish the version they started
            else:
                under_way = False
        listed = False  # answered only to be started by the person (menu, launcher, button)
        if not under_way:
            on_call = item.key in catalogue.on_call
            # The cheap tests first: all must hold, so their order changes no answer.
            if item.kind not in PASSIVE and (
                item.key in off_page or not frequency_allows(document, state, now)
            ):
                if not on_call:
                    continue
                listed = True
            if not schedule_allows(document.schedule, now, settings.timezone):
                continue
            if not _audience_holds(document, facts, catalogue.segments):
                continue
            if in_holdout(item.key, float(document.holdout), person.key, state):
                holdouts.append(item.key)
                continue
            if (
                item.kind in INTERRUPTING
                and state.last_shown is None
                and not budget.allows_new(now)
            ):
                if not on_call:
                    continue
                listed = True
        shared = catalogue.definition(item.key, number, locale)
        definition = (
            _personal(
                item.kind, shared, catalogue.versions[(item.key, number)], facts, catalogue.segments
            )
            if item.kind in PERSONAL
            else shared
        )
        entry = {
            "key": item.key,
            "kind": item.kind,
            "version": number,
            "priority": document.priority,
            "under_way": under_way,
            "listed": listed,
            "state": NO_STATE_OUT if state is NO_STATE else _state_out(state),
        }
        if definition is not shared or f"{item.key}@{number}" not in held:
            entry["definition"] = definition
        order = (True, not under_way, -document.priority, item.created_at, item.key)
        chosen.append((order, entry))
    chosen.sort(key=lambda pair: pair[0])
    tasks = {e["key"]: by_key[e["key"]] for _, e in chosen if e["kind"] == "task"}
    done_tasks = {key for key, item in tasks.items() if task_done(item, states, facts.count)}
    for _, entry in chosen:
        if entry["key"] in done_tasks and not entry["state"]["completed"]:
            entry["state"] = {**entry["state"], "completed": True}
            # Done by its rule (an event from the backend, a walkthrough finished elsewhere)
            # with no `$task_completed` stored: the snippet reports it, so that engagement
            # counts every task done, not only those the browser saw happen.
            entry["unreported"] = True
    return {
        "locale": locale,
        "items": [entry for _, entry in chosen],
        "holdouts": [
            {"key": key, "recorded": states.get(key, NO_STATE).holdout} for key in holdouts
        ],
        "budget": {
            "remaining": budget.remaining,
            "cooldown_until": budget.cooldown_until.isoformat() if budget.cooldown_until else None,
        },
        "checklist": _checklist(tasks, done_tasks),
        "theme": settings.theme.model_dump(exclude_none=True) if settings.theme else None,
    }


def _previewed(
    preview: PreviewItem,
    catalogue: Catalogue,
    request: DecideRequest,
    facts: Facts,
    states: Mapping[str, ItemState],
    locale: str,
    held: frozenset[str],
) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """The previewed item's entry, ordered before every other: the builder came to see it, so
    audience, schedule, frequency, holdout and budget do not apply; its page trigger does
    (listed only, when something can start it), and the browser keeps the rest of its trigger."""
    item, source = preview.item, preview.source
    state = states.get(item.key + PREVIEW_STATE_SUFFIX, NO_STATE)
    under_way = item.kind == "walkthrough" and state.in_progress and state.version == item.number
    listed = False
    if not under_way and item.kind not in PASSIVE and item.key in source.off_page(request.url):
        if item.key not in catalogue.on_call and item.key not in source.on_call:
            return None
        listed = True
    shared = source.definition(item.key, item.number, locale)
    definition = (
        _personal(
            item.kind, shared, source.versions[(item.key, item.number)], facts, catalogue.segments
        )
        if item.kind in PERSONAL
        else shared
    )
    entry = {
        "key": item.key,
        "kind": item.kind,
        "version": item.number,
        "priority": item.document.priority,
        "under_way": under_way,
        "listed": listed,
        "preview": True,
        "state": NO_STATE_OUT if state is NO_STATE else _state_out(state),
    }
    if definition is not shared or f"{item.key}@{item.number}" not in held:
        entry["definition"] = definition
    return (False, not under_way, -item.document.priority, item.created_at, item.key), entry


# Kinds that never take the screen by themselves: listed for the menu and the checklist, with no
# page trigger or frequency of their own.
PASSIVE = frozenset({"task", "resource", "shuttle", "menu"})
# The state of an item a person has never met (shared, never changed).
NO_STATE = ItemState()


# Kinds whose definition may differ per person (a menu's sections, a walkthrough's splits).
PERSONAL = frozenset({"menu", "walkthrough"})


def _personal(
    kind: str,
    definition: dict[str, Any],
    document: Any,
    facts: Facts,
    segments: Mapping[str, Rule],
) -> dict[str, Any]:
    """The definition for this person: a menu with only the sections whose audience holds, a
    walkthrough whose splits say whether their condition holds (`split.holds`); the shared
    definition itself when nothing in it differs for the person."""
    if kind == "menu":
        kept = [
            shown
            for section, shown in zip(document.sections, definition["sections"], strict=True)
            if section.audience is None or holds(section.audience.rule, facts, segments)
        ]
        if len(kept) == len(definition["sections"]):
            return definition  # the same for everyone: the snippet may hold it
        return {**definition, "sections": kept}
    steps = document.steps
    if any(step.split is not None for step in steps):
        personal = []
        for step, shown in zip(steps, definition["steps"], strict=True):
            if step.split is not None:
                split = {**shown["split"], "holds": holds(step.split.when, facts, segments)}
                shown = {**shown, "split": split}
            personal.append(shown)
        return {**definition, "steps": personal}
    return definition


def _audience_holds(document: Any, facts: Facts, segments: Mapping[str, Rule]) -> bool:
    audience = document.audience
    return audience is None or holds(audience.rule, facts, segments)


def _aware_or_none(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _state_out(state: ItemState) -> dict[str, Any]:
    return {
        "shown": state.shown,
        "completed": state.completed_at is not None,
        "dismissed": state.dismissed_at is not None,
        "step": state.step if state.in_progress else None,
        "last_shown": state.last_shown.isoformat() if state.last_shown else None,
    }


NO_STATE_OUT = _state_out(NO_STATE)


def _checklist(tasks: Mapping[str, Released], done: set[str]) -> dict[str, Any]:
    """Every released task with whether it is done, and whether it is unlocked (the tasks it
    waits for are done)."""
    entries = [
        {
            "key": key,
            "done": key in done,
            "unlocked": all(before in done for before in (item.document.after or ())),
        }
        for key, item in sorted(
            tasks.items(), key=lambda pair: (-pair[1].document.priority, pair[0])
        )
    ]
    return {"done": len(done), "total": len(tasks), "tasks": entries}


def lookback(now: datetime) -> date:
    """The first day whose counts decide reads."""
    return now.date() - timedelta(days=LOOKBACK_DAYS)
