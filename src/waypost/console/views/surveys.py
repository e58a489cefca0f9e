"""Surveys: every survey of the app with its responses and score, and one survey's results
(score with its interval, distribution, trend, breakdown, choices, answers in words with
search, follow-ups and exports).

The server renders what the metadata database holds (surveys, questions, follow-ups, saved
segments); the numbers come from the insights API, asked by the page's script after load, so a
page is quick to serve however many answers there are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from waypost.console.shell import ConsoleError, ConsolePage, Page
from waypost.errors import NotFound
from waypost.guidance import library
from waypost.guidance.conditions import Match
from waypost.guidance.documents import FollowUp, Question, QuestionType, Survey
from waypost.guidance.segments import list_segments
from waypost.i18n import translator
from waypost.tenancy.roles import Permission

router = APIRouter(include_in_schema=False)

SURVEY = "survey"
# Question types whose answers are scores, with a score and an interval.
SCALES = frozenset({QuestionType.NPS, QuestionType.CSAT, QuestionType.CES, QuestionType.RATING})
CHOICES = frozenset({QuestionType.SINGLE, QuestionType.MULTIPLE})


def localized(text: Any, locale: str) -> str:
    """A text of a content document in the member's language (else English, else any)."""
    if isinstance(text, str):
        return text
    if not text:
        return ""
    return str(text.get(locale) or text.get("en") or next(iter(text.values())))


@dataclass(frozen=True)
class QuestionView:
    """One question as the results page lays it out."""

    number: int
    key: str
    type: str
    text: str
    group: str  # scale, choice or text: which cards the page shows for it
    low: int | None
    high: int | None
    options: list[dict[str, str]]
    other: bool

    def data(self) -> str:
        """What the page's script needs to draw the question's results, as JSON."""
        return json.dumps(
            {
                "key": self.key,
                "type": self.type,
                "group": self.group,
                "low": self.low,
                "high": self.high,
                "options": self.options,
                "other": self.other,
            },
            ensure_ascii=False,
        )


def question_view(number: int, question: Question, locale: str) -> QuestionView:
    """A question with its text and option labels in the member's language."""
    scale = question.answer_range()
    group = "scale" if question.type in SCALES else "choice" if question.type in CHOICES else "text"
    return QuestionView(
        number=number,
        key=question.key,
        type=question.type.value,
        text=localized(question.text, locale),
        group=group,
        low=scale[0] if scale else None,
        high=scale[1] if scale else None,
        options=[
            {"key": option.key, "label": localized(option.label, locale)}
            for option in question.options or ()
        ],
        other=question.other,
    )


def condition_words(match: Match, locale: str, labels: dict[str, str] | None = None) -> str:
    """A follow-up's condition on an answer in words ("6 or less", "My file's format"); a
    choice's option keys are said by their labels."""
    t = translator(locale)
    known = labels or {}

    def said(value: Any) -> str:
        return known.get(str(value), str(value))

    parts = []
    given = match.model_dump(exclude_none=True)
    if "eq" in given:
        parts.append(t("surveys.when.eq", value=said(given["eq"])))
    if "neq" in given:
        parts.append(t("surveys.when.neq", value=said(given["neq"])))
    if "in_" in given:
        parts.append(t("surveys.when.in", values=", ".join(map(said, given["in_"]))))
    if "not_in" in given:
        parts.append(t("surveys.when.not_in", values=", ".join(map(said, given["not_in"]))))
    if "contains" in given:
        parts.append(t("surveys.when.contains", value=given["contains"]))
    if "gt" in given:
        parts.append(t("surveys.when.gt", value=_plain(given["gt"])))
    if "gte" in given:
        parts.append(t("surveys.when.gte", value=_plain(given["gte"])))
    if "lt" in given:
        parts.append(t("surveys.when.lt", value=_plain(given["lt"])))
    if "lte" in given:
        parts.append(t("surveys.when.lte", value=_plain(given["lte"])))
    if not parts:
        parts.append(t("surveys.when.any"))
    return t("surveys.when.and").join(parts)


def _plain(value: float) -> str:
    """6.0 as 6: scores are whole numbers."""
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class FollowUpView:
    """A follow-up: which answer to which question shows which item."""

    question: str
    question_number: int
    condition: str
    show: str
    match: str  # the condition as JSON, so the script can count the answers meeting it


def follow_up_view(follow: FollowUp, questions: list[QuestionView], locale: str) -> FollowUpView:
    """A follow-up in words, with the question it listens to."""
    question = next((q for q in questions if q.key == follow.question), None)
    labels = {option["key"]: option["label"] for option in question.options} if question else {}
    return FollowUpView(
        question=follow.question,
        question_number=question.number if question else 0,
        condition=condition_words(follow.answer, locale, labels),
        show=follow.show,
        match=json.dumps(follow.answer.model_dump(exclude_none=True, by_alias=True)),
    )


def _survey(page: Page, app_id: str, key: str) -> tuple[Survey, str]:
    """The survey's draft and its status; the error page when there is no such survey."""
    t = translator(page.locale)
    try:
        document = library.get_draft(page.db, app_id, key)
    except NotFound:
        raise ConsoleError(404, t("surveys.not_found")) from None
    if not isinstance(document, Survey):
        raise ConsoleError(404, t("surveys.not_found"))
    status = next(
        (s.status.value for s in library.summaries(page.db, app_id, True) if s.key == key), "draft"
    )
    return document, status


# How far back the results look when the link does not say.
DEFAULT_DAYS = 90
BREAKDOWNS = ("", "segments", "account", "person")


@dataclass(frozen=True)
class Filters:
    """The results page's period, trend interval and breakdown, read from its URL so that a
    link reproduces the view."""

    date_from: date
    date_to: date  # the last day shown (inclusive)
    interval: str
    by: str
    trait: str


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filters(page: Page) -> Filters:
    """The filters the URL gives, else the last 90 days in the member's zone, by week."""
    params = page.request.query_params
    zone = ZoneInfo(page.timezone or "UTC")
    today = datetime.now(UTC).astimezone(zone).date()
    date_to = _day(params.get("to")) or today
    date_from = _day(params.get("from")) or date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    interval = params.get("interval") if params.get("interval") in ("week", "month") else "week"
    by = params.get("by", "")
    trait = (params.get("trait") or "plan").strip()[:200]
    return Filters(date_from, date_to, interval or "week", by if by in BREAKDOWNS else "", trait)


@router.get("/console/apps/{app_id}/surveys")
def surveys(page: ConsolePage, app_id: str) -> HTMLResponse:
    """Every survey of the app; their responses and scores arrive from the page's script."""
    app = page.app(app_id, Permission.QUERY_INSIGHTS)
    listed = []
    for summary in library.summaries(page.db, app.id):
        if summary.kind != SURVEY:
            continue
        document = library.get_draft(page.db, app.id, summary.key)
        first = question_view(1, document.questions[0], page.locale)
        listed.append(
            {
                "key": summary.key,
                "name": summary.name,
                "status": summary.status.value,
                "questions": len(document.questions),
                "first": first,
            }
        )
    return page.render("app/surveys.html", section="surveys", surveys=listed)


@router.get("/console/apps/{app_id}/surveys/{key}")
def survey_results(page: ConsolePage, app_id: str, key: str) -> HTMLResponse:
    """One survey's results, question by question."""
    app = page.app(app_id, Permission.QUERY_INSIGHTS)
    survey, status = _survey(page, app.id, key)
    questions = [
        question_view(number, question, page.locale)
        for number, question in enumerate(survey.questions, start=1)
    ]
    segments = [{"key": s.key, "name": s.name} for s in list_segments(page.db, app.id)]
    return page.render(
        "app/surveys_results.html",
        section="surveys",
        survey=survey,
        survey_status=status,
        filters=filters(page),
        questions=questions,
        follow_ups=[follow_up_view(f, questions, page.locale) for f in survey.follow_ups or ()],
        segments=segments,
        segments_json=json.dumps(segments, ensure_ascii=False),
    )
