"""Before/after comparison: one funnel or time-to-value query over two periods, with the
difference of each measure, its 95% confidence interval and a p-value.

Conversions (and time-to-value shares) are proportions: a two-proportion z-test, and a Wald
interval for the difference. Times to value are compared with the Mann-Whitney U test, which
needs no assumption about their shape; the interval for the difference of medians is Price and
Bonett's, which needs none either and reads only order statistics of each sorted sample, so the
same times give the same interval in any order.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights.actions import Actions
from waypost.insights.funnels import FunnelResult, run_funnel
from waypost.insights.queries import ComparisonQuery, FunnelQuery, TimeToValueQuery
from waypost.insights.stats import Z_95, difference_of_proportions, p_text
from waypost.insights.time_to_value import TimeToValueResult, run_time_to_value, value_gaps


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
    first, second = np.sort(np.asarray(before, float)), np.sort(np.asarray(after, float))
    p_value = float(stats.mannwhitneyu(second, first, alternative="two-sided").pvalue)
    m1, m2 = float(np.median(first)) / 1e6, float(np.median(second)) / 1e6
    if first.size < 2 or second.size < 2:
        # One time says nothing of how far its median could be: no interval.
        return _difference(measure, "mann_whitney", m1, m2, m2 - m1, None, None, p_value)
    spread = math.hypot(median_standard_error(first), median_standard_error(second)) / 1e6
    low, high = m2 - m1 - Z_95 * spread, m2 - m1 + Z_95 * spread
    return _difference(measure, "mann_whitney", m1, m2, m2 - m1, low, high, p_value)


def median_standard_error(ordered: Any) -> float:
    """The standard error of a sample's median from its sorted values, with no assumption about
    their distribution (McKean and Schrader, 1984, as Price and Bonett, 2002, use it for the
    difference of two medians: "Distribution-free confidence intervals for difference and ratio
    of medians", J. Statistical Computation and Simulation 72(2); Bonett and Price, 2002,
    Psychological Methods 7(3)).

    The order statistics c and n - c + 1 around the median, c = round(n/2 - sqrt(n)), bound an
    exact interval for the population median whose coverage follows from the binomial
    distribution with p = 1/2: 1 - 2 P(B <= c - 1). Reading that interval as median +- z SE, with
    z the normal quantile of the same coverage, gives SE. Needs two values or more."""
    from scipy import stats

    n = len(ordered)
    c = max(1, round(n / 2 - math.sqrt(n)))
    z = float(stats.norm.isf(stats.binom.cdf(c - 1, n, 0.5)))
    return float(ordered[n - c] - ordered[c - 1]) / (2 * z)


def _difference(
    measure: str,
    test: str,
    before: float,
    after: float,
    diff: float,
    low: float | None,
    high: float | None,
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
    if low is None:
        verdict += " (no interval: a period has a single time)"
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
