"""Insights: a builder for funnels, trends, retention, paths, time to value and before/after
comparisons, whose query lives in the page's URL (`?q=<JSON>`), so a link shows the same view.

The server sends the form and what the app's events are called (names, page paths, property
names); the page's script runs queries through the admin API after load, so the page itself
stays quick however large the event store is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from waypost.console.shell import ConsolePage
from waypost.events.store import EventQueries
from waypost.tenancy.roles import Permission

router = APIRouter(include_in_schema=False)

# Enough names for any real tracking plan; the long tail past this is typed, not picked.
MOST_NAMES = 200
# Property names are read from the latest events only: their keys repeat, and a full scan of
# a large store would cost the page its speed.
PROPERTY_SAMPLE = 5000


@dataclass(frozen=True)
class Vocabulary:
    """What an app's events are called, for the builder's pickers: event names (most frequent
    first), page paths, and the names of event properties, person traits and account traits."""

    events: list[str]
    pages: list[str]
    event_properties: list[str]
    person_traits: list[str]
    account_traits: list[str]


def _first_column(store: EventQueries, sql: str, app_id: str) -> list[str]:
    _, rows = store.query(sql, {"app": app_id})
    return [str(row[0]) for row in rows if row[0] is not None]


def vocabulary(store: EventQueries, app_id: str) -> Vocabulary:
    """The app's event names, page paths and property names, most used first."""
    return Vocabulary(
        events=_first_column(
            store,
            "SELECT event, count(*) FROM events WHERE app_id = $app "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MOST_NAMES}",
            app_id,
        ),
        pages=_first_column(
            store,
            "SELECT path, count(*) FROM events WHERE app_id = $app AND event = '$page' "
            f"AND path IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MOST_NAMES}",
            app_id,
        ),
        event_properties=_first_column(
            store,
            "SELECT key, count(*) FROM (SELECT unnest(json_keys(properties)) AS key FROM "
            "(SELECT properties FROM events WHERE app_id = $app AND properties IS NOT NULL "
            f"ORDER BY timestamp DESC LIMIT {PROPERTY_SAMPLE})) "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MOST_NAMES}",
            app_id,
        ),
        person_traits=_first_column(
            store,
            "SELECT trait, count(*) FROM person_traits WHERE app_id = $app "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MOST_NAMES}",
            app_id,
        ),
        account_traits=_first_column(
            store,
            "SELECT trait, count(*) FROM account_traits WHERE app_id = $app "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MOST_NAMES}",
            app_id,
        ),
    )


@router.get("/console/apps/{app_id}/insights")
def insights(page: ConsolePage, app_id: str) -> HTMLResponse:
    """The insight builder; `?q=` holds a query to fill it with and run."""
    app = page.app(app_id, Permission.QUERY_INSIGHTS)
    words = vocabulary(page.request.app.state.events, app.id)
    return page.render(
        "app/insights.html",
        section="insights",
        vocabulary=asdict(words),
        can_save=page.can(Permission.EDIT_REPORTS),
    )
