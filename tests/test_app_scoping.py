"""Two apps in one event store never see each other's events.

Apps A and B use the same event names, message ids, user ids, person ids and traits; only what
their persons did, and in which order, differs. Each insight kind, the event listing and the
person reads must answer for one app only: A's answer in a store that also holds B is A's
answer in a store of its own. Each insight query is also checked to be one that would notice a
leak (A's events and B's read as one app give another answer), so a passing test means
something. A new insight kind fails `test_every_insight_kind_has_a_scoping_query` until it is
added here.
"""

from __future__ import annotations

import json
import typing
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.insights.reference import Ev, World, at, user_id
from waypost.events import DuckDBEventStore, EventFilter, to_table
from waypost.guidance.library import parse_document
from waypost.insights import InsightQuery, read_query, run_query
from waypost.insights.catalog import ContentCatalog, ContentItemInfo
from waypost.tracking.messages import validate_message
from waypost.tracking.rows import to_row

A, B = "app_a", "app_b"
PLANS = {1: {"plan": "pro"}, 2: {"plan": "free"}, 3: {"plan": "pro"}, 4: {"plan": "free"}}
TIERS = {"acme": {"tier": "gold"}, "globex": {"tier": "silver"}}


@dataclass
class App:
    """One app's events as the store holds them, after identity resolution."""

    world: World
    # Each person's current account, and persons merged into another (old → survivor).
    accounts: dict[int, str] = field(default_factory=dict)
    overrides: dict[int, int] = field(default_factory=dict)


def _events(*rows: tuple[int, str, float, int]) -> list[Ev]:
    """Events from (person, event, minutes, day), with message ids m1, m2, … in their order:
    both apps number theirs the same way, so every id is in both."""
    return [
        Ev(person, event, at(minutes, day), f"m{n}", {"source": "web"})
        for n, (person, event, minutes, day) in enumerate(rows, start=1)
    ]


def _guidance(*rows: tuple[int, str, str, int | None, int]) -> list[Ev]:
    """Guidance events from (person, event, content key, NPS answer, day), with message ids g1,
    g2, … in their order (both apps numbering theirs the same way)."""
    return [
        Ev(person, event, at(60, day), f"g{n}", {
            "$content_id": key,
            **({"$question": "score", "$answer": answer} if answer is not None else {}),
        })
        for n, (person, event, key, answer, day) in enumerate(rows, start=1)
    ]  # fmt: skip


# A: persons 1 and 2 sign up on June 1st; 1 creates a project and invites a teammate, 2 reads
# the docs instead; 3 only reads the docs; 4 signs up on June 2nd and does nothing else.
APP_A = App(
    World(
        _events(
            (1, "Signed Up", 0, 1),
            (1, "Created Project", 10, 1),
            (1, "Invited", 0, 2),
            (1, "Viewed Docs", 0, 9),
            (2, "Signed Up", 30, 1),
            (2, "Viewed Docs", 40, 1),
            (3, "Viewed Docs", 0, 3),
            (4, "Signed Up", 0, 2),
        )
        + _guidance(
            (1, "$guide_shown", "tour", None, 1),
            (1, "$guide_completed", "tour", None, 1),
            (2, "$holdout_assigned", "tour", None, 1),
            (1, "$survey_shown", "pulse", None, 2),
            (1, "$survey_answered", "pulse", 9, 2),
        ),
        person_traits=PLANS,
        account_traits=TIERS,
    ),
    accounts={1: "acme", 2: "acme", 3: "globex", 4: "globex"},
)
# B: more events, in another order. 1 creates a project before signing up; 2 and 3 go through
# every step; 4 was merged into 3 (an alias), so 4's events are 3's.
APP_B = App(
    World(
        _events(
            (1, "Created Project", 0, 1),
            (1, "Signed Up", 5, 1),
            (1, "Viewed Docs", 0, 4),
            (2, "Signed Up", 0, 1),
            (2, "Created Project", 20, 1),
            (2, "Invited", 30, 1),
            (2, "Viewed Docs", 0, 10),
            (3, "Signed Up", 0, 2),
            (3, "Created Project", 60, 2),
            (3, "Invited", 0, 3),
            (3, "Viewed Docs", 0, 11),
            (3, "Signed Up", 0, 16),
            (4, "Viewed Docs", 0, 2),
            (4, "Viewed Docs", 30, 2),
        )
        + _guidance(
            (2, "$guide_shown", "tour", None, 1),
            (3, "$guide_shown", "tour", None, 2),
            (3, "$guide_completed", "tour", None, 2),
            (1, "$holdout_assigned", "tour", None, 1),
            (2, "$survey_shown", "pulse", None, 3),
            (2, "$survey_answered", "pulse", 3, 3),
            (3, "$survey_shown", "pulse", None, 3),
            (3, "$survey_answered", "pulse", 6, 3),
        ),
        person_traits=PLANS,
        account_traits=TIERS,
    ),
    accounts={1: "globex", 2: "acme", 3: "acme", 4: "acme"},
    overrides={4: 3},
)

RANGE = {"date_from": "2026-06-01T00:00:00Z", "date_to": "2026-06-29T00:00:00Z"}
FUNNEL = {"steps": [{"event": "Signed Up"}, {"event": "Created Project"}, {"event": "Invited"}]}
# At least one query per insight kind, each reading events in a way the others may not: person
# and account traits, accounts as units, breakdowns, test accounts, what drop-offs did instead.
QUERIES: dict[str, list[dict[str, Any]]] = {
    "funnel": [
        {"kind": "funnel", **FUNNEL},
        {"kind": "funnel", **FUNNEL, "aggregate_by": "account", "order": "unordered"},
        {
            "kind": "funnel",
            **FUNNEL,
            "order": "strict",
            "breakdown": {"source": "person", "property": "plan"},
            "filter_test_accounts": True,
        },
    ],
    "trends": [
        {
            "kind": "trends",
            **RANGE,
            "series": [
                {"event": "Viewed Docs"},
                {"event": "Signed Up", "math": "persons"},
                {"event": None, "math": "accounts"},
                {
                    "event": "Created Project",
                    "where": [{"source": "person", "property": "plan", "value": "pro"}],
                },
            ],
        },
        {
            "kind": "trends",
            **RANGE,
            "interval": "week",
            "series": [{"event": None}],
            "breakdown": {"source": "account", "property": "tier"},
        },
    ],
    "retention": [
        {
            "kind": "retention",
            **RANGE,
            "interval": "day",
            "start": {"event": "Signed Up"},
            "returning": {"event": "Viewed Docs"},
        },
        {
            "kind": "retention",
            **RANGE,
            "start": {"event": None},
            "returning": {"event": None},
            "aggregate_by": "account",
        },
    ],
    "time_to_value": [
        {
            "kind": "time_to_value",
            **RANGE,
            "start": {"event": "Signed Up"},
            "value": {"event": "Invited"},
            "breakdown": {"source": "person", "property": "plan"},
        },
        {
            "kind": "time_to_value",
            **RANGE,
            "start": {"event": "Signed Up"},
            "value": {"event": "Viewed Docs"},
            "aggregate_by": "account",
        },
    ],
    "onboarding": [
        {
            "kind": "onboarding",
            **RANGE,
            "new": {"event": "Signed Up"},
            "milestones": [{"event": "Created Project"}, {"event": "Viewed Docs"}],
            "cohort_interval": "day",
        },
    ],
    "paths": [
        {"kind": "paths", "start_event": "Signed Up", "session_gap_seconds": 86400},
        {"kind": "paths", "end_event": "Viewed Docs", "collapse_repeats": False},
    ],
    "comparison": [
        {
            "kind": "comparison",
            "insight": {"kind": "funnel", **FUNNEL},
            "before": {"date_from": "2026-06-01T00:00:00Z", "date_to": "2026-06-02T00:00:00Z"},
            "after": {"date_from": "2026-06-02T00:00:00Z", "date_to": "2026-06-29T00:00:00Z"},
        },
    ],
    "dropoff": [
        {"kind": "dropoff", **FUNNEL, "step": 0, "min_support": 1},
        {"kind": "dropoff", **FUNNEL, "step": 1, "min_support": 1, "aggregate_by": "account"},
    ],
    "survey": [
        {"kind": "survey", "survey": "pulse", **RANGE},
        {"kind": "survey", "survey": "pulse", **RANGE,
         "breakdown": {"source": "person", "property": "plan"}},
    ],
    "engagement": [{"kind": "engagement", **RANGE}],
    "goal": [
        {"kind": "goal", **RANGE, "start": {"event": "Signed Up"},
         "goal": {"event": "Created Project"}, "within_days": 1},
        {"kind": "goal", **RANGE, "start": {"item": "tour"}, "goal": {"event": "Viewed Docs"},
         "within_days": 30},
    ],
    "impact_productivity": [
        {"kind": "impact_productivity", "item": "tour", "minutes_saved_per_completion": 10,
         "hourly_rate": 60},
    ],
    "impact_time_saved": [
        {"kind": "impact_time_saved", "date_to": RANGE["date_to"], "seconds_before": 3600,
         "launched_at": "2026-06-01T00:00:00Z",
         "process": {"start": {"event": "Signed Up"}, "end": {"event": "Created Project"}},
         "hourly_rate": 60},
    ],
    "impact_renewal": [
        {"kind": "impact_renewal", **RANGE, "annual_contract_value": 1000,
         "renewal_rate_not_completed": 0.5, "measure": {
            "new": {"event": "Signed Up"}, "milestones": [{"event": "Created Project"}],
            "launched_at": "2026-06-02T00:00:00Z",
            "outcome": {"trait": "tier", "renewed": ["gold"], "churned": ["silver"]}}},
    ],
}  # fmt: skip
# What the measurement kinds read of the app's content: a walkthrough with a goal and a survey.
CATALOG = ContentCatalog(
    items={
        document.key: ContentItemInfo(document.key, document.kind, document.name, document)
        for document in (
            parse_document({
                "kind": "walkthrough", "key": "tour", "name": "Tour", "holdout": 10,
                "goal": {"event": "Created Project", "within_days": 7},
                "steps": [{"kind": "popup", "title": "Hi", "body": "Welcome"}],
            }),
            parse_document({
                "kind": "survey", "key": "pulse", "name": "Pulse",
                "questions": [{"key": "score", "type": "nps", "text": "Recommend us?"}],
            }),
        )
    }
)  # fmt: skip
CASES = [
    pytest.param(query, id=f"{kind}-{n}")
    for kind, queries in QUERIES.items()
    for n, query in enumerate(queries)
]


def _load(store: DuckDBEventStore, app_id: str, app: App) -> None:
    """Write one app's persons, traits and events straight into the store's tables."""
    world = app.world
    people = sorted({ev.person for ev in world.events} | set(world.person_traits))
    cursor = store.cursor()
    try:
        for person in people:
            survivor = app.overrides.get(person, person)
            cursor.execute(
                "INSERT INTO person_ids VALUES (?, ?, ?, true, now())",
                [app_id, user_id(person), survivor],
            )
            if person in app.overrides:
                cursor.execute(
                    "INSERT INTO person_overrides VALUES (?, ?, ?)", [app_id, person, survivor]
                )
                continue
            cursor.execute(
                "INSERT INTO persons VALUES (?, ?, now(), ?, now())",
                [app_id, person, app.accounts.get(person)],
            )
            for trait, value in world.person_traits.get(person, {}).items():
                cursor.execute(
                    "INSERT INTO person_traits VALUES (?, ?, ?, ?, now())",
                    [app_id, person, trait, json.dumps(value)],
                )
        for account, traits in world.account_traits.items():
            for trait, value in traits.items():
                cursor.execute(
                    "INSERT INTO account_traits VALUES (?, ?, ?, ?, now())",
                    [app_id, account, trait, json.dumps(value)],
                )
        for ev in world.events:
            cursor.execute(
                "INSERT INTO events (app_id, message_id, type, event, distinct_id, account_id, "
                "timestamp, received_at, properties, context, person_id, content_id) "
                "VALUES (?, ?, 'track', ?, ?, ?, ?, now(), ?, '{}', ?, ?)",
                [app_id, ev.message_id, ev.event, user_id(ev.person), None,
                 ev.at.astimezone(UTC).replace(tzinfo=None), json.dumps(ev.properties),
                 ev.person, ev.properties.get("$content_id")],
            )  # fmt: skip
        # Profile counts wait in the backlog until folded, as after an append.
        for (person, event), times in _activity(app).items():
            cursor.execute(
                "INSERT INTO activity_backlog VALUES (?, ?, NULL, ?, ?, ?, ?, NULL)",
                [app_id, person, event, len(times), min(times), max(times)],
            )
    finally:
        cursor.close()


def _activity(app: App) -> dict[tuple[int, str], list[datetime]]:
    """When each person (merged persons as their survivor) did each event."""
    times: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for ev in app.world.events:
        person = app.overrides.get(ev.person, ev.person)
        times[person, ev.event].append(ev.at.astimezone(UTC).replace(tzinfo=None))
    return times


def _blend(first: App, second: App) -> App:
    """Both apps' events as if they were one app's: what a leak would make A's answer from."""
    return App(
        World(
            first.world.events + second.world.events,
            person_traits=first.world.person_traits,
            account_traits=first.world.account_traits,
        ),
        accounts=first.accounts,
        overrides=second.overrides,
    )


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, DuckDBEventStore]]:
    """`both`: A and B in one store; `alone`: A by itself; `blended`: A's and B's events as
    A's (each store in its own file, so that no leak can reach the answers compared with)."""
    directory = tmp_path_factory.mktemp("scoping")
    contents = {
        "both": [(A, APP_A), (B, APP_B)],
        "alone": [(A, APP_A)],
        "blended": [(A, _blend(APP_A, APP_B))],
    }
    opened: dict[str, DuckDBEventStore] = {}
    for name, apps in contents.items():
        opened[name] = DuckDBEventStore(directory / f"{name}.duckdb")
        for app_id, app in apps:
            _load(opened[name], app_id, app)
    yield opened
    for store in opened.values():
        store.close()


def _answer(store: DuckDBEventStore, app_id: str, query: dict[str, Any]) -> dict[str, Any]:
    return run_query(store, app_id, read_query(query), None, CATALOG).model_dump()


def _kinds() -> set[str]:
    union, _ = typing.get_args(InsightQuery)
    return {model.model_fields["kind"].default for model in typing.get_args(union)}


def test_every_insight_kind_has_a_scoping_query() -> None:
    assert set(QUERIES) == _kinds()


@pytest.mark.parametrize("query", CASES)
def test_an_insight_answers_for_its_app_only(
    stores: dict[str, DuckDBEventStore], query: dict[str, Any]
) -> None:
    alone = _answer(stores["alone"], A, query)
    assert _answer(stores["both"], A, query) == alone
    # The query can tell: had B's events leaked into A's scope, the answer would differ.
    assert _answer(stores["blended"], A, query) != alone


def test_a_funnel_counts_each_apps_own_persons(stores: dict[str, DuckDBEventStore]) -> None:
    query = read_query({"kind": "funnel", **FUNNEL})

    def counts(app_id: str) -> list[int]:
        result = run_query(stores["both"], app_id, query)
        return [step.count for step in result.steps]  # type: ignore[union-attr]

    # A: 1, 2 and 4 signed up, only 1 created a project and invited. B: 1 created a project
    # before signing up (so got no further than signing up), 2 and 3 did all three.
    assert counts(A) == [3, 1, 1]
    assert counts(B) == [3, 2, 2]


def test_trends_count_each_apps_own_events(stores: dict[str, DuckDBEventStore]) -> None:
    query = read_query({"kind": "trends", **RANGE, "series": [{"event": "Viewed Docs"}]})

    def total(app_id: str) -> int:
        return run_query(stores["both"], app_id, query).series[0].total  # type: ignore[union-attr]

    assert total(A) == 3  # 1, 2 and 3 once each
    assert total(B) == 5  # 1, 2 and 3 once each, and 4 (merged into 3) twice


def _counts(app: App, person: int) -> dict[str, int]:
    return Counter(
        ev.event for ev in app.world.events if app.overrides.get(ev.person, ev.person) == person
    )


@pytest.fixture
def same_ids(tmp_path: Path) -> Iterator[DuckDBEventStore]:
    """A and B in one store, their persons numbered alike (the store's own sequence never
    numbers two apps' persons alike: this is the harder case for the reads)."""
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    _load(store, A, APP_A)
    _load(store, B, APP_B)
    yield store
    store.close()


@pytest.mark.parametrize("folded", [False, True], ids=["in-backlog", "folded"])
def test_a_person_read_counts_the_apps_own_events(same_ids: DuckDBEventStore, folded: bool) -> None:
    if folded:
        same_ids.fold_activity()
    for app_id, app in ((A, APP_A), (B, APP_B)):
        profile = same_ids.find_person(app_id, "d3")
        assert profile is not None
        assert {c.event: c.count for c in profile.event_counts} == _counts(app, 3)
        assert profile.account_id == app.accounts[3]
        assert profile.account_traits == TIERS[app.accounts[3]]
    # 4 is a person of its own in A; in B, 4 was merged into 3.
    assert same_ids.person_ids(A, "d4") == ("d4",)
    assert same_ids.person_ids(B, "d4") == ("d3", "d4")


def test_erasing_a_person_keeps_the_other_apps_person_with_the_same_id(
    same_ids: DuckDBEventStore,
) -> None:
    before = same_ids.find_person(B, "d1")
    assert before is not None and before.person_id == "1"

    erased = same_ids.erase_person(A, "1")

    assert erased is not None and erased.distinct_ids == ("d1",)
    assert erased.person_id == "1"
    assert erased.events_deleted == sum(_counts(APP_A, 1).values())
    assert same_ids.find_person(A, "d1") is None
    assert same_ids.find_person(B, "d1") == before
    assert before.traits == PLANS[1]


# The event listing and person reads, on events sent as the tracking API stores them.
RECEIVED = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)


def _message(n: int, minutes: float, day: int, **fields: Any) -> dict[str, Any]:
    return {"messageId": f"m{n}", "timestamp": at(minutes, day).isoformat(), **fields}


def _send(store: DuckDBEventStore, app_id: str, *messages: dict[str, Any]) -> int:
    rows = [to_row(app_id, validate_message(message, RECEIVED)) for message in messages]
    return store.append(to_table(rows), now=RECEIVED).stored_count


# Both apps identify u1 and u2 with the same traits, put u1 in the account acme of 5 seats and
# track under the same message ids; in B, u1 tracks three events rather than two, the anonymous
# visitor v1 is aliased to u1 (in A, v1 stays a person of its own), and acme grows to 9 seats.
SENT = {
    A: [
        _message(1, 0, 1, type="identify", userId="u1", traits={"plan": "pro"}),
        _message(2, 0, 1, type="identify", userId="u2", traits={"plan": "free"}),
        _message(
            3,
            5,
            1,
            type="track",
            userId="u1",
            event="Signed Up",
            properties={"plan": "pro"},
            context={"page": {"path": "/signup"}},
        ),
        _message(4, 9, 1, type="track", userId="u1", event="Created Project"),
        _message(5, 3, 1, type="track", userId="u2", event="Signed Up"),
        _message(6, 1, 1, type="track", anonymousId="v1", event="Viewed Pricing"),
        _message(7, 2, 1, type="group", userId="u1", groupId="acme", traits={"seats": 5}),
    ],
    B: [
        _message(1, 0, 1, type="identify", userId="u1", traits={"plan": "pro"}),
        _message(2, 0, 1, type="identify", userId="u2", traits={"plan": "free"}),
        _message(
            3,
            5,
            1,
            type="track",
            userId="u1",
            event="Created Project",
            properties={"plan": "team"},
            context={"page": {"path": "/new"}},
        ),
        _message(4, 9, 1, type="track", userId="u1", event="Signed Up"),
        _message(5, 3, 2, type="track", userId="u1", event="Signed Up"),
        _message(6, 1, 1, type="track", anonymousId="v1", event="Viewed Pricing"),
        _message(7, 2, 1, type="alias", previousId="v1", userId="u1"),
        _message(8, 4, 2, type="identify", userId="u1", traits={"plan": "team"}),
        _message(9, 2, 1, type="group", userId="u1", groupId="acme", traits={"seats": 5}),
        _message(10, 5, 2, type="group", userId="u1", groupId="acme", traits={"seats": 9}),
    ],
}


@pytest.fixture
def sent(tmp_path: Path) -> Iterator[DuckDBEventStore]:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    # Every message of each app is stored, though B's message ids are all A's too.
    assert _send(store, A, *SENT[A]) == len(SENT[A])
    assert _send(store, B, *SENT[B]) == len(SENT[B])
    yield store
    store.close()


def _listed(store: DuckDBEventStore, app_id: str, **where: Any) -> list[tuple[str, str, str]]:
    rows = store.list_events(app_id, EventFilter(**where))
    return [(row["message_id"], row["event"], row["distinct_id"]) for row in rows]


def test_the_event_listing_shows_the_apps_own_events(sent: DuckDBEventStore) -> None:
    assert sorted(_listed(sent, A)) == [
        ("m1", "$identify", "u1"),
        ("m2", "$identify", "u2"),
        ("m3", "Signed Up", "u1"),
        ("m4", "Created Project", "u1"),
        ("m5", "Signed Up", "u2"),
        ("m6", "Viewed Pricing", "v1"),
        ("m7", "$group", "u1"),
    ]
    assert len(_listed(sent, B)) == len(SENT[B])
    assert _listed(sent, A, event="Signed Up", distinct_ids=("u1",)) == [("m3", "Signed Up", "u1")]
    assert _listed(sent, B, event="Signed Up", distinct_ids=("u1",)) == [
        ("m5", "Signed Up", "u1"),
        ("m4", "Signed Up", "u1"),
    ]
    assert _listed(sent, "app_c") == []


def test_a_listed_event_carries_its_apps_properties_and_context(sent: DuckDBEventStore) -> None:
    listed = {
        app_id: sent.list_events(app_id, EventFilter(distinct_ids=("u1",))) for app_id in (A, B)
    }
    first = {
        app_id: next(r for r in rows if r["message_id"] == "m3") for app_id, rows in listed.items()
    }
    assert (first[A]["event"], first[A]["properties"], first[A]["context"]) == (
        "Signed Up",
        {"plan": "pro"},
        {"page": {"path": "/signup"}},
    )
    assert (first[B]["event"], first[B]["properties"], first[B]["context"]) == (
        "Created Project",
        {"plan": "team"},
        {"page": {"path": "/new"}},
    )
    person = sent.find_person(A, "u1")
    assert person is not None and first[A]["person_id"] == person.person_id


def test_a_person_read_shows_the_apps_own_profile(sent: DuckDBEventStore) -> None:
    in_a, in_b = sent.find_person(A, "u1"), sent.find_person(B, "u1")
    assert in_a is not None and in_b is not None
    assert in_a.person_id != in_b.person_id
    assert in_a.traits == {"plan": "pro"}
    assert in_a.created_at == in_b.created_at == RECEIVED.replace(tzinfo=None)
    assert in_b.traits == {"plan": "team"}
    assert in_a.account_id == in_b.account_id == "acme"
    assert in_a.account_traits == {"seats": 5}
    assert in_b.account_traits == {"seats": 9}
    counts_a = {c.event: c.count for c in in_a.event_counts}
    counts_b = {c.event: c.count for c in in_b.event_counts}
    assert counts_a == {"$identify": 1, "Signed Up": 1, "Created Project": 1, "$group": 1}
    # In B, u1 also has v1's pricing view (aliased), its alias and a second identify.
    assert counts_b == {
        "$identify": 2,
        "Signed Up": 2,
        "Created Project": 1,
        "Viewed Pricing": 1,
        "$alias": 1,
        "$group": 2,
    }
    assert in_a.anonymous_ids == ()
    assert in_b.anonymous_ids == ("v1",)
    # v1 is a person of its own in A only.
    visitor = sent.find_person(A, "v1")
    assert visitor is not None and visitor.person_id != in_a.person_id
    assert sent.person_ids(A, "v1") == ("v1",)
    assert sent.person_ids(B, "v1") == ("u1", "v1")
    # A person id names a person of its app only.
    assert sent.find_person(A, in_b.person_id) is None
    assert sent.find_person(B, in_a.person_id) is None
    assert sent.find_person("app_c", "u1") is None
    # Digits too long for a person id are an unknown id, not an error.
    assert sent.find_person(A, "9" * 19) is None


def test_erasing_a_person_leaves_the_other_apps_person(sent: DuckDBEventStore) -> None:
    in_a, before_b = sent.find_person(A, "u1"), sent.find_person(B, "u1")
    listed_b = _listed(sent, B)

    erased = sent.erase_person(A, "u1")

    assert erased is not None and in_a is not None
    assert erased.person_id == in_a.person_id
    assert erased.distinct_ids == ("u1",)
    assert erased.events_deleted == 4  # A's identify, sign-up, project and group; none of B's
    assert sent.find_person(A, "u1") is None
    assert sorted(_listed(sent, A)) == [
        ("m2", "$identify", "u2"),
        ("m5", "Signed Up", "u2"),
        ("m6", "Viewed Pricing", "v1"),
    ]
    assert sent.find_person(B, "u1") == before_b
    assert _listed(sent, B) == listed_b
    # Sending u1 to A again starts a new person there, without B's traits or history.
    assert _send(sent, A, _message(9, 0, 3, type="track", userId="u1", event="Came Back")) == 1
    again = sent.find_person(A, "u1")
    assert again is not None
    assert again.traits == {}
    assert {c.event: c.count for c in again.event_counts} == {"Came Back": 1}
