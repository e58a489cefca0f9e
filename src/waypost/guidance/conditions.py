"""Conditions on one value, written the compact way content documents use: `{contains: /projects}`,
`{in: [trial, pro]}`, `{gte: 50}`. Every operator given must hold. Regular expressions run on
RE2, which answers in time linear in the input whatever the pattern, so a builder's pattern can
never stall a decision (no catastrophic backtracking to check for)."""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import re2
from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | int | float | bool


class Strict(BaseModel):
    """Refuses unknown fields, so a typo in a document is an error rather than ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Match(Strict):
    """Conditions on one value (a trait, a URL, a property); all given must hold. With none it
    holds for any value that is present."""

    eq: Scalar | None = None
    neq: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in", min_length=1, max_length=1000)
    not_in: list[Scalar] | None = Field(None, min_length=1, max_length=1000)
    contains: str | None = Field(None, max_length=2000)
    starts_with: str | None = Field(None, max_length=2000)
    ends_with: str | None = Field(None, max_length=2000)
    wildcard: str | None = Field(
        None, max_length=2000, description="Shell-style pattern: * any run, ? one character."
    )
    regex: str | None = Field(None, max_length=1000, description="RE2 syntax, searched.")
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    exists: bool | None = None
    before: date | None = Field(None, description="A date or time earlier than this day.")
    after: date | None = Field(None, description="A date or time later than this day.")

    @model_validator(mode="after")
    def _valid_pattern(self) -> Match:
        if self.regex is not None:
            try:
                _compiled(self.regex)
            except re2.error as exc:
                raise ValueError(f"regex is not a valid RE2 pattern: {exc}") from None
        return self

    def holds(self, value: Any) -> bool:
        """Whether `value` (None when absent) meets every condition given. An absent value
        meets `neq` and `not_in` (it equals nothing) and no other comparison."""
        return self.test(value)

    @functools.cached_property
    def test(self) -> Callable[[Any], bool]:
        """`holds` as a function made once: decisions test the same conditions many times."""
        exists = self.exists
        given = sorted(self.model_fields_set - {"exists"})
        checks = [
            _member(self.in_ or ())
            if name == "in_"
            else _not_member(self.not_in or ())
            if name == "not_in"
            else functools.partial(_CHECKS[name], self)
            for name in given
        ]
        absent_holds = bool(given) and all(name in ("neq", "not_in") for name in given)
        if exists is False:
            absent_holds = True

        def test(value: Any) -> bool:
            if value is None:
                return absent_holds if given or exists is False else False
            if exists is False:
                return False
            return all(check(value) for check in checks)

        return test


def _keys(value: Any) -> tuple[tuple[str, Any], ...]:
    """What a value can equal, as `_same` compares: a boolean only a boolean, a number a number
    of the same value or its text, anything else its text."""
    if isinstance(value, bool):
        return (("b", value),)
    if isinstance(value, int | float):
        return (("n", float(value)), ("s", _text(value)))
    return (("s", _text(value)),)


def _member(wanted: list[Scalar] | tuple[()]) -> Callable[[Any], bool]:
    keys = frozenset(key for w in wanted for key in _wanted_keys(w))
    return lambda value: any(key in keys for key in _keys(value))


def _not_member(wanted: list[Scalar] | tuple[()]) -> Callable[[Any], bool]:
    member = _member(wanted)
    return lambda value: not member(value)


def _wanted_keys(wanted: Scalar) -> tuple[tuple[str, Any], ...]:
    if isinstance(wanted, bool):
        return (("b", wanted),)
    if isinstance(wanted, int | float):
        return (("n", float(wanted)), ("s", _text(wanted)))
    return (("s", wanted),)


def _compiled(pattern: str) -> Any:
    return _cached_pattern(pattern)


@functools.lru_cache(maxsize=4096)
def _cached_pattern(pattern: str) -> Any:
    return re2.compile(pattern)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _same(value: Any, wanted: Scalar) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(wanted, bool) and value == wanted
    if isinstance(wanted, int | float) and isinstance(value, int | float):
        return float(value) == float(wanted)
    return _text(value) == _text(wanted)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return None
    return None


def _compare(value: Any, bound: float | None, test: Any) -> bool:
    number = _number(value)
    return number is not None and bound is not None and bool(test(number, bound))


_CHECKS: dict[str, Any] = {
    "eq": lambda m, v: m.eq is not None and _same(v, m.eq),
    "neq": lambda m, v: m.neq is not None and not _same(v, m.neq),
    "contains": lambda m, v: (m.contains or "") in _text(v),
    "starts_with": lambda m, v: _text(v).startswith(m.starts_with or ""),
    "ends_with": lambda m, v: _text(v).endswith(m.ends_with or ""),
    "wildcard": lambda m, v: fnmatch.fnmatchcase(_text(v), m.wildcard or ""),
    "regex": lambda m, v: _compiled(m.regex or "").search(_text(v)) is not None,
    "gt": lambda m, v: _compare(v, m.gt, lambda a, b: a > b),
    "gte": lambda m, v: _compare(v, m.gte, lambda a, b: a >= b),
    "lt": lambda m, v: _compare(v, m.lt, lambda a, b: a < b),
    "lte": lambda m, v: _compare(v, m.lte, lambda a, b: a <= b),
    "before": lambda m, v: (d := _day(v)) is not None and m.before is not None and d < m.before,
    "after": lambda m, v: (d := _day(v)) is not None and m.after is not None and d > m.after,
}
