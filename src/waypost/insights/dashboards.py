"""Saved insights and dashboards.

A saved insight is any insight query kept under a name. A dashboard arranges saved insights as
tiles and lays its own date range and filters over every one of them when it runs; kinds that
take no dates (a comparison sets its own periods) run as saved, and the answer says so. Who sees
a dashboard: its creator always; others when it is not private and their workspace role ranks
at or above its `visible_to`; an app's secret key (and the CLI, which acts as one) every
dashboard that is not private.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from waypost.db.base import new_id, utcnow
from waypost.errors import Forbidden, InvalidInput, NotFound, WaypostError
from waypost.events.store import EventStore
from waypost.insights.answer import answer
from waypost.insights.models import Dashboard, SavedInsight
from waypost.insights.queries import Filter, InsightQuery, Strict, Where, read_query
from waypost.tenancy.roles import Role, ranks_at_least

CSV_HEADER = ("dashboard", "tile", "insight", "kind", "path", "value")


@dataclass(frozen=True)
class Reader:
    """Who reads or changes reports: a member, by user id and role in the app's workspace, or,
    with neither, an app's secret key."""

    user_id: str | None = None
    role: Role | None = None


# An app's secret key, and the CLI, which acts for an app as its key does.
APP_KEY = Reader()


# Saved insights


class SavedInsightIn(Strict):
    """A saved insight as the API and the CLI take it."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    query: dict[str, Any] = Field(
        description="An insight query, as POST /api/v1/insights/query takes it."
    )


class SavedInsightOut(SavedInsightIn):
    """A saved insight as the API shows it."""

    id: str
    kind: str
    created_by: str | None = Field(description="The user who saved it; null for a secret key.")
    created_at: datetime
    updated_at: datetime


def _checked_query(data: dict[str, Any]) -> str:
    """The query as stored: validated, with what it gave in canonical JSON (times in UTC)."""
    try:
        query = read_query(data)
    except InvalidInput as exc:
        # The query is a field of the saved insight: name its fields from there.
        raise InvalidInput(
            exc.message,
            field=_under("query", exc.field),
            problems=[
                {**problem, "field": _under("query", problem.get("field"))}
                for problem in exc.problems or []
            ]
            or None,
        ) from None
    return json.dumps(query.model_dump(mode="json", exclude_unset=True))


def _under(parent: str, field: str | None) -> str:
    return f"{parent}.{field}" if field else parent


def insight_out(row: SavedInsight) -> SavedInsightOut:
    """The saved insight as the API shows it."""
    query = json.loads(row.query)
    return SavedInsightOut(
        id=row.id,
        name=row.name,
        description=row.description,
        query=query,
        kind=query["kind"],
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def create_insight(
    session: Session, app_id: str, data: SavedInsightIn, reader: Reader
) -> SavedInsight:
    """Save a query under a name; InvalidInput naming the field (`query.steps.1.event`) when
    the query is not valid."""
    row = SavedInsight(
        id=new_id("ins"),
        app_id=app_id,
        name=data.name.strip(),
        description=data.description,
        query=_checked_query(data.query),
        created_by=reader.user_id,
    )
    session.add(row)
    session.flush()
    return row


def get_insight(session: Session, app_id: str, insight_id: str) -> SavedInsight:
    """The app's saved insight, or NotFound (also for another app's)."""
    row = session.get(SavedInsight, insight_id)
    if row is None or row.app_id != app_id:
        raise NotFound(f"no saved insight {insight_id}", field="insight_id")
    return row


def list_insights(session: Session, app_id: str) -> list[SavedInsight]:
    """The app's saved insights by name."""
    return list(
        session.scalars(
            select(SavedInsight)
            .where(SavedInsight.app_id == app_id)
            .order_by(SavedInsight.name, SavedInsight.id)
        )
    )


def update_insight(
    session: Session, app_id: str, insight_id: str, data: SavedInsightIn
) -> SavedInsight:
    """Replace a saved insight's name, description and query."""
    row = get_insight(session, app_id, insight_id)
    row.name, row.description = data.name.strip(), data.description
    row.query = _checked_query(data.query)
    row.updated_at = utcnow()
    return row


def delete_insight(session: Session, app_id: str, insight_id: str) -> None:
    """Remove a saved insight, and its tiles from every dashboard of the app (a tile of
    nothing would only ever show an error)."""
    row = get_insight(session, app_id, insight_id)
    for dashboard in session.scalars(select(Dashboard).where(Dashboard.app_id == app_id)):
        tiles = _TILES.validate_json(dashboard.tiles)
        kept = [tile for tile in tiles if tile.insight_id != insight_id]
        if len(kept) != len(tiles):
            dashboard.tiles = _TILES.dump_json(kept).decode()
            dashboard.updated_at = utcnow()
    session.delete(row)


def saved_query(row: SavedInsight) -> InsightQuery:
    """The saved insight's query, validated again: what it may name can have changed."""
    return read_query(json.loads(row.query))


def run_insight(session: Session, store: EventStore, app_id: str, insight_id: str) -> BaseModel:
    """The saved insight's answer now, as POST /api/v1/insights/query gives it."""
    return answer(session, store, app_id, saved_query(get_insight(session, app_id, insight_id)))


# Dashboards


class Tile(Strict):
    """A saved insight's place on a dashboard: tiles flow in order, in a 12-column grid."""

    insight_id: str = Field(min_length=1, max_length=32)
    width: int = Field(6, ge=1, le=12, description="Columns of the 12-column grid.")
    height: int = Field(4, ge=1, le=24, description="Rows of the grid.")


_TILES: TypeAdapter[list[Tile]] = TypeAdapter(list[Tile])
_FILTERS: TypeAdapter[list[Filter]] = TypeAdapter(list[Filter])


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class DashboardIn(Strict):
    """A dashboard as the API and the CLI take it."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    date_from: datetime | None = Field(None, description="Every tile starts here (UTC if naive).")
    date_to: datetime | None = Field(None, description="Every tile ends before this.")
    last_days: int | None = Field(
        None,
        ge=1,
        le=3660,
        description="Instead of date_from and date_to: the last N whole days (UTC), today "
        "included.",
    )
    where: Where = Field(description="Filters added to every tile's own.")
    filter_test_accounts: bool = Field(
        False, description="Leave test accounts out of every tile (as well as where tiles do)."
    )
    visible_to: Role = Field(
        Role.VIEWER, description="The lowest workspace role that sees the dashboard."
    )
    private: bool = Field(False, description="Only its creator sees it.")
    tiles: list[Tile] = Field(default_factory=list, max_length=100)

    @field_validator("date_from", "date_to")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)


class DashboardOut(DashboardIn):
    """A dashboard as the API shows it."""

    id: str
    created_by: str | None = Field(description="The user who made it; null for a secret key.")
    created_at: datetime
    updated_at: datetime


_DASHBOARD: TypeAdapter[DashboardIn] = TypeAdapter(DashboardIn)
_SAVED_INSIGHT: TypeAdapter[SavedInsightIn] = TypeAdapter(SavedInsightIn)
Document = TypeVar("Document", DashboardIn, SavedInsightIn)


def _read(adapter: TypeAdapter[Document], data: Any) -> Document:
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        problems: list[dict[str, Any]] = [
            {
                "field": ".".join(str(part) for part in error["loc"]) or None,
                "message": error["msg"].removeprefix("Value error, "),
            }
            for error in exc.errors()
        ]
        first = problems[0]
        raise InvalidInput(str(first["message"]), field=first["field"], problems=problems) from None


def read_dashboard(data: Any) -> DashboardIn:
    """A dashboard document from parsed JSON or YAML; InvalidInput naming the first field at
    fault (`tiles.0.width`) and listing every problem."""
    return _read(_DASHBOARD, data)


def read_saved_insight(data: Any) -> SavedInsightIn:
    """A saved insight (name, description, query) from parsed JSON; InvalidInput naming the
    first field at fault. The query itself is checked when it is saved."""
    return _read(_SAVED_INSIGHT, data)


def dashboard_out(row: Dashboard) -> DashboardOut:
    """The dashboard as the API shows it."""
    return DashboardOut(
        id=row.id,
        name=row.name,
        description=row.description,
        date_from=row.date_from,
        date_to=row.date_to,
        last_days=row.last_days,
        where=_FILTERS.validate_json(row.filters),
        filter_test_accounts=row.filter_test_accounts,
        visible_to=Role(row.visible_to),
        private=row.private,
        tiles=_TILES.validate_json(row.tiles),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def sees(reader: Reader, row: Dashboard) -> bool:
    """Whether the reader may see the dashboard."""
    if reader.user_id is not None and row.created_by == reader.user_id:
        return True
    if row.private:
        return False
    # A secret key acts for the whole app; members see what their role reaches.
    return reader.role is None or ranks_at_least(reader.role, Role(row.visible_to))


def _check(session: Session, app_id: str, data: DashboardIn, reader: Reader) -> None:
    """Refuse what the document's fields allow one by one but not together."""
    if data.last_days is not None and (data.date_from or data.date_to):
        raise InvalidInput("give last_days or date_from and date_to, not both", field="last_days")
    if data.date_from and data.date_to and data.date_from >= data.date_to:
        raise InvalidInput("date_from must be before date_to", field="date_from")
    if data.private and reader.user_id is None:
        raise InvalidInput(
            "only a signed-in member can keep a private dashboard; a secret key has no one to "
            "keep it for",
            field="private",
        )
    for index, tile in enumerate(data.tiles):
        found = session.get(SavedInsight, tile.insight_id)
        if found is None or found.app_id != app_id:
            raise InvalidInput(
                f"the app has no saved insight {tile.insight_id}", field=f"tiles.{index}.insight_id"
            )


def _fill(row: Dashboard, data: DashboardIn) -> None:
    row.name, row.description = data.name.strip(), data.description
    row.date_from, row.date_to, row.last_days = data.date_from, data.date_to, data.last_days
    row.filters = _FILTERS.dump_json(data.where, exclude_defaults=True).decode()
    row.filter_test_accounts = data.filter_test_accounts
    row.visible_to, row.private = data.visible_to.value, data.private
    row.tiles = _TILES.dump_json(data.tiles).decode()


def create_dashboard(session: Session, app_id: str, data: DashboardIn, reader: Reader) -> Dashboard:
    """A new dashboard of the app, made by the reader; InvalidInput naming the field when its
    range is contradictory or a tile names no saved insight of the app."""
    _check(session, app_id, data, reader)
    row = Dashboard(id=new_id("dsh"), app_id=app_id, created_by=reader.user_id)
    _fill(row, data)
    session.add(row)
    session.flush()
    return row


def get_dashboard(session: Session, app_id: str, dashboard_id: str, reader: Reader) -> Dashboard:
    """The app's dashboard when the reader may see it; NotFound otherwise (a dashboard one may
    not see looks the same as one that does not exist)."""
    row = session.get(Dashboard, dashboard_id)
    if row is None or row.app_id != app_id or not sees(reader, row):
        raise NotFound(f"no dashboard {dashboard_id}", field="dashboard_id")
    return row


def list_dashboards(session: Session, app_id: str, reader: Reader) -> list[Dashboard]:
    """The app's dashboards the reader may see, by name."""
    rows = session.scalars(
        select(Dashboard).where(Dashboard.app_id == app_id).order_by(Dashboard.name, Dashboard.id)
    )
    return [row for row in rows if sees(reader, row)]


def update_dashboard(
    session: Session, app_id: str, dashboard_id: str, data: DashboardIn, reader: Reader
) -> Dashboard:
    """Replace a dashboard the reader sees; only its creator may make it private."""
    row = get_dashboard(session, app_id, dashboard_id, reader)
    _check(session, app_id, data, reader)
    if data.private and not row.private and row.created_by != reader.user_id:
        # Private means the creator's own: another member would hide it from everyone else.
        raise Forbidden("only the dashboard's creator may make it private", code="forbidden")
    _fill(row, data)
    row.updated_at = utcnow()
    return row


def delete_dashboard(session: Session, app_id: str, dashboard_id: str, reader: Reader) -> None:
    """Remove a dashboard the reader sees (its saved insights stay)."""
    session.delete(get_dashboard(session, app_id, dashboard_id, reader))


# Running a dashboard


class TileError(BaseModel):
    """Why a tile has no answer: the error its query gave."""

    code: str
    message: str
    field: str | None


class TileData(BaseModel):
    """One tile's answer, or its error."""

    position: int = Field(description="The tile's place on the dashboard, from 0.")
    insight_id: str
    name: str | None = Field(description="The saved insight's name; null when it is gone.")
    kind: str | None
    width: int
    height: int
    ignores_range: bool = Field(
        description="The dashboard has a date range this kind takes no dates for (it ran as saved)."
    )
    ignores_filters: bool = Field(
        description="The dashboard has filters this kind takes none of (it ran as saved)."
    )
    result: dict[str, Any] | None = None
    error: TileError | None = None


class DashboardData(BaseModel):
    """Every tile of a dashboard answered over its range and filters."""

    dashboard_id: str
    name: str
    date_from: datetime | None = Field(description="The range every dated tile ran over.")
    date_to: datetime | None
    where: list[Filter]
    filter_test_accounts: bool
    tiles: list[TileData]


def dashboard_range(row: Dashboard, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The range the dashboard lays over its tiles at `now`: its own dates, or its last N
    whole days in UTC, today included."""
    if row.last_days is None:
        return row.date_from, row.date_to
    # Whole days, so that daily tiles start and end on a day's boundary.
    end = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), tzinfo=UTC)
    return end - timedelta(days=row.last_days), end


@dataclass(frozen=True)
class _Overlay:
    """What a dashboard lays over each tile's query."""

    date_from: datetime | None
    date_to: datetime | None
    where: list[dict[str, Any]]
    filter_test_accounts: bool

    @property
    def has_range(self) -> bool:
        return self.date_from is not None or self.date_to is not None

    @property
    def has_filters(self) -> bool:
        return bool(self.where) or self.filter_test_accounts


def _laid_over(query: InsightQuery, overlay: _Overlay) -> tuple[dict[str, Any], bool, bool]:
    """The query's JSON with the overlay applied where its kind has the fields for it, and
    whether the range and the filters were left out for want of them."""
    fields = type(query).model_fields
    takes_range = "date_from" in fields and "date_to" in fields
    takes_filters = "where" in fields and "filter_test_accounts" in fields
    data = query.model_dump(mode="json", exclude_unset=True)
    # A dashboard shows data: a kind that can answer with a file answers with JSON here.
    data.pop("format", None)
    if takes_range:
        for name in ("date_from", "date_to"):
            value = getattr(overlay, name)
            if value is not None:
                data[name] = value.isoformat()
    if takes_filters:
        data["where"] = [*data.get("where", []), *overlay.where]
        data["filter_test_accounts"] = (
            data.get("filter_test_accounts", False) or overlay.filter_test_accounts
        )
    return data, overlay.has_range and not takes_range, overlay.has_filters and not takes_filters


def _tile(
    session: Session,
    store: EventStore,
    app_id: str,
    position: int,
    tile: Tile,
    overlay: _Overlay,
) -> TileData:
    found = session.get(SavedInsight, tile.insight_id)
    saved = found if found is not None and found.app_id == app_id else None
    data = TileData(
        position=position,
        insight_id=tile.insight_id,
        name=saved.name if saved else None,
        kind=json.loads(saved.query)["kind"] if saved else None,
        width=tile.width,
        height=tile.height,
        ignores_range=False,
        ignores_filters=False,
    )
    if saved is None:
        error = TileError(
            code=NotFound.code, message="the saved insight no longer exists", field="insight_id"
        )
        return data.model_copy(update={"error": error})
    try:
        laid, ignores_range, ignores_filters = _laid_over(saved_query(saved), overlay)
        data = data.model_copy(
            update={"ignores_range": ignores_range, "ignores_filters": ignores_filters}
        )
        result = answer(session, store, app_id, read_query(laid))
    except WaypostError as exc:
        # One tile's problem (an action it names was deleted, the range does not suit it)
        # is that tile's; the rest of the dashboard still answers.
        error = TileError(code=exc.code, message=exc.message, field=exc.field)
        return data.model_copy(update={"error": error})
    return data.model_copy(update={"result": result.model_dump(mode="json")})


def run_dashboard(
    session: Session, store: EventStore, app_id: str, row: Dashboard, now: datetime | None = None
) -> DashboardData:
    """Every tile's answer over the dashboard's range and filters; a tile whose query fails
    carries its error instead, and the others still answer."""
    date_from, date_to = dashboard_range(row, now or utcnow())
    where = _FILTERS.validate_json(row.filters)
    overlay = _Overlay(
        date_from=date_from,
        date_to=date_to,
        where=_FILTERS.dump_python(where, mode="json", exclude_defaults=True),
        filter_test_accounts=row.filter_test_accounts,
    )
    tiles = [
        _tile(session, store, app_id, position, tile, overlay)
        for position, tile in enumerate(_TILES.validate_json(row.tiles))
    ]
    return DashboardData(
        dashboard_id=row.id,
        name=row.name,
        date_from=date_from,
        date_to=date_to,
        where=where,
        filter_test_accounts=row.filter_test_accounts,
        tiles=tiles,
    )


def _leaves(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar in a JSON value with its dotted path: lists by index, objects by key."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, f"{path}.{index}" if path else str(index))
    else:
        yield path, node


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def dashboard_csv(data: DashboardData) -> str:
    """The dashboard's data in long form: a row per value of each tile's answer (`steps.1.count`),
    missing values empty; a failed tile gives its error's fields instead."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for tile in data.tiles:
        answered = tile.result if tile.error is None else {"error": tile.error.model_dump()}
        for path, value in _leaves(answered):
            writer.writerow(
                [data.name, tile.position, tile.name or "", tile.kind or "", path, _cell(value)]
            )
    return out.getvalue()
