"""Operational endpoints: liveness, readiness of both stores, Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from waypost.db import DatabaseError, check_database
from waypost.events import EventStoreError

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Both stores answer and events are being loaded; 503 naming what is wrong."""
    checks: dict[str, str] = {}
    state = request.app.state
    try:
        await run_in_threadpool(check_database, state.engine)
        checks["metadata"] = "ok"
    except DatabaseError as exc:
        checks["metadata"] = str(exc)
    try:
        await run_in_threadpool(state.events.ping)
        checks["events"] = "ok"
    except EventStoreError as exc:
        checks["events"] = str(exc)
    health = state.events.ingest_health()
    if (failure := health.journal_failure) is not None:
        checks["ingest"] = (
            f"writing events to the ingest journal has failed since "
            f"{failure.since.isoformat(timespec='seconds')}: {failure.error}; tracking requests "
            "are refused (503) until it works"
        )
    elif (failure := health.load_failure) is not None:
        checks["ingest"] = (
            f"loading acknowledged events into the event store has failed since "
            f"{failure.since.isoformat(timespec='seconds')}: {failure.error}; "
            f"{health.waiting_events:,} events wait in the journal"
        )
    else:
        checks["ingest"] = "ok"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text exposition of the server's metrics."""
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
