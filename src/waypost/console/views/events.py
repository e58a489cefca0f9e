"""Events and actions: the live stream of what arrives (filtered by person, event and page),
and actions defined from autocaptured clicks.

The page's script polls the events API and lists and creates actions over the actions API;
the server renders the frame, the filters the URL gives, and whether the member may define
actions (builders and up).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from waypost.console.shell import ConsolePage
from waypost.tenancy.roles import Permission

router = APIRouter(include_in_schema=False)

# How often the stream asks for new events, in seconds: live enough, light on the server.
POLL_SECONDS = 4
FILTERS = ("person", "event", "url")


@router.get("/console/apps/{app_id}/events")
def events(page: ConsolePage, app_id: str) -> HTMLResponse:
    """The live event stream and the app's actions."""
    page.app(app_id, Permission.READ_EVENTS)
    params = page.request.query_params
    chosen = {name: (params.get(name) or "").strip()[:500] for name in FILTERS}
    return page.render(
        "app/events.html",
        section="events",
        filters=chosen,
        poll_seconds=POLL_SECONDS,
        can_define=page.can(Permission.EDIT_CONTENT.value),
    )
