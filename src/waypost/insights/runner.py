"""One entry point for every insight kind, shared by the API and the CLI: a query's `kind`
picks its runner from one table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

from pydantic import BaseModel

from waypost.events.store import EventQueries
from waypost.insights.actions import Actions
from waypost.insights.catalog import ContentCatalog
from waypost.insights.comparison import ComparisonResult, run_comparison
from waypost.insights.dropoff import DropOffResult, dropoff_table, run_dropoff
from waypost.insights.engagement import EngagementResult, run_engagement
from waypost.insights.exports import ExportFile, csv_file
from waypost.insights.funnels import FunnelResult, run_funnel
from waypost.insights.goals import GoalResult, run_goal
from waypost.insights.impact import (
    ProductivityResult,
    RenewalResult,
    TimeSavedResult,
    run_productivity,
    run_renewal,
    run_time_saved,
)
from waypost.insights.onboarding import OnboardingResult, run_onboarding
from waypost.insights.paths import PathsResult, run_paths
from waypost.insights.queries import DropOffQuery, InsightQuery
from waypost.insights.retention import RetentionResult, run_retention
from waypost.insights.surveys import SurveyResult, run_survey
from waypost.insights.time_to_value import TimeToValueResult, run_time_to_value
from waypost.insights.trends import TrendsResult, run_trends


@dataclass(frozen=True)
class Runner:
    """How one kind of insight is answered: its runner, the model of its result, and whether
    it reads the app's content (measurement kinds: surveys, items, goals)."""

    run: Callable[..., BaseModel]
    result: type[BaseModel]
    reads_content: bool = False


# One row per kind of query in the InsightQuery union (a test holds the two to each other).
RUNNERS: dict[str, Runner] = {
    "funnel": Runner(run_funnel, FunnelResult),
    "trends": Runner(run_trends, TrendsResult),
    "retention": Runner(run_retention, RetentionResult),
    "time_to_value": Runner(run_time_to_value, TimeToValueResult),
    "onboarding": Runner(run_onboarding, OnboardingResult),
    "paths": Runner(run_paths, PathsResult),
    "comparison": Runner(run_comparison, ComparisonResult),
    "dropoff": Runner(run_dropoff, DropOffResult),
    "survey": Runner(run_survey, SurveyResult, reads_content=True),
    "engagement": Runner(run_engagement, EngagementResult, reads_content=True),
    "goal": Runner(run_goal, GoalResult, reads_content=True),
    "impact_productivity": Runner(run_productivity, ProductivityResult, reads_content=True),
    "impact_time_saved": Runner(run_time_saved, TimeSavedResult, reads_content=True),
    "impact_renewal": Runner(run_renewal, RenewalResult, reads_content=True),
}

# Any insight's result, as the API documents its answer.
InsightResult: Any = Union[tuple(runner.result for runner in RUNNERS.values())]  # noqa: UP007


def exported(query: InsightQuery, result: BaseModel) -> ExportFile | None:
    """The file a query asked for instead of JSON (`format: csv` and the like), if any."""
    if isinstance(result, ExportFile):
        return result
    if (
        isinstance(result, DropOffResult)
        and isinstance(query, DropOffQuery)
        and query.format == "csv"
    ):
        return csv_file("dropoff", *dropoff_table(result))
    return None


def run_query(
    store: EventQueries,
    app_id: str,
    query: InsightQuery,
    actions: Actions | None = None,
    content: ContentCatalog | None = None,
) -> BaseModel:
    """The result of any insight query over one app's events; `actions` are the app's, by name,
    for steps that name one, and `content` its content items and segments."""
    runner = RUNNERS[query.kind]
    if runner.reads_content:
        return runner.run(store, app_id, query, actions, content or ContentCatalog())
    return runner.run(store, app_id, query, actions)
