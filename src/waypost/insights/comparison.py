"""Before/after comparison: one funnel or time-to-value query over two periods, with the
difference of each measure, its 95% confidence interval and a p-value.

Conversions (and time-to-value shares) are proportions: a two-proportion z-test, and a Wald
interval for the difference. Times to value are compared with the Mann-Whitney U test, which
needs no assumption about their shape; the interval for the difference of medians comes from a
seeded bootstrap, so the same data always gives the same interval.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights.actions import Actions
from waypost.insights.funnels import FunnelResult, run_funnel
from waypost.insights.queries import ComparisonQuery, FunnelQuery, TimeToValueQuery
from waypost.insights.stats import difference_of_proportions, p_text
from waypost.insights.time_to_value import TimeToValueResult, run_time_to_value, value_gaps

BOOTSTRAP_ROUNDS = 2000
BOOTSTRAP_SAMPLE = 20_000


class Difference(BaseModel):
    measure: str
    test: str
    before: float | None
    after: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    significant: bool
    verdict: str


class ComparisonResult(BaseModel):
    kind: str = "comparison"
    before: FunnelResult | TimeToValueResult
    after: FunnelResult | TimeToValueResult
    differences: list[Difference]


def two_proportions(measure: str, x1: int, n1: int, x2: int, n2: int) -> Difference:
    """Compare x1/n1 (before) with x2/n2 (after)."""
    if n1 == 0 or n2 == 0:
        return Difference(
            measure=measure,
            test="two_proportion",
            before=x1 / n1 if n1 else None,
            after=x2 / n2 if n2 else None,
            difference=None,
            ci_low=None,
            ci_high=None,
            p_value=None,
            significant=False,
            verdict="not enough data: a period has no units",
        )
    diff, low, high, p_value = difference_of_proportions(x2, n2, x1, n1)
    return _difference(measure, "two_proportion", x1 / n1, x2 / n2, diff, low, high, p_value)


def times(measure: str, before: list[int], after: list[int]) -> Difference:
    """Compare two samples of times (microseconds; reported in seconds) by their medians."""
    # Imported here: SciPy takes most of a second to load, which every command would pay.
    import numpy as np
    from scipy import stats

    if not before or not after:
        return Difference(
            measure=measure,
            test="mann_whitney",
            before=float(np.median(before)) / 1e6 if before else None,
            after=float(np.median(after)) / 1e6 if after else None,
            difference=None,
            ci_low=None,
            ci_high=None,
            p_value=None,
            significant=False,
            verdict="not enough data: a period has no one who got there",
        )
    first, second = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    p_value = float(stats.mannwhitneyu(second, first, alternative="two-sided").pvalue)
    rng = np.random.default_rng(0)
    first_sample = _sample(first, rng)
    second_sample = _sample(second, rng)
    shifts = np.median(
        rng.choice(second_sample, (BOOTSTRAP_ROUNDS, second_sample.size)), axis=1
    ) - np.median(rng.choice(first_sample, (BOOTSTRAP_ROUNDS, first_sample.size)), axis=1)
    low, high = np.percentile(shifts, [2.5, 97.5]) / 1e6
    m1, m2 = float(np.median(first)) / 1e6, float(np.median(second)) / 1e6
    return _difference(measure, "mann_whitney", m1, m2, m2 - m1, float(low), float(high), p_value)


def _sample(values: Any, rng: Any) -> Any:
    # Bootstrapping every value of a large period adds nothing but time.
    if values.size <= BOOTSTRAP_SAMPLE:
        return values
    return rng.choice(values, BOOTSTRAP_SAMPLE, replace=False)


def _difference(
    measure: str,
    test: str,
    before: float,
    after: float,
    diff: float,
    low: float,
    high: float,
    p_value: float,
) -> Difference:
    significant = p_value < 0.05
    if significant:
        verdict = f"significant at 95% (p = {p_text(p_value)}): {'up' if diff > 0 else 'down'}"
    else:
        verdict = (
            f"not significant at 95% (p = {p_text(p_value)}): the difference may be chance; "
            "do not conclude that anything changed"
        )
    return Difference(
        measure=measure, test=test, before=before, after=after, difference=diff, ci_low=low,
        ci_high=high, p_value=p_value, significant=significant, verdict=verdict,
    )  # fmt: skip


def run_comparison(
    store: EventQueries,
    app_id: str,
    query: ComparisonQuery,
    actions: Actions | None = None,
) -> ComparisonResult:
    """Run the insight over both periods and compare each measure."""
    first, second = query.in_period(query.before), query.in_period(query.after)
    if isinstance(first, FunnelQuery) and isinstance(second, FunnelQuery):
        one, two = (
            run_funnel(store, app_id, first, actions),
            run_funnel(store, app_id, second, actions),
        )
        last = len(first.steps) - 1
        # From the first step to the last, then each step from the one before (with two steps,
        # the first of those is the same measure again).
        spans = [(0, last)] + [(k - 1, k) for k in range(1, last + 1) if (k - 1, k) != (0, last)]
        differences = [
            two_proportions(
                f"conversion from step {start} to step {end}",
                one.steps[end].count,
                one.steps[start].count,
                two.steps[end].count,
                two.steps[start].count,
            )
            for start, end in spans
        ]
        return ComparisonResult(before=one, after=two, differences=differences)
    assert isinstance(first, TimeToValueQuery) and isinstance(second, TimeToValueQuery)
    a = run_time_to_value(store, app_id, first, actions)
    b = run_time_to_value(store, app_id, second, actions)
    differences = [
        times(
            "time to value",
            value_gaps(store, app_id, first, actions),
            value_gaps(store, app_id, second, actions),
        )
    ] + [
        two_proportions(
            f"share reaching value within {share_a.days} days",
            share_a.count,
            a.overall.units,
            share_b.count,
            b.overall.units,
        )
        for share_a, share_b in zip(a.overall.within, b.overall.within, strict=True)
    ]
    return ComparisonResult(before=a, after=b, differences=differences)
