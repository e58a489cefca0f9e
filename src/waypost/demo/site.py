"""GET /demo/…: the Acme CRM demo app. Every path under /demo/ answers the same page (the app
routes in the browser), with the demo app's write key in the snippet's tag; /demo/static/ holds
its script and styles. Served only where the demo was seeded (see `waypost.demo.seed`)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from waypost.demo.seed import demo_app_id
from waypost.settings import Settings
from waypost.tenancy.keys import KeyKind, active_keys

STATIC = Path(__file__).with_name("static")
PAGE = (STATIC / "index.html").read_text("utf-8")


def _write_key(request: Request, app_id: str) -> str | None:
    with request.app.state.sessions() as session:
        keys = active_keys(session, app_id)
    return next((k.public_value for k in keys if k.kind == KeyKind.WRITE and k.public_value), None)


async def page(request: Request) -> Response:
    """The app's one page, or 404 where no demo was seeded."""
    settings: Settings = request.app.state.settings
    app_id = demo_app_id(settings) if settings.demo else None
    key = _write_key(request, app_id) if app_id else None
    if key is None:
        return Response("no demo here", status_code=404, media_type="text/plain")
    return HTMLResponse(PAGE.replace("{{WRITE_KEY}}", key), headers={"Cache-Control": "no-store"})


routes: list[BaseRoute] = [
    Mount("/demo/static", StaticFiles(directory=STATIC), name="demo-static"),
    Route("/demo", page),
    Route("/demo/{path:path}", page),
]
