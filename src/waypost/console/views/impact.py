"""Impact: the three ROI calculators (productivity, time saved, renewal) with editable inputs.

Each calculator asks the insights API from the page's script; inputs left to Waypost are
measured from events and come back marked as measured, with their interval, and a member may
override any of them and compute again. The server only lists what the forms choose from.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from waypost.console.shell import ConsolePage
from waypost.guidance import library
from waypost.tenancy.roles import Permission

router = APIRouter(include_in_schema=False)

# Currencies the money fields offer (ISO 4217); the amounts are the member's, never converted.
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "INR", "BRL", "SGD")
# The demo's onboarding walkthrough: a sensible item to measure a launch by, when it exists.
DEFAULT_ITEM = "first-project"


@router.get("/console/apps/{app_id}/impact")
def impact(page: ConsolePage, app_id: str) -> HTMLResponse:
    """The calculators, with the app's content items to measure completions and launches by."""
    app = page.app(app_id, Permission.QUERY_INSIGHTS)
    items = [
        {"key": item.key, "name": item.name, "kind": item.kind}
        for item in library.summaries(page.db, app.id)
    ]
    keys = {item["key"] for item in items}
    return page.render(
        "app/impact.html",
        section="impact",
        items=items,
        default_item=DEFAULT_ITEM if DEFAULT_ITEM in keys else (items[0]["key"] if items else ""),
        currencies=CURRENCIES,
    )
