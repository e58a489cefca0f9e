"""Insights: typed queries over events, each kind compiled to SQL by its runner."""

from waypost.insights.funnels import FunnelResult
from waypost.insights.queries import FunnelQuery, InsightQuery, TrendsQuery, read_query
from waypost.insights.runner import InsightResult, run_query
from waypost.insights.trends import TrendsResult

__all__ = [
    "FunnelQuery",
    "FunnelResult",
    "InsightQuery",
    "InsightResult",
    "TrendsQuery",
    "TrendsResult",
    "read_query",
    "run_query",
]
