"""Audience rules: trees of all/any/not over what Waypost knows about one person right now.

A rule object names exactly one test (or one of `all`, `any`, `not`):

```yaml
all:
  - trait: {plan: {in: [trial, pro]}}          # person traits (several: all must hold)
  - account: {employees: {gte: 50}}            # traits of the person's account
  - did: {event: Report Built, at_least: 2, within_days: 30}
  - not: {did: {event: Invited Teammate}}      # never did: `not` + `did`
  - first_seen: {days_ago: {gte: 3}}
  - content: {key: first-project, state: completed}
  - tasks: {completed: {gte: 2}}
  - page: {url: {contains: /projects}}
  - device: {in: [desktop]}
  - locale: {starts_with: ja}
  - bucket: {below: 20}                        # a stable 20% of people
  - segment: admins                            # another saved segment
```
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from waypost.guidance.conditions import Match, Strict

MAX_DEPTH = 12


class ContentState(StrEnum):
    """What a person has done with a content item."""

    SEEN = "seen"
    COMPLETED = "completed"
    DISMISSED = "dismissed"
    STARTED = "started"


class Did(Strict):
    """A person did an event (or an action) at least `at_least` times in the last
    `within_days` days (ever, when not given)."""

    event: str | None = Field(None, min_length=1, max_length=200)
    action: str | None = Field(None, min_length=1, max_length=200)
    at_least: int = Field(1, ge=1, le=1_000_000)
    within_days: int | None = Field(None, ge=1, le=3650)

    @model_validator(mode="after")
    def _one_of(self) -> Did:
        if (self.event is None) == (self.action is None):
            raise ValueError("give an event or an action (one of them)")
        return self


class FirstSeen(Strict):
    """How many whole days ago the person was first seen."""

    days_ago: Match


class ContentTest(Strict):
    """The person's state of one content item."""

    key: str = Field(min_length=1, max_length=100)
    state: ContentState


class TaskProgress(Strict):
    """How many checklist tasks the person has completed (of a menu's, or of all)."""

    menu: str | None = Field(None, max_length=100)
    completed: Match


class Bucket(Strict):
    """A stable share of people: those whose hash of (salt, person) falls below `below`
    percent. The same person always lands in the same bucket for a salt."""

    below: float = Field(gt=0, le=100)
    salt: str = Field("", max_length=100)


class PageTest(Strict):
    """The page the person is on now."""

    url: Match | None = None
    path: Match | None = None

    @model_validator(mode="after")
    def _something(self) -> PageTest:
        if self.url is None and self.path is None:
            raise ValueError("give url or path")
        return self


class Rule(Strict):
    """One node of an audience tree; exactly one of its fields is given."""

    all: list[Rule] | None = Field(None, min_length=1, max_length=100)
    any: list[Rule] | None = Field(None, min_length=1, max_length=100)
    not_: Rule | None = Field(None, alias="not")
    trait: dict[str, Match] | None = Field(None, min_length=1, max_length=50)
    account: dict[str, Match] | None = Field(None, min_length=1, max_length=50)
    did: Did | None = None
    first_seen: FirstSeen | None = None
    content: ContentTest | None = None
    tasks: TaskProgress | None = None
    page: PageTest | None = None
    device: Match | None = None
    locale: Match | None = None
    bucket: Bucket | None = None
    segment: str | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _exactly_one(self) -> Rule:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            names = ", ".join(f.alias or n for n, f in type(self).model_fields.items())
            raise ValueError(f"a rule gives exactly one of {names}; this one gives {len(given)}")
        return self

    def depth(self) -> int:
        """How deep the tree goes below and including this node."""
        children = [*(self.all or ()), *(self.any or ()), *([self.not_] if self.not_ else [])]
        return 1 + max((child.depth() for child in children), default=0)

    @functools.cached_property
    def test(self) -> Test:
        """The rule as a function of (facts, segments, segments being worked out)."""
        return _compile(self)

    def actions(self) -> set[str]:
        """The names of the actions this tree's `did` rules count."""
        found = {self.did.action} if self.did is not None and self.did.action else set()
        for child in [*(self.all or ()), *(self.any or ()), *([self.not_] if self.not_ else [])]:
            found |= child.actions()
        return found

    def segments(self) -> set[str]:
        """The keys of the saved segments this tree refers to."""
        found = {self.segment} if self.segment else set()
        for child in [*(self.all or ()), *(self.any or ()), *([self.not_] if self.not_ else [])]:
            found |= child.segments()
        return found


@dataclass
class Facts:
    """What a rule can be tested against: one person, now, on one page."""

    person_key: str
    now: datetime
    traits: Mapping[str, Any] = field(default_factory=dict)
    account_traits: Mapping[str, Any] = field(default_factory=dict)
    first_seen: datetime | None = None
    # How often the person did an event (or action, by name) in the last N days (None: ever).
    count: Callable[[str, str, int | None], int] = lambda kind, name, days: 0
    content_states: Mapping[str, frozenset[ContentState]] = field(default_factory=dict)
    tasks_completed: Callable[[str | None], int] = lambda menu: 0
    url: str | None = None
    path: str | None = None
    device: str | None = None
    locale: str | None = None
    # Saved segments worked out for these facts so far.
    segments_held: dict[str, bool] = field(default_factory=dict)


def stable_percent(salt: str, person_key: str) -> float:
    """A number in [0, 100) fixed for the pair: the person's bucket for that salt."""
    digest = hashlib.blake2b(f"{salt}\x1f{person_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * 100


def holds(rule: Rule, facts: Facts, segments: Mapping[str, Rule]) -> bool:
    """Whether the person the facts describe meets the rule; `segments` are the app's saved
    segments by key (a reference to an unknown one, or a cycle, does not hold). A segment is
    worked out once per set of facts, however many rules refer to it."""
    return rule.test(facts, segments, frozenset())


Test = Callable[[Facts, Mapping[str, "Rule"], frozenset[str]], bool]


def _compile(rule: Rule) -> Test:
    """The rule as a function, made once per rule: decisions test the same trees many times."""
    if rule.all is not None:
        parts = [child.test for child in rule.all]
        return lambda f, s, seen: all(part(f, s, seen) for part in parts)
    if rule.any is not None:
        parts = [child.test for child in rule.any]
        return lambda f, s, seen: any(part(f, s, seen) for part in parts)
    if rule.not_ is not None:
        inner = rule.not_.test
        return lambda f, s, seen: not inner(f, s, seen)
    if rule.trait is not None:
        traits = [(name, match.test) for name, match in rule.trait.items()]
        return lambda f, s, seen: all(test(f.traits.get(name)) for name, test in traits)
    if rule.account is not None:
        account = [(name, match.test) for name, match in rule.account.items()]
        return lambda f, s, seen: all(test(f.account_traits.get(name)) for name, test in account)
    if rule.did is not None:
        did = rule.did
        kind = "event" if did.event is not None else "action"
        name = did.event or did.action or ""
        return lambda f, s, seen: f.count(kind, name, did.within_days) >= did.at_least
    if rule.first_seen is not None:
        days_ago = rule.first_seen.days_ago.test
        return lambda f, s, seen: days_ago(
            None if f.first_seen is None else (f.now - f.first_seen).days
        )
    if rule.content is not None:
        key, state = rule.content.key, rule.content.state
        return lambda f, s, seen: state in f.content_states.get(key, frozenset())
    if rule.tasks is not None:
        menu, completed = rule.tasks.menu, rule.tasks.completed.test
        return lambda f, s, seen: completed(f.tasks_completed(menu))
    if rule.page is not None:
        url = rule.page.url.test if rule.page.url is not None else None
        path = rule.page.path.test if rule.page.path is not None else None
        return lambda f, s, seen: (url is None or url(f.url)) and (path is None or path(f.path))
    if rule.device is not None:
        device = rule.device.test
        return lambda f, s, seen: device(f.device)
    if rule.locale is not None:
        locale = rule.locale.test
        return lambda f, s, seen: locale(f.locale)
    if rule.bucket is not None:
        salt, below = rule.bucket.salt, rule.bucket.below
        return lambda f, s, seen: stable_percent(salt, f.person_key) < below
    segment_key = rule.segment or ""

    def segment(f: Facts, s: Mapping[str, Rule], seen: frozenset[str]) -> bool:
        if segment_key in seen or segment_key not in s:
            return False
        known = f.segments_held.get(segment_key)
        if known is None:
            known = s[segment_key].test(f, s, seen | {segment_key})
            f.segments_held[segment_key] = known
        return known

    return segment


def check_depth(rule: Rule, where: str) -> None:
    """Raise ValueError when the tree is deeper than MAX_DEPTH (deep trees are a mistake, and
    would make every decision slow)."""
    if rule.depth() > MAX_DEPTH:
        raise ValueError(f"{where} nests deeper than {MAX_DEPTH} levels")


Rule.model_rebuild()
