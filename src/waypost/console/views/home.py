"""An app's home: where a team starts its day (the cards come with the home section)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from waypost.console.shell import ConsolePage
from waypost.tenancy.roles import Permission

router = APIRouter(include_in_schema=False)


@router.get("/console/apps/{app_id}/home")
def home(page: ConsolePage, app_id: str) -> HTMLResponse:
    """The app's home page."""
    page.app(app_id, Permission.QUERY_INSIGHTS)
    return page.render("app/home.html", section="home")
