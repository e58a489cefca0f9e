"""Dashboards: the ones a member may see, each a grid of saved insights under one date range
and set of filters, and a form to make a new one.

The page sends the dashboard's arrangement; its tiles' answers come from the admin API after
load (`/api/v1/dashboards/{id}/data`), so a dashboard of slow tiles does not hold the page up.
Those who may edit reports change the range, filters and tiles over the same API.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from waypost.console.shell import ConsoleError, ConsolePage, Page
from waypost.console.views.insights import vocabulary
from waypost.errors import NotFound
from waypost.i18n import translator
from waypost.insights.dashboards import (
    DashboardIn,
    Reader,
    create_dashboard,
    dashboard_out,
    get_dashboard,
    get_insight,
    list_dashboards,
)
from waypost.tenancy.models import App
from waypost.tenancy.roles import Permission
from waypost.tenancy.sessions import CSRF_FORM_FIELD, csrf_matches

router = APIRouter(include_in_schema=False)

# The kinds the Insights page builds, so a tile of one can open there (surveys and impact
# calculators have pages of their own).
BUILDER_KINDS = frozenset({"funnel", "trends", "retention", "paths", "time_to_value", "comparison"})
# A new dashboard looks at the last month until someone chooses otherwise.
NEW_DASHBOARD_DAYS = 30


def _reader(page: Page, app: App) -> Reader:
    """The member as the dashboards' sharing rules see them."""
    return Reader(user_id=page.signed_in.user.id, role=page.principal.role_in(app.workspace_id))


def _list(page: Page, app: App, status: int = 200, **context: Any) -> HTMLResponse:
    rows = list_dashboards(page.db, app.id, _reader(page, app))
    return page.render(
        "app/dashboards.html",
        status=status,
        section="dashboards",
        dashboards=[dashboard_out(row) for row in rows],
        can_edit=page.can(Permission.EDIT_REPORTS),
        **context,
    )


@router.get("/console/apps/{app_id}/dashboards")
def dashboards(page: ConsolePage, app_id: str) -> HTMLResponse:
    """The app's dashboards the member may see."""
    app = page.app(app_id, Permission.QUERY_INSIGHTS)
    return _list(page, app)


@router.post("/console/apps/{app_id}/dashboards", response_model=None)
def new_dashboard(
    page: ConsolePage,
    app_id: str,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FORM_FIELD)] = "",
) -> Response:
    """Make an empty dashboard over the last 30 days and open it."""
    app = page.app(app_id, Permission.EDIT_REPORTS)
    t = translator(page.locale)
    if not csrf_matches(page.signed_in.csrf_token, csrf_token):
        raise ConsoleError(403, t("dashboards.expired_form"))
    if not name.strip():
        return _list(
            page, app, 422, name_error=t("dashboards.name_required"), description=description
        )
    try:
        document = DashboardIn(
            name=name.strip(),
            description=description.strip(),
            last_days=NEW_DASHBOARD_DAYS,
            where=[],
        )
    except ValueError:
        # Only the lengths can be wrong here: the name is there and the rest is ours.
        return _list(
            page, app, 422, name_error=t("dashboards.too_long"), name=name, description=description
        )
    row = create_dashboard(page.db, app.id, document, _reader(page, app))
    # The request's session commits only after the response is sent; the browser follows the
    # redirect at once, and the dashboard must be there when it does.
    page.db.commit()
    return RedirectResponse(f"/console/apps/{app.id}/dashboards/{row.id}", status_code=303)


@router.get("/console/apps/{app_id}/dashboards/{dashboard_id}")
def dashboard(page: ConsolePage, app_id: str, dashboard_id: str) -> HTMLResponse:
    """One dashboard: its tiles in the grid, answered by the page's script."""
    app = page.app(app_id, Permission.QUERY_INSIGHTS)
    try:
        row = get_dashboard(page.db, app.id, dashboard_id, _reader(page, app))
    except NotFound:
        raise ConsoleError(404, translator(page.locale)("error.not_found")) from None
    document = dashboard_out(row)
    names: dict[str, str | None] = {}
    queries: dict[str, Any] = {}
    for tile in document.tiles:
        try:
            saved = get_insight(page.db, app.id, tile.insight_id)
        except NotFound:
            names[tile.insight_id] = None
            continue
        names[tile.insight_id] = saved.name
        query = json.loads(saved.query)
        if query.get("kind") in BUILDER_KINDS:
            queries[tile.insight_id] = query
    can_edit = page.can(Permission.EDIT_REPORTS)
    # The filter editor suggests property names; those who cannot edit get no editor.
    words = vocabulary(page.request.app.state.events, app.id) if can_edit else None
    return page.render(
        "app/dashboards_one.html",
        section="dashboards",
        dashboard=document,
        document=document.model_dump(mode="json"),
        names=names,
        queries=queries,
        can_edit=can_edit,
        vocabulary=asdict(words) if words else None,
    )
