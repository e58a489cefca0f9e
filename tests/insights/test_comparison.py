"""Before/after comparisons: differences with intervals and p-values, said plainly."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from tests.conftest import examples
from tests.insights.conftest import APP, close, load, plain
from tests.insights.reference import Ev, World, at
from tests.insights.reference import funnel as reference_funnel
from tests.insights.test_funnel_properties import funnel_queries, worlds
from waypost.errors import InvalidInput
from waypost.events import DuckDBEventStore
from waypost.insights.comparison import run_comparison, times, two_proportions
from waypost.insights.queries import ComparisonQuery, read_query

Loaded = Callable[[World], DuckDBEventStore]
BEFORE = datetime(2026, 5, 1, tzinfo=UTC)
AFTER = datetime(2026, 6, 1, tzinfo=UTC)


def test_two_proportions_match_the_textbook_z_test() -> None:
    result = two_proportions("conversion", 40, 200, 70, 200)
    pooled = 110 / 400
    z = (0.35 - 0.2) / math.sqrt(pooled * (1 - pooled) * (2 / 200))
    assert result.p_value == pytest.approx(2 * stats.norm.sf(z))
    spread = math.sqrt(0.2 * 0.8 / 200 + 0.35 * 0.65 / 200)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (0.15 - 1.96 * spread, 0.15 + 1.96 * spread), rel=1e-3
    )
    assert result.significant and result.verdict.startswith("significant at 95%")


def test_a_small_difference_is_called_not_significant() -> None:
    result = two_proportions("conversion", 20, 100, 23, 100)
    assert not result.significant
    assert "not significant" in result.verdict and "chance" in result.verdict
    assert result.ci_low < 0 < result.ci_high


def test_times_use_mann_whitney_and_a_repeatable_interval() -> None:
    rng = np.random.default_rng(1)
    slow = [int(x) for x in rng.exponential(3600e6, 300)]
    fast = [int(x) for x in rng.exponential(1200e6, 300)]
    result = times("time to value", slow, fast)
    assert result.p_value == pytest.approx(stats.mannwhitneyu(fast, slow).pvalue)
    assert result.significant and result.difference < 0
    assert result.ci_low < result.difference < result.ci_high < 0
    assert times("time to value", slow, fast) == result  # same data, same interval


def test_the_median_interval_is_price_and_bonetts() -> None:
    # The published example of Bonett's statpsych package (ci.median2), in seconds: medians 43
    # before and 34.5 after, a difference of -8.5 with the interval [-16.95977, -0.04022524].
    first = [32, 39, 26, 35, 43, 27, 40, 37, 34, 29]
    second = [36, 44, 47, 42, 49, 39, 46, 31, 33, 48]
    result = times("time to value", [s * 1_000_000 for s in second], [s * 1_000_000 for s in first])
    assert (result.before, result.after, result.difference) == (43, 34.5, -8.5)
    assert (result.ci_low, result.ci_high) == pytest.approx((-16.95977, -0.04022524), abs=1e-5)


def test_the_median_interval_does_not_depend_on_the_order_of_the_times() -> None:
    rng = np.random.default_rng(3)
    slow = [int(x) for x in rng.lognormal(20, 1, 2001)]
    fast = [int(x) for x in rng.lognormal(19.8, 1, 3000)]
    result = times("time to value", slow, fast)
    for _ in range(3):
        shuffled = times("time to value", list(rng.permutation(slow)), list(rng.permutation(fast)))
        assert shuffled == result


def test_the_median_interval_covers_the_true_difference_95_times_in_100() -> None:
    # Skewed times with known medians (a log-normal's median is e^mu): over 200 simulated
    # before/after pairs, the 95% interval should hold the true difference about 190 times.
    rng = np.random.default_rng(11)
    true = (500 - 600) * 1.0
    held = 0
    for _ in range(200):
        before = [int(x) for x in rng.lognormal(math.log(600e6), 1.0, 150)]
        after = [int(x) for x in rng.lognormal(math.log(500e6), 1.0, 250)]
        result = times("time to value", before, after)
        assert result.ci_low is not None and result.ci_high is not None
        held += result.ci_low <= true <= result.ci_high
    assert 0.90 <= held / 200 <= 0.99


def test_one_time_in_a_period_gives_no_interval() -> None:
    result = times("time to value", [600_000_000], [300_000_000, 500_000_000])
    assert (result.before, result.after, result.difference) == (600, 400, -200)
    assert (result.ci_low, result.ci_high) == (None, None)
    assert "no interval" in result.verdict


def test_funnel_before_and_after_a_walkthrough(loaded: Loaded) -> None:
    events = []
    for start, converted in ((BEFORE, 10), (AFTER, 30)):
        for person in range(40):
            pid = person + (0 if start is BEFORE else 100)
            events.append(Ev(pid, "Signed Up", start + timedelta(hours=person), f"s{pid}"))
            if person < converted:
                events.append(
                    Ev(pid, "Activated", start + timedelta(hours=person, minutes=5), f"a{pid}")
                )
    query = read_query(
        {
            "kind": "comparison",
            "insight": {
                "kind": "funnel",
                "steps": [{"event": "Signed Up"}, {"event": "Activated"}],
            },
            "before": {
                "date_from": BEFORE.isoformat(),
                "date_to": (BEFORE + timedelta(days=7)).isoformat(),
            },
            "after": {
                "date_from": AFTER.isoformat(),
                "date_to": (AFTER + timedelta(days=7)).isoformat(),
            },
        }
    )
    result = run_comparison(loaded(World(events)), APP, query)
    # Two steps: from the first to the last is the only conversion there is, listed once.
    assert [d.measure for d in result.differences] == ["conversion from step 0 to step 1"]
    overall = result.differences[0]
    assert (overall.before, overall.after) == (0.25, 0.75)
    assert overall.significant and overall.difference == pytest.approx(0.5)


def test_dates_inside_the_compared_insight_are_refused() -> None:
    with pytest.raises(InvalidInput, match="leave out date_from and date_to"):
        read_query(
            {
                "kind": "comparison",
                "insight": {
                    "kind": "funnel",
                    "steps": [{"event": "A"}, {"event": "B"}],
                    "date_from": "2026-01-01T00:00:00Z",
                },
                "before": {"date_from": "2026-01-01T00:00:00Z", "date_to": "2026-02-01T00:00:00Z"},
                "after": {"date_from": "2026-02-01T00:00:00Z", "date_to": "2026-03-01T00:00:00Z"},
            }
        )


@st.composite
def funnel_comparisons(draw: st.DrawFn) -> ComparisonQuery:
    funnel = draw(funnel_queries()).model_dump(mode="json", exclude={"date_from", "date_to"})
    cut = draw(st.integers(1, 11)) * 5
    before = {"date_from": at(0), "date_to": at(cut)}
    after = {"date_from": at(cut), "date_to": at(draw(st.integers(cut // 5 + 1, 13)) * 5)}
    return ComparisonQuery(insight=funnel, before=before, after=after)


@examples(60)
@given(world=worlds(), query=funnel_comparisons())
def test_funnel_comparison_equals_the_reference_and_a_textbook_test(
    shared_store: DuckDBEventStore, world: World, query: ComparisonQuery
) -> None:
    load(shared_store, world)
    result = run_comparison(shared_store, APP, query)
    before = reference_funnel(world, query.in_period(query.before))
    after = reference_funnel(world, query.in_period(query.after))
    assert close(plain(result.before), before)
    assert close(plain(result.after), after)
    first, second = [s["count"] for s in before["steps"]], [s["count"] for s in after["steps"]]
    last = len(first) - 1
    pairs = [(0, last)] + [(k - 1, k) for k in range(1, len(first)) if (k - 1, k) != (0, last)]
    assert len(result.differences) == len(pairs)
    for difference, (start, end) in zip(result.differences, pairs, strict=True):
        x1, n1, x2, n2 = first[end], first[start], second[end], second[start]
        if not n1 or not n2:
            assert difference.p_value is None and not difference.significant
            continue
        assert difference.difference == pytest.approx(x2 / n2 - x1 / n1)
        pooled = (x1 + x2) / (n1 + n2)
        spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        expected = 1.0 if spread == 0 else 2 * stats.norm.sf(abs(x2 / n2 - x1 / n1) / spread)
        assert difference.p_value == pytest.approx(expected)
        assert difference.significant == (expected < 0.05)
