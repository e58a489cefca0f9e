"""People and accounts: search persons (by any id, email or name) and accounts (by id or name);
a person's profile with ids, traits, account, what they did, the guidance they saw, the tasks
they finished and their survey answers; an account with its traits and people.

Profiles, guidance activity and events come from the event store's own reads. Searching and
listing an account's people read the store's person tables directly (there is no API for them
yet): `search_persons`, `search_accounts` and `account_profile` below.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from waypost.console.shell import ConsoleError, ConsolePage
from waypost.events import ContentActivity, EventFilter, EventStore
from waypost.events.schema import PREVIEW_STATE_SUFFIX
from waypost.guidance import library
from waypost.i18n import translator
from waypost.tenancy.roles import Permission

router = APIRouter(include_in_schema=False)

MAX_RESULTS = 50
MAX_ANSWERS = 100
# Traits a person is found by, besides their ids.
SEARCHED_TRAITS = ("email", "name", "first_name", "last_name", "username")

# A list of the persons of a `chosen` CTE (person_id, account_id, last_seen, events) with how to
# recognise them: their traits are looked up for the page's rows only.
_CHOSEN_PERSONS = """
SELECT
  c.person_id, c.account_id,
  (SELECT value->>'$' FROM person_traits t
   WHERE t.app_id = $app AND t.person_id = c.person_id AND t.trait = 'email') AS email,
  (SELECT value->>'$' FROM person_traits t
   WHERE t.app_id = $app AND t.person_id = c.person_id AND t.trait = 'name') AS name,
  (SELECT min(distinct_id) FROM person_ids i
   WHERE i.app_id = $app AND i.person_id = c.person_id AND i.is_user) AS user_id,
  (SELECT value->>'$' FROM account_traits a
   WHERE a.app_id = $app AND a.account_id = c.account_id AND a.trait = 'name') AS account_name,
  c.last_seen, c.events
FROM chosen c ORDER BY c.last_seen DESC NULLS LAST, c.person_id
"""
# What the profile table knows, with its backlog (the last seconds' counts, not folded in yet).
_PERSON_STATS = """
  SELECT person_id, max(last_seen) AS last_seen, sum(count) AS events FROM (
    SELECT person_id, count, last_seen FROM person_event_stats WHERE app_id = $app
    UNION ALL
    SELECT person_id, count, last_seen FROM activity_backlog WHERE app_id = $app
  ) GROUP BY person_id
"""


@dataclass(frozen=True)
class PersonRow:
    """A person in a list: how to recognise them and when they were last seen."""

    person_id: str
    account_id: str | None
    account_name: str | None
    email: str | None
    name: str | None
    user_id: str | None
    last_seen: datetime | None
    events: int


@dataclass(frozen=True)
class AccountRow:
    """An account in a list."""

    account_id: str
    name: str | None
    plan: str | None
    people: int
    last_seen: datetime | None


@dataclass(frozen=True)
class AccountProfile:
    """An account: its traits (with when each was set), when it was active, its people."""

    account_id: str
    traits: list[tuple[str, Any, datetime]]
    first_seen: datetime | None
    last_seen: datetime | None
    people: list[PersonRow]


def _pattern(text: str) -> str:
    """An ILIKE pattern finding the text anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None


def _person_rows(rows: Sequence[tuple[Any, ...]]) -> list[PersonRow]:
    return [
        PersonRow(
            person_id=str(pid),
            account_id=account,
            account_name=account_name,
            email=email,
            name=name,
            user_id=user,
            last_seen=_utc(seen),
            events=int(events or 0),
        )
        for pid, account, email, name, user, account_name, seen, events in rows
    ]


def search_persons(store: EventStore, app_id: str, text: str) -> list[PersonRow]:
    """Persons whose id (any of them, or the person id) or email or name holds the text, most
    recently seen first; without text, the most recently seen."""
    text = text.strip()
    _, rows = store.query(
        f"""
        WITH stats AS ({_PERSON_STATS}),
        hits AS (
          SELECT person_id FROM person_ids
          WHERE app_id = $app AND distinct_id ILIKE $pattern ESCAPE '\\'
          UNION SELECT person_id FROM persons
          WHERE app_id = $app AND CAST(person_id AS VARCHAR) = $text
          UNION SELECT person_id FROM person_traits
          WHERE app_id = $app AND list_contains($traits, trait)
            AND value->>'$' ILIKE $pattern ESCAPE '\\'
        ),
        chosen AS (
          SELECT p.person_id, p.account_id, s.last_seen, s.events
          FROM persons p LEFT JOIN stats s ON s.person_id = p.person_id
          WHERE p.app_id = $app AND ($text = '' OR p.person_id IN (SELECT person_id FROM hits))
          ORDER BY s.last_seen DESC NULLS LAST, p.person_id LIMIT $most
        )
        {_CHOSEN_PERSONS}
        """,
        {
            "app": app_id,
            "text": text,
            "pattern": _pattern(text),
            "traits": list(SEARCHED_TRAITS),
            "most": MAX_RESULTS,
        },
    )
    return _person_rows(rows)


def search_accounts(store: EventStore, app_id: str, text: str) -> list[AccountRow]:
    """Accounts whose id or name holds the text, most recently active first; without text,
    the most recently active."""
    text = text.strip()
    _, rows = store.query(
        """
        WITH seen AS (
          -- The accounts table with its backlog (the last seconds' activity, not folded in
          -- yet), and accounts known only by their traits so far.
          SELECT account_id, max(last_seen) AS last_seen FROM (
            SELECT account_id, last_seen FROM accounts WHERE app_id = $app
            UNION ALL
            SELECT account_id, last_seen FROM activity_backlog
            WHERE app_id = $app AND account_id IS NOT NULL
            UNION ALL
            SELECT account_id, NULL FROM account_traits WHERE app_id = $app
          ) GROUP BY account_id
        ),
        members AS (
          SELECT account_id, count(*) AS people FROM persons
          WHERE app_id = $app AND account_id IS NOT NULL GROUP BY account_id
        ),
        named AS (
          SELECT account_id,
                 max(value->>'$') FILTER (WHERE trait = 'name') AS name,
                 max(value->>'$') FILTER (WHERE trait = 'plan') AS plan
          FROM account_traits WHERE app_id = $app GROUP BY account_id
        )
        SELECT a.account_id, n.name, n.plan, coalesce(m.people, 0), a.last_seen
        FROM seen a
        LEFT JOIN named n ON n.account_id = a.account_id
        LEFT JOIN members m ON m.account_id = a.account_id
        WHERE $text = ''
          OR a.account_id ILIKE $pattern ESCAPE '\\' OR n.name ILIKE $pattern ESCAPE '\\'
        ORDER BY a.last_seen DESC NULLS LAST, a.account_id LIMIT $most
        """,
        {"app": app_id, "text": text, "pattern": _pattern(text), "most": MAX_RESULTS},
    )
    return [
        AccountRow(str(account), name, plan, int(people), _utc(seen))
        for account, name, plan, people, seen in rows
    ]


def account_profile(store: EventStore, app_id: str, account_id: str) -> AccountProfile | None:
    """The account's traits and people, or None when the app has never heard of it."""
    params = {"app": app_id, "account": account_id}
    _, traits = store.query(
        """SELECT trait, value, set_at FROM account_traits
        WHERE app_id = $app AND account_id = $account ORDER BY trait""",
        params,
    )
    _, seen = store.query(
        """SELECT min(first_seen), max(last_seen) FROM (
          SELECT first_seen, last_seen FROM accounts WHERE app_id = $app AND account_id = $account
          UNION ALL
          SELECT first_seen, last_seen FROM activity_backlog
          WHERE app_id = $app AND account_id = $account
        ) HAVING count(*) > 0""",
        params,
    )
    _, people = store.query(
        f"""
        WITH stats AS ({_PERSON_STATS}),
        chosen AS (
          SELECT p.person_id, p.account_id, s.last_seen, s.events
          FROM persons p LEFT JOIN stats s ON s.person_id = p.person_id
          WHERE p.app_id = $app AND p.account_id = $account
          ORDER BY s.last_seen DESC NULLS LAST, p.person_id LIMIT 500
        )
        {_CHOSEN_PERSONS}
        """,
        params,
    )
    if not traits and not seen and not people:
        return None
    first, last = seen[0] if seen else (None, None)
    return AccountProfile(
        account_id=account_id,
        traits=[
            (str(name), _json(value), set_at.replace(tzinfo=UTC)) for name, value, set_at in traits
        ],
        first_seen=_utc(first),
        last_seen=_utc(last),
        people=_person_rows(people),
    )


def _json(value: Any) -> Any:
    """A JSON column's value (the store hands it over as text)."""
    return json.loads(value) if isinstance(value, str) else value


def shown(value: Any) -> str:
    """A trait's or answer's value as a person reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(shown(each) for each in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


@dataclass
class GuidanceSeen:
    """One content item as a person met it: how often shown, how far and how it ended."""

    key: str
    name: str
    kind: str | None
    first_seen: datetime
    last_seen: datetime
    shown: int = 0
    completed: bool = False
    dismissed: bool = False
    answered: bool = False
    held_out: bool = False
    last_step: int | None = None
    events: dict[str, int] = field(default_factory=dict)


_SHOWN = ("$guide_shown", "$survey_shown")


def guidance_seen(
    content: Sequence[ContentActivity], documents: dict[str, Any]
) -> tuple[list[GuidanceSeen], list[tuple[str, str, datetime]]]:
    """A person's guidance activity as items seen (newest first) and tasks done (key, name,
    when, newest first)."""
    items: dict[str, GuidanceSeen] = {}
    tasks: list[tuple[str, str, datetime]] = []
    for row in content:
        if row.content_id.endswith(PREVIEW_STATE_SUFFIX):
            continue  # a builder's preview of a draft, not the item seen
        document = documents.get(row.content_id)
        name = document.name if document is not None else row.content_id
        first, last = _utc(row.first_seen), _utc(row.last_seen)
        assert first is not None and last is not None
        if row.event == "$task_completed":
            tasks.append((row.content_id, name, first))
            continue
        item = items.setdefault(
            row.content_id,
            GuidanceSeen(row.content_id, name, getattr(document, "kind", None), first, last),
        )
        item.first_seen, item.last_seen = min(item.first_seen, first), max(item.last_seen, last)
        item.events[row.event] = row.count
        item.shown += row.count if row.event in _SHOWN else 0
        item.completed |= row.event == "$guide_completed"
        item.dismissed |= row.event in ("$guide_dismissed", "$survey_dismissed")
        item.answered |= row.event == "$survey_answered"
        item.held_out |= row.event == "$holdout_assigned"
        if row.last_step is not None:
            item.last_step = max(item.last_step or 0, row.last_step)
    seen = sorted(items.values(), key=lambda item: item.last_seen, reverse=True)
    return seen, sorted(tasks, key=lambda task: task[2], reverse=True)


@dataclass(frozen=True)
class SurveyAnswer:
    """One answer a person gave to one survey question."""

    survey: str
    question: str
    answer: str
    at: datetime


def _localised(text: Any, locale: str) -> str:
    """A content text (one string, or one per locale) in the member's language if it has it."""
    if isinstance(text, dict):
        return str(text.get(locale) or text.get("en") or next(iter(text.values()), ""))
    return str(text or "")


def survey_answers(
    events: list[dict[str, Any]], documents: dict[str, Any], locale: str
) -> list[SurveyAnswer]:
    """The person's `$survey_answered` events with each survey's name, question and answer
    in words where the survey has them (option labels rather than keys)."""
    answers = []
    for event in events:
        properties = event["properties"]
        key = str(properties.get("$content_id") or event.get("content_id") or "")
        question_key = str(properties.get("$question") or "")
        answer = properties.get("$answer")
        document = documents.get(key)
        survey, question = key, question_key
        if document is not None and document.kind == "survey":
            survey = document.name
            found = next((q for q in document.questions if q.key == question_key), None)
            if found is not None:
                question = _localised(found.text, locale)
                labels = {o.key: _localised(o.label, locale) for o in found.options or ()}
                if isinstance(answer, list):
                    answer = [labels.get(str(each), each) for each in answer]
                elif isinstance(answer, str):
                    answer = labels.get(answer, answer)
        answers.append(SurveyAnswer(survey, question, shown(answer), _at(event["timestamp"])))
    return answers


def _at(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _store(page: Any) -> EventStore:
    store: EventStore = page.request.app.state.events
    return store


@router.get("/console/apps/{app_id}/people")
def people(page: ConsolePage, app_id: str, q: str = "", show: str = "persons") -> HTMLResponse:
    """Search persons or accounts; without a search, those seen most recently."""
    app = page.app(app_id, Permission.READ_EVENTS)
    store = _store(page)
    accounts = show == "accounts"
    return page.render(
        "app/people.html",
        section="people",
        q=q,
        show="accounts" if accounts else "persons",
        persons=[] if accounts else search_persons(store, app.id, q),
        accounts=search_accounts(store, app.id, q) if accounts else [],
        limit=MAX_RESULTS,
        account_url=lambda account: (
            f"/console/apps/{app.id}/people/accounts/{quote(account, safe='')}"
        ),
    )


@router.get("/console/apps/{app_id}/people/persons/{person}")
def person_page(page: ConsolePage, app_id: str, person: str) -> HTMLResponse:
    """A person's profile (by any of their ids)."""
    app = page.app(app_id, Permission.READ_EVENTS)
    store = _store(page)
    profile = store.find_person(app.id, person)
    if profile is None:
        t = translator(page.locale)
        raise ConsoleError(404, t("people.person.not_found", id=person))
    documents = {d.key: d for d in library.drafts(page.db, app.id, include_archived=True)}
    activity = store.person_activity(app.id, profile.person_id, datetime.now(UTC).date())
    seen, tasks = guidance_seen(activity.content if activity else (), documents)
    answered = store.list_events(
        app.id,
        EventFilter(
            event="$survey_answered",
            distinct_ids=store.person_ids(app.id, profile.person_id),
            limit=MAX_ANSWERS,
        ),
    )
    return page.render(
        "app/people_person.html",
        section="people",
        person=profile,
        traits=sorted((name, shown(value)) for name, value in profile.traits.items()),
        account_traits=sorted((n, shown(v)) for n, v in profile.account_traits.items()),
        first_seen=_utc(profile.first_seen),
        last_seen=_utc(profile.last_seen),
        event_total=sum(count.count for count in profile.event_counts),
        seen=seen,
        tasks=tasks,
        answers=survey_answers(answered, documents, page.locale),
        account_url=(
            f"/console/apps/{app.id}/people/accounts/{quote(profile.account_id, safe='')}"
            if profile.account_id
            else None
        ),
    )


@router.get("/console/apps/{app_id}/people/accounts/{account_id:path}")
def account_page(page: ConsolePage, app_id: str, account_id: str) -> HTMLResponse:
    """An account's traits and people."""
    app = page.app(app_id, Permission.READ_EVENTS)
    account = account_profile(_store(page), app.id, account_id)
    if account is None:
        t = translator(page.locale)
        raise ConsoleError(404, t("people.account.not_found", id=account_id))
    traits = dict((name, value) for name, value, _ in account.traits)
    return page.render(
        "app/people_account.html",
        section="people",
        account=account,
        name=shown(traits.get("name")) or account.account_id,
        traits=[(name, shown(value), at) for name, value, at in account.traits],
    )
