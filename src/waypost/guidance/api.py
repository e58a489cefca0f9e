"""The admin API of guidance: content items (drafts, publish, versions, diff, revert, archive),
content as code (import, export), segments, and each app's guidance settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from waypost.errors import Forbidden, InvalidInput
from waypost.guidance import library
from waypost.guidance.actions import check_actions, countable_actions
from waypost.guidance.app_settings import (
    AppSettings,
    app_settings,
    identity_secret,
    rotate_identity_secret,
    save_app_settings,
)
from waypost.guidance.content_code import ImportReport, export_documents, import_texts
from waypost.guidance.documents import Document
from waypost.guidance.files import canonical
from waypost.guidance.library import Environment
from waypost.guidance.models import ContentVersion
from waypost.guidance.preview import preview
from waypost.guidance.rules import Rule, check_depth
from waypost.guidance.segments import (
    SegmentDocument,
    SegmentOut,
    app_segment_rules,
    delete_segment,
    get_segment,
    list_segments,
    save_segment,
    segment_out,
)
from waypost.tenancy.roles import Permission
from waypost.web.deps import DB, Caller, caller_app

router = APIRouter(prefix="/api/v1", tags=["guidance"])


class ItemOut(BaseModel):
    """A content item at a glance, with its draft document when asked for one item."""

    key: str
    kind: str
    name: str
    status: library.Status
    latest_version: int | None
    released: dict[str, int] = Field(description="Version shown per environment.")
    draft_changed: bool = Field(description="The draft differs from the latest version.")
    updated_at: datetime
    draft: dict[str, Any] | None = None


class VersionOut(BaseModel):
    """A published version of an item."""

    number: int
    note: str
    created_by: str | None
    created_at: datetime
    document: dict[str, Any] | None = None


class PublishIn(BaseModel):
    environment: Environment = Environment.PRODUCTION
    note: str = Field("", max_length=2000)


class EnvironmentIn(BaseModel):
    environment: Environment = Environment.PRODUCTION


# Version numbers fit the metadata database's integer column; larger ones name no version.
MAX_VERSION = 2**31 - 1


class RevertIn(BaseModel):
    version: int = Field(ge=1, le=MAX_VERSION)


class DiffOut(BaseModel):
    diff: str = Field(description="A unified diff of the two versions' YAML.")


class FilesIn(BaseModel):
    """Content files, as `waypost content import` reads them from a directory."""

    files: dict[str, str] = Field(
        min_length=1, max_length=5000, description="File name (.yaml, .yml, .json) → its text."
    )
    publish: bool = False
    environment: Environment = Environment.PRODUCTION


class FilesOut(BaseModel):
    files: dict[str, str] = Field(description="Relative path → file text.")


class ImportOut(BaseModel):
    read: int
    created: list[str]
    changed: list[str]
    unchanged: list[str]
    segments: list[str]
    published: dict[str, int]


class SettingsOut(AppSettings):
    identity_secret: str | None = Field(
        None, description="Shown to callers who may manage the app's keys."
    )


def _forget(request: Request, app_id: str) -> None:
    request.app.state.catalogues.forget(app_id)
    request.app.state.identity_gate.forget(app_id)


def _item_out(summary: library.ItemSummary, draft: Any = None) -> ItemOut:
    return ItemOut(
        key=summary.key,
        kind=summary.kind,
        name=summary.name,
        status=summary.status,
        latest_version=summary.latest_version,
        released=summary.released,
        draft_changed=summary.draft_changed,
        updated_at=summary.updated_at,
        draft=canonical(draft) if draft is not None else None,
    )


def _one(db: DB, app_id: str, key: str) -> ItemOut:
    found = [s for s in library.summaries(db, app_id, include_archived=True) if s.key == key]
    if not found:
        library.get_draft(db, app_id, key)  # raises NotFound naming the key
    return _item_out(found[0], library.get_draft(db, app_id, key))


def _version_out(row: ContentVersion, with_document: bool) -> VersionOut:
    return VersionOut(
        number=row.number,
        note=row.note,
        created_by=row.created_by,
        created_at=row.created_at,
        document=canonical(library.load_document(row.document)) if with_document else None,
    )


def _author(caller: Caller) -> str | None:
    return caller.signed_in.user.email if caller.signed_in else "secret key"


@router.get("/content", response_model=list[ItemOut])
def list_content(
    db: DB,
    caller: Caller,
    app_id: str | None = None,
    archived: bool = Query(False, description="Include archived items."),
) -> list[ItemOut]:
    """Every content item of the app with its status and versions, by key."""
    app = caller_app(db, caller, app_id, Permission.VIEW)
    return [_item_out(s) for s in library.summaries(db, app.id, include_archived=archived)]


@router.post("/content", response_model=ItemOut, status_code=201)
def create_content(
    request: Request, db: DB, caller: Caller, document: Document, app_id: str | None = None
) -> ItemOut:
    """Save a content document as its item's draft (created when the key is new)."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    library.save_draft(db, app.id, document)
    _forget(request, app.id)
    return _one(db, app.id, document.key)


@router.get("/content/{key}", response_model=ItemOut)
def get_content(db: DB, caller: Caller, key: str, app_id: str | None = None) -> ItemOut:
    """One item, with its draft document."""
    app = caller_app(db, caller, app_id, Permission.VIEW)
    return _one(db, app.id, key)


@router.put("/content/{key}", response_model=ItemOut)
def put_content(
    request: Request,
    db: DB,
    caller: Caller,
    key: str,
    document: Document,
    app_id: str | None = None,
) -> ItemOut:
    """Replace the item's draft; the document's key must be the path's."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    if document.key != key:
        raise InvalidInput(f"the document's key {document.key!r} is not {key!r}", field="key")
    library.save_draft(db, app.id, document)
    _forget(request, app.id)
    return _one(db, app.id, key)


@router.delete("/content/{key}", status_code=204)
def archive_content(
    request: Request, db: DB, caller: Caller, key: str, app_id: str | None = None
) -> None:
    """Archive the item: withdrawn from every environment, its versions kept for reports."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    library.archive(db, app.id, key)
    _forget(request, app.id)


@router.post("/content/{key}/publish", response_model=VersionOut)
def publish_content(
    request: Request,
    db: DB,
    caller: Caller,
    key: str,
    body: PublishIn | None = None,
    app_id: str | None = None,
) -> VersionOut:
    """Release the draft in an environment (production by default) as a new version, or as
    the latest when the draft has not changed since."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    wanted = body or PublishIn()
    row = library.publish(db, app.id, key, wanted.environment, wanted.note, _author(caller))
    _forget(request, app.id)
    return _version_out(row, with_document=False)


@router.post("/content/{key}/unpublish", status_code=204)
def unpublish_content(
    request: Request,
    db: DB,
    caller: Caller,
    key: str,
    body: EnvironmentIn | None = None,
    app_id: str | None = None,
) -> None:
    """Stop showing the item in an environment."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    library.unpublish(db, app.id, key, (body or EnvironmentIn()).environment)
    _forget(request, app.id)


@router.get("/content/{key}/versions", response_model=list[VersionOut])
def list_versions(db: DB, caller: Caller, key: str, app_id: str | None = None) -> list[VersionOut]:
    """The item's published versions, newest first."""
    app = caller_app(db, caller, app_id, Permission.VIEW)
    return [_version_out(v, with_document=False) for v in library.versions(db, app.id, key)]


@router.get("/content/{key}/versions/{number}", response_model=VersionOut)
def get_version(
    db: DB,
    caller: Caller,
    key: str,
    number: Annotated[int, Path(ge=1, le=MAX_VERSION)],
    app_id: str | None = None,
) -> VersionOut:
    """One published version with its document."""
    app = caller_app(db, caller, app_id, Permission.VIEW)
    return _version_out(library.version(db, app.id, key, number), with_document=True)


@router.post("/content/{key}/revert", response_model=ItemOut)
def revert_content(
    request: Request, db: DB, caller: Caller, key: str, body: RevertIn, app_id: str | None = None
) -> ItemOut:
    """Make an earlier version the draft again (publish to release it as a new version)."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    library.revert(db, app.id, key, body.version)
    _forget(request, app.id)
    return _one(db, app.id, key)


@router.get("/content/{key}/diff", response_model=DiffOut)
def diff_content(
    db: DB,
    caller: Caller,
    key: str,
    older: str = Query(alias="from", pattern=r"^([1-9][0-9]{0,8}|draft)$"),
    newer: str = Query("draft", alias="to", pattern=r"^([1-9][0-9]{0,8}|draft)$"),
    app_id: str | None = None,
) -> DiffOut:
    """What changed between two versions (a number or `draft`)."""
    app = caller_app(db, caller, app_id, Permission.VIEW)
    return DiffOut(diff=library.diff(db, app.id, key, older, newer))


@router.post("/content-files", response_model=ImportOut)
def import_content(
    request: Request, db: DB, caller: Caller, body: FilesIn, app_id: str | None = None
) -> ImportOut:
    """Import content files (YAML or JSON) as `waypost content import` does: all of them or,
    on the first problem, none, naming the file, line and field."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    target = body.environment if body.publish else None
    report: ImportReport = import_texts(db, app.id, body.files, target, _author(caller))
    _forget(request, app.id)
    return ImportOut(**report.__dict__)


@router.get("/content-files", response_model=FilesOut)
def export_content(
    db: DB,
    caller: Caller,
    app_id: str | None = None,
    format: Literal["yaml", "json"] = "yaml",
) -> FilesOut:
    """Every segment and content draft of the app as files, as `waypost content export`
    writes them."""
    app = caller_app(db, caller, app_id, Permission.VIEW)
    return FilesOut(files=export_documents(db, app.id, json_format=format == "json"))


@router.get("/segments", response_model=list[SegmentOut])
def list_app_segments(db: DB, caller: Caller, app_id: str | None = None) -> list[SegmentOut]:
    """The app's saved segments, by key."""
    app = caller_app(db, caller, app_id, Permission.VIEW)
    return [segment_out(row) for row in list_segments(db, app.id)]


@router.post("/segments", response_model=SegmentOut, status_code=201)
def create_segment(
    request: Request, db: DB, caller: Caller, segment: SegmentDocument, app_id: str | None = None
) -> SegmentOut:
    """Save a segment (replacing the one with its key)."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    row = save_segment(db, app.id, segment)
    _forget(request, app.id)
    return segment_out(row)


class PreviewIn(BaseModel):
    rules: Rule
    sample: int = Field(20, ge=0, le=200)


class PreviewOut(BaseModel):
    """Who matches now: how many persons, of how many, and a sample (by person id)."""

    count: int
    total: int
    sample: list[dict[str, Any]]


def _preview(request: Request, db: DB, app_id: str, rules: Rule, sample: int) -> PreviewOut:
    check_depth(rules, "rules")
    segments = app_segment_rules(db, app_id)
    unknown = sorted(rules.segments() - set(segments))
    if unknown:
        raise InvalidInput(f"rules refer to unknown segment {unknown[0]!r}", field="rules")
    released = {item.key: item for item in library.released_set(db, app_id)}
    check_actions(db, app_id, rules.actions(), "rules")
    actions = countable_actions(db, app_id)
    found = preview(request.app.state.events, app_id, rules, segments, released, actions, sample)
    return PreviewOut(count=found.count, total=found.total, sample=found.sample)


@router.post("/segments/preview", response_model=PreviewOut)
def preview_rules(
    request: Request, db: DB, caller: Caller, body: PreviewIn, app_id: str | None = None
) -> PreviewOut:
    """Who the rules (not saved yet) hold for now: a count and a sample of persons."""
    app = caller_app(db, caller, app_id, Permission.READ_EVENTS)
    return _preview(request, db, app.id, body.rules, body.sample)


@router.get("/segments/{key}/preview", response_model=PreviewOut)
def preview_segment(
    request: Request,
    db: DB,
    caller: Caller,
    key: str,
    sample: int = Query(20, ge=0, le=200),
    app_id: str | None = None,
) -> PreviewOut:
    """Who is in a saved segment now: a count and a sample of persons."""
    app = caller_app(db, caller, app_id, Permission.READ_EVENTS)
    rules = app_segment_rules(db, app.id)
    get_segment(db, app.id, key)  # NotFound naming the key
    return _preview(request, db, app.id, rules[key], sample)


@router.get("/segments/{key}", response_model=SegmentOut)
def get_app_segment(db: DB, caller: Caller, key: str, app_id: str | None = None) -> SegmentOut:
    """One segment."""
    app = caller_app(db, caller, app_id, Permission.VIEW)
    return segment_out(get_segment(db, app.id, key))


@router.put("/segments/{key}", response_model=SegmentOut)
def put_segment(
    request: Request,
    db: DB,
    caller: Caller,
    key: str,
    segment: SegmentDocument,
    app_id: str | None = None,
) -> SegmentOut:
    """Replace a segment; the document's key must be the path's."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    if segment.key != key:
        raise InvalidInput(f"the segment's key {segment.key!r} is not {key!r}", field="key")
    row = save_segment(db, app.id, segment)
    _forget(request, app.id)
    return segment_out(row)


@router.delete("/segments/{key}", status_code=204)
def remove_segment(
    request: Request, db: DB, caller: Caller, key: str, app_id: str | None = None
) -> None:
    """Delete a segment no other segment refers to."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    delete_segment(db, app.id, key)
    _forget(request, app.id)


@router.get("/guidance/settings", response_model=SettingsOut)
def get_guidance_settings(db: DB, caller: Caller, app_id: str | None = None) -> SettingsOut:
    """The app's guidance settings; the identity-verification secret for those who may manage
    the app's keys."""
    app = caller_app(db, caller, app_id, Permission.VIEW)
    secret = identity_secret(db, app.id) if _may_manage(db, caller, app.id) else None
    return SettingsOut(**app_settings(db, app.id).model_dump(), identity_secret=secret)


@router.put("/guidance/settings", response_model=SettingsOut)
def put_guidance_settings(
    request: Request, db: DB, caller: Caller, settings: AppSettings, app_id: str | None = None
) -> SettingsOut:
    """Replace the app's guidance settings (turning identity verification on or off needs
    the right to manage the app's keys)."""
    app = caller_app(db, caller, app_id, Permission.EDIT_CONTENT)
    before = app_settings(db, app.id)
    if settings.identity_verification != before.identity_verification:
        caller_app(db, caller, app.id, Permission.MANAGE_KEYS)
    save_app_settings(db, app.id, settings)
    _forget(request, app.id)
    secret = identity_secret(db, app.id) if _may_manage(db, caller, app.id) else None
    return SettingsOut(**settings.model_dump(), identity_secret=secret)


@router.post("/guidance/identity-secret/rotate", response_model=SettingsOut)
def rotate_secret(
    request: Request, db: DB, caller: Caller, app_id: str | None = None
) -> SettingsOut:
    """Replace the identity-verification secret; hashes made with the old one stop working."""
    app = caller_app(db, caller, app_id, Permission.MANAGE_KEYS)
    secret = rotate_identity_secret(db, app.id)
    _forget(request, app.id)
    return SettingsOut(**app_settings(db, app.id).model_dump(), identity_secret=secret)


def _may_manage(db: DB, caller: Caller, app_id: str) -> bool:
    try:
        caller_app(db, caller, app_id, Permission.MANAGE_KEYS)
    except Forbidden:
        return False
    return True
