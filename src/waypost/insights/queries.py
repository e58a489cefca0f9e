"""Insight queries as typed values: what the API, the CLI and the compilers share.

A query names its insight with `kind`. Models reject unknown fields, so a typo in a saved query
is an error naming the field, not a silently different answer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from waypost.errors import InvalidInput

# Property names become JSON paths; anything outside this set is refused rather than escaped.
PROPERTY_NAME = re.compile(r"^[\w$][\w$ .:/@-]{0,199}$")
FOURTEEN_DAYS = 14 * 24 * 3600


class Strict(BaseModel):
    """Refuses unknown fields and is immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldError(ValueError):
    """A problem a check over several fields finds in one of them: `path` leads to that field
    from the model checked, so the refusal can name it (`exclusions.0.to_step`)."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


class Source(StrEnum):
    """Where a property is read: the event's properties, its person's or its account's traits."""

    EVENT = "event"
    PERSON = "person"
    ACCOUNT = "account"


class Op(StrEnum):
    """How a property is compared with a filter's value."""

    EQ = "eq"
    NEQ = "neq"
    IN = "in"
    CONTAINS = "contains"
    REGEX = "regex"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IS_SET = "is_set"
    IS_NOT_SET = "is_not_set"


Scalar = str | int | float | bool


def _property_name(name: str) -> str:
    if not PROPERTY_NAME.match(name):
        raise ValueError(
            "must start with a letter, digit, _ or $ and hold only letters, digits, spaces "
            "and _ $ . : / @ - (up to 200 characters)"
        )
    return name


# A JSON schema fragment, as models' json_schema_extra take them.
JsonDict = dict[str, JsonValue]


def _when_op(ops: list[JsonValue], value: JsonDict) -> JsonDict:
    """A schema clause: when `op` is one of `ops`, the value must be as `value` says."""
    return {
        "if": {"properties": {"op": {"enum": ops}}, "required": ["op"]},
        "then": {"required": ["value"], "properties": {"value": value}},
    }


_SINGLE: JsonDict = {"type": ["string", "number", "boolean"]}
# What `_value_fits_op` checks, said in the schema too, so that what the document allows the
# server accepts (an omitted op is eq).
_FILTER_SCHEMA: JsonDict = {
    "allOf": [
        {
            "if": {"properties": {"op": {"enum": ["is_set", "is_not_set"]}}, "required": ["op"]},
            "then": {"properties": {"value": {"type": "null"}}},
        },
        _when_op(["in"], {"type": "array", "minItems": 1}),
        _when_op(["gt", "gte", "lt", "lte"], {"type": "number"}),
        _when_op(["contains", "regex"], {"type": "string"}),
        _when_op(["eq", "neq"], _SINGLE),
        {
            "if": {"not": {"required": ["op"]}},
            "then": {"required": ["value"], "properties": {"value": _SINGLE}},
        },
    ]
}


class Filter(Strict):
    """One condition on a property; a query's filters must all hold."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_FILTER_SCHEMA)

    source: Source = Source.EVENT
    # The pattern is checked by `_name`, with its own message; the schema states it too.
    property: str = Field(json_schema_extra={"pattern": PROPERTY_NAME.pattern})
    op: Op = Op.EQ
    value: Scalar | list[Scalar] | None = None

    @field_validator("property")
    @classmethod
    def _name(cls, name: str) -> str:
        return _property_name(name)

    @model_validator(mode="after")
    def _value_fits_op(self) -> Filter:
        if self.op in (Op.IS_SET, Op.IS_NOT_SET):
            if self.value is not None:
                raise ValueError(f"{self.op.value} takes no value")
        elif self.op is Op.IN:
            if not isinstance(self.value, list) or not self.value:
                raise ValueError("in needs a non-empty list as value")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"{self.op.value} needs a single value")
        elif self.op in (Op.GT, Op.GTE, Op.LT, Op.LTE) and (
            isinstance(self.value, bool) or not isinstance(self.value, int | float)
        ):
            raise ValueError(f"{self.op.value} compares numbers; value must be a number")
        elif self.op in (Op.CONTAINS, Op.REGEX) and not isinstance(self.value, str):
            raise ValueError(f"{self.op.value} needs a string value")
        if self.op is Op.REGEX:
            try:
                re.compile(str(self.value))
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return self


Where = Annotated[list[Filter], Field(default_factory=list, max_length=50)]


class EventMatch(Strict):
    """Which events count: an event name or an action's name (neither: any event), and
    conditions on them."""

    event: str | None = None
    action: str | None = Field(None, description="The name of an action of the app.")
    where: Where

    @model_validator(mode="after")
    def _event_or_action(self) -> EventMatch:
        if self.event is not None and self.action is not None:
            raise ValueError("give an event or an action, not both")
        return self


class Step(EventMatch):
    """A funnel step (or a start, value or milestone event)."""


def naive_utc(moment: datetime) -> datetime:
    """A moment as the event store holds it: UTC without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class Common(Strict):
    """Fields every insight takes."""

    date_from: datetime | None = Field(None, description="Events before this are ignored.")
    date_to: datetime | None = Field(None, description="Events at or after this are ignored.")
    where: Where
    filter_test_accounts: bool = Field(
        False, description="Leave out persons whose trait is_test_account is true."
    )

    @field_validator("date_from", "date_to")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Common:
        if self.date_from and self.date_to and self.date_from >= self.date_to:
            raise ValueError("date_from must be before date_to")
        return self


class FunnelOrder(StrEnum):
    ORDERED = "ordered"
    STRICT = "strict"
    UNORDERED = "unordered"


class AggregateBy(StrEnum):
    PERSON = "person"
    ACCOUNT = "account"
    SESSION = "session"


class Exclusion(EventMatch):
    """An event that voids an attempt when it happens between two steps."""

    from_step: int = Field(ge=0)
    to_step: int = Field(ge=1)

    @model_validator(mode="after")
    def _span(self) -> Exclusion:
        if self.to_step <= self.from_step:
            raise FieldError(("to_step",), "to_step must come after from_step")
        return self


class Attribution(StrEnum):
    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    ALL_EVENTS = "all_events"
    STEP = "step"


class Breakdown(Strict):
    """Split the result by a property's value."""

    source: Source = Source.EVENT
    property: str
    attribution: Attribution = Attribution.FIRST_TOUCH
    step: int | None = Field(None, ge=0, description="For attribution 'step': which step's value.")
    limit: int = Field(10, ge=1, le=100, description="Values beyond the largest ones go to Other.")

    @field_validator("property")
    @classmethod
    def _name(cls, name: str) -> str:
        return _property_name(name)

    @model_validator(mode="after")
    def _step_given(self) -> Breakdown:
        if (self.attribution is Attribution.STEP) != (self.step is not None):
            raise FieldError(("step",), "give step exactly when attribution is 'step'")
        return self


class Funnel(Common):
    """Steps a unit goes through and how they are matched: what funnel and drop-off queries
    share."""

    steps: list[Step] = Field(min_length=2, max_length=20)
    window_seconds: int = Field(FOURTEEN_DAYS, ge=1, le=366 * 24 * 3600)
    order: FunnelOrder = FunnelOrder.ORDERED
    exclusions: list[Exclusion] = Field(default_factory=list, max_length=10)
    aggregate_by: AggregateBy = AggregateBy.PERSON

    @model_validator(mode="after")
    def _exclusions_fit(self) -> Funnel:
        last = len(self.steps) - 1
        for index, exclusion in enumerate(self.exclusions):
            if exclusion.to_step > last:
                raise FieldError(
                    ("exclusions", index, "to_step"), f"there is no step {exclusion.to_step}"
                )
            # An unordered attempt's steps have no order to exclude between: only its first
            # event and the one that completed it.
            if self.order is FunnelOrder.UNORDERED and exclusion.from_step != 0:
                raise FieldError(
                    ("exclusions", index, "from_step"),
                    "an unordered funnel excludes over the whole attempt: from_step must be 0",
                )
            if self.order is FunnelOrder.UNORDERED and exclusion.to_step != last:
                raise FieldError(
                    ("exclusions", index, "to_step"),
                    f"an unordered funnel excludes over the whole attempt: to_step must be {last}",
                )
        return self


class FunnelQuery(Funnel):
    """Who got how far through a sequence of steps."""

    kind: Literal["funnel"] = "funnel"
    breakdown: Breakdown | None = None
    histogram_steps: tuple[int, int] | None = Field(
        None, description="Two steps (0-based) for the time-to-convert histogram; default: all."
    )
    histogram_bins: int = Field(10, ge=1, le=100)

    @model_validator(mode="after")
    def _steps_exist(self) -> FunnelQuery:
        last = len(self.steps) - 1
        if self.breakdown and self.breakdown.step is not None and self.breakdown.step > last:
            raise FieldError(("breakdown", "step"), f"there is no step {self.breakdown.step}")
        if (
            self.breakdown
            and self.breakdown.source is not Source.EVENT
            and self.breakdown.attribution is not Attribution.FIRST_TOUCH
        ):
            raise FieldError(
                ("breakdown", "attribution"),
                "person and account breakdowns take their current value",
            )
        if (
            self.order is FunnelOrder.UNORDERED
            and self.breakdown
            and self.breakdown.attribution in (Attribution.LAST_TOUCH, Attribution.STEP)
        ):
            raise FieldError(
                ("breakdown", "attribution"),
                "unordered funnels break down by first_touch or all_events",
            )
        if self.histogram_steps is not None:
            start, end = self.histogram_steps
            if not 0 <= start < end <= last:
                raise FieldError(
                    ("histogram_steps",), "histogram_steps must be two steps in order, e.g. [0, 2]"
                )
        return self


class Interval(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"  # weeks start on Monday
    MONTH = "month"


INTERVAL_SECONDS = {Interval.HOUR: 3600, Interval.DAY: 86400, Interval.WEEK: 604800}
MAX_BUCKETS = 2000


class Math(StrEnum):
    """What a trend counts per interval."""

    TOTAL = "total"  # events
    PERSONS = "persons"  # distinct persons
    ACCOUNTS = "accounts"  # distinct accounts


class Series(EventMatch):
    """One line of a trend: which events, and what to count of them."""

    math: Math = Math.TOTAL
    label: str | None = Field(None, max_length=200)


class TrendBreakdown(Strict):
    """Split each series by a property's value; the largest values, the rest as Other."""

    source: Source = Source.EVENT
    property: str
    limit: int = Field(10, ge=1, le=100)

    @field_validator("property")
    @classmethod
    def _name(cls, name: str) -> str:
        return _property_name(name)


class Calendar(Common):
    """An insight over a required range, counted in intervals of a time zone."""

    date_from: datetime
    date_to: datetime
    timezone: str = Field("UTC", description="IANA zone the intervals follow, e.g. Asia/Tokyo.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not an IANA time zone (e.g. Asia/Tokyo)") from None
        return name

    def _at_most(self, interval: Interval, most: int, what: str, longer: str) -> None:
        per_interval = INTERVAL_SECONDS.get(interval, 28 * 86400)
        if (self.date_to - self.date_from).total_seconds() / per_interval > most:
            raise ValueError(
                f"more than {most} {what}; choose a longer {longer} or a shorter range"
            )


def _follows_persons_or_accounts(by: AggregateBy, insight: str) -> None:
    if by is AggregateBy.SESSION:
        raise ValueError(f"{insight} follows persons or accounts, not sessions")


class TrendsQuery(Calendar):
    """How many events, persons or accounts per hour, day, week or month."""

    kind: Literal["trends"] = "trends"
    series: list[Series] = Field(min_length=1, max_length=10)
    interval: Interval = Interval.DAY
    breakdown: TrendBreakdown | None = None

    @model_validator(mode="after")
    def _not_too_many_buckets(self) -> TrendsQuery:
        self._at_most(self.interval, MAX_BUCKETS, f"{self.interval.value} intervals", "interval")
        return self


class CohortType(StrEnum):
    RECURRING = "recurring"  # in every period they did the start event
    FIRST_TIME = "first_time"  # only in the period of their first start event ever


class RetentionQuery(Calendar):
    """Of those who did the start event in a period, how many came back in each later one."""

    kind: Literal["retention"] = "retention"
    start: Step = Field(description="The event that puts a unit in a period's cohort.")
    returning: Step = Field(description="The event that counts as coming back.")
    cohort_type: CohortType = CohortType.RECURRING
    interval: Interval = Interval.WEEK
    aggregate_by: AggregateBy = AggregateBy.PERSON

    @model_validator(mode="after")
    def _periods(self) -> RetentionQuery:
        if self.interval is Interval.HOUR:
            raise ValueError("retention is by day, week or month")
        _follows_persons_or_accounts(self.aggregate_by, "retention")
        self._at_most(self.interval, 400, "periods", "interval")
        return self


class TimeToValueQuery(Calendar):
    """How long from a start event (sign-up) to a value event, and who got there within N days."""

    kind: Literal["time_to_value"] = "time_to_value"
    start: Step
    value: Step
    window_days: int = Field(90, ge=1, le=366, description="Later value events do not count.")
    within_days: list[int] = Field(default_factory=lambda: [1, 7, 30], min_length=1, max_length=10)
    cohort_interval: Interval = Interval.WEEK
    aggregate_by: AggregateBy = AggregateBy.PERSON
    breakdown: TrendBreakdown | None = None

    @field_validator("within_days")
    @classmethod
    def _days(cls, days: list[int]) -> list[int]:
        if any(day < 1 or day > 366 for day in days):
            raise ValueError("each must be between 1 and 366 days")
        return sorted(set(days))

    @model_validator(mode="after")
    def _cohorts(self) -> TimeToValueQuery:
        _follows_persons_or_accounts(self.aggregate_by, "time to value")
        self._at_most(self.cohort_interval, 400, "cohorts", "cohort_interval")
        return self


class OnboardingQuery(Calendar):
    """Of the units that became new in the range, how many reached each milestone, and all of
    them, within N days."""

    kind: Literal["onboarding"] = "onboarding"
    new: Step = Field(description="The event that makes a unit new (its first in the range).")
    milestones: list[Step] = Field(min_length=1, max_length=20)
    within_days: int = Field(14, ge=1, le=366)
    cohort_interval: Interval = Interval.WEEK
    aggregate_by: AggregateBy = AggregateBy.PERSON

    @model_validator(mode="after")
    def _cohorts(self) -> OnboardingQuery:
        _follows_persons_or_accounts(self.aggregate_by, "onboarding")
        self._at_most(self.cohort_interval, 400, "cohorts", "cohort_interval")
        return self


class PathsQuery(Common):
    """The most common sequences of events after a start event, or before an end event, within
    a session (a person's events with no pause longer than `session_gap_seconds`)."""

    kind: Literal["paths"] = "paths"
    start_event: str | None = Field(
        None,
        description="Paths begin at its first occurrence: an event name, or a page path "
        "(e.g. /pricing) for views of that page.",
    )
    end_event: str | None = Field(
        None,
        description="Paths end at its first occurrence: an event name, or a page path.",
    )
    length: int = Field(5, ge=2, le=20, description="Events per path, the start or end included.")
    limit: int = Field(20, ge=1, le=500)
    session_gap_seconds: int = Field(1800, ge=60, le=86400)
    collapse_repeats: bool = Field(True, description="Count a run of one event as one step.")
    exclude_events: list[str] = Field(
        default_factory=lambda: ["$identify", "$group", "$alias"], max_length=100
    )

    @model_validator(mode="after")
    def _one_anchor(self) -> PathsQuery:
        if (self.start_event is None) == (self.end_event is None):
            raise ValueError("give exactly one of start_event and end_event")
        return self


class Period(Strict):
    """A stretch of time: from `date_from` up to (not including) `date_to`."""

    date_from: datetime
    date_to: datetime

    @field_validator("date_from", "date_to")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @model_validator(mode="after")
    def _in_order(self) -> Period:
        if self.date_from >= self.date_to:
            raise ValueError("date_from must be before date_to")
        return self


# What a comparison can compare, read by its `kind`.
Comparable = Annotated[FunnelQuery | TimeToValueQuery, Field(discriminator="kind")]


class ComparisonQuery(Strict):
    """One funnel or time-to-value query over two periods (say, before and after a walkthrough
    launched), with the difference of each measure and whether it is significant."""

    kind: Literal["comparison"] = "comparison"
    insight: dict[str, Any] = Field(
        description="A funnel or time_to_value query, without date_from and date_to."
    )
    before: Period
    after: Period

    @model_validator(mode="after")
    def _comparable(self) -> ComparisonQuery:
        if self.insight.get("kind") not in _COMPARABLE_KINDS:
            raise FieldError(("insight", "kind"), f"must be {' or '.join(_COMPARABLE_KINDS)}")
        if {"date_from", "date_to"} & set(self.insight):
            raise FieldError(("insight",), "leave out date_from and date_to; the periods set them")
        for period in (self.before, self.after):
            try:
                self.in_period(period)
            except InvalidInput as exc:
                path = ("insight", *(exc.field.split(".") if exc.field else ()))
                raise FieldError(path, exc.message) from None
        return self

    def in_period(self, period: Period) -> FunnelQuery | TimeToValueQuery:
        """The insight over one period."""
        return _validated(
            _COMPARABLE,
            {**self.insight, "date_from": period.date_from, "date_to": period.date_to},
        )


class DropOffQuery(Funnel):
    """Who reached a funnel step but not the next, and what they did instead."""

    kind: Literal["dropoff"] = "dropoff"
    step: int = Field(ge=0, description="Units that reached this step (0-based) but not the next.")
    limit: int = Field(100, ge=1, le=10_000, description="How many units to list.")
    offset: int = Field(0, ge=0)
    top: int = Field(10, ge=1, le=100, description="How many events to show in each ranking.")
    min_support: int = Field(5, ge=1, description="Fewest drop-offs an event needs to be ranked.")
    format: Literal["json", "csv"] = Field(
        "json", description="csv: every drop-off (limit and offset ignored), as a CSV file."
    )

    @model_validator(mode="after")
    def _step_has_a_next(self) -> DropOffQuery:
        if self.step >= len(self.steps) - 1:
            raise FieldError(("step",), "step must have a next step to drop off before")
        return self


ContentKey = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")]


class SurveyBreakdown(Strict):
    """Split survey results by a person's or account's trait (say, plan), or by saved segments
    (a person counts in every segment they are in now)."""

    source: Source = Source.ACCOUNT
    property: str | None = None
    segments: list[ContentKey] | None = Field(None, min_length=1, max_length=20)
    limit: int = Field(10, ge=1, le=100, description="Values beyond the largest ones go to Other.")

    @field_validator("property")
    @classmethod
    def _name(cls, name: str | None) -> str | None:
        return None if name is None else _property_name(name)

    @model_validator(mode="after")
    def _one_of(self) -> SurveyBreakdown:
        if (self.property is None) == (self.segments is None):
            raise ValueError("give property or segments (one of them)")
        return self


class SurveyQuery(Calendar):
    """One survey question's results: responses, response rate, the score with its interval,
    the trend, a breakdown and the answers in words."""

    kind: Literal["survey"] = "survey"
    survey: ContentKey = Field(description="The survey's content key.")
    question: str | None = Field(
        None, max_length=100, description="The question's key; default: the survey's first."
    )
    interval: Interval = Field(Interval.WEEK, description="The trend's periods: week or month.")
    breakdown: SurveyBreakdown | None = None
    search: str | None = Field(
        None, max_length=200, description="Only text answers holding this (any language)."
    )
    answers_limit: int = Field(100, ge=0, le=10_000)
    answers_offset: int = Field(0, ge=0)
    format: Literal["json", "csv", "xlsx"] = Field(
        "json", description="csv or xlsx: every answer to every question of the survey, as a file."
    )

    @model_validator(mode="after")
    def _periods(self) -> SurveyQuery:
        if self.interval not in (Interval.WEEK, Interval.MONTH):
            raise FieldError(("interval",), "a survey's trend is by week or month")
        self._at_most(self.interval, 400, "periods", "interval")
        return self


class EngagementQuery(Common):
    """Per content item: shows, people, completion, step drop-off, clicks, dismissals, missing
    targets, and its goal for those who saw it against its holdout."""

    kind: Literal["engagement"] = "engagement"
    items: list[ContentKey] | None = Field(
        None, max_length=500, description="Content keys; default: every item with activity."
    )
    format: Literal["json", "csv"] = Field("json", description="csv: one row per item.")


class GoalStart(Strict):
    """When a unit's clock starts: seeing a content item, an event (sign-up), or being in a
    saved segment (from the unit's first event in the range; entries are not recorded)."""

    item: ContentKey | None = None
    event: str | None = None
    action: str | None = None
    where: Where
    segment: ContentKey | None = None

    @model_validator(mode="after")
    def _one_of(self) -> GoalStart:
        given = [self.item, self.event, self.action, self.segment]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give one of item, event, action or segment")
        if self.where and (self.item is not None or self.segment is not None):
            raise FieldError(("where",), "where filters the start event; not with item or segment")
        return self


class GoalQuery(Calendar):
    """Of the units whose clock started in the range, how many reached the goal event within
    N days of the start, how soon, and by cohort."""

    kind: Literal["goal"] = "goal"
    start: GoalStart
    goal: Step = Field(description="The event or action that counts as reaching the goal.")
    within_days: int = Field(7, ge=1, le=366)
    interval: Interval = Field(Interval.WEEK, description="The trend's cohorts.")

    @model_validator(mode="after")
    def _cohorts(self) -> GoalQuery:
        if self.goal.event is None and self.goal.action is None:
            raise FieldError(("goal",), "give the goal's event or action")
        self._at_most(self.interval, 400, "cohorts", "interval")
        return self


Rate = Annotated[float, Field(ge=0, le=1)]
Amount = Annotated[float, Field(ge=0)]


class ImpactProductivityQuery(Common):
    """Time and money saved by an item's completions: completions x minutes saved per
    completion / 60 x hourly rate x the share of the saving put down to the guidance."""

    kind: Literal["impact_productivity"] = "impact_productivity"
    item: ContentKey | None = Field(None, description="Measure completions of this item.")
    completions: int | None = Field(None, ge=0, description="Given instead of measured.")
    minutes_saved_per_completion: Amount
    hourly_rate: Amount
    attribution: Rate = Field(0.10, description="The share put down to the guidance.")

    @model_validator(mode="after")
    def _completions(self) -> ImpactProductivityQuery:
        if self.item is None and self.completions is None:
            raise FieldError(("completions",), "give completions, or an item to measure them")
        return self


class Process(Strict):
    """A process timed from its start event to its end event (within a window)."""

    start: Step
    end: Step
    window_days: int = Field(30, ge=1, le=366)


class ImpactTimeSavedQuery(Common):
    """Hours and money saved because a process got quicker after guidance launched: (median
    time before - after) x completions x hourly rate."""

    kind: Literal["impact_time_saved"] = "impact_time_saved"
    item: ContentKey | None = Field(
        None, description="The guidance; it launched when it was first shown."
    )
    launched_at: datetime | None = None
    process: Process | None = None
    seconds_before: Amount | None = None
    seconds_after: Amount | None = None
    completions: int | None = Field(None, ge=0)
    hourly_rate: Amount

    @field_validator("launched_at")
    @classmethod
    def _launch_in_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)

    @model_validator(mode="after")
    def _measurable(self) -> ImpactTimeSavedQuery:
        times_given = self.seconds_before is not None and self.seconds_after is not None
        if self.process is None:
            for name in ("seconds_before", "seconds_after", "completions"):
                if getattr(self, name) is None:
                    raise FieldError((name,), f"give {name}, or a process to measure it")
        elif self.item is None and self.launched_at is None and not times_given:
            raise FieldError(
                ("launched_at",), "give launched_at or an item, to split before from after"
            )
        return self


class RenewalOutcome(Strict):
    """Where an account's renewal outcome is kept: an account trait and its values."""

    trait: str
    renewed: list[Scalar] = Field(min_length=1, max_length=20)
    churned: list[Scalar] = Field(min_length=1, max_length=20)

    @field_validator("trait")
    @classmethod
    def _name(cls, name: str) -> str:
        return _property_name(name)


class RenewalMeasure(Strict):
    """How Waypost measures the renewal inputs itself: accounts' onboarding (every milestone
    within N days of becoming new), their renewal outcomes, and when the guidance launched."""

    new: Step = Field(description="The event that makes an account new (sign-up).")
    milestones: list[Step] = Field(min_length=1, max_length=20)
    within_days: int = Field(30, ge=1, le=366)
    outcome: RenewalOutcome
    launched_at: datetime | None = None
    item: ContentKey | None = Field(None, description="Launched when first shown.")
    contract_value_trait: str | None = Field(
        None, description="An account trait holding its annual contract value."
    )

    @field_validator("launched_at")
    @classmethod
    def _launch_in_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)

    @field_validator("contract_value_trait")
    @classmethod
    def _trait(cls, name: str | None) -> str | None:
        return None if name is None else _property_name(name)


class ImpactRenewalQuery(Common):
    """Renewals and revenue kept by raising onboarding completion: each input given, or
    measured from accounts' onboarding and renewal outcomes."""

    kind: Literal["impact_renewal"] = "impact_renewal"
    new_customers: int | None = Field(None, ge=0)
    completion_before: Rate | None = None
    completion_after: Rate | None = None
    renewal_rate_completed: Rate | None = None
    renewal_rate_not_completed: Rate | None = None
    annual_contract_value: Amount | None = None
    measure: RenewalMeasure | None = None

    @model_validator(mode="after")
    def _inputs(self) -> ImpactRenewalQuery:
        if self.measure is None:
            for name in RENEWAL_INPUTS:
                if getattr(self, name) is None:
                    raise FieldError((name,), f"give {name}, or measure to measure it")
        elif self.annual_contract_value is None and self.measure.contract_value_trait is None:
            raise FieldError(
                ("annual_contract_value",),
                "give annual_contract_value, or measure.contract_value_trait to measure it",
            )
        return self


RENEWAL_INPUTS = (
    "new_customers",
    "completion_before",
    "completion_after",
    "renewal_rate_completed",
    "renewal_rate_not_completed",
    "annual_contract_value",
)


# Every kind of insight; the API and CLI read a query into this by its `kind`.
InsightQuery = Annotated[
    FunnelQuery
    | TrendsQuery
    | RetentionQuery
    | TimeToValueQuery
    | OnboardingQuery
    | PathsQuery
    | ComparisonQuery
    | DropOffQuery
    | SurveyQuery
    | EngagementQuery
    | GoalQuery
    | ImpactProductivityQuery
    | ImpactTimeSavedQuery
    | ImpactRenewalQuery,
    Field(discriminator="kind"),
]


def kinds(union: Any) -> tuple[str, ...]:
    """The `kind` of each query model in an annotated union of them, in the union's order."""
    models = get_args(get_args(union)[0])
    return tuple(str(model.model_fields["kind"].default) for model in models)


KINDS = kinds(InsightQuery)
_COMPARABLE_KINDS = kinds(Comparable)
_QUERY_ADAPTER: TypeAdapter[InsightQuery] = TypeAdapter(InsightQuery)
_COMPARABLE: TypeAdapter[FunnelQuery | TimeToValueQuery] = TypeAdapter(Comparable)


def _self_contained(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with each reference to one of its definitions replaced by the definition, so
    it holds no reference another document would have to resolve."""
    definitions = schema.get("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            rest = {key: value for key, value in node.items() if key != "$ref"}
            return inline({**definitions[name], **rest})
        # A discriminator's mapping names definitions by reference; `kind`'s constant in each
        # variant says the same.
        return {
            key: inline(value)
            for key, value in node.items()
            if key not in ("$defs", "discriminator")
        }

    result: dict[str, Any] = inline(schema)
    return result


QUERY_SCHEMA = _self_contained(_QUERY_ADAPTER.json_schema())


Validated = TypeVar("Validated")


def _validated(adapter: TypeAdapter[Validated], data: Any) -> Validated:
    """The adapter's model for `data`; InvalidInput naming the first field at fault (paths as the
    query is written, e.g. `steps.1.event`) and listing every problem."""
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        problems: list[dict[str, Any]] = []
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            if loc and loc[0] in KINDS:
                loc = loc[1:]  # the kind's name, which pydantic puts first
            if error["type"].startswith("union_tag"):
                loc = ["kind"]
            cause = error.get("ctx", {}).get("error")
            if isinstance(cause, FieldError):
                loc += [str(part) for part in cause.path]
            message = error["msg"].removeprefix("Value error, ")
            problems.append({"field": ".".join(loc) or None, "message": message})
        first = problems[0]
        raise InvalidInput(str(first["message"]), field=first["field"], problems=problems) from None


def read_query(data: Any) -> InsightQuery:
    """A validated query from parsed JSON; InvalidInput naming the first field at fault (paths
    as the query is written, e.g. `steps.1.event`) and listing every problem."""
    return _validated(_QUERY_ADAPTER, data)
