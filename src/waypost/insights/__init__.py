"""Insights: typed queries over events compiled to the event store's SQL dialect."""

from waypost.insights.funnels import FunnelResult
from waypost.insights.queries import FunnelQuery, InsightQuery
from waypost.insights.runner import run_query

__all__ = ["FunnelQuery", "FunnelResult", "InsightQuery", "run_query"]
