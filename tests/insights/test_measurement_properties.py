"""Measurement numbers against plain references: NPS, CSAT (Wilson), CES and ratings (Student's
t), goal lift (two-proportion z-test) as pure statistics; then the survey, goal and engagement
insights end to end, on random worlds of events in a real DuckDB store."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from statistics import NormalDist
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from tests.conftest import examples
from tests.insights.conftest import APP, load
from tests.insights.reference import Ev, World
from waypost.events import DuckDBEventStore
from waypost.guidance.library import parse_document
from waypost.insights.catalog import ContentCatalog, ContentItemInfo
from waypost.insights.queries import EngagementQuery, GoalQuery, Interval, SurveyQuery
from waypost.insights.runner import run_query
from waypost.insights.stats import NPS_MIN_ANSWERS, Estimate, lift, mean, nps, wilson

# The two-sided 95% quantile of the standard normal (1.96 rounded).
Z = NormalDist().inv_cdf(0.975)
Interval95 = tuple[float, float] | None


# Plain references, from the textbook formulas.


def ref_nps(scores: Sequence[int]) -> tuple[float | None, Interval95, int, int, int]:
    """NPS in points, its interval (None below NPS_MIN_ANSWERS answers), and the counts of
    promoters (9-10), passives (7-8) and detractors (0-6)."""
    n = len(scores)
    promoters = sum(1 for s in scores if s in (9, 10))
    passives = sum(1 for s in scores if s in (7, 8))
    detractors = sum(1 for s in scores if 0 <= s <= 6)
    if n == 0:
        return None, None, 0, 0, 0
    p, d = Fraction(promoters, n), Fraction(detractors, n)
    value = float(100 * (p - d))
    if n < NPS_MIN_ANSWERS:
        return value, None, promoters, passives, detractors
    half = 100 * Z * math.sqrt(float(p + d - (p - d) ** 2) / n)
    interval = (max(-100.0, value - half), min(100.0, value + half))
    return value, interval, promoters, passives, detractors


def ref_wilson(successes: int, n: int) -> tuple[float | None, Interval95]:
    """A share and its Wilson score interval: (x + z²/2 ± z·√(x(n-x)/n + z²/4)) / (n + z²)."""
    if n == 0:
        return None, None
    z2 = Z * Z
    centre = (successes + z2 / 2) / (n + z2)
    half = Z * math.sqrt(successes * (n - successes) / n + z2 / 4) / (n + z2)
    return successes / n, (centre - half, centre + half)


def ref_mean(values: Sequence[float]) -> tuple[float | None, Interval95]:
    """A mean and its Student's t interval (none for fewer than two values)."""
    n = len(values)
    if n == 0:
        return None, None
    average = statistics.fmean(values)
    if n < 2:
        return average, None
    sd = statistics.stdev(values)
    if sd == 0:
        return average, (average, average)
    low, high = scipy_stats.t.interval(0.95, n - 1, loc=average, scale=sd / math.sqrt(n))
    return average, (float(low), float(high))


def ref_lift(exposed: int, exposed_n: int, holdout: int, holdout_n: int) -> dict[str, Any]:
    """Both rates, the absolute and relative lift, the Wald interval of the difference and the
    pooled two-proportion z-test's two-sided p-value (1 when both groups are all 0 or all 1)."""
    if exposed_n == 0 or holdout_n == 0:
        return {
            "exposed_rate": exposed / exposed_n if exposed_n else None,
            "holdout_rate": holdout / holdout_n if holdout_n else None,
            **dict.fromkeys(("absolute", "relative", "ci_low", "ci_high", "p_value")),
            "significant": False,
        }
    rate_e, rate_h = Fraction(exposed, exposed_n), Fraction(holdout, holdout_n)
    diff = float(rate_e - rate_h)
    wald = Z * math.sqrt(
        float(rate_e * (1 - rate_e) / exposed_n + rate_h * (1 - rate_h) / holdout_n)
    )
    pooled = Fraction(exposed + holdout, exposed_n + holdout_n)
    variance = pooled * (1 - pooled) * (Fraction(1, exposed_n) + Fraction(1, holdout_n))
    p_value = 1.0 if variance == 0 else 2 * NormalDist().cdf(-abs(diff) / math.sqrt(variance))
    return {
        "exposed_rate": float(rate_e),
        "holdout_rate": float(rate_h),
        "absolute": diff,
        "relative": float((rate_e - rate_h) / rate_h) if rate_h else None,
        "ci_low": diff - wald,
        "ci_high": diff + wald,
        "p_value": p_value,
        "significant": p_value < 0.05,
    }


def agrees(got: Any, expected: Any, where: str = "result") -> None:
    """Assert equal, floats to nine digits (or 1e-9 near zero), naming the first difference."""
    if isinstance(expected, dict):
        assert isinstance(got, dict), f"{where}: {got!r} is not a mapping"
        assert got.keys() == expected.keys(), f"{where}: keys {sorted(got)} != {sorted(expected)}"
        for key in expected:
            agrees(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{where}: {got} != {expected}"
        for index, (a, b) in enumerate(zip(got, expected, strict=True)):
            agrees(a, b, f"{where}[{index}]")
    elif isinstance(expected, float) and not isinstance(got, bool):
        assert isinstance(got, int | float), f"{where}: {got!r} != {expected!r}"
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (
            f"{where}: {got!r} != {expected!r}"
        )
    else:
        assert got == expected and type(got) is type(expected), f"{where}: {got!r} != {expected!r}"


def never_nan(estimate: Estimate) -> None:
    for number in (estimate.value, estimate.ci_low, estimate.ci_high):
        assert number is None or math.isfinite(number)


def check_estimate(got: Estimate, value: float | None, interval: Interval95, n: int) -> None:
    """An estimate against its reference: value, interval, count, and a note exactly when
    there is no interval."""
    never_nan(got)
    assert got.n == n
    agrees(got.value, value, "value")
    if interval is None:
        assert (got.ci_low, got.ci_high) == (None, None)
        assert got.note
    else:
        agrees([got.ci_low, got.ci_high], list(interval), "interval")
        assert got.note is None


# 1. The statistics alone.


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10), max_size=80))
@example([])
@example([9])
@example([10] * NPS_MIN_ANSWERS)  # all promoters: 100, an interval of width 0
@example([0] * NPS_MIN_ANSWERS)  # all detractors: -100
@example([7, 8] * 3)  # all passives: 0
@example([10] * 9 + [7])  # 90 ± 18.6 would pass 100: clamped
@example([0, 10] * 2)  # one answer short of an interval
def test_nps_is_promoters_minus_detractors_with_its_interval(scores: list[int]) -> None:
    value, interval, promoters, passives, detractors = ref_nps(scores)
    estimate, *counts = nps(scores)
    check_estimate(estimate, value, interval, len(scores))
    assert counts == [promoters, passives, detractors]
    assert sum(counts) == len(scores)
    if estimate.ci_low is not None and estimate.ci_high is not None and value is not None:
        assert -100 <= estimate.ci_low <= value <= estimate.ci_high <= 100


def test_nps_interval_follows_the_textbook_numbers() -> None:
    # 6 promoters, 2 passives, 2 detractors of 10: NPS 40, half-width 196·√((0.8 - 0.16)/10).
    estimate, *_ = nps([10, 9, 9, 10, 9, 10, 7, 8, 3, 6])
    assert estimate.value == 40.0
    assert estimate.ci_low is not None and estimate.ci_high is not None
    assert math.isclose(estimate.ci_low, 40 - 100 * 1.96 * math.sqrt(0.064), rel_tol=1e-4)
    assert math.isclose(estimate.ci_high, 40 + 100 * 1.96 * math.sqrt(0.064), rel_tol=1e-4)


def test_nps_interval_stops_at_plus_and_minus_100() -> None:
    # 9 promoters and a passive: 90 ± 18.6, whose top is cut at 100; all promoters: [100, 100].
    nearly, *_ = nps([10] * 9 + [7])
    assert nearly.ci_high == 100.0 and nearly.ci_low is not None and 71 < nearly.ci_low < 72
    everyone, *_ = nps([10] * NPS_MIN_ANSWERS)
    assert (everyone.value, everyone.ci_low, everyone.ci_high) == (100.0, 100.0, 100.0)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
@example((0, 0))
@example((0, 1))
@example((1, 1))
@example((0, 30))  # a rate of 0
@example((30, 30))  # a rate of 1
def test_wilson_interval_matches_the_score_formula_and_scipy(case: tuple[int, int]) -> None:
    successes, n = case
    value, interval = ref_wilson(successes, n)
    check_estimate(wilson(successes, n), value, interval, n)
    if n:
        scipy_ci = scipy_stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
        agrees([wilson(successes, n).ci_low, wilson(successes, n).ci_high], [*scipy_ci], "scipy")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 5), max_size=60))
@example([])
@example([5])
@example([4, 5, 5, 4])  # every answer satisfied
@example([1, 2, 3])  # none satisfied
def test_csat_is_the_wilson_share_of_fours_and_fives(answers: list[int]) -> None:
    satisfied = sum(1 for a in answers if a in (4, 5))
    value, interval = ref_wilson(satisfied, len(answers))
    check_estimate(wilson(satisfied, len(answers)), value, interval, len(answers))


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(1, 7), max_size=60),
        st.lists(st.floats(-1000, 1000, allow_nan=False).map(lambda x: round(x, 3)), max_size=30),
    )
)
@example([])
@example([4])  # one answer: no interval
@example([3, 3, 3])  # no spread: an interval of width 0
@example([1, 7])
def test_mean_has_a_student_t_interval(values: list[float]) -> None:
    value, interval = ref_mean(values)
    check_estimate(mean(values), value, interval, len(values))


counts = st.integers(0, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=300, deadline=None)
@given(counts, counts)
@example((0, 0), (0, 0))
@example((3, 10), (0, 0))  # nobody in the holdout
@example((0, 0), (3, 10))  # nobody saw it
@example((0, 10), (0, 10))  # rates 0 and 0
@example((10, 10), (10, 10))  # rates 1 and 1
@example((10, 10), (0, 10))  # rates 1 and 0
@example((0, 40), (5, 40))  # a holdout rate over 0, exposed 0
@example((1, 1), (0, 1))
@example((60, 100), (45, 100))  # p ≈ 0.034
def test_lift_is_a_pooled_two_proportion_z_test_with_a_wald_interval(
    exposed: tuple[int, int], holdout: tuple[int, int]
) -> None:
    expected = ref_lift(*exposed, *holdout)
    got = lift(*exposed, *holdout)
    fields = ("exposed_rate", "holdout_rate", "absolute", "relative", "ci_low", "ci_high")
    agrees({name: getattr(got, name) for name in fields}, {k: expected[k] for k in fields})
    for number in (got.absolute, got.relative, got.ci_low, got.ci_high, got.p_value):
        assert number is None or math.isfinite(number)
    if expected["p_value"] is None:
        assert got.p_value is None and not got.significant
        assert got.verdict.startswith("not enough data")
        return
    assert got.p_value is not None
    assert math.isclose(got.p_value, expected["p_value"], rel_tol=1e-9, abs_tol=1e-12)
    # Cross-check the reference with SciPy's normal distribution.
    if expected["absolute"] and 0 < (exposed[0] + holdout[0]) < (exposed[1] + holdout[1]):
        pooled = (exposed[0] + holdout[0]) / (exposed[1] + holdout[1])
        se = math.sqrt(pooled * (1 - pooled) * (1 / exposed[1] + 1 / holdout[1]))
        scipy_p = 2 * float(scipy_stats.norm.sf(abs(expected["absolute"]) / se))
        assert math.isclose(expected["p_value"], scipy_p, rel_tol=1e-7, abs_tol=1e-12)
    if abs(expected["p_value"] - 0.05) > 1e-12:
        assert got.significant == expected["significant"]
    assert got.significant == (got.p_value < 0.05)
    assert ("not significant" in got.verdict) == (got.p_value >= 0.05)


# 2. End to end: the runners on a real DuckDB event store against brute force.

BASE = datetime(2026, 5, 20, tzinfo=UTC)
DATE_FROM = datetime(2026, 5, 25, tzinfo=UTC)  # a Monday
DATE_TO = datetime(2026, 6, 22, tzinfo=UTC)
SPAN_DAYS = 40
EDGES = [
    DATE_FROM,
    DATE_FROM - timedelta(seconds=1),
    DATE_TO,
    DATE_TO - timedelta(seconds=1),
    datetime(2026, 5, 31, 15, tzinfo=UTC),  # Monday 00:00 in Tokyo
    datetime(2026, 6, 8, 4, tzinfo=UTC),  # Monday 00:00 in New York
    datetime(2026, 6, 1, tzinfo=UTC),  # a new month
]
# Day and second drawn apart: Hypothesis favours small integers, which would crowd every
# moment into the range's first days.
moments = st.one_of(
    st.builds(
        lambda day, second: BASE + timedelta(days=day, seconds=second),
        st.integers(0, SPAN_DAYS - 1),
        st.integers(0, 86399),
    ),
    st.sampled_from(EDGES),
)
ZONES = st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York"])
HOLDOUT = "$holdout_assigned"


def in_range(moment: datetime) -> bool:
    return DATE_FROM <= moment < DATE_TO


def period_of(moment: datetime, interval: Interval, zone: str) -> datetime:
    """The local start (no zone) of the day, week (from Monday) or month holding a moment."""
    local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval is Interval.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if interval is Interval.MONTH else day


def periods(interval: Interval, zone: str) -> list[datetime]:
    """Every period overlapping the range, in order."""
    found: list[datetime] = []
    moment = DATE_FROM
    while moment < DATE_TO:
        start = period_of(moment, interval, zone)
        if start not in found:
            found.append(start)
        moment += timedelta(hours=1)
    return found


def catalog(*documents: dict[str, Any], vip: frozenset[int] = frozenset()) -> ContentCatalog:
    """The documents as an app's content, and a saved segment `vip` of the given people."""
    items = {}
    for data in documents:
        doc = parse_document(data)
        items[doc.key] = ContentItemInfo(doc.key, doc.kind, doc.name, doc)
    return ContentCatalog(
        items=items,
        segment_keys=frozenset({"vip"}),
        members=lambda keys: {key: set(vip) for key in keys},
    )


def plain_trend(trend: list[dict[str, Any]], zone: str) -> list[dict[str, Any]]:
    """A result's periods with their starts as local times without a zone."""
    for period in trend:
        assert period["start"].tzinfo == ZoneInfo(zone)
    return [{**period, "start": period["start"].replace(tzinfo=None)} for period in trend]


# Surveys.

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5)}
PULSE = {
    "kind": "survey",
    "key": "pulse",
    "name": "Pulse",
    "questions": [
        {"key": "nps", "type": "nps", "text": "How likely are you to recommend us?"},
        {"key": "csat", "type": "csat", "text": "How satisfied are you?"},
        {"key": "ces", "type": "ces", "text": "How easy was it?"},
        {"key": "rating", "type": "rating", "scale": 5, "text": "Rate the docs"},
    ],
}
# Answers some or all of the scales cannot read: out of range, words, fractions, booleans,
# null, lists.
ODD_ANSWERS = [-1, 0, 8, 11, "great", 4.5, True, None, [3]]


@dataclass(frozen=True)
class Said:
    person: int
    at: datetime
    survey: str
    question: str
    value: Any


@dataclass(frozen=True)
class SurveyWorld:
    answers: list[Said]
    shown: list[tuple[int, datetime, str, str]]  # person, when, event, survey

    def events(self) -> list[Ev]:
        said = [
            Ev(a.person, "$survey_answered", a.at, f"a{i:03d}",
               {"$content_id": a.survey, "$question": a.question, "$answer": a.value})
            for i, a in enumerate(self.answers)
        ]  # fmt: skip
        seen = [
            Ev(person, event, when, f"s{i:03d}", {"$content_id": survey})
            for i, (person, when, event, survey) in enumerate(self.shown)
        ]
        return said + seen


@st.composite
def survey_worlds(draw: st.DrawFn) -> SurveyWorld:
    """Up to 14 people answering the survey's questions several times (and another survey's),
    some answers unreadable, and some people shown or dismissing a survey."""
    said = []
    for person in range(1, draw(st.integers(0, 14)) + 1):
        for question in SCALES:
            said += [(person, "pulse", question)] * draw(st.integers(0, 3))
        others = draw(st.lists(st.sampled_from(list(SCALES)), max_size=2))
        said += [(person, "other", question) for question in others]
    shown = draw(
        st.lists(
            st.tuples(
                st.integers(1, 14),
                st.sampled_from(["$survey_shown", "$survey_shown", "$survey_dismissed"]),
                st.sampled_from(["pulse", "pulse", "other"]),
            ),
            max_size=20,
        )
    )
    # Distinct times: a person's latest answer is then never a tie.
    times = draw(st.lists(moments, min_size=len(said) + len(shown), unique=True))
    answers = []
    for (person, survey, question), when in zip(said, times, strict=False):
        low, high = SCALES[question]
        value = draw(st.one_of(*[st.integers(low, high)] * 5, st.sampled_from(ODD_ANSWERS)))
        answers.append(Said(person, when, survey, question, value))
    seen = [
        (person, when, event, survey)
        for (person, event, survey), when in zip(shown, times[len(said) :], strict=False)
    ]
    return SurveyWorld(answers, seen)


def latest(answers: Iterable[Said]) -> list[Said]:
    by_person: dict[int, Said] = {}
    for answer in answers:
        if answer.person not in by_person or answer.at > by_person[answer.person].at:
            by_person[answer.person] = answer
    return list(by_person.values())


def is_score(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def score(measure: str, value: float | None, interval: Interval95, n: int) -> dict[str, Any]:
    low, high = interval if interval is not None else (None, None)
    return {
        "measure": measure,
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "n": n,
        "note": interval is None,
    }


def responses(question: str, answers: list[Said]) -> dict[str, Any]:
    """What people's latest answers say about a scale question."""
    low, high = SCALES[question]
    valid = [a.value for a in answers if is_score(a.value, low, high)]
    n = len(valid)
    groups: dict[str, int | None] = dict.fromkeys(("promoters", "passives", "detractors"))
    if question == "nps":
        value, interval, *counted = ref_nps(valid)
        groups = dict(zip(groups, counted, strict=True))
        measured = score("nps", value, interval, n)
    elif question == "csat":
        measured = score("csat", *ref_wilson(sum(1 for v in valid if v >= 4), n), n)
    else:
        measured = score(question, *ref_mean(valid), n)
    distribution = [
        {"value": v, "count": valid.count(v), "share": valid.count(v) / n if n else 0.0}
        for v in range(low, high + 1)
    ]
    return {"responded": n, "score": measured, **groups, "distribution": distribution}


def survey_reference(
    world: SurveyWorld, question: str, interval: Interval, zone: str
) -> dict[str, Any]:
    mine = [a for a in world.answers if (a.survey, a.question) == ("pulse", question)]
    mine = [a for a in mine if in_range(a.at)]
    overall = responses(question, latest(mine))
    shown = {
        person
        for person, when, event, survey in world.shown
        if (event, survey) == ("$survey_shown", "pulse") and in_range(when)
    }
    trend = []
    for start in periods(interval, zone):
        in_period = [a for a in mine if period_of(a.at, interval, zone) == start]
        trend.append({"start": start, **responses(question, latest(in_period))})
    return {
        **overall,
        "shown": len(shown),
        # Of those shown in the range, the share who answered (never above 1).
        "response_rate": (
            responses(question, [a for a in latest(mine) if a.person in shown])["responded"]
            / len(shown)
            if shown
            else None
        ),
        "ignored": len(latest(mine)) - overall["responded"],
        "trend": trend,
    }


def survey_result(data: dict[str, Any], zone: str) -> dict[str, Any]:
    """The parts of a survey result the reference gives, with each note as whether there is
    one (its words are free)."""
    keys = ("responded", "score", "promoters", "passives", "detractors", "distribution")

    def plain(responses: dict[str, Any]) -> dict[str, Any]:
        assert responses["options"] == []
        out = {key: responses[key] for key in keys}
        out["score"] = {**responses["score"], "note": responses["score"]["note"] is not None}
        return out

    trend = [{"start": p["start"], **plain(p)} for p in plain_trend(data["trend"], zone)]
    return {
        **plain(data),
        **{key: data[key] for key in ("shown", "response_rate", "ignored")},
        "trend": trend,
    }


@examples(30)
@given(survey_worlds(), st.sampled_from([Interval.WEEK, Interval.MONTH]), ZONES)
def test_survey_scores_count_each_persons_latest_answer_in_the_range_and_period(
    shared_store: DuckDBEventStore, world: SurveyWorld, interval: Interval, zone: str
) -> None:
    load(shared_store, World(world.events()))
    content = catalog(PULSE)
    for question in SCALES:
        query = SurveyQuery(
            survey="pulse",
            question=question,
            date_from=DATE_FROM,
            date_to=DATE_TO,
            interval=interval,
            timezone=zone,
        )
        got = run_query(shared_store, APP, query, None, content).model_dump()
        agrees(
            survey_result(got, zone), survey_reference(world, question, interval, zone), question
        )


def test_a_later_answer_replaces_an_earlier_one_in_the_score(
    shared_store: DuckDBEventStore,
) -> None:
    day = timedelta(days=1)
    answers = [
        Said(1, DATE_FROM + day, "pulse", "nps", 0),
        Said(1, DATE_FROM + 2 * day, "pulse", "nps", 10),
    ]
    answers += [Said(p, DATE_FROM + day, "pulse", "nps", 9) for p in range(2, 6)]
    shown = [(p, DATE_FROM, "$survey_shown", "pulse") for p in range(1, 11)]
    load(shared_store, World(SurveyWorld(answers, shown).events()))
    query = SurveyQuery(survey="pulse", question="nps", date_from=DATE_FROM, date_to=DATE_TO)
    got = run_query(shared_store, APP, query, None, catalog(PULSE))
    assert (got.responded, got.promoters, got.detractors) == (5, 5, 0)
    assert got.score is not None and got.score.value == 100.0
    assert got.response_rate == 0.5


# Goals and engagement: a start, then the goal event within N days (the last second counts).

TOUR = {
    "kind": "walkthrough",
    "key": "tour",
    "name": "Tour",
    "steps": [{"kind": "popup", "title": "Welcome"}],
}
STARTS = [
    ("$guide_shown", "tour"),
    ("$guide_shown", "tour"),
    ("$guide_shown", "elsewhere"),
    ("$guide_completed", "tour"),
    ("$survey_shown", "pulse"),
    ("Signed Up", None),
]


def goal_times(draw: st.DrawFn, anchors: list[datetime], days: int) -> list[datetime]:
    """Goal events: anywhere, or just around a start, inside its window or at either end."""
    window = timedelta(days=days)
    offsets = st.one_of(
        st.sampled_from([-1, 0, 1, -86400]).map(lambda s: timedelta(seconds=s)),
        st.sampled_from([-1, 0, 1]).map(lambda s: window + timedelta(seconds=s)),
        st.integers(0, days * 86400).map(lambda s: timedelta(seconds=s)),
    )
    anchored = st.builds(lambda at, by: at + by, st.sampled_from(anchors), offsets)
    return draw(
        st.lists(st.one_of(anchored, anchored, moments) if anchors else moments, max_size=3)
    )


@dataclass(frozen=True)
class GoalWorld:
    events: list[Ev]
    days: int
    vip: frozenset[int]


@st.composite
def goal_worlds(draw: st.DrawFn) -> GoalWorld:
    days = draw(st.integers(1, 10))
    events: list[Ev] = []
    people = draw(st.integers(0, 12))
    for person in range(1, people + 1):
        starts = draw(st.lists(st.tuples(st.sampled_from(STARTS), moments), max_size=3))
        for (event, key), when in starts:
            props = {"$content_id": key} if key else {}
            events.append(Ev(person, event, when, f"m{len(events):03d}", props))
        for when in goal_times(draw, [when for _, when in starts], days):
            events.append(Ev(person, "Paid", when, f"m{len(events):03d}"))
    vip = draw(st.frozensets(st.integers(1, people + 1))) if people else frozenset()
    return GoalWorld(events, days, vip)


def first_reached(events: list[Ev], person: int, start: datetime, days: int) -> datetime | None:
    """When the person first did the goal event in the days from `start`, both ends included."""
    reached = [
        ev.at
        for ev in events
        if ev.person == person and ev.event == "Paid"
        and start <= ev.at <= start + timedelta(days=days)
    ]  # fmt: skip
    return min(reached, default=None)


def starts_goal(ev: Ev, begins: tuple[str, str], vip: frozenset[int]) -> bool:
    """Whether an event (in the range) starts its person's clock: seeing the item, the start
    event, or any event of a segment member."""
    how, what = begins
    if how == "item":
        shown = "$survey_shown" if what == "pulse" else "$guide_shown"
        return ev.event == shown and ev.properties.get("$content_id") == what
    if how == "event":
        return ev.event == what
    return ev.person in vip


def goal_reference(
    world: GoalWorld, begins: tuple[str, str], interval: Interval, zone: str
) -> dict[str, Any]:
    starts: dict[int, datetime] = {}
    for ev in world.events:
        if in_range(ev.at) and starts_goal(ev, begins, world.vip):
            starts[ev.person] = min(ev.at, starts.get(ev.person, ev.at))
    reached = {p: first_reached(world.events, p, s, world.days) for p, s in starts.items()}
    seconds = [(r - starts[p]).total_seconds() for p, r in reached.items() if r is not None]
    rate, interval95 = ref_wilson(len(seconds), len(starts))
    low, high = interval95 or (None, None)
    trend = []
    for cohort in periods(interval, zone):
        people = [p for p, s in starts.items() if period_of(s, interval, zone) == cohort]
        hit = sum(1 for p in people if reached[p] is not None)
        rate_of = hit / len(people) if people else None
        trend.append({"start": cohort, "started": len(people), "reached": hit, "rate": rate_of})
    return {
        "started": len(starts),
        "reached": len(seconds),
        "rate": rate,
        "ci_low": low,
        "ci_high": high,
        "median_seconds": float(statistics.median(seconds)) if seconds else None,
        "trend": trend,
    }


@examples(40)
@given(
    goal_worlds(),
    st.sampled_from(
        [("item", "tour"), ("item", "pulse"), ("event", "Signed Up"), ("segment", "vip")]
    ),
    st.sampled_from([Interval.DAY, Interval.WEEK, Interval.MONTH]),
    ZONES,
)
def test_goal_counts_starts_in_the_range_reaching_the_goal_within_n_days(
    shared_store: DuckDBEventStore,
    world: GoalWorld,
    begins: tuple[str, str],
    interval: Interval,
    zone: str,
) -> None:
    load(shared_store, World(world.events))
    query = GoalQuery(
        start={begins[0]: begins[1]},
        goal={"event": "Paid"},
        within_days=world.days,
        date_from=DATE_FROM,
        date_to=DATE_TO,
        interval=interval,
        timezone=zone,
    )
    content = catalog(TOUR, PULSE, vip=world.vip)
    got = run_query(shared_store, APP, query, None, content).model_dump()
    got.pop("kind")
    got["trend"] = plain_trend(got["trend"], zone)
    agrees(got, goal_reference(world, begins, interval, zone))


def test_a_goal_on_the_last_second_of_the_window_counts_and_the_next_does_not(
    shared_store: DuckDBEventStore,
) -> None:
    seen = DATE_FROM + timedelta(hours=10)
    window = timedelta(days=3)
    events = [
        Ev(1, "$guide_shown", seen, "a", {"$content_id": "tour"}),
        Ev(1, "Paid", seen + window, "b"),
        Ev(2, "$guide_shown", seen, "c", {"$content_id": "tour"}),
        Ev(2, "Paid", seen + window + timedelta(seconds=1), "d"),
        Ev(3, "$guide_shown", seen, "e", {"$content_id": "tour"}),
        Ev(3, "Paid", seen - timedelta(seconds=1), "f"),
    ]
    load(shared_store, World(events))
    query = GoalQuery(
        start={"item": "tour"}, goal={"event": "Paid"}, within_days=3,
        date_from=DATE_FROM, date_to=DATE_TO,
    )  # fmt: skip
    got = run_query(shared_store, APP, query, None, catalog(TOUR))
    assert (got.started, got.reached, got.median_seconds) == (3, 1, window.total_seconds())


@dataclass(frozen=True)
class LiftWorld:
    events: list[Ev]
    item: dict[str, Any]


@st.composite
def lift_worlds(draw: st.DrawFn) -> LiftWorld:
    """An item with a goal and a holdout; up to 25 people in each arm (each person in one: the
    holdout draw is stable), of whom a chosen number do the goal inside their window, the rest
    maybe around it; and a few people who saw only another item."""
    days = draw(st.integers(1, 10))
    item = {**draw(st.sampled_from([TOUR, PULSE])), "holdout": 10}
    item["goal"] = {"event": "Paid", "within_days": days}
    shown = "$survey_shown" if item["kind"] == "survey" else "$guide_shown"
    inside = st.integers(0, days * 86400).map(lambda s: timedelta(seconds=s))
    events: list[Ev] = []

    def add(person: int, event: str, when: datetime, key: str | None = None) -> None:
        props = {"$content_id": key} if key else {}
        events.append(Ev(person, event, when, f"m{len(events):04d}", props))

    person = 0
    for arm in (shown, HOLDOUT, None):
        size = draw(st.integers(0, 25 if arm else 3))
        reaching = draw(st.integers(0, size))
        for index in range(size):
            person += 1
            starts = draw(st.lists(moments, min_size=1, max_size=2))
            for when in starts:
                add(person, arm or "$guide_shown", when, item["key"] if arm else "elsewhere")
            if index < reaching:
                add(person, "Paid", min(starts) + draw(inside))
            for when in goal_times(draw, starts, days):
                add(person, "Paid", when)
    return LiftWorld(events, item)


def lift_reference(world: LiftWorld) -> dict[str, Any]:
    key, days = world.item["key"], world.item["goal"]["within_days"]
    shown = "$survey_shown" if world.item["kind"] == "survey" else "$guide_shown"
    starts: dict[int, tuple[datetime, bool]] = {}
    for ev in world.events:
        begins = ev.properties.get("$content_id") == key and ev.event in (shown, HOLDOUT)
        if begins and in_range(ev.at) and ev.at < starts.get(ev.person, (DATE_TO, False))[0]:
            starts[ev.person] = (ev.at, ev.event == HOLDOUT)
    arms: dict[bool, list[bool]] = {False: [], True: []}
    for person, (start, in_holdout) in starts.items():
        arms[in_holdout].append(first_reached(world.events, person, start, days) is not None)
    exposed, holdout = arms[False], arms[True]
    expected = ref_lift(sum(exposed), len(exposed), sum(holdout), len(holdout))
    seen = [
        ev
        for ev in world.events
        if ev.event == shown and ev.properties.get("$content_id") == key and in_range(ev.at)
    ]
    return {
        "shown": len(seen),
        "people": len({ev.person for ev in seen}),
        "exposed_people": len(exposed),
        "exposed_reached": sum(exposed),
        "holdout_people": len(holdout),
        "holdout_reached": sum(holdout),
        "exposed_rate": expected["exposed_rate"],
        "holdout_rate": expected["holdout_rate"],
        "lift_absolute": expected["absolute"],
        "lift_relative": expected["relative"],
        "ci_low": expected["ci_low"],
        "ci_high": expected["ci_high"],
        "p_value": expected["p_value"],
    }


@examples(30)
@given(lift_worlds())
def test_engagement_lift_compares_those_who_saw_the_item_with_its_holdout(
    shared_store: DuckDBEventStore, world: LiftWorld
) -> None:
    load(shared_store, World(world.events))
    query = EngagementQuery(items=[world.item["key"]], date_from=DATE_FROM, date_to=DATE_TO)
    result = run_query(shared_store, APP, query, None, catalog(world.item))
    item = result.model_dump()["items"][0]
    goal = item["goal"]
    expected = lift_reference(world)
    got = {"shown": item["shown"], "people": item["people"]}
    got |= {name: goal[name] for name in expected if name in goal}
    agrees(got, expected)
    if goal["p_value"] is None:
        assert not goal["significant"] and goal["verdict"].startswith("not enough data")
    else:
        assert goal["significant"] == (goal["p_value"] < 0.05)
        assert ("not significant" in goal["verdict"]) == (goal["p_value"] >= 0.05)


@examples(20)
@given(lift_worlds(), lift_worlds(), st.booleans())
def test_engagement_counts_each_items_lift_with_its_own_goal_and_window(
    shared_store: DuckDBEventStore, first: LiftWorld, second: LiftWorld, same_people: bool
) -> None:
    """Every item's lift comes from one statement: each must still be the item's own, with its
    own window, also for people who saw both items."""
    key = f"{second.item['key']}-2"
    other = {**second.item, "key": key}
    offset = 0 if same_people else 1000
    moved = [
        replace(
            ev,
            person=ev.person + offset,
            message_id=f"b{ev.message_id}",
            properties={"$content_id": key}
            if ev.properties.get("$content_id") == second.item["key"]
            else ev.properties,
        )
        for ev in second.events
    ]
    events = first.events + moved
    load(shared_store, World(events))
    query = EngagementQuery(date_from=DATE_FROM, date_to=DATE_TO)
    result = run_query(shared_store, APP, query, None, catalog(first.item, other))
    items = {item["key"]: item for item in result.model_dump()["items"]}
    for item in (first.item, other):
        if item["key"] not in items:  # no guidance event of it in the range
            continue
        expected = lift_reference(LiftWorld(events, item))
        goal = items[item["key"]]["goal"]
        got = {"shown": items[item["key"]]["shown"], "people": items[item["key"]]["people"]}
        agrees(got | {name: goal[name] for name in expected if name in goal}, expected)
