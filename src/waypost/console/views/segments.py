"""Segments: the app's saved audiences, what each says in words and what uses it, and an editor
with a rule builder (traits, account traits, events done N times within days, other segments;
all/any/none of them) whose live count and sample of matching people follow the rules as the
builder edits them, beside the YAML content as code keeps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from waypost.console.shell import ConsoleError, ConsolePage, Page
from waypost.console.views.content import (
    DocumentIn,
    YamlIn,
    api_app,
    check_csrf,
    document_of_yaml,
    yaml_text,
)
from waypost.guidance import library
from waypost.guidance.conditions import Match
from waypost.guidance.documents import rules_in
from waypost.guidance.files import canonical, dump_yaml, invalid_input
from waypost.guidance.rules import Rule
from waypost.guidance.segments import SEGMENT_DOCUMENT, SegmentDocument, segment_documents
from waypost.i18n import translator
from waypost.tenancy.roles import Permission

router = APIRouter(include_in_schema=False)

# A condition's operator as a few characters or words (values follow it).
_SYMBOLS = {"eq": "=", "neq": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}


@dataclass(frozen=True)
class SegmentRow:
    """One line of the segments list."""

    key: str
    name: str
    description: str
    summary: str
    used_by: list[str]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # bounds are kept as floats; 200 reads better than 200.0
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    return str(value)


def match_words(match: Match, locale: str) -> str:
    """Conditions on one value in words: `≥ 20`, `is one of trial, pro`, `is set`."""
    t = translator(locale)
    parts = []
    for name in sorted(match.model_fields_set):
        value = getattr(match, name)
        if name in _SYMBOLS:
            parts.append(f"{_SYMBOLS[name]} {_value(value)}")
        elif name == "in_":
            parts.append(t("segments.words.in", values=_value(value)))
        elif name == "not_in":
            parts.append(t("segments.words.not_in", values=_value(value)))
        elif name == "contains":
            parts.append(t("segments.words.contains", value=value))
        elif name == "starts_with":
            parts.append(t("segments.words.starts_with", value=value))
        elif name == "exists":
            parts.append(t("segments.words.set") if value else t("segments.words.not_set"))
        else:
            parts.append(f"{name} {_value(value)}")
    return t("segments.words.and").join(parts) or t("segments.words.set")


def rule_words(rule: Rule, names: dict[str, str], locale: str, top: bool = True) -> str:
    """A rule tree in words, as the list shows it: `plan = trial and did Report Built ≥ 2
    times in 30 days`."""
    t = translator(locale)

    def group(children: list[Rule], joiner: str) -> str:
        text = joiner.join(rule_words(child, names, locale, top=False) for child in children)
        return text if top else f"({text})"

    if rule.all is not None:
        return group(rule.all, t("segments.words.and"))
    if rule.any is not None:
        return group(rule.any, t("segments.words.or"))
    if rule.not_ is not None:
        return t("segments.words.not", rule=rule_words(rule.not_, names, locale, top=False))
    if rule.trait is not None:
        return t("segments.words.and").join(
            f"{name} {match_words(match, locale)}" for name, match in rule.trait.items()
        )
    if rule.account is not None:
        return t("segments.words.and").join(
            t("segments.words.account", name=name, condition=match_words(match, locale))
            for name, match in rule.account.items()
        )
    if rule.did is not None:
        did = rule.did
        what = did.event or did.action or ""
        if did.within_days is None:
            return t("segments.words.did_ever", event=what, times=did.at_least)
        return t("segments.words.did", event=what, times=did.at_least, days=did.within_days)
    if rule.segment is not None:
        return t("segments.words.segment", name=names.get(rule.segment, rule.segment))
    if rule.first_seen is not None:
        days_ago = match_words(rule.first_seen.days_ago, locale)
        return t("segments.words.first_seen", condition=days_ago)
    given = next(name for name in type(rule).model_fields if getattr(rule, name) is not None)
    return given


def uses(page: Page, app_id: str, segments: list[SegmentDocument]) -> dict[str, list[str]]:
    """The names of the content items and segments that refer to each segment."""
    found: dict[str, list[str]] = {}
    for document in library.drafts(page.db, app_id):
        keys = {ref for rule in rules_in(document) for ref in rule.segments()}
        audiences = [getattr(document, "audience", None)]
        audiences += [section.audience for section in getattr(document, "sections", None) or []]
        keys |= {a.segment for a in audiences if a is not None and a.segment is not None}
        for key in keys:
            found.setdefault(key, []).append(document.name)
    for segment in segments:
        for key in segment.rules.segments():
            found.setdefault(key, []).append(segment.name)
    return found


@router.get("/console/apps/{app_id}/segments")
def segments_page(page: ConsolePage, app_id: str) -> HTMLResponse:
    """Every saved segment with its rules in words, what uses it, and (from the page's script)
    how many people are in it now."""
    app = page.app(app_id, Permission.VIEW)
    documents = segment_documents(page.db, app.id)
    names = {d.key: d.name for d in documents}
    used = uses(page, app.id, documents)
    rows = [
        SegmentRow(
            key=d.key,
            name=d.name,
            description=d.description or "",
            summary=rule_words(d.rules, names, page.locale),
            used_by=sorted(used.get(d.key, []), key=str.casefold),
        )
        for d in sorted(documents, key=lambda d: d.name.casefold())
    ]
    return page.render(
        "app/segments.html",
        section="segments",
        rows=rows,
        can_count=page.can(Permission.READ_EVENTS.value),
    )


def _editor(page: Page, app_id: str, document: dict[str, Any], **context: Any) -> HTMLResponse:
    others = [
        {"key": d.key, "name": d.name}
        for d in segment_documents(page.db, app_id)
        if d.key != document.get("key")
    ]
    return page.render(
        "app/segments_editor.html",
        section="segments",
        document_json=json.dumps(document, ensure_ascii=False),
        segments_json=json.dumps(others, ensure_ascii=False),
        can_count=page.can(Permission.READ_EVENTS.value),
        **context,
    )


@router.get("/console/apps/{app_id}/segments/new")
def new_segment(page: ConsolePage, app_id: str) -> HTMLResponse:
    """The editor for a new segment (for members who may edit content)."""
    app = page.app(app_id, Permission.EDIT_CONTENT)
    document = {"kind": "segment", "key": "", "name": "", "rules": {"all": []}}
    return _editor(page, app.id, document, segment=None, yaml_text="")


@router.get("/console/apps/{app_id}/segments/item/{key}")
def edit_segment(page: ConsolePage, app_id: str, key: str) -> HTMLResponse:
    """One segment's rule builder, live count and YAML (read-only for members who may not
    edit content)."""
    app = page.app(app_id, Permission.VIEW)
    found = [d for d in segment_documents(page.db, app.id) if d.key == key]
    if not found:
        raise ConsoleError(404, translator(page.locale)("error.not_found"))
    document = found[0]
    return _editor(
        page,
        app.id,
        canonical(document),
        segment=document,
        yaml_text=dump_yaml(document),
    )


def _segment(data: dict[str, Any]) -> SegmentDocument:
    try:
        return SEGMENT_DOCUMENT.validate_python(data)
    except ValidationError as exc:
        raise invalid_input(exc) from None


@router.post("/console/apps/{app_id}/segments/yaml")
def segment_to_yaml(page: ConsolePage, app_id: str, body: DocumentIn) -> dict[str, Any]:
    """The builder's segment as YAML, for the YAML view."""
    check_csrf(page)
    api_app(page, app_id, Permission.VIEW)
    text, problems = yaml_text({**body.document, "kind": "segment"}, _segment)
    return {"yaml": text, "problems": problems}


@router.post("/console/apps/{app_id}/segments/parse")
def segment_of_yaml(page: ConsolePage, app_id: str, body: YamlIn) -> dict[str, Any]:
    """The YAML view's text as a segment for the builder (422 naming line and field)."""
    check_csrf(page)
    api_app(page, app_id, Permission.VIEW)
    return {"document": document_of_yaml(body.yaml, "segment", None, body.key)}
