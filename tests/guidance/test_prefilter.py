"""Segment previews read only the persons a SQL prefilter keeps, and answer as if they had read
everyone: the condition is true for every person the rules hold for. Random persons (traits,
accounts, events folded or still in the backlog, guidance activity) and random rule trees,
with saved segments that refer to each other (in cycles too), hold it to the full reading;
stories show that selective rules read few persons."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import examples
from waypost.events import DuckDBEventStore, EventStore, PersonActivity, to_table
from waypost.guidance.decide import Person, lookback, person_facts
from waypost.guidance.prefilter import prefilter
from waypost.guidance.preview import preview
from waypost.guidance.rules import Rule, holds
from waypost.guidance.state import item_states
from waypost.tracking.messages import validate_message
from waypost.tracking.rows import to_row

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACTIONS: dict[str, tuple[str, ...]] = {"reported": ("A", "B"), "nothing": ()}
_apps = itertools.count(1)
_messages = itertools.count(1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEventStore]:
    """One store for the module; each example and story uses an app of its own."""
    events = DuckDBEventStore(tmp_path_factory.mktemp("prefilter") / "events.duckdb")
    yield events
    events.close()


def send(store: DuckDBEventStore, app_id: str, messages: Sequence[dict[str, Any]]) -> None:
    """Messages as the tracking API stores them (timestamps given as days before NOW)."""
    rows = []
    for message in messages:
        at = NOW - timedelta(days=message.get("days_ago", 0), minutes=next(_messages) % 50)
        full = {"messageId": f"m{next(_messages)}", "timestamp": at.isoformat(), **message}
        full.pop("days_ago", None)
        rows.append(to_row(app_id, validate_message(full, NOW)))
    if rows:
        store.append(to_table(rows))


def everyone(store: EventStore, app_id: str) -> list[PersonActivity]:
    """Every person of the app, read in full."""
    return list(store.person_activities(app_id, lookback(NOW)))


def accepted(people: Sequence[PersonActivity], rule: Rule, segments: Any) -> list[str]:
    """The persons the rule holds for, each tested in Python."""
    return [a.profile.person_id for a in people if holds(rule, _facts(a), segments)]


def nodes(rule: Rule) -> Iterator[Rule]:
    """The rule and every rule below it."""
    yield rule
    for child in [*(rule.all or ()), *(rule.any or ()), *([rule.not_] if rule.not_ else [])]:
        yield from nodes(child)


def _facts(activity: PersonActivity) -> Any:
    profile = activity.profile
    key = (profile.user_ids or profile.anonymous_ids or (profile.person_id,))[0]
    person = Person(key=key, activity=activity, traits=profile.traits)
    return person_facts(person, NOW, item_states(activity.content), {}, ACTIONS)


def kept(store: DuckDBEventStore, app_id: str, rules: Sequence[Rule], segments: Any) -> set[str]:
    """The persons the prefilter of the rules keeps (everyone when it narrows nothing)."""
    condition = prefilter(rules, segments, ACTIONS, NOW)
    sql, params = ("true", {}) if condition is None else (condition.sql, condition.params)
    _, rows = store.query(
        f"SELECT person_id FROM persons p WHERE app_id = $app_id AND ({sql})",
        {**params, "app_id": app_id},
    )
    return {str(row[0]) for row in rows}


def assert_answers_the_same(
    store: DuckDBEventStore, app_id: str, people: list[PersonActivity], rule: Rule, segments: Any
) -> None:
    """A preview (prefiltered) counts and samples the persons the full reading finds."""
    members = accepted(people, rule, segments)
    found = preview(store, app_id, rule, segments, {}, ACTIONS, sample=100, now=NOW)
    assert (found.count, found.total) == (len(members), len(people))
    assert [person["person_id"] for person in found.sample] == members


def assert_keeps_everyone_it_holds_for(
    store: DuckDBEventStore, app_id: str, people: list[PersonActivity], rule: Rule, segments: Any
) -> None:
    """The rule's condition keeps everyone it holds for, and so does its negation's (which
    may turn round only a condition exact both ways)."""
    for candidate in (rule, Rule.model_validate({"not": rule})):
        assert set(accepted(people, candidate, segments)) <= kept(
            store, app_id, [candidate], segments
        ), candidate


class Counting:
    """A store that counts the persons whose activity it reads."""

    def __init__(self, store: DuckDBEventStore) -> None:
        self.store = store
        self.read = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def person_activities(self, *args: Any, **kwargs: Any) -> Iterator[PersonActivity]:
        for activity in self.store.person_activities(*args, **kwargs):
            self.read += 1
            yield activity


# Random persons: what they sent, some of it folded into the profile tables, the rest waiting
# in the backlog.

# Values whose comparisons differ between JSON types: numbers and their text, booleans, lists.
_values = st.sampled_from(
    ["pro", "", "1", "1.0", " 5", "١٢", "2026-02-01", "[1]"]
) | st.sampled_from([1, 1.0, 2.5, True, None, [1], {"a": 1}])
# Days before NOW, either side of the windows rules count in (1, 7 and 30 days).
_days_ago = st.sampled_from([0, 1, 6, 7, 29, 30, 40])
_traits = st.dictionaries(st.sampled_from(["plan", "n", "t"]), _values, max_size=3)
_guidance = st.sampled_from(
    ("$guide_shown", "$guide_completed", "$guide_dismissed", "$guide_step_viewed",
     "$task_completed", "$survey_shown", "$survey_answered", "$survey_dismissed")
)  # fmt: skip


@st.composite
def _person_messages(draw: st.DrawFn, n: int) -> list[dict[str, Any]]:
    ids = {"userId": f"u{n}"} if draw(st.booleans()) else {"anonymousId": f"a{n}"}
    sent: list[dict[str, Any]] = [{"type": "track", "event": "Opened", **ids}]
    if draw(st.booleans()):
        sent.append({"type": "identify", "traits": draw(_traits), **ids})
    if draw(st.booleans()):
        account = draw(st.sampled_from(["acme", "globex"]))
        sent.append({"type": "group", "groupId": account, "traits": draw(_traits), **ids})
    for event, days_ago in draw(
        st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), _days_ago), max_size=4)
    ):
        sent.append({"type": "track", "event": event, "days_ago": days_ago, **ids})
    for event, key, preview_only in draw(
        st.lists(st.tuples(_guidance, st.sampled_from(["k1", "k2"]), st.booleans()), max_size=3)
    ):
        properties = {"$content_id": key, "$content_version": 1, "$content_step": 1}
        if preview_only:
            properties["$preview"] = True
        sent.append({"type": "track", "event": event, "properties": properties, **ids})
    return sent


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Messages folded before the preview, and messages still in the backlog."""
    sent = [m for n in range(draw(st.integers(1, 10))) for m in draw(_person_messages(n))]
    split = draw(st.integers(0, len(sent)))
    return sent[:split], sent[split:]


# Random rules, as builders write them.

_scalars = st.sampled_from(["pro", "1", "1.0", "[1]", True, 1, 1.0])
_operators: dict[str, st.SearchStrategy[Any]] = {
    "eq": _scalars,
    "neq": _scalars,
    "in": st.lists(_scalars, min_size=1, max_size=3),
    "not_in": st.lists(_scalars, min_size=1, max_size=3),
    "contains": st.sampled_from(["r", "1", "", "["]),
    "starts_with": st.sampled_from(["p", "t", "1"]),
    "ends_with": st.sampled_from(["o", "0", "l"]),
    "gt": st.sampled_from([0, 1, 2.5, -3]),
    "gte": st.sampled_from([0, 1, 2.5, 5]),
    "lt": st.sampled_from([0, 1, 2.5, 5]),
    "lte": st.sampled_from([0, 1, -3, 2.5]),
    "exists": st.booleans(),
    "before": st.just("2026-03-01"),
    "after": st.just("2026-01-01"),
    "wildcard": st.just("p*"),
    "regex": st.just("^t"),
}


# The operators that hold without a value come up as often as all others together.
_absent_holding = st.sampled_from(["neq", "not_in", "exists"])


@st.composite
def _matches(draw: st.DrawFn) -> dict[str, Any]:
    first = draw(_absent_holding | st.sampled_from(sorted(_operators)))
    names = {first, *draw(st.lists(st.sampled_from(sorted(_operators)), max_size=1))}
    match = {name: draw(_operators[name]) for name in names}
    if draw(st.integers(0, 9)) == 0:
        match[draw(st.sampled_from(["eq", "neq", "in", "not_in", "contains", "gt"]))] = None
    elif draw(st.integers(0, 9)) == 0:
        match = {}
    return match


_narrowed = st.one_of(
    st.builds(lambda n, m: {"trait": {n: m}}, st.sampled_from(["plan", "n", "t"]), _matches()),
    st.builds(lambda m: {"trait": {"plan": m, "n": m}}, _matches()),
    st.builds(lambda n, m: {"account": {n: m}}, st.sampled_from(["plan", "n"]), _matches()),
    st.builds(
        lambda event, at_least, days: {
            "did": {"event": event, "at_least": at_least, "within_days": days}
        },
        st.sampled_from(["A", "B", "C", "Opened", "Never"]),
        st.integers(1, 3),
        st.sampled_from([None, 1, 7, 30]),
    ),
    st.builds(
        lambda action, at_least: {"did": {"action": action, "at_least": at_least}},
        st.sampled_from(["reported", "nothing", "unknown"]),
        st.integers(1, 2),
    ),
    st.builds(lambda m: {"first_seen": {"days_ago": m}}, _matches()),
    st.builds(
        lambda key, state: {"content": {"key": key, "state": state}},
        st.sampled_from(["k1", "k2", "k1#preview"]),
        st.sampled_from(["seen", "completed", "dismissed", "started"]),
    ),
    st.builds(lambda key: {"segment": key}, st.sampled_from(["s0", "s1", "s2", "unknown"])),
)
_constant_or_left_to_python = st.one_of(
    st.builds(lambda m: {"tasks": {"completed": m}}, _matches()),
    st.builds(lambda m: {"page": {"url": m}}, _matches()),
    st.builds(lambda m: {"device": m}, _matches()),
    st.builds(lambda m: {"locale": m}, _matches()),
    st.just({"bucket": {"below": 50}}),
)
_leaves = _narrowed | _narrowed | _narrowed | _constant_or_left_to_python
_trees = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=6,
)
rules = _trees.map(Rule.model_validate)
# Saved segments may refer to each other, and to themselves.
segment_sets = st.dictionaries(st.sampled_from(["s0", "s1", "s2"]), rules, max_size=3)


@examples(60)
@given(world=worlds(), trees=st.lists(rules, min_size=1, max_size=4), segments=segment_sets)
def test_a_prefiltered_preview_answers_as_reading_everyone(
    store: DuckDBEventStore,
    world: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    trees: list[Rule],
    segments: dict[str, Rule],
) -> None:
    app_id = f"app{next(_apps)}"
    folded, waiting = world
    send(store, app_id, folded)
    store.fold_activity()
    send(store, app_id, waiting)
    people = everyone(store, app_id)

    for rule in trees:
        assert_answers_the_same(store, app_id, people, rule, segments)
    for node in [n for tree in [*trees, *segments.values()] for n in nodes(tree)]:
        assert_keeps_everyone_it_holds_for(store, app_id, people, node, segments)
    # Several rules at once, tested as members are (one set of facts for all, in order).
    several = [*trees, *segments.values()]
    anyone: set[str] = set()
    for activity in people:
        facts = _facts(activity)
        held = [holds(r, facts, segments) for r in several]  # every one, as members tests
        if any(held):
            anyone.add(activity.profile.person_id)
    assert anyone <= kept(store, app_id, several, segments)


# Cases where a condition could easily be stricter than Python, each checked both ways.


def _identify(traits: dict[str, Any]) -> dict[str, Any]:
    return {"type": "identify", "userId": "u1", "traits": traits}


def _did(event: str, days_ago: int = 0, **properties: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "userId": "u1", "days_ago": days_ago,
            "properties": properties}  # fmt: skip


def _guide(event: str) -> dict[str, Any]:
    return _did(event, **{"$content_id": "k1", "$content_version": 1, "$content_step": 2})


_LOOP = {"s0": {"any": [{"segment": "s1"}, {"trait": {"plan": {"eq": "pro"}}}]},
         "s1": {"segment": "s0"}}  # fmt: skip
_SEEN, _STARTED, _COMPLETED = ({"content": {"key": "k1", "state": s}}
                                for s in ("seen", "started", "completed"))  # fmt: skip
EDGES: list[tuple[str, list[dict[str, Any]], dict[str, Any], dict[str, Any]]] = [
    ("a number equals its text", [_identify({"n": 1})], {"trait": {"n": {"eq": "1"}}}, {}),
    ("a float's text", [_identify({"n": 1.0})], {"trait": {"n": {"in": ["1.0", "x"]}}}, {}),
    ("a list's text", [_identify({"n": [1]})], {"trait": {"n": {"eq": "[1]"}}}, {}),
    ("text equals a number", [_identify({"n": "1"})], {"trait": {"n": {"eq": 1}}}, {}),
    ("a number is no boolean", [_identify({"n": 1})], {"trait": {"n": {"neq": True}}}, {}),
    ("null is absent", [_identify({"plan": None})], {"trait": {"plan": {"exists": False}}}, {}),
    ("null is unequal", [_identify({"plan": None})], {"trait": {"plan": {"neq": "pro"}}}, {}),
    ("exists and neq", [_did("A")], {"trait": {"plan": {"exists": True, "neq": "x"}}}, {}),
    ("no account", [_did("A")], {"account": {"plan": {"not_in": ["pro"]}}}, {}),
    ("Python reads more numbers", [_identify({"n": "١٢"})], {"trait": {"n": {"gt": 5}}}, {}),
    ("text with spaces", [_identify({"n": " 5 "})], {"trait": {"n": {"gte": 5}}}, {}),
    ("a number's text", [_identify({"n": 12})], {"trait": {"n": {"contains": "2"}}}, {}),
    ("a date in text", [_identify({"d": "2026-02-01"})],
     {"trait": {"d": {"before": "2026-03-01"}}}, {}),
    ("surveys are seen", [_guide("$survey_shown")], _SEEN, {}),
    ("a step starts", [_guide("$guide_step_viewed")], _STARTED, {}),
    ("showing starts", [_guide("$guide_shown")], _STARTED, {}),
    ("answers complete", [_guide("$survey_answered")], _COMPLETED, {}),
    ("the window's first day", [_did("A", 6)], {"did": {"event": "A", "within_days": 7}}, {}),
    ("an action's events add up", [_did("A"), _did("B", 3)],
     {"did": {"action": "reported", "at_least": 2}}, {}),
    ("first seen", [_did("A", 3)], {"first_seen": {"days_ago": {"gte": 3}}}, {}),
    ("a circle", [_identify({"plan": "pro"})], {"segment": "s1"}, _LOOP),
    # s1 first: s0, worked out inside it, holds (and is remembered); s0 first: s1 does not.
    ("a circle from one end", [_identify({"plan": "pro"})],
     {"all": [{"segment": "s1"}, {"segment": "s0"}]}, _LOOP),
    ("no page", [_did("A")], {"not": {"page": {"path": {"starts_with": "/"}}}}, {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("_name", "messages", "rule", "segments"), EDGES, ids=[e[0] for e in EDGES]
)
def test_a_condition_is_never_stricter_than_the_rules(
    store: DuckDBEventStore,
    _name: str,
    messages: list[dict[str, Any]],
    rule: dict[str, Any],
    segments: dict[str, Any],
) -> None:
    app_id = f"app{next(_apps)}"
    send(store, app_id, [*messages, {"type": "track", "event": "Opened", "userId": "u2"}])
    people = everyone(store, app_id)
    saved = {key: Rule.model_validate(value) for key, value in segments.items()}
    tree = Rule.model_validate(rule)
    assert accepted(people, tree, saved)  # the case is about someone the rules hold for
    assert_answers_the_same(store, app_id, people, tree, saved)
    for node in nodes(tree):
        assert_keeps_everyone_it_holds_for(store, app_id, people, node, saved)


# Stories: a selective rule reads few persons.


def _people(store: DuckDBEventStore) -> str:
    """Twenty persons: two on the business plan (u0 and u1), u0 and u2 at a cancelled account;
    u0 built reports three times this week, u3 once long ago; u1's reports are still in the
    backlog, u0's were folded."""
    app_id = f"app{next(_apps)}"
    identify = [
        {"type": "identify", "userId": f"u{n}", "traits": {"plan": "business" if n < 2 else "pro"}}
        for n in range(20)
    ]
    groups = [
        {"type": "group", "userId": user, "groupId": "gone", "traits": {"status": "cancelled"}}
        for user in ("u0", "u2")
    ]
    reports = [
        {"type": "track", "event": "Report Built", "userId": "u0", "days_ago": d} for d in (0, 1, 2)
    ]
    old = [{"type": "track", "event": "Report Built", "userId": "u3", "days_ago": 60}]
    send(store, app_id, [*identify, *groups, *reports, *old])
    store.fold_activity()
    send(store, app_id, [{"type": "track", "event": "Report Built", "userId": "u1"}] * 2)
    return app_id


def _preview(
    store: DuckDBEventStore, app_id: str, rule: dict[str, Any], **segments: Any
) -> tuple[int, int, int]:
    """(count, total, persons read) of a preview of the rule."""
    counting = Counting(store)
    saved = {key: Rule.model_validate(value) for key, value in segments.items()}
    found = preview(
        cast(EventStore, counting), app_id, Rule.model_validate(rule), saved, {}, ACTIONS, now=NOW
    )
    return found.count, found.total, counting.read


def test_a_trait_reads_only_the_persons_who_have_its_value(store: DuckDBEventStore) -> None:
    app_id = _people(store)
    assert _preview(store, app_id, {"trait": {"plan": {"eq": "business"}}}) == (2, 20, 2)
    assert _preview(store, app_id, {"trait": {"plan": {"in": ["business", "x"]}}}) == (2, 20, 2)
    assert _preview(store, app_id, {"account": {"status": {"eq": "cancelled"}}}) == (2, 20, 2)
    both = {"all": [{"trait": {"plan": {"eq": "business"}}}, {"account": {"status": {}}}]}
    assert _preview(store, app_id, both) == (1, 20, 1)


def test_a_count_of_events_adds_the_backlog_to_the_folded_counts(store: DuckDBEventStore) -> None:
    app_id = _people(store)
    twice = {"did": {"event": "Report Built", "at_least": 2}}
    assert _preview(store, app_id, twice) == (2, 20, 2)  # u0 folded, u1 waiting
    this_week = {"did": {"event": "Report Built", "within_days": 7}}
    assert _preview(store, app_id, this_week) == (2, 20, 2)
    never = {"not": {"did": {"event": "Report Built"}}}
    assert _preview(store, app_id, never) == (17, 20, 17)
    assert _preview(store, app_id, {"did": {"action": "nothing"}}) == (0, 20, 0)


def test_a_value_that_may_be_absent_keeps_those_without_the_trait(store: DuckDBEventStore) -> None:
    app_id = _people(store)
    assert _preview(store, app_id, {"trait": {"plan": {"neq": "pro"}}}) == (2, 20, 2)
    assert _preview(store, app_id, {"trait": {"seats": {"neq": 3}}}) == (20, 20, 20)
    assert _preview(store, app_id, {"account": {"status": {"exists": False}}}) == (18, 20, 18)


def test_rules_without_a_page_are_answered_without_reading(store: DuckDBEventStore) -> None:
    app_id = _people(store)
    assert _preview(store, app_id, {"page": {"path": {"starts_with": "/"}}}) == (0, 20, 0)
    assert _preview(store, app_id, {"segment": "gone"}) == (0, 20, 0)
    # Holding on an absent value, a page rule holds for everyone.
    assert _preview(store, app_id, {"device": {"neq": "mobile"}}) == (20, 20, 20)


def test_rules_that_cannot_be_narrowed_read_everyone(store: DuckDBEventStore) -> None:
    app_id = _people(store)
    bucket = {"bucket": {"below": 50}}
    either = {"any": [{"trait": {"plan": {"eq": "business"}}}, bucket]}
    assert _preview(store, app_id, either)[1:] == (20, 20)
    # A segment on a cycle holds for whom depends on the order segments are worked out in.
    business = {"trait": {"plan": {"eq": "business"}}}
    loop = {"loop": {"any": [{"segment": "loop"}, business]}}
    assert _preview(store, app_id, {"segment": "loop"}, **loop) == (2, 20, 20)
    # Segments without a cycle are narrowed like the rules they hold.
    assert _preview(store, app_id, {"segment": "paying"}, paying=business) == (2, 20, 2)
