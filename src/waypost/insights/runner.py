"""One entry point for every insight kind, shared by the API and the CLI."""

from __future__ import annotations

from collections.abc import Mapping

from waypost.events.store import EventQueries
from waypost.insights.actions import ActionStep
from waypost.insights.comparison import ComparisonResult, run_comparison
from waypost.insights.dropoff import DropOffResult, run_dropoff
from waypost.insights.funnels import FunnelResult, run_funnel
from waypost.insights.onboarding import OnboardingResult, run_onboarding
from waypost.insights.paths import PathsResult, run_paths
from waypost.insights.queries import (
    ComparisonQuery,
    DropOffQuery,
    FunnelQuery,
    InsightQuery,
    OnboardingQuery,
    PathsQuery,
    RetentionQuery,
    TimeToValueQuery,
    TrendsQuery,
)
from waypost.insights.retention import RetentionResult, run_retention
from waypost.insights.time_to_value import TimeToValueResult, run_time_to_value
from waypost.insights.trends import TrendsResult, run_trends

InsightResult = (
    FunnelResult
    | TrendsResult
    | RetentionResult
    | TimeToValueResult
    | OnboardingResult
    | PathsResult
    | ComparisonResult
    | DropOffResult
)


def run_query(
    store: EventQueries,
    app_id: str,
    query: InsightQuery,
    actions: Mapping[str, list[ActionStep]] | None = None,
) -> InsightResult:
    """The result of any insight query over one app's events; `actions` are the app's, by name,
    for steps that name one."""
    if isinstance(query, DropOffQuery):  # before FunnelQuery: a drop-off query is one too
        return run_dropoff(store, app_id, query, actions)
    if isinstance(query, FunnelQuery):
        return run_funnel(store, app_id, query, actions)
    if isinstance(query, TrendsQuery):
        return run_trends(store, app_id, query, actions)
    if isinstance(query, RetentionQuery):
        return run_retention(store, app_id, query, actions)
    if isinstance(query, TimeToValueQuery):
        return run_time_to_value(store, app_id, query, actions)
    if isinstance(query, OnboardingQuery):
        return run_onboarding(store, app_id, query, actions)
    if isinstance(query, PathsQuery):
        return run_paths(store, app_id, query, actions)
    if isinstance(query, ComparisonQuery):
        return run_comparison(store, app_id, query, actions)
    raise TypeError(f"no runner for {type(query).__name__}")
