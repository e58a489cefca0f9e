"""The statistics measurement answers report, each with its 95% interval: NPS, a share (Wilson),
a mean (Student's t), and the lift of one proportion over another (two-proportion z-test).

An interval needs enough answers for its approximation to mean anything; with fewer, it is
None and `note` says why, never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054
# The normal approximation behind the NPS interval is meaningless below this many answers.
NPS_MIN_ANSWERS = 5


@dataclass(frozen=True)
class Estimate:
    """A number with its 95% interval (None with a `note` when it cannot be given)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    note: str | None = None


def nps(scores: Sequence[int]) -> tuple[Estimate, int, int, int]:
    """Net Promoter Score in points (-100..100) of 0-10 answers, its interval, and the counts of
    promoters (9-10), passives (7-8) and detractors (0-6)."""
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return nps_of(promoters, len(scores) - promoters - detractors, detractors)


def nps_of(promoters: int, passives: int, detractors: int) -> tuple[Estimate, int, int, int]:
    """The same from the counts of promoters, passives and detractors."""
    n = promoters + passives + detractors
    if n == 0:
        return Estimate(None, None, None, 0, "no answers"), 0, 0, 0
    p, d = promoters / n, detractors / n
    value = 100 * (p - d)
    if n < NPS_MIN_ANSWERS:
        note = f"fewer than {NPS_MIN_ANSWERS} answers: too few for an interval"
        return Estimate(value, None, None, n, note), promoters, passives, detractors
    half = 100 * Z_95 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n)
    estimate = Estimate(value, max(-100.0, value - half), min(100.0, value + half), n)
    return estimate, promoters, passives, detractors


def wilson(successes: int, n: int, empty: str = "no answers") -> Estimate:
    """A share with its Wilson score interval, which stays inside 0..1 and holds for small n;
    `empty` says why there is none when n is 0."""
    if n == 0:
        return Estimate(None, None, None, 0, empty)
    share = successes / n
    z2 = Z_95 * Z_95
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Estimate(share, max(0.0, centre - half), min(1.0, centre + half), n)


def mean(values: Sequence[float], empty: str = "no answers") -> Estimate:
    """A mean with its Student's t interval (needs two values); `empty` says why there is none
    when there are no values."""
    n = len(values)
    if n == 0:
        return Estimate(None, None, None, 0, empty)
    average = math.fsum(values) / n
    spread = math.sqrt(math.fsum((v - average) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return mean_of(n, average, spread, empty)


def mean_of(
    n: int, average: float | None, spread: float | None, empty: str = "no answers"
) -> Estimate:
    """The same from a summary: the number of values, their mean and their sample standard
    deviation (as SQL's avg and stddev_samp give them; None where they have none)."""
    if n == 0 or average is None:
        return Estimate(None, None, None, 0, empty)
    if n < 2 or spread is None:
        return Estimate(average, None, None, n, "one answer: too few for an interval")
    # Imported here: SciPy takes most of a second to load, which every command would pay.
    from scipy import stats

    half = float(stats.t.ppf(0.975, n - 1)) * spread / math.sqrt(n)
    return Estimate(average, average - half, average + half, n)


@dataclass(frozen=True)
class Lift:
    """How much more often the exposed reached a goal than the holdout."""

    exposed_rate: float | None
    holdout_rate: float | None
    absolute: float | None
    relative: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    significant: bool
    verdict: str


def p_text(p_value: float) -> str:
    """A p-value for a sentence: three significant digits, more where three would round a
    significant value up to the 0.05 threshold (0.04996 reads 0.04996, not 0.05)."""
    text = f"{p_value:.3g}"
    if p_value < 0.05 <= float(text):
        text = f"{p_value:.6g}"
    return text


def difference_of_proportions(
    x1: int, n1: int, x2: int, n2: int
) -> tuple[float, float, float, float]:
    """x1/n1 - x2/n2 (both n above 0), its 95% Wald interval, and the two-sided p-value of the
    two-proportion z-test with the pooled rate."""
    p1, p2 = x1 / n1, x2 / n2
    diff = p1 - p2
    spread = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    pooled = (x1 + x2) / (n1 + n2)
    pooled_spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if pooled_spread == 0 else math.erfc(abs(diff / pooled_spread) / math.sqrt(2))
    return diff, diff - Z_95 * spread, diff + Z_95 * spread, p_value


def lift(exposed: int, exposed_n: int, holdout: int, holdout_n: int) -> Lift:
    """The exposed group's rate against the holdout's: the difference with its 95% (Wald)
    interval, the relative lift, and a two-sided two-proportion z-test's p-value."""
    rate_e = exposed / exposed_n if exposed_n else None
    rate_h = holdout / holdout_n if holdout_n else None
    if rate_e is None or rate_h is None:
        missing = "nobody saw it" if rate_e is None else "nobody is in its holdout"
        return Lift(
            rate_e, rate_h, None, None, None, None, None, False, f"not enough data: {missing}"
        )
    diff, low, high, p_value = difference_of_proportions(exposed, exposed_n, holdout, holdout_n)
    relative = diff / rate_h if rate_h else None
    significant = p_value < 0.05
    points = f"{abs(diff) * 100:.1f} points"
    if significant:
        direction = "more" if diff > 0 else "fewer"
        verdict = (
            f"significant at 95% (p = {p_text(p_value)}): {points} {direction} of those who saw it "
            "reached the goal than of its holdout"
        )
    else:
        verdict = (
            f"not significant at 95% (p = {p_text(p_value)}): the {points} difference from the "
            "holdout may be chance"
        )
    return Lift(rate_e, rate_h, diff, relative, low, high, p_value, significant, verdict)
