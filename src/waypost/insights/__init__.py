"""Insights: typed queries over events compiled to the event store's SQL dialect."""

from waypost.insights.funnels import FunnelResult
from waypost.insights.queries import FunnelQuery, InsightQuery, TrendsQuery
from waypost.insights.runner import InsightResult, run_query
from waypost.insights.trends import TrendsResult

__all__ = [
    "FunnelQuery",
    "FunnelResult",
    "InsightQuery",
    "InsightResult",
    "TrendsQuery",
    "TrendsResult",
    "run_query",
]
