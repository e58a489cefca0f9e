"""Conditions on one value, checked against a plain reading of their rules on generated values:
equality across types, membership, comparisons, text patterns, presence."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from waypost.guidance.conditions import Match

scalars = st.one_of(
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 2.5, -1.5]),
    st.sampled_from(["", "0", "1", "2.5", "true", "a", "ab", "/projects/7"]),
)
values = st.one_of(st.none(), scalars)


def same(value: Any, wanted: Any) -> bool:
    """Booleans equal only booleans; numbers equal numbers of the same value; else the texts."""
    if isinstance(value, bool) or isinstance(wanted, bool):
        return isinstance(value, bool) and isinstance(wanted, bool) and value == wanted
    if isinstance(value, int | float) and isinstance(wanted, int | float):
        return float(value) == float(wanted)
    text = {True: "true", False: "false"}

    def as_text(x: Any) -> str:
        return text[x] if isinstance(x, bool) else str(x)

    return as_text(value) == as_text(wanted)


@given(values, st.lists(scalars, min_size=1, max_size=4))
def test_in_and_not_in_follow_equality(value: Any, wanted: list[Any]) -> None:
    member = value is not None and any(same(value, w) for w in wanted)
    assert Match.model_validate({"in": wanted}).holds(value) is member
    assert Match.model_validate({"not_in": wanted}).holds(value) is (not member)


@given(values, scalars)
def test_eq_and_neq_follow_equality(value: Any, wanted: Any) -> None:
    equal = value is not None and same(value, wanted)
    assert Match.model_validate({"eq": wanted}).holds(value) is equal
    assert Match.model_validate({"neq": wanted}).holds(value) is (not equal)


@given(values, st.sampled_from([-1, 0, 1, 2.5]))
def test_comparisons_read_numbers_and_numeric_text(value: Any, bound: float) -> None:
    number = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    assert Match.model_validate({"gte": bound}).holds(value) is (
        number is not None and number >= bound
    )
    assert Match.model_validate({"lt": bound}).holds(value) is (
        number is not None and number < bound
    )


@given(values)
def test_presence(value: Any) -> None:
    assert Match.model_validate({"exists": True}).holds(value) is (value is not None)
    assert Match.model_validate({"exists": False}).holds(value) is (value is None)
    assert Match.model_validate({}).holds(value) is (value is not None)


def test_text_patterns() -> None:
    url = "https://app.example/projects/7?tab=a"
    assert Match.model_validate({"contains": "/projects"}).holds(url)
    assert Match.model_validate({"starts_with": "https://app."}).holds(url)
    assert not Match.model_validate({"ends_with": "/7"}).holds(url)
    assert Match.model_validate({"wildcard": "*/projects/*"}).holds(url)
    assert Match.model_validate({"regex": r"/projects/\d+"}).holds(url)
    assert not Match.model_validate({"regex": r"^/projects"}).holds(url)
    both = Match.model_validate({"contains": "projects", "ends_with": "a"})
    assert both.holds(url) and not both.holds("https://app.example/projects")


def test_a_pattern_that_would_backtrack_forever_elsewhere_answers_at_once() -> None:
    evil = Match.model_validate({"regex": "(a+)+$"})
    assert not evil.holds("a" * 5_000 + "!")


def test_dates_compare_by_day() -> None:
    assert Match.model_validate({"before": "2026-04-01"}).holds("2026-03-31T23:00:00Z")
    assert not Match.model_validate({"before": "2026-04-01"}).holds("2026-04-01T00:30:00+00:00")
    assert Match.model_validate({"after": "2026-04-01"}).holds("2026-04-02")
    assert not Match.model_validate({"after": "2026-04-01"}).holds("not a date")
