"""POST /api/v1/insights/query: any insight query in, its typed result out."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from waypost.errors import InvalidInput
from waypost.events.store import EventStore
from waypost.insights.actions import (
    ActionIn,
    ActionOut,
    create_action,
    delete_action,
    get_action,
    list_actions,
    update_action,
)
from waypost.insights.answer import answer
from waypost.insights.dropoff import DropOffResult
from waypost.insights.exports import XLSX_TYPE
from waypost.insights.queries import QUERY_SCHEMA, read_query
from waypost.insights.runner import InsightResult, exported
from waypost.insights.surveys import SurveyResult
from waypost.tenancy.roles import Permission
from waypost.web.deps import DB, Caller, Principal, caller_app

router = APIRouter(prefix="/api/v1", tags=["insights"])


@router.post(
    "/insights/query",
    response_model=InsightResult,
    responses={
        200: {
            "description": "The result; a file where the query asked for one (`format`).",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": QUERY_SCHEMA}}}
    },
)
async def query_insight(
    request: Request, db: DB, caller: Caller, app_id: str | None = None
) -> BaseModel | Response:
    """Answer one insight query (its `kind` says which) over the app's events; a drop-off
    query with `format: csv` answers with a CSV file of every drop-off."""
    body = await request.body()
    # The permission check, the app's actions and the query itself read databases: all of it
    # runs off the event loop.
    return await run_in_threadpool(_answer, db, caller, app_id, body, request.app.state.events)


def _answer(
    db: Session, caller: Principal, app_id: str | None, body: bytes, events: EventStore
) -> BaseModel | Response:
    app = caller_app(db, caller, app_id, Permission.QUERY_INSIGHTS)
    try:
        data = json.loads(body)
    except ValueError:
        raise InvalidInput("the body must be a JSON insight query") from None
    query = read_query(data)
    # Who dropped off and who answered what are personal data: as raw events and profiles,
    # for analysts and up. Others get the counts, and no file of them.
    personal = Permission.READ_EVENTS in caller.permissions_in(app)
    if not personal and getattr(query, "format", "json") != "json":
        caller_app(db, caller, app.id, Permission.READ_EVENTS)
    result = answer(db, events, app.id, query)
    if not personal:
        result = _without_people(result)
    file = exported(query, result)
    if file is not None:
        return Response(
            file.content,
            media_type=file.media_type,
            headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
        )
    return result


def _without_people(result: BaseModel) -> BaseModel:
    """The result without who is behind its numbers: no drop-off list, anonymous answers."""
    if isinstance(result, DropOffResult):
        return result.model_copy(update={"units": []})
    if isinstance(result, SurveyResult):
        answers = [
            a.model_copy(update={"person_id": None, "user_id": None, "account_id": None})
            for a in result.answers
        ]
        return result.model_copy(update={"answers": answers})
    return result


@router.get("/actions", response_model=list[ActionOut])
def list_app_actions(db: DB, caller: Caller, app_id: str | None = None) -> list[ActionOut]:
    """The app's actions, by name."""
    app = caller_app(db, caller, app_id, Permission.QUERY_INSIGHTS)
    return [action.out() for action in list_actions(db, app.id)]


@router.post("/actions", response_model=ActionOut, status_code=201)
def create_app_action(
    db: DB, caller: Caller, action: ActionIn, app_id: str | None = None
) -> ActionOut:
    """Define an action; its name must be new in the app (409 otherwise)."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    return create_action(db, app.id, action).out()


@router.get("/actions/{action_id}", response_model=ActionOut)
def get_app_action(db: DB, caller: Caller, action_id: str, app_id: str | None = None) -> ActionOut:
    """One action."""
    app = caller_app(db, caller, app_id, Permission.QUERY_INSIGHTS)
    return get_action(db, app.id, action_id).out()


@router.put("/actions/{action_id}", response_model=ActionOut)
def update_app_action(
    db: DB, caller: Caller, action_id: str, action: ActionIn, app_id: str | None = None
) -> ActionOut:
    """Replace an action's name, description and steps."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    return update_action(db, app.id, action_id, action).out()


@router.delete("/actions/{action_id}", status_code=204)
def delete_app_action(db: DB, caller: Caller, action_id: str, app_id: str | None = None) -> None:
    """Remove an action."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    delete_action(db, app.id, action_id)
