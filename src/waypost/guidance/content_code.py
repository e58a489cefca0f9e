"""Content as code: an app's segments and content drafts to files and back, whole or not at all
(one bad document refuses the set, naming its file, line and field)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from waypost.errors import InvalidInput, WaypostError
from waypost.guidance.files import Located, dump_json, dump_yaml, file_name, read_documents
from waypost.guidance.library import (
    Environment,
    check_references,
    drafts,
    get_draft,
    publish,
    save_draft,
)
from waypost.guidance.segments import (
    SegmentDocument,
    check_segments,
    save_segment,
    segment_documents,
)


@dataclass
class ImportReport:
    """What an import did: documents read, items created or changed, left as they were, and
    versions published (key → number)."""

    read: int = 0
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    published: dict[str, int] = field(default_factory=dict)


def _at(located: Located, error: WaypostError) -> InvalidInput:
    return InvalidInput(
        f"{located.path}, line {located.line}: {error.message}", field=error.field or "key"
    )


def import_documents(
    session: Session,
    app_id: str,
    documents: list[Located],
    publish_to: Environment | None = None,
    by: str | None = None,
) -> ImportReport:
    """Save every document (segments first, then content drafts), check what they refer to as
    a set, and publish the content when asked. The caller's transaction holds it all: on an
    error nothing of it may be committed."""
    report = ImportReport(read=len(documents))
    segments = [d for d in documents if isinstance(d.document, SegmentDocument)]
    content = [d for d in documents if not isinstance(d.document, SegmentDocument)]
    for located in segments:
        save_segment(session, app_id, located.document, check=False)
        report.segments.append(located.document.key)
    try:
        check_segments(session, app_id)
    except WaypostError as exc:
        raise InvalidInput(f"segments: {exc.message}", field="rules") from None
    for located in content:
        document = located.document
        try:
            before = dump_yaml(get_draft(session, app_id, document.key))
        except WaypostError:
            before = None
        try:
            save_draft(session, app_id, document)
        except WaypostError as exc:
            raise _at(located, exc) from None
        if before is None:
            report.created.append(document.key)
        elif before != dump_yaml(document):
            report.changed.append(document.key)
        else:
            report.unchanged.append(document.key)
    for located in content:
        try:
            check_references(session, app_id, located.document)
        except WaypostError as exc:
            raise _at(located, exc) from None
    if publish_to is not None:
        for located in content:
            version = publish(session, app_id, located.document.key, publish_to, by=by)
            report.published[located.document.key] = version.number
    return report


def import_texts(
    session: Session,
    app_id: str,
    files: dict[str, str],
    publish_to: Environment | None = None,
    by: str | None = None,
) -> ImportReport:
    """Import documents given as file texts by name (the API's form of a directory)."""
    located: list[Located] = []
    seen: dict[tuple[bool, str], Located] = {}
    for name in sorted(files):
        for found in read_documents(files[name], name):
            ident = (isinstance(found.document, SegmentDocument), found.document.key)
            if ident in seen:
                first = seen[ident]
                raise InvalidInput(
                    f"{found.path}, line {found.line}: key {found.document.key!r} is already "
                    f"used at {first.path}, line {first.line}",
                    field="key",
                )
            seen[ident] = found
            located.append(found)
    return import_documents(session, app_id, located, publish_to, by)


def export_documents(session: Session, app_id: str, json_format: bool = False) -> dict[str, str]:
    """Every segment and content draft of the app as file texts by relative path."""
    dump = dump_json if json_format else dump_yaml
    documents: list[Any] = [*segment_documents(session, app_id), *drafts(session, app_id)]
    return {file_name(d, json_format): dump(d) for d in documents}
