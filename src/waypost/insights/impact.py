"""Impact and ROI calculators: what guidance is worth, in hours and money.

Every input can be given. Where Waypost can measure one from events, it does when the input is
left out, and each answer lists its inputs with where they came from: `given`, `measured`
(with its interval where it has one) or `assumed` (a default the query did not override).

- productivity: completions x minutes saved per completion / 60 x hourly rate x attribution;
- time saved: (median process time before - after the launch) / 3600 x completions after it x
  hourly rate;
- renewal: new customers x (completion x renewal rate of completers + (1 - completion) x
  renewal rate of the rest), before and after, and the difference x annual contract value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel

from waypost.errors import InvalidInput
from waypost.events.store import EventQueries
from waypost.insights._sql import Compilation, records, with_ctes
from waypost.insights.actions import Actions
from waypost.insights.catalog import ContentCatalog
from waypost.insights.comparison import Difference, times
from waypost.insights.engagement import COMPLETED, SHOWN
from waypost.insights.onboarding import onboarding_units
from waypost.insights.queries import (
    RENEWAL_INPUTS,
    AggregateBy,
    ImpactProductivityQuery,
    ImpactRenewalQuery,
    ImpactTimeSavedQuery,
    TimeToValueQuery,
    naive_utc,
)
from waypost.insights.stats import Estimate, mean_of, wilson
from waypost.insights.time_to_value import value_gaps

# Outputs are sums of products of rates: rounding them here keeps 780 from printing as
# 779.9999999999999 without hiding anything a person would read.
DIGITS = 9
Source = Literal["given", "measured", "assumed"]


class ImpactInput(BaseModel):
    """One input of a calculation and where its value came from."""

    name: str
    value: float | None
    source: Source
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    note: str | None = None


class ProductivityResult(BaseModel):
    kind: str = "impact_productivity"
    inputs: list[ImpactInput]
    hours_saved: float
    value: float


class TimeSavedResult(BaseModel):
    kind: str = "impact_time_saved"
    inputs: list[ImpactInput]
    launched_at: datetime | None
    comparison: Difference | None
    hours_saved: float
    value: float


class RenewalResult(BaseModel):
    kind: str = "impact_renewal"
    inputs: list[ImpactInput]
    renewals_before: float
    renewals_after: float
    additional_renewals: float
    retained_revenue: float


def _round(value: float) -> float:
    return round(value, DIGITS) + 0.0  # + 0.0 turns -0.0 into 0.0


def _given(name: str, value: float) -> ImpactInput:
    return ImpactInput(name=name, value=value, source="given")


def _measured(name: str, estimate: Estimate) -> ImpactInput:
    return ImpactInput(
        name=name,
        value=estimate.value,
        source="measured",
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        n=estimate.n,
        note=estimate.note,
    )


def _value(found: ImpactInput) -> float:
    """An input's value; InvalidInput naming it when it could not be measured."""
    if found.value is None:
        raise InvalidInput(
            f"{found.name} could not be measured ({found.note or 'no data'}): give it",
            field=found.name,
        )
    return found.value


def _first_shown(store: EventQueries, app_id: str, key: str, kind: str) -> datetime | None:
    """When anyone first saw the item: when it launched, as far as events tell."""
    sql = Compilation()
    rows = records(
        store,
        sql.statement(
            f"SELECT min(timestamp) AS at FROM events WHERE app_id = {sql.bind(app_id)} "
            f"AND content_id = {sql.bind(key)} "
            f"AND event = {sql.bind(SHOWN.get(kind, '$guide_shown'))}"
        ),
    )
    at = rows[0]["at"]
    return None if at is None else at.replace(tzinfo=UTC)


def run_productivity(
    store: EventQueries,
    app_id: str,
    query: ImpactProductivityQuery,
    actions: Actions | None,
    catalog: ContentCatalog,
) -> ProductivityResult:
    """Hours and money saved by an item's completions."""
    if query.completions is not None:
        completions = _given("completions", query.completions)
    else:
        assert query.item is not None  # the query model asks for one of the two
        item = catalog.item(query.item, "item")
        sql = Compilation(actions)
        conditions = sql.props.scope(query, app_id, "e.person_id", guidance=True)
        done = sql.bind(COMPLETED.get(item.kind, "$guide_completed"))
        rows = records(
            store,
            sql.statement(
                f"SELECT count(*) AS n FROM {sql.props.events_view(AggregateBy.PERSON)} e "
                f"{sql.props.joins()} WHERE {' AND '.join(conditions)} "
                f"AND e.content_id = {sql.bind(item.key)} AND e.event = {done}"
            ),
        )
        count = int(rows[0]["n"])
        completions = ImpactInput(name="completions", value=count, source="measured", n=count)
    attribution = ImpactInput(
        name="attribution",
        value=query.attribution,
        source="given" if "attribution" in query.model_fields_set else "assumed",
    )
    minutes = _given("minutes_saved_per_completion", query.minutes_saved_per_completion)
    rate = _given("hourly_rate", query.hourly_rate)
    hours = _value(completions) * query.minutes_saved_per_completion / 60 * query.attribution
    return ProductivityResult(
        inputs=[completions, minutes, rate, attribution],
        hours_saved=_round(hours),
        value=_round(hours * query.hourly_rate),
    )


def _launch(
    store: EventQueries,
    app_id: str,
    given: datetime | None,
    item_key: str | None,
    field: str,
    catalog: ContentCatalog,
) -> datetime | None:
    """When the guidance launched: as given, else when its item was first shown."""
    if given is not None or item_key is None:
        return given
    item = catalog.item(item_key, field)
    return _first_shown(store, app_id, item.key, item.kind)


def run_time_saved(
    store: EventQueries,
    app_id: str,
    query: ImpactTimeSavedQuery,
    actions: Actions | None,
    catalog: ContentCatalog,
) -> TimeSavedResult:
    """Hours and money saved because a process got quicker after the guidance launched."""
    launched = _launch(store, app_id, query.launched_at, query.item, "item", catalog)
    comparison: Difference | None = None
    before = after = count = None
    if query.process is not None and launched is not None:
        end = query.date_to or datetime.now(UTC)
        start = query.date_from or launched - (end - launched)
        if not start < launched < end:
            raise InvalidInput(
                "the launch must fall inside the range, to time the process before and after it",
                field="launched_at",
            )

        def gaps(date_from: datetime, date_to: datetime) -> list[int]:
            assert query.process is not None
            timed = TimeToValueQuery(
                date_from=date_from,
                date_to=date_to,
                where=query.where,
                filter_test_accounts=query.filter_test_accounts,
                start=query.process.start,
                value=query.process.end,
                window_days=query.process.window_days,
                cohort_interval="month",
            )
            return value_gaps(store, app_id, timed, actions)

        first, second = gaps(start, launched), gaps(launched, end)
        comparison = times("process time", first, second)
        before = _measured_median("seconds_before", first)
        after = _measured_median("seconds_after", second)
        count = ImpactInput(name="completions", value=len(second), source="measured", n=len(second))
    inputs = [
        _given("seconds_before", query.seconds_before)
        if query.seconds_before is not None
        else before,
        _given("seconds_after", query.seconds_after) if query.seconds_after is not None else after,
        _given("completions", query.completions) if query.completions is not None else count,
        _given("hourly_rate", query.hourly_rate),
    ]
    names = ("seconds_before", "seconds_after", "completions")
    for name, found in zip(names, inputs, strict=False):
        if found is None:
            raise InvalidInput(
                f"give {name}: with no launch to split at, it cannot be measured", field=name
            )
    known = [found for found in inputs if found is not None]
    seconds_before, seconds_after, completions, rate = (_value(found) for found in known)
    hours = (seconds_before - seconds_after) / 3600 * completions
    return TimeSavedResult(
        inputs=known,
        launched_at=launched,
        comparison=comparison,
        hours_saved=_round(hours),
        value=_round(hours * rate),
    )


def _measured_median(name: str, gaps: Sequence[int]) -> ImpactInput:
    if not gaps:
        return ImpactInput(name=name, value=None, source="measured", n=0, note="nobody finished")
    ordered = sorted(gaps)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return ImpactInput(name=name, value=median / 1e6, source="measured", n=len(ordered))


@dataclass(frozen=True)
class _Accounts:
    """What the renewal inputs need to know of the accounts new in the range, counted."""

    new: int
    # Per launch side (True: became new before it; None: no launch) and completion: accounts.
    by_launch: dict[tuple[bool | None, bool], int]
    # Per completion and outcome (the trait's JSON text; None: no outcome): accounts.
    by_outcome: dict[tuple[bool, str | None], int]
    # Accounts with a numeric contract value, their mean and sample standard deviation.
    valued: int
    value_mean: float | None
    value_spread: float | None


def _accounts(
    store: EventQueries,
    app_id: str,
    query: ImpactRenewalQuery,
    actions: Actions | None,
    launched: datetime | None,
) -> _Accounts:
    """Every account new in the range, counted by whether it became new before the launch and
    completed onboarding, by its renewal outcome, and its contract value (from its traits), so
    that only a few rows come back whatever the number of accounts."""
    measure = query.measure
    assert measure is not None
    sql = Compilation(actions)
    ctes = onboarding_units(
        sql,
        app_id,
        query,
        measure.new,
        measure.milestones,
        measure.within_days,
        AggregateBy.ACCOUNT,
    )
    app = sql.bind(app_id)
    outcome = sql.bind(measure.outcome.trait)
    value = sql.bind(measure.contract_value_trait or "")
    early = "NULL::BOOLEAN" if launched is None else f"u.started < {sql.bind(naive_utc(launched))}"
    # A JSON number (not a boolean or a numeric string) that is finite, as a double.
    number = (
        "CASE WHEN json_type(v.value) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') "
        "THEN TRY_CAST(json_extract_string(v.value, '$') AS DOUBLE) END"
    )
    rows = records(
        store,
        sql.statement(
            with_ctes(
                [
                    *ctes,
                    f"""joined AS (
  SELECT u.completed, {early} AS early, o.value::VARCHAR AS outcome, {number} AS contract
  FROM units u
  LEFT JOIN account_traits o ON o.app_id = {app} AND o.account_id = u.unit AND o.trait = {outcome}
  LEFT JOIN account_traits v ON v.app_id = {app} AND v.account_id = u.unit AND v.trait = {value}
)""",
                ],
                """SELECT grouping(completed, early, outcome) AS total, completed, early, outcome,
  count(*) AS n, count(contract) FILTER (WHERE isfinite(contract)) AS valued,
  favg(contract) FILTER (WHERE isfinite(contract)) AS value_mean,
  stddev_samp(contract) FILTER (WHERE isfinite(contract)) AS value_spread
FROM joined GROUP BY GROUPING SETS ((completed, early, outcome), ())""",
            )
        ),
    )
    by_launch: dict[tuple[bool | None, bool], int] = {}
    by_outcome: dict[tuple[bool, str | None], int] = {}
    totals: dict[str, Any] = {"n": 0, "valued": 0, "value_mean": None, "value_spread": None}
    for row in rows:
        if row["total"]:
            totals = row
            continue
        completed, n = bool(row["completed"]), int(row["n"])
        side = (row["early"], completed)
        by_launch[side] = by_launch.get(side, 0) + n
        state = (completed, row["outcome"])
        by_outcome[state] = by_outcome.get(state, 0) + n
    return _Accounts(
        new=int(totals["n"]),
        by_launch=by_launch,
        by_outcome=by_outcome,
        valued=int(totals["valued"]),
        value_mean=totals["value_mean"],
        value_spread=totals["value_spread"],
    )


def _renewed(outcome: str | None, renewed: list[Any], churned: list[Any]) -> bool | None:
    """Whether an outcome (a trait's JSON text) counts as renewed, churned (False) or neither
    (None), comparing values as Python does (1 equals 1.0 and True; "1" equals neither)."""
    state = None if outcome is None else orjson.loads(outcome)
    return True if state in renewed else False if state in churned else None


def _renewal_inputs(
    store: EventQueries,
    app_id: str,
    query: ImpactRenewalQuery,
    actions: Actions | None,
    catalog: ContentCatalog,
) -> dict[str, ImpactInput]:
    """Each renewal input as given, or measured from accounts when the query says how."""
    found: dict[str, ImpactInput] = {}
    measure = query.measure
    if measure is not None:
        launched = _launch(
            store, app_id, measure.launched_at, measure.item, "measure.item", catalog
        )
        accounts = _accounts(store, app_id, query, actions, launched)
        found["new_customers"] = ImpactInput(
            name="new_customers", value=accounts.new, source="measured", n=accounts.new
        )
        if launched is not None:
            for name, early in (("completion_before", True), ("completion_after", False)):
                done = accounts.by_launch.get((early, True), 0)
                group = done + accounts.by_launch.get((early, False), 0)
                found[name] = _measured(name, wilson(done, group, "no new accounts"))
        outcomes = measure.outcome
        for name, completed in (
            ("renewal_rate_completed", True),
            ("renewal_rate_not_completed", False),
        ):
            renewed = known = 0
            for (done, outcome), n in accounts.by_outcome.items():
                state = _renewed(outcome, outcomes.renewed, outcomes.churned)
                if done is completed and state is not None:
                    known += n
                    renewed += n if state else 0
            found[name] = _measured(
                name, wilson(renewed, known, "no account with a renewal outcome")
            )
        if measure.contract_value_trait is not None:
            found["annual_contract_value"] = _measured(
                "annual_contract_value",
                mean_of(
                    accounts.valued,
                    accounts.value_mean,
                    accounts.value_spread,
                    "no account has the trait",
                ),
            )
    for name in RENEWAL_INPUTS:
        given = getattr(query, name)
        if given is not None:
            found[name] = _given(name, given)
        elif name not in found:
            raise InvalidInput(
                f"give {name}: measure cannot tell it without a launch (measure.launched_at "
                "or measure.item)",
                field=name,
            )
    return {name: found[name] for name in RENEWAL_INPUTS}


def run_renewal(
    store: EventQueries,
    app_id: str,
    query: ImpactRenewalQuery,
    actions: Actions | None,
    catalog: ContentCatalog,
) -> RenewalResult:
    """Renewals and revenue kept by raising onboarding completion."""
    inputs = _renewal_inputs(store, app_id, query, actions, catalog)
    n, before, after, completed, rest, acv = (_value(found) for found in inputs.values())

    def renewals(completion: float) -> float:
        return n * math.fsum([completion * completed, (1 - completion) * rest])

    renewals_before, renewals_after = renewals(before), renewals(after)
    additional = renewals_after - renewals_before
    return RenewalResult(
        inputs=list(inputs.values()),
        renewals_before=_round(renewals_before),
        renewals_after=_round(renewals_after),
        additional_renewals=_round(additional),
        retained_revenue=_round(additional * acv),
    )
