"""Who an audience could hold for, narrowed in SQL before its rules are tested in Python.

Testing a rule tree against every person of an app builds each person's profile in Python
(about 156 µs a person). `prefilter` compiles the tree to a condition on the event store's
person tables that is true for every person the rules hold for, and possibly for others: the
store reads only the persons it keeps, and `holds` stays the judge, so the answers do not
change. A node that cannot be narrowed soundly narrows nothing.

The condition is for persons tested with no page, device or locale (segment previews and
members), where those rules are constants. It is DuckDB SQL over `persons p`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from waypost.events.store import PersonCondition
from waypost.guidance.conditions import Match, Scalar
from waypost.guidance.rules import ContentState, Facts, Rule
from waypost.guidance.state import (
    COMPLETED,
    DISMISSED,
    SHOWN,
    STEP_VIEWED,
    SURVEY_ANSWERED,
    SURVEY_DISMISSED,
    SURVEY_SHOWN,
    TASK_COMPLETED,
)

# A condition longer than this narrows nothing (segments referring to each other many times
# over would otherwise make a statement too long to plan).
MAX_SQL = 200_000
# The guidance events that can give a person each state of an item (see `ItemState.states`).
# Completed and dismissed follow from any such event; seen and started from counts as well.
_STATE_EVENTS: dict[ContentState, tuple[tuple[str, ...], bool]] = {
    ContentState.COMPLETED: ((COMPLETED, TASK_COMPLETED, SURVEY_ANSWERED), True),
    ContentState.DISMISSED: ((DISMISSED, SURVEY_DISMISSED), True),
    ContentState.SEEN: ((SHOWN, SURVEY_SHOWN), False),
    ContentState.STARTED: ((STEP_VIEWED, SHOWN, SURVEY_SHOWN), False),
}
# A trait value as a string, a number and its JSON type (a present value's: never 'NULL').
_TEXT = "(value ->> '$')"
_TYPE = "json_type(value)"
_NUMBER = f"{_TYPE} IN ('BIGINT', 'UBIGINT', 'DOUBLE')"
_OTHER = f"{_TYPE} NOT IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR', 'BOOLEAN', 'ARRAY', 'OBJECT')"
# Decimal text both DuckDB and Python read as the same number (both round correctly).
_DECIMAL = r"-?[0-9]{1,15}([.][0-9]{1,15})?"
_COMPARISONS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def prefilter(
    rules: Sequence[Rule],
    segments: Mapping[str, Rule],
    actions: Mapping[str, tuple[str, ...]],
    now: datetime,
) -> PersonCondition | None:
    """A condition true for every person (with no page, device or locale) that any of the rules
    holds for at `now`, given the app's saved segments and countable actions; None when it
    would keep everyone."""
    compiler = _Compiler(segments, actions, now)
    part = _any([compiler.rule(rule) for rule in rules])
    if part.sql is None or part.sql == "true" or len(part.sql) > MAX_SQL:
        return None
    # Only the parameters the condition kept (a node that narrows nothing is left out).
    used = set(re.findall(r"\$(p[0-9]+)", part.sql))
    return PersonCondition(part.sql, {k: v for k, v in compiler.params.items() if k in used})


@dataclass(frozen=True)
class _Part:
    """A compiled node: SQL true for every person the node holds for (None: for anyone), and
    whether it is true for no one else (only then may `not` turn it round). Never NULL."""

    sql: str | None
    exact: bool


_ANYONE = _Part(None, False)
_TRUE = _Part("true", True)
_FALSE = _Part("false", True)


def _all(parts: Sequence[_Part]) -> _Part:
    if any(part.sql == "false" for part in parts):
        return _FALSE  # a node that holds for nobody: so does the whole
    kept = [part.sql for part in parts if part.sql not in (None, "true")]
    exact = all(part.exact for part in parts)
    if not kept:
        return _TRUE if exact else _ANYONE
    return _Part(" AND ".join(f"({sql})" for sql in kept), exact)


def _any(parts: Sequence[_Part]) -> _Part:
    if any(part.sql == "true" for part in parts):
        return _TRUE
    if any(part.sql is None for part in parts):
        return _ANYONE
    kept = [part.sql for part in parts if part.sql != "false"]
    if not kept:
        return _FALSE
    return _Part(" OR ".join(f"({sql})" for sql in kept), all(part.exact for part in parts))


def _not(part: _Part) -> _Part:
    if not part.exact:
        return _ANYONE
    if part.sql in ("true", "false"):
        return _FALSE if part.sql == "true" else _TRUE
    return _Part(f"NOT ({part.sql})", True)


def _tangled(segments: Mapping[str, Rule]) -> frozenset[str]:
    """Saved segments from which a cycle of references can be reached. What such a segment
    holds for depends on the order segments are worked out in (a reference back into the
    cycle holds for nobody, and each answer is remembered), so it is never narrowed."""
    refers = {key: rule.segments() & segments.keys() for key, rule in segments.items()}
    reach: dict[str, set[str]] = {}
    for key in segments:
        found: set[str] = set()
        waiting = list(refers[key])
        while waiting:
            other = waiting.pop()
            if other not in found:
                found.add(other)
                waiting.extend(refers[other])
        reach[key] = found
    on_cycle = {key for key in segments if key in reach[key]}
    return frozenset(key for key in segments if on_cycle & (reach[key] | {key}))


@dataclass
class _Compiler:
    """Compiles rule trees for one app's segments and actions at one moment, collecting the
    parameters every condition it made refers to."""

    segments: Mapping[str, Rule]
    actions: Mapping[str, tuple[str, ...]]
    now: datetime
    params: dict[str, Any] = field(default_factory=dict)
    _compiled: dict[str, _Part] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._tangled = _tangled(self.segments)

    def param(self, value: Any) -> str:
        """A parameter holding `value`, by name."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def rule(self, rule: Rule) -> _Part:
        """The node's condition (see `_Part`)."""
        if rule.all is not None:
            return _all([self.rule(child) for child in rule.all])
        if rule.any is not None:
            return _any([self.rule(child) for child in rule.any])
        if rule.not_ is not None:
            return _not(self.rule(rule.not_))
        if rule.trait is not None:
            return _all([self.person_trait(n, m) for n, m in rule.trait.items()])
        if rule.account is not None:
            return _all([self.account_trait(n, m) for n, m in rule.account.items()])
        if rule.did is not None:
            did = rule.did
            names = [did.event] if did.event is not None else self.actions.get(did.action or "")
            return self.did(sorted(set(names or ())), did.at_least, did.within_days)
        if rule.first_seen is not None:
            if rule.first_seen.days_ago.test(None):
                return _ANYONE
            # First seen is the earliest of the person's event counts: they have some.
            counted = f"SELECT person_id FROM ({self.counts(None, None)})"
            return _Part(f"p.person_id IN ({counted})", False)
        if rule.content is not None:
            events, exact = _STATE_EVENTS[rule.content.state]
            return _Part(self.content(rule.content.key, events), exact)
        if rule.page is not None or rule.device is not None or rule.locale is not None:
            # No page, device or locale: the same answer for everyone.
            nowhere = Facts(person_key="", now=self.now)
            return _TRUE if rule.test(nowhere, {}, frozenset()) else _FALSE
        if rule.segment is not None:
            return self.segment(rule.segment)
        return _ANYONE  # bucket (a hash) and tasks (what counts as done is in Python)

    def segment(self, key: str) -> _Part:
        if key not in self.segments:
            return _FALSE  # an unknown segment holds for nobody
        if key in self._tangled:
            return _ANYONE
        if key not in self._compiled:
            part = self.rule(self.segments[key])
            self._compiled[key] = part if len(part.sql or "") <= MAX_SQL else _ANYONE
        return self._compiled[key]

    def person_trait(self, name: str, match: Match) -> _Part:
        rows = (
            "SELECT person_id FROM person_traits WHERE app_id = $app_id "
            f"AND trait = {self.param(name)} AND {_TYPE} <> 'NULL'"
        )
        return _traited(match, lambda check: f"p.person_id IN ({rows}{check})", self)

    def account_trait(self, name: str, match: Match) -> _Part:
        rows = (
            "SELECT account_id FROM account_traits WHERE app_id = $app_id "
            f"AND trait = {self.param(name)} AND {_TYPE} <> 'NULL'"
        )

        def owners(check: str) -> str:
            # Persons without an account (or with an empty id) have no account traits.
            return f"coalesce(p.account_id <> '' AND p.account_id IN ({rows}{check}), false)"

        return _traited(match, owners, self)

    def did(self, events: list[str], at_least: int, within_days: int | None) -> _Part:
        """Counts are the folded tables' plus the backlog's, as the profiles read them."""
        if not events:
            return _FALSE  # an action made of no events (or unknown) counts nothing
        since: date | None = None
        if within_days is not None:
            since = self.now.date() - timedelta(days=within_days - 1)
        rows = self.counts(events, since)
        having = f"GROUP BY person_id HAVING sum(count) >= {int(at_least)}"
        return _Part(f"p.person_id IN (SELECT person_id FROM ({rows}) {having})", True)

    def counts(self, events: list[str] | None, since: date | None) -> str:
        """Rows (person_id, count) of the events (any, when None) from the day `since` on
        (ever, when None)."""
        where = "app_id = $app_id"
        if events is not None:
            where += f" AND event IN (SELECT unnest({self.param(events)}::VARCHAR[]))"
        folded = "person_event_stats"
        if since is not None:
            where += f" AND day >= {self.param(since)}::DATE"
            folded = "person_daily_events"
        return (
            f"SELECT person_id, count FROM {folded} WHERE {where} "
            f"UNION ALL SELECT person_id, count FROM activity_backlog WHERE {where}"
        )

    def content(self, key: str, events: tuple[str, ...]) -> str:
        where = (
            f"app_id = $app_id AND content_id = {self.param(key)} "
            f"AND event IN (SELECT unnest({self.param(list(events))}::VARCHAR[]))"
        )
        return (
            f"p.person_id IN (SELECT person_id FROM content_activity WHERE {where} "
            f"UNION ALL SELECT person_id FROM content_backlog WHERE {where})"
        )


def _traited(match: Match, owners: Callable[[str], str], compiler: _Compiler) -> _Part:
    """A trait test: `owners(check)` is true for persons with the trait present and meeting
    the SQL `check` (a clause to append to the trait rows' WHERE)."""
    present = _present(match, compiler)
    if not match.test(None):
        if present.sql == "false":
            return _FALSE
        check = "" if present.sql in (None, "true") else f" AND ({present.sql})"
        return _Part(owners(check), present.exact)
    # An absent value holds: keep everyone but those whose present value fails.
    if present.sql is None:
        return _ANYONE
    if present.sql == "true":
        return _TRUE
    check = "" if present.sql == "false" else f" AND NOT ({present.sql})"
    return _Part(f"NOT ({owners(check)})", present.exact)


def _present(match: Match, compiler: _Compiler) -> _Part:
    """What the match asks of a present value (as `Match.test` does), over `value`."""
    if match.exists is False:
        return _FALSE
    given = match.model_fields_set - {"exists"}
    return _all([_operator(name, getattr(match, name), compiler) for name in sorted(given)])


def _operator(name: str, wanted: Any, compiler: _Compiler) -> _Part:
    if wanted is None:
        return _ANYONE  # given as null: rare enough to leave to Python
    if name in ("eq", "in_"):
        return _equals(wanted if name == "in_" else [wanted], compiler)
    if name in ("neq", "not_in"):
        return _not(_equals(wanted if name == "not_in" else [wanted], compiler))
    if name in ("contains", "starts_with", "ends_with"):
        text = f"{name}({_TEXT}, {compiler.param(wanted)})"  # DuckDB's functions' names
        return _Part(f"{_TYPE} <> 'VARCHAR' OR {text}", False)
    if name in _COMPARISONS:
        return _compared(_COMPARISONS[name], float(wanted), compiler)
    if name in ("before", "after"):
        return _Part(f"{_TYPE} = 'VARCHAR'", False)  # only text can hold a date in JSON
    return _ANYONE  # wildcard and regex


def _equals(wanted: Sequence[Scalar], compiler: _Compiler) -> _Part:
    """A present value equal to one of `wanted` as `Match` compares: a boolean only a boolean,
    a number a number of the same value or its text, anything else its text."""
    branches: list[str] = []
    booleans = sorted({"true" if w else "false" for w in wanted if isinstance(w, bool)})
    if booleans:
        listed = ", ".join(f"'{b}'" for b in booleans)
        branches.append(f"{_TYPE} = 'BOOLEAN' AND {_TEXT} IN ({listed})")
    others = [w for w in wanted if not isinstance(w, bool)]
    if others:
        texts = sorted({w if isinstance(w, str) else str(w) for w in others})
        branches.append(f"{_TYPE} = 'VARCHAR' AND list_contains({compiler.param(texts)}, {_TEXT})")
    numbers = sorted({float(w) for w in others if not isinstance(w, str)})
    if numbers:
        cast = f"TRY_CAST(value AS DOUBLE) IN (SELECT unnest({compiler.param(numbers)}::DOUBLE[]))"
        branches.append(f"{_NUMBER} AND coalesce({cast}, true)")
    exact = not numbers
    if any(isinstance(w, str) and not _plain(w) for w in others):
        # A number's text, or a list's or an object's, may equal this string.
        branches.append(f"{_TYPE} NOT IN ('VARCHAR', 'BOOLEAN')")
        exact = False
    elif numbers:
        branches.append(_OTHER)
    return _Part(" OR ".join(f"({b})" for b in branches), exact)


def _plain(text: str) -> bool:
    """Whether no value but a string can have `text` as its text: not a number's (anything
    Python reads as a float), not a list's or an object's."""
    if text.startswith(("[", "{")):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False


def _compared(symbol: str, bound: float, compiler: _Compiler) -> _Part:
    """A present value that is a number, or text read as one, compared with the bound; text
    other than plain decimals is left to Python, which reads more forms."""
    named = compiler.param(bound)
    number = f"coalesce(TRY_CAST(value AS DOUBLE) {symbol} {named}, true)"
    text = (
        f"NOT regexp_full_match({_TEXT}, '{_DECIMAL}') "
        f"OR coalesce(TRY_CAST({_TEXT} AS DOUBLE) {symbol} {named}, true)"
    )
    sql = f"({_NUMBER} AND {number}) OR ({_TYPE} = 'VARCHAR' AND ({text})) OR {_OTHER}"
    return _Part(sql, False)
