"""The content library and its editor.

The library lists every guidance item with its status, versions and audience (engagement comes
from the page's script: one `engagement` insight for all items, after the page has loaded). The
editor holds one draft in two views that edit the same document: a form for the common fields,
the texts in English and Japanese side by side and a walkthrough's steps, and the YAML that
`waypost content export` writes. Saving, publishing, diffs and reverts go through the admin API
from the page's script; the routes here render pages and convert between a draft and its YAML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel.dates import format_date, get_day_names
from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from waypost.console.shell import ConsoleError, ConsolePage, Page
from waypost.demo.seed import demo_app_id
from waypost.errors import Forbidden, InvalidInput, NotFound
from waypost.guidance import library, preview_links
from waypost.guidance.documents import KINDS, Weekday
from waypost.guidance.files import canonical, dump_yaml, read_documents
from waypost.guidance.library import Environment, ItemSummary, Status
from waypost.guidance.models import ContentVersion
from waypost.guidance.segments import SegmentDocument, list_segments
from waypost.i18n import translator
from waypost.tenancy.roles import Permission
from waypost.tenancy.sessions import csrf_matches
from waypost.web.deps import app_for

router = APIRouter(include_in_schema=False)

CSRF_HEADER = "x-csrf-token"
# How long a preview link shows a draft: long enough to click through it, short enough that a
# forwarded link soon stops working.
PREVIEW_MINUTES = 30
PREVIEW_PARAMETER = "waypost_preview"
MAX_YAML = 400_000
# What the YAML view's text is called while it is read (the reader names a file).
YAML_NAME = "draft.yaml"

# A new item of each kind starts from the fields that kind needs, empty, so the form has a
# place for each; the server names what is still missing when the draft is saved.
_BLANK_TEXT = {"en": "", "ja": ""}
TEMPLATES: dict[str, dict[str, Any]] = {
    "walkthrough": {"steps": [{"kind": "popup", "title": _BLANK_TEXT, "body": _BLANK_TEXT}]},
    "smart_tip": {"target": {"selector": ""}, "title": _BLANK_TEXT, "body": _BLANK_TEXT},
    "shoutout": {"style": "modal", "title": _BLANK_TEXT, "body": _BLANK_TEXT},
    "launcher": {"target": {"selector": ""}, "label": _BLANK_TEXT, "start": ""},
    "shuttle": {"url": "", "label": _BLANK_TEXT},
    "task": {"title": _BLANK_TEXT, "complete_when": {"event": ""}},
    "resource": {"title": _BLANK_TEXT, "url": "", "summary": _BLANK_TEXT},
    "menu": {"title": _BLANK_TEXT, "sections": [{"items": []}]},
    "survey": {"questions": [{"key": "score", "type": "nps", "text": _BLANK_TEXT}]},
}


@dataclass(frozen=True)
class LibraryRow:
    """One line of the library: the item, where it is released, and who it is for."""

    key: str
    kind: str
    name: str
    status: str
    live_version: int | None
    preview_version: int | None
    latest_version: int | None
    draft_changed: bool
    audience: str
    updated: str


def kind_labels(locale: str) -> dict[str, str]:
    """Each content kind's name in the member's language."""
    t = translator(locale)
    return {
        "walkthrough": t("content.kind.walkthrough"),
        "smart_tip": t("content.kind.smart_tip"),
        "shoutout": t("content.kind.shoutout"),
        "launcher": t("content.kind.launcher"),
        "shuttle": t("content.kind.shuttle"),
        "task": t("content.kind.task"),
        "resource": t("content.kind.resource"),
        "menu": t("content.kind.menu"),
        "survey": t("content.kind.survey"),
    }


def status_labels(locale: str) -> dict[str, str]:
    """Each status's name in the member's language."""
    t = translator(locale)
    return {
        "draft": t("content.status.draft"),
        "published": t("content.status.published"),
        "archived": t("content.status.archived"),
    }


def display_status(summary: ItemSummary) -> str:
    """Draft, published or archived, where published means people see it: released in
    production (a release to staging is a preview, so the item is still a draft)."""
    if summary.status is Status.ARCHIVED:
        return Status.ARCHIVED.value
    if Environment.PRODUCTION.value in summary.released:
        return Status.PUBLISHED.value
    return Status.DRAFT.value


def audience_summary(document: Any, segment_names: dict[str, str], locale: str) -> str:
    """Who an item is for, in a few words: everyone, a segment's name, and/or custom rules."""
    t = translator(locale)
    audience = getattr(document, "audience", None)
    if audience is None:
        return t("content.audience.everyone")
    if audience.segment is None:
        return t("content.audience.rules")
    segment: str = segment_names.get(audience.segment, audience.segment)
    if audience.rules is None:
        return segment
    return t("content.audience.segment_and_rules", segment=segment)


def short_date(value: datetime, locale: str, timezone: str | None) -> str:
    """The day of a time in the member's zone, as their language writes it (a list needs no
    seconds)."""
    try:
        zone: tzinfo = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return format_date(value.astimezone(zone).date(), "medium", locale=locale)


def library_rows(page: Page, app_id: str) -> list[LibraryRow]:
    """Every item of the app (archived ones too), walkthroughs first, by name within a kind."""
    summaries = library.summaries(page.db, app_id, include_archived=True)
    drafts = {d.key: d for d in library.drafts(page.db, app_id, include_archived=True)}
    names = {row.key: row.name for row in list_segments(page.db, app_id)}
    return [
        LibraryRow(
            key=s.key,
            kind=s.kind,
            name=s.name,
            status=display_status(s),
            live_version=s.released.get(Environment.PRODUCTION.value),
            preview_version=s.released.get(Environment.STAGING.value),
            latest_version=s.latest_version,
            draft_changed=s.draft_changed,
            audience=audience_summary(drafts.get(s.key), names, page.locale),
            updated=short_date(s.updated_at, page.locale, page.timezone),
        )
        for s in sorted(summaries, key=lambda s: (KINDS.index(s.kind), s.name.casefold()))
    ]


def shown(row: LibraryRow, kind: str, status: str, search: str) -> bool:
    """Whether the library's filters keep the row: no status chosen hides archived items."""
    if kind and row.kind != kind:
        return False
    if status and row.status != status:
        return False
    if not status and row.status == Status.ARCHIVED.value:
        return False
    words = search.casefold().split()
    haystack = f"{row.name} {row.key}".casefold()
    return all(word in haystack for word in words)


@router.get("/console/apps/{app_id}/content")
def library_page(
    page: ConsolePage, app_id: str, kind: str = "", status: str = "", q: str = ""
) -> HTMLResponse:
    """The content library, filtered by kind, status and words of the name (the filters are
    in the URL, so a link keeps them; the page's script filters again as the builder types)."""
    app = page.app(app_id, Permission.VIEW)
    kind = kind if kind in KINDS else ""
    status = status if status in {s.value for s in Status} else ""
    rows = library_rows(page, app.id)
    return page.render(
        "app/content.html",
        section="content",
        rows=rows,
        visible={row.key for row in rows if shown(row, kind, status, q)},
        kind=kind,
        status_filter=status,
        search=q,
        kinds=kind_labels(page.locale),
        statuses=status_labels(page.locale),
    )


def _segments(page: Page, app_id: str) -> list[dict[str, str]]:
    return [{"key": row.key, "name": row.name} for row in list_segments(page.db, app_id)]


def _preview_site(page: Page, app_id: str) -> str:
    """Where a preview opens by default: the demo app for the demo's app, else nothing (the
    builder gives their site's address)."""
    if demo_app_id(page.settings) == app_id:
        base = page.settings.public_url or str(page.request.base_url)
        return base.rstrip("/") + "/demo/"
    return ""


def _weekdays(locale: str) -> list[tuple[str, str]]:
    """The schedule's day values with their short names in the member's language."""
    names = get_day_names("abbreviated", locale=locale)
    return [(day.value, names[n]) for n, day in enumerate(Weekday)]


def _versions_json(versions: list[ContentVersion]) -> str:
    return json.dumps(
        [
            {
                "number": v.number,
                "note": v.note,
                "created_by": v.created_by,
                "created_at": v.created_at.isoformat(),
            }
            for v in versions
        ],
        ensure_ascii=False,
    )


def _editor(
    page: Page,
    app_id: str,
    kind: str,
    document: dict[str, Any],
    versions: list[ContentVersion],
    **context: Any,
) -> HTMLResponse:
    return page.render(
        "app/content_editor.html",
        section="content",
        kind=kind,
        kinds=kind_labels(page.locale),
        statuses=status_labels(page.locale),
        document_json=json.dumps(document, ensure_ascii=False),
        segments=_segments(page, app_id),
        segments_json=json.dumps(_segments(page, app_id), ensure_ascii=False),
        items_json=json.dumps(
            [
                {"key": s.key, "name": s.name, "kind": s.kind}
                for s in library.summaries(page.db, app_id)
                if s.key != document.get("key")
            ],
            ensure_ascii=False,
        ),
        preview_site=_preview_site(page, app_id),
        preview_minutes=PREVIEW_MINUTES,
        weekdays=_weekdays(page.locale),
        can_count=page.can(Permission.READ_EVENTS.value),
        versions_json=_versions_json(versions),
        **context,
    )


@router.get("/console/apps/{app_id}/content/new/{kind}")
def new_item(page: ConsolePage, app_id: str, kind: str) -> HTMLResponse:
    """The editor for a new item of a kind (for members who may edit content)."""
    app = page.app(app_id, Permission.EDIT_CONTENT)
    if kind not in KINDS:
        raise ConsoleError(404, translator(page.locale)("error.not_found"))
    document = {"kind": kind, "key": "", "name": "", **TEMPLATES[kind]}
    return _editor(
        page,
        app.id,
        kind,
        document,
        [],
        item=None,
        item_status=Status.DRAFT.value,
        live_version=None,
        preview_version=None,
        yaml_text="",
    )


@router.get("/console/apps/{app_id}/content/item/{key}")
def edit_item(page: ConsolePage, app_id: str, key: str) -> HTMLResponse:
    """One item's editor: its draft in a form and as YAML, its versions, publish and preview
    (read-only for members who may not edit content)."""
    app = page.app(app_id, Permission.VIEW)
    found = [s for s in library.summaries(page.db, app.id, include_archived=True) if s.key == key]
    if not found:
        raise ConsoleError(404, translator(page.locale)("error.not_found"))
    summary = found[0]
    draft = library.get_draft(page.db, app.id, key)
    return _editor(
        page,
        app.id,
        summary.kind,
        canonical(draft),
        library.versions(page.db, app.id, key),
        item=summary,
        item_status=display_status(summary),
        live_version=summary.released.get(Environment.PRODUCTION.value),
        preview_version=summary.released.get(Environment.STAGING.value),
        yaml_text=dump_yaml(draft),
    )


def check_csrf(page: Page) -> None:
    """Refuse a console call without the session's CSRF token in its header."""
    if not csrf_matches(page.signed_in.csrf_token, page.request.headers.get(CSRF_HEADER)):
        raise Forbidden(
            "a change made with a console session needs the session's X-CSRF-Token header",
            field="X-CSRF-Token",
            code="csrf",
        )


def api_app(page: Page, app_id: str, needs: Permission) -> str:
    """The app a console call is about, refused as the API refuses (JSON, not the error page)."""
    page.current = app_for(page.db, page.principal, app_id, needs)
    return page.current.id


class DocumentIn(BaseModel):
    """A document as plain data, as the form holds it (possibly not valid yet)."""

    document: dict[str, Any]


class YamlIn(BaseModel):
    """A document as YAML text, as the YAML view holds it."""

    yaml: str = Field(max_length=MAX_YAML)
    kind: str | None = Field(None, description="The kind the document must have.")
    key: str | None = Field(None, description="The key the document must have.")


def yaml_text(data: dict[str, Any], parse: Any) -> tuple[str, list[dict[str, Any]]]:
    """The YAML of a document as `waypost content export` writes it, and the problems found;
    a document that is not valid yet is written as it is (kind and key first), so that what
    is half-edited in the form can be finished in the YAML view."""
    try:
        return dump_yaml(parse(data)), []
    except InvalidInput as exc:
        ordered = {"kind": data.get("kind"), "key": data.get("key"), **data}
        text: str = yaml.safe_dump(
            ordered, sort_keys=False, allow_unicode=True, width=100, indent=2
        )
        problems = exc.problems or [{"field": exc.field, "message": exc.message}]
        return text, problems


def document_of_yaml(
    text: str, family: Literal["content", "segment"], kind: str | None, key: str | None
) -> dict[str, Any]:
    """The one document a YAML text holds, as plain data in its canonical order; InvalidInput
    naming the line and field of the first problem (and listing all)."""
    try:
        found = read_documents(text, YAML_NAME)
    except InvalidInput as exc:
        raise _without_file(exc) from None
    if len(found) != 1:
        raise InvalidInput("the YAML must hold exactly one document", field="yaml")
    document = found[0].document
    is_segment = isinstance(document, SegmentDocument)
    if is_segment != (family == "segment"):
        wanted = "segment" if family == "segment" else "content item"
        raise InvalidInput(f"line 1: this editor holds a {wanted}", field="kind")
    if kind and document.kind != kind:
        raise InvalidInput(f"line 1: kind must stay {kind!r}", field="kind")
    if key and document.key != key:
        raise InvalidInput(f"line 1: key must stay {key!r}", field="key")
    return canonical(document)


def _without_file(error: InvalidInput) -> InvalidInput:
    """The error of reading the YAML view, without the file name the reader puts first (there
    is one text, and its lines are what the builder sees)."""
    prefix = f"{YAML_NAME}, l"
    message = error.message
    if message.startswith(prefix):
        message = "L" + message.removeprefix(prefix)
    problems = [
        {key: value for key, value in problem.items() if key != "file"}
        for problem in error.problems or []
    ]
    return InvalidInput(message, field=error.field, problems=problems or None)


@router.post("/console/apps/{app_id}/content/yaml")
def content_to_yaml(page: ConsolePage, app_id: str, body: DocumentIn) -> dict[str, Any]:
    """The form's draft as YAML, for the YAML view."""
    check_csrf(page)
    api_app(page, app_id, Permission.VIEW)
    text, problems = yaml_text(body.document, library.parse_document)
    return {"yaml": text, "problems": problems}


@router.post("/console/apps/{app_id}/content/parse")
def content_of_yaml(page: ConsolePage, app_id: str, body: YamlIn) -> dict[str, Any]:
    """The YAML view's text as a draft for the form (422 naming line and field)."""
    check_csrf(page)
    api_app(page, app_id, Permission.VIEW)
    return {"document": document_of_yaml(body.yaml, "content", body.kind, body.key)}


class PreviewIn(BaseModel):
    site: str = Field(min_length=1, max_length=2000, description="The page to preview on.")


def with_parameter(url: str, name: str, value: str) -> str:
    """The URL with one query parameter set (others kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(parts._replace(query=urlencode([*query, (name, value)])))


@router.post("/console/apps/{app_id}/content/item/{key}/preview")
def preview_link(page: ConsolePage, app_id: str, key: str, body: PreviewIn) -> dict[str, Any]:
    """A link to the builder's site that asks the snippet for the item's preview release (the
    draft published to staging) for this member only, for PREVIEW_MINUTES."""
    check_csrf(page)
    api_app(page, app_id, Permission.EDIT_CONTENT)
    if not body.site.startswith(("https://", "http://")):
        raise InvalidInput("the site's address must start with https:// or http://", field="site")
    found = [s for s in library.summaries(page.db, app_id) if s.key == key]
    if not found:
        raise NotFound(f"no content item {key!r} in this app", field="key")
    version = found[0].released.get(Environment.STAGING.value)
    if version is None:
        raise InvalidInput(f"{key!r} has no preview release: publish it to staging", field="key")
    expires = datetime.now(UTC) + timedelta(minutes=PREVIEW_MINUTES)
    token = preview_links.issue(
        page.settings.signing_secret(), app_id, key, version, page.signed_in.user.id, expires
    )
    return {
        "url": with_parameter(body.site, PREVIEW_PARAMETER, token),
        "version": version,
        "expires_at": expires.isoformat(timespec="seconds"),
    }
