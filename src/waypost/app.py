"""The ASGI application, assembled explicitly from each slice's routes and the infrastructure."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from waypost import __version__
from waypost.console.routes import router as console_router
from waypost.console.routes import static_files
from waypost.console.shell import ConsoleError, SignInFirst, console_error, sign_in_first
from waypost.console.views import routers as console_sections
from waypost.db import check_database, create_engine_for, session_factory, upgrade
from waypost.demo.site import routes as demo_routes
from waypost.events import open_event_store
from waypost.events.ingest import register_ingest_metrics
from waypost.guidance.api import router as guidance_router
from waypost.guidance.app_settings import IdentityGate
from waypost.guidance.catalogue import Catalogues
from waypost.guidance.sdk import routes as guidance_routes
from waypost.insights.api import router as insights_router
from waypost.insights.dashboard_api import router as dashboards_router
from waypost.logs import stamp_request_ids
from waypost.settings import Settings
from waypost.snippet.routes import routes as snippet_routes
from waypost.tenancy.api import router as tenancy_router
from waypost.tracking.api import routes as tracking_routes
from waypost.tracking.auth import WriteKeys
from waypost.tracking.data_api import router as data_router
from waypost.web.errors import install_error_handlers
from waypost.web.observability import HttpMetrics, ObservabilityMiddleware
from waypost.web.openapi import install_openapi
from waypost.web.system import router as system_router


def create_app(settings: Settings) -> FastAPI:
    """A Waypost server for the settings; stores are opened and migrated when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine_for(settings.metadata_url)
        check_database(engine)
        upgrade(engine)
        events = open_event_store(settings)
        events.start()
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        app.state.events = events
        app.state.write_keys = WriteKeys(app.state.sessions)
        app.state.catalogues = Catalogues(app.state.sessions)
        app.state.identity_gate = IdentityGate(app.state.sessions)
        # What exists now lives as long as the process: frozen, full collections stop walking it
        # (their pauses stalled the event loop under load; see docs/lab/performance-history.md).
        # The young generations' garbage goes first; a full collection here would walk the whole
        # heap once more, a cost every start paid (the test suite starts hundreds of servers).
        gc.collect(1)
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # the process may go on (tests, embedding); let it all be collected
            events.close()
            engine.dispose()

    app = FastAPI(
        title="Waypost",
        version=__version__,
        summary="Admin API of a Waypost server.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
        # Matched first: nearly every request is one of them.
        routes=[*tracking_routes, *guidance_routes, *snippet_routes, *demo_routes],
        # Our metrics and request-id logs are the server's observability. FastAPI's own
        # OpenTelemetry hooks looked for tracer, meter and logger providers on every request,
        # a measurable cost for one-event requests, and would find none.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    stamp_request_ids()
    app.state.settings = settings
    app.state.signing_secret = settings.signing_secret()
    app.state.metrics = HttpMetrics()
    register_ingest_metrics(app.state.metrics.registry, lambda: app.state.events)
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(system_router)
    app.include_router(tenancy_router)
    app.include_router(data_router)
    app.include_router(insights_router)
    app.include_router(dashboards_router)
    app.include_router(guidance_router)
    app.include_router(console_router)
    for section in console_sections():
        app.include_router(section)
    app.add_exception_handler(ConsoleError, console_error)
    app.add_exception_handler(SignInFirst, sign_in_first)
    app.mount("/console/static", static_files(), name="console-static")
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    return app
