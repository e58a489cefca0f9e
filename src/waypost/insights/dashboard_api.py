"""The admin API of saved insights and dashboards: /api/v1/insights/saved and
/api/v1/dashboards. Reading and running needs the query_insights permission, changing needs
edit_reports; a dashboard is also only for those it is shared with (see dashboards.py)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from waypost.insights.dashboards import (
    DashboardData,
    DashboardIn,
    DashboardOut,
    Reader,
    SavedInsightIn,
    SavedInsightOut,
    create_dashboard,
    create_insight,
    dashboard_csv,
    dashboard_out,
    delete_dashboard,
    delete_insight,
    get_dashboard,
    get_insight,
    insight_out,
    list_dashboards,
    list_insights,
    run_dashboard,
    run_insight,
    update_dashboard,
    update_insight,
)
from waypost.insights.runner import InsightResult
from waypost.tenancy.models import App
from waypost.tenancy.roles import Permission
from waypost.web.deps import DB, Caller, Principal, caller_app

router = APIRouter(prefix="/api/v1", tags=["dashboards"])

# Handlers are plain functions: FastAPI runs them in its thread pool, so the metadata database
# and the event store they read never block the event loop.


def _reader(caller: Principal, app: App) -> Reader:
    """Who the caller is for the app's reports: a member with their role, or a secret key."""
    if caller.signed_in is None:
        return Reader()
    return Reader(user_id=caller.signed_in.user.id, role=caller.role_in(app.workspace_id))


@router.get("/insights/saved", response_model=list[SavedInsightOut])
def list_saved_insights(db: DB, caller: Caller, app_id: str | None = None) -> list[SavedInsightOut]:
    """The app's saved insights, by name."""
    app = caller_app(db, caller, app_id, Permission.QUERY_INSIGHTS)
    return [insight_out(row) for row in list_insights(db, app.id)]


@router.post("/insights/saved", response_model=SavedInsightOut, status_code=201)
def create_saved_insight(
    db: DB, caller: Caller, insight: SavedInsightIn, app_id: str | None = None
) -> SavedInsightOut:
    """Save an insight query under a name; a query that is not valid is refused naming its
    field (`query.steps.1.event`)."""
    app = caller_app(db, caller, app_id, Permission.EDIT_REPORTS)
    return insight_out(create_insight(db, app.id, insight, _reader(caller, app)))


@router.get("/insights/saved/{insight_id}", response_model=SavedInsightOut)
def get_saved_insight(
    db: DB, caller: Caller, insight_id: str, app_id: str | None = None
) -> SavedInsightOut:
    """One saved insight."""
    app = caller_app(db, caller, app_id, Permission.QUERY_INSIGHTS)
    return insight_out(get_insight(db, app.id, insight_id))


@router.put("/insights/saved/{insight_id}", response_model=SavedInsightOut)
def update_saved_insight(
    db: DB, caller: Caller, insight_id: str, insight: SavedInsightIn, app_id: str | None = None
) -> SavedInsightOut:
    """Replace a saved insight's name, description and query."""
    app = caller_app(db, caller, app_id, Permission.EDIT_REPORTS)
    return insight_out(update_insight(db, app.id, insight_id, insight))


@router.delete("/insights/saved/{insight_id}", status_code=204)
def delete_saved_insight(
    db: DB, caller: Caller, insight_id: str, app_id: str | None = None
) -> None:
    """Remove a saved insight and its tiles from the app's dashboards."""
    app = caller_app(db, caller, app_id, Permission.EDIT_REPORTS)
    delete_insight(db, app.id, insight_id)


@router.post("/insights/saved/{insight_id}/run", response_model=InsightResult)
def run_saved_insight(
    request: Request, db: DB, caller: Caller, insight_id: str, app_id: str | None = None
) -> BaseModel:
    """Answer a saved insight now, as POST /api/v1/insights/query answers its query."""
    app = caller_app(db, caller, app_id, Permission.QUERY_INSIGHTS)
    return run_insight(db, request.app.state.events, app.id, insight_id)


@router.get("/dashboards", response_model=list[DashboardOut])
def list_app_dashboards(db: DB, caller: Caller, app_id: str | None = None) -> list[DashboardOut]:
    """The app's dashboards the caller may see, by name."""
    app = caller_app(db, caller, app_id, Permission.QUERY_INSIGHTS)
    return [dashboard_out(row) for row in list_dashboards(db, app.id, _reader(caller, app))]


@router.post("/dashboards", response_model=DashboardOut, status_code=201)
def create_app_dashboard(
    db: DB, caller: Caller, dashboard: DashboardIn, app_id: str | None = None
) -> DashboardOut:
    """Make a dashboard of saved insights; the caller is its creator."""
    app = caller_app(db, caller, app_id, Permission.EDIT_REPORTS)
    return dashboard_out(create_dashboard(db, app.id, dashboard, _reader(caller, app)))


@router.get("/dashboards/{dashboard_id}", response_model=DashboardOut)
def get_app_dashboard(
    db: DB, caller: Caller, dashboard_id: str, app_id: str | None = None
) -> DashboardOut:
    """One dashboard, as it is arranged (its data is at /data)."""
    app = caller_app(db, caller, app_id, Permission.QUERY_INSIGHTS)
    return dashboard_out(get_dashboard(db, app.id, dashboard_id, _reader(caller, app)))


@router.put("/dashboards/{dashboard_id}", response_model=DashboardOut)
def update_app_dashboard(
    db: DB, caller: Caller, dashboard_id: str, dashboard: DashboardIn, app_id: str | None = None
) -> DashboardOut:
    """Replace a dashboard's name, range, filters, sharing and tiles."""
    app = caller_app(db, caller, app_id, Permission.EDIT_REPORTS)
    reader = _reader(caller, app)
    return dashboard_out(update_dashboard(db, app.id, dashboard_id, dashboard, reader))


@router.delete("/dashboards/{dashboard_id}", status_code=204)
def delete_app_dashboard(
    db: DB, caller: Caller, dashboard_id: str, app_id: str | None = None
) -> None:
    """Remove a dashboard; its saved insights stay."""
    app = caller_app(db, caller, app_id, Permission.EDIT_REPORTS)
    delete_dashboard(db, app.id, dashboard_id, _reader(caller, app))


@router.get(
    "/dashboards/{dashboard_id}/data",
    response_model=DashboardData,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def dashboard_data(
    request: Request,
    db: DB,
    caller: Caller,
    dashboard_id: str,
    app_id: str | None = None,
    format: Literal["json", "csv"] = Query(
        "json", description="csv: one row per value of every tile, as a file."
    ),
) -> DashboardData | Response:
    """Every tile answered over the dashboard's range and filters; a tile whose query fails
    carries its error while the others answer."""
    app = caller_app(db, caller, app_id, Permission.QUERY_INSIGHTS)
    row = get_dashboard(db, app.id, dashboard_id, _reader(caller, app))
    data = run_dashboard(db, request.app.state.events, app.id, row)
    if format == "csv":
        return Response(
            dashboard_csv(data),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="dashboard-{row.id}.csv"'},
        )
    return data
