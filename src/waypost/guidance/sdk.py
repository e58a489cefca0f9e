"""POST /sdk/v1/decide: the snippet asks which guidance one person may see now, with a write key
(HTTP Basic user name, `writeKey` in the body, or `?key=`). Browsers call it from customers'
pages, so it answers CORS preflights; a write key reads only what its app has released, and
only for the person the request names (with identity verification, only with their hash).
Staging is read only through a preview link's token, for the one item it names."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from waypost.errors import InvalidInput, Unauthorized, WaypostError
from waypost.events import EventStore
from waypost.guidance.app_settings import IdentityGate, hash_matches, identity_secret
from waypost.guidance.catalogue import Catalogues
from waypost.guidance.decide import (
    Catalogue,
    DecideRequest,
    Person,
    PreviewItem,
    decide,
    lookback,
)
from waypost.guidance.files import problems_of
from waypost.guidance.library import Environment
from waypost.guidance.preview_links import PreviewGrant, stale, verify
from waypost.tracking.auth import app_for_key, key_from_basic_auth
from waypost.tracking.bodies import MalformedBody, PayloadTooLarge

MAX_BODY_BYTES = 64 * 1024
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "86400",
}


def _refuse(exc: WaypostError) -> JSONResponse:
    return JSONResponse(
        exc.as_body(), status_code=exc.status, headers={**CORS_HEADERS, **exc.headers()}
    )


async def _request_of(request: Request) -> DecideRequest:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES:,} bytes")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise MalformedBody("the body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    try:
        wanted = DecideRequest.model_validate(data)
    except ValidationError as exc:
        first = problems_of(exc)[0]
        message = f"{first.field}: {first.message}" if first.field else first.message
        raise InvalidInput(message, field=first.field) from None
    if wanted.userId is None and wanted.anonymousId is None:
        raise InvalidInput("give userId or anonymousId (or both)", field="userId")
    return wanted


async def _app_id(request: Request, wanted: DecideRequest) -> str:
    key = (
        key_from_basic_auth(request.headers.get("authorization"))
        or wanted.writeKey
        or request.query_params.get("key")
    )
    if not key:
        raise Unauthorized(
            "send the write key as the Basic user name, writeKey in the body or ?key=",
            field="writeKey",
        )
    return await app_for_key(request.app.state.write_keys, key, "writeKey")


def _grant(request: Request, app_id: str, wanted: DecideRequest) -> PreviewGrant | None:
    """The preview the request's token allows (401 preview_invalid for a bad one); staging
    asked for without one is refused: a write key is public, drafts are not."""
    if wanted.preview is not None:
        return verify(request.app.state.signing_secret, wanted.preview, app_id)
    if wanted.environment == Environment.STAGING.value:
        raise Unauthorized(
            "staging is shown only through a preview link: send its token as preview",
            field="environment",
            code="preview_invalid",
        )
    return None


def _decide(
    request: Request, app_id: str, wanted: DecideRequest, grant: PreviewGrant | None, wait: bool
) -> Any:
    """The answer; with `wait` False, only from what is in memory (None when something must be
    read or waited for: the decision then goes to a worker thread)."""
    catalogues: Catalogues = request.app.state.catalogues

    def catalogue_of(environment: Environment) -> Catalogue | None:
        return (
            catalogues.get(app_id, environment) if wait else catalogues.fresh(app_id, environment)
        )

    catalogue = catalogue_of(Environment.PRODUCTION)
    if catalogue is None:
        return None
    preview = None
    if grant is not None:
        staging = catalogue_of(Environment.STAGING)
        if staging is None:
            return None
        released = staging.by_key.get(grant.key)
        if released is None or released.number != grant.version:
            if not wait:  # perhaps released a moment ago elsewhere: check with the database
                return None
            raise stale(grant, released.number if released else None)
        preview = PreviewItem(released, staging)
    if catalogue.settings.identity_verification and wanted.userId is not None:
        gate: IdentityGate = request.app.state.identity_gate
        known, secret = gate.cached(app_id)
        if not known or secret is None:  # asked now, or just turned on: read it afresh
            if not wait:
                return None
            secret = gate.secret(app_id)
        if secret is None:  # turned off since the catalogue was made
            with request.app.state.sessions() as session, session.begin():
                secret = identity_secret(session, app_id)
        if not hash_matches(secret, wanted.userId, wanted.userHash):
            raise Unauthorized(
                "this app verifies identities: userHash must be HMAC-SHA256(secret, userId)",
                field="userHash",
                code="identity_unverified",
            )
    store: EventStore = request.app.state.events
    now = datetime.now(UTC)
    since = lookback(now)
    ids = [wanted.userId or wanted.anonymousId or ""]
    if wanted.userId and wanted.anonymousId:
        ids.append(wanted.anonymousId)
    activity = None
    for ident in ids:  # the user id first; the anonymous id when it names nobody
        if wait:
            activity = store.person_activity(app_id, ident, since)
        else:
            known, activity = store.remembered_activity(app_id, ident, since)
            if not known:
                return None
        if activity is not None:
            break
    traits = {**(activity.profile.traits if activity else {}), **wanted.traits}
    person = Person(key=ids[0], activity=activity, traits=traits)
    return decide(catalogue, wanted, person, now, preview)


async def decide_endpoint(request: Request) -> Response:
    """Answer one decide request (CORS preflights too)."""
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=CORS_HEADERS)
    try:
        wanted = await _request_of(request)
        app_id = await _app_id(request, wanted)
        grant = _grant(request, app_id, wanted)
        # Mostly everything is in memory, and the decision is quicker than a thread hand-off.
        answer = _decide(request, app_id, wanted, grant, wait=False)
        if answer is None:
            answer = await run_in_threadpool(_decide, request, app_id, wanted, grant, True)
    except WaypostError as exc:
        return _refuse(exc)
    return Response(
        orjson.dumps(answer),
        media_type="application/json",
        headers={**CORS_HEADERS, "Cache-Control": "no-store"},
    )


routes: list[BaseRoute] = [
    Route("/sdk/v1/decide", decide_endpoint, methods=["POST", "OPTIONS"]),
]
