"""POST /api/v1/insights/query: any insight query in, its typed result out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from waypost.errors import InvalidInput
from waypost.insights.queries import QUERY_SCHEMA, read_query
from waypost.insights.runner import InsightResult, run_query
from waypost.tenancy.roles import Permission
from waypost.web.deps import DB, Caller, caller_app

router = APIRouter(prefix="/api/v1", tags=["insights"])


@router.post(
    "/insights/query",
    response_model=InsightResult,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": QUERY_SCHEMA}}}
    },
)
async def query_insight(
    request: Request, db: DB, caller: Caller, app_id: str | None = None
) -> InsightResult:
    """Answer one insight query (its `kind` says which) over the app's events."""
    app = caller_app(db, caller, app_id, Permission.QUERY_INSIGHTS)
    try:
        data = await request.json()
    except ValueError:
        raise InvalidInput("the body must be a JSON insight query") from None
    query = read_query(data)
    return await run_in_threadpool(run_query, request.app.state.events, app.id, query)
