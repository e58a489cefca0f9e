"""Survey results: one question's responses, response rate, score with its 95% interval,
distribution or option counts, trend, breakdown, and its answers in words; or every answer to
the survey as a CSV or XLSX file.

Each person counts once per question (in a trend, once per period, in a breakdown once per
value): their latest answer in the range. Skipped questions send no answer and do not count.
The response rate is the people who answered the question over the people shown the survey.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel

from waypost.errors import InvalidInput
from waypost.events.store import EventQueries
from waypost.guidance.documents import QuestionType, Survey
from waypost.insights._sql import OTHER, Compilation, bucket, records
from waypost.insights.actions import Actions
from waypost.insights.catalog import ContentCatalog
from waypost.insights.exports import ExportFile, csv_file, xlsx_file
from waypost.insights.intervals import interval_starts
from waypost.insights.queries import Source, SurveyQuery
from waypost.insights.stats import Estimate, mean, nps, wilson

ANSWERED = "$survey_answered"
SHOWN = "$survey_shown"
# A choice's free text comes as `other:<text>`.
OTHER_PREFIX = "other:"


class Score(BaseModel):
    """The question's score: NPS in points, CSAT as a share, CES and ratings as a mean."""

    measure: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    note: str | None


class ValueCount(BaseModel):
    value: int
    count: int
    share: float


class OptionCount(BaseModel):
    key: str
    label: str
    count: int
    share: float


class Responses(BaseModel):
    """What a set of answers says: how many people answered and what."""

    responded: int
    score: Score | None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    distribution: list[ValueCount]
    options: list[OptionCount]


class SurveyPeriod(Responses):
    start: datetime


class SurveyGroup(Responses):
    value: str


class TextAnswer(BaseModel):
    answered_at: datetime
    person_id: int
    user_id: str | None
    account_id: str | None
    text: str


class SurveyResult(Responses):
    kind: str = "survey"
    survey: str
    question: str
    question_type: str
    shown: int
    response_rate: float | None
    ignored: int
    trend: list[SurveyPeriod]
    breakdown: list[SurveyGroup]
    answers: list[TextAnswer]
    answers_total: int


@dataclass(frozen=True)
class Answer:
    """One stored answer."""

    person: int
    user_id: str | None
    account_id: str | None
    at: datetime
    question: str
    value: Any
    period: datetime
    group: str


def _question(survey: Survey, key: str | None) -> Any:
    if key is None:
        return survey.questions[0]
    for question in survey.questions:
        if question.key == key:
            return question
    known = ", ".join(q.key for q in survey.questions)
    raise InvalidInput(f"the survey has no question {key!r} (it has {known})", field="question")


def _answers(
    store: EventQueries, app_id: str, query: SurveyQuery, actions: Actions | None
) -> tuple[list[Answer], set[int]]:
    """Every answer to the survey in the range (all questions), oldest first, and the people
    shown it in the range."""
    sql = Compilation(actions)
    props, params = sql.props, sql.params
    conditions = props.scope(query, app_id, "e.person_id")
    survey = params.add(query.survey)
    breakdown = query.breakdown
    group = (
        props.text(breakdown.source, breakdown.property)
        if breakdown is not None and breakdown.property is not None
        else "''"
    )
    period = bucket(params, "e.timestamp", query.interval.value, query.timezone)
    where = " AND ".join(conditions)
    joins = props.joins()
    answered = records(
        store,
        sql.statement(f"""SELECT e.person_id, e.user_id, e.account_id, e.timestamp,
  json_extract_string(e.properties, '$."$question"') AS question,
  json_extract(e.properties, '$."$answer"')::VARCHAR AS answer,
  {period} AS period, {group} AS grp
FROM resolved_events e {joins}
WHERE {where} AND e.event = '{ANSWERED}' AND e.content_id = {survey}
ORDER BY e.timestamp, e.message_id"""),
    )
    shown = records(
        store,
        sql.statement(f"""SELECT DISTINCT e.person_id
FROM resolved_events e {joins}
WHERE {where} AND e.event = '{SHOWN}' AND e.content_id = {survey}"""),
    )
    found = [
        Answer(
            person=int(row["person_id"]),
            user_id=row["user_id"],
            account_id=row["account_id"],
            at=row["timestamp"],
            question=row["question"] or "",
            value=orjson.loads(row["answer"]) if row["answer"] is not None else None,
            period=row["period"],
            group=row["grp"],
        )
        for row in answered
    ]
    return found, {int(row["person_id"]) for row in shown}


def _latest(answers: Iterable[Answer]) -> list[Answer]:
    """Each person's latest answer (answers come oldest first)."""
    by_person: dict[int, Answer] = {}
    for answer in answers:
        by_person[answer.person] = answer
    return list(by_person.values())


def _score_of(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != int(value) or not low <= value <= high:
        return None
    return int(value)


def _label(option: Any, locale: str = "en") -> str:
    label = option.label
    if isinstance(label, str):
        return label
    return str(label.get(locale) or next(iter(label.values()), option.key))


def _responses(question: Any, answers: Sequence[Answer]) -> tuple[dict[str, Any], int]:
    """What the latest answers say, and how many could not be read as this question's type."""
    people = len(answers)
    kind = question.type
    scale = question.answer_range()
    if scale is not None:
        low, high = scale
        scores = [_score_of(a.value, low, high) for a in answers]
        valid = [s for s in scores if s is not None]
        ignored = people - len(valid)
        counts: dict[int, int] = {v: 0 for v in range(low, high + 1)}
        for s in valid:
            counts[s] += 1
        distribution = [
            ValueCount(value=v, count=c, share=c / len(valid) if valid else 0.0)
            for v, c in counts.items()
        ]
        extra: dict[str, Any] = {}
        if kind is QuestionType.NPS:
            estimate, promoters, passives, detractors = nps(valid)
            extra = {"promoters": promoters, "passives": passives, "detractors": detractors}
            score = _score("nps", estimate)
        elif kind is QuestionType.CSAT:
            score = _score("csat", wilson(sum(1 for s in valid if s >= 4), len(valid)))
        else:
            score = _score("ces" if kind is QuestionType.CES else "rating", mean(valid))
        out = {"responded": len(valid), "score": score, "distribution": distribution, **extra}
        return {**out, "options": []}, ignored
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        keys = [o.key for o in question.options or ()]
        labels = {o.key: _label(o) for o in question.options or ()}
        if question.other:
            keys.append("other")
            labels["other"] = "Other"
        chosen_by: dict[str, int] = dict.fromkeys(keys, 0)
        ignored = 0
        for answer in answers:
            chosen = answer.value if isinstance(answer.value, list) else [answer.value]
            picked = {
                "other" if isinstance(c, str) and c.startswith(OTHER_PREFIX) else c
                for c in chosen
                if isinstance(c, str)
            } & set(keys)
            if not picked:
                ignored += 1
            for key in picked:
                chosen_by[key] += 1
        responded = people - ignored
        options = [
            OptionCount(
                key=key, label=labels[key], count=n, share=n / responded if responded else 0.0
            )
            for key, n in chosen_by.items()
        ]
        return {"responded": responded, "score": None, "distribution": [], "options": options}, (
            ignored
        )
    texts = [a for a in answers if isinstance(a.value, str) and a.value.strip()]
    out = {"responded": len(texts), "score": None, "distribution": [], "options": []}
    return out, people - len(texts)


def _response_rate(question: Any, latest: Sequence[Answer], shown: set[int]) -> float | None:
    """Of the people shown the survey in the range, the share who answered the question (an
    answer to a showing before the range does not count)."""
    if not shown:
        return None
    answered = [a for a in latest if a.person in shown]
    responded: int = _responses(question, answered)[0]["responded"]
    return responded / len(shown)


def _score(measure: str, estimate: Estimate) -> Score:
    return Score(
        measure=measure,
        value=estimate.value,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        n=estimate.n,
        note=estimate.note,
    )


def _text_of(answer: Answer, free_text: bool) -> str | None:
    """The words of an answer: a text question's answer, or the text of an `other` choice."""
    values = answer.value if isinstance(answer.value, list) else [answer.value]
    for value in values:
        if isinstance(value, str) and value.startswith(OTHER_PREFIX):
            return value[len(OTHER_PREFIX) :].strip() or None
    if free_text and isinstance(answer.value, str):
        return answer.value.strip() or None
    return None


def _groups(
    query: SurveyQuery, answers: list[Answer], catalog: ContentCatalog
) -> dict[str, list[Answer]]:
    """The latest answers split by the breakdown: a trait's largest values (the rest as
    Other), or each segment's members."""
    breakdown = query.breakdown
    if breakdown is None:
        return {}
    if breakdown.segments is not None:
        members = catalog.segment_members(breakdown.segments, "breakdown.segments")
        return {key: [a for a in answers if a.person in members[key]] for key in breakdown.segments}
    sizes: dict[str, int] = {}
    for answer in answers:
        sizes[answer.group] = sizes.get(answer.group, 0) + 1
    ranked = sorted(sizes, key=lambda value: (-sizes[value], value))
    kept = set(ranked[: breakdown.limit])
    groups: dict[str, list[Answer]] = {}
    for answer in answers:
        groups.setdefault(answer.group if answer.group in kept else OTHER, []).append(answer)
    return groups


def _export(query: SurveyQuery, survey: Survey, answers: list[Answer]) -> ExportFile:
    """Every answer to every question, one row each, as CSV or XLSX."""
    types = {q.key: q for q in survey.questions}
    header = [
        "answered_at",
        "person_id",
        "user_id",
        "account_id",
        "question",
        "question_type",
        "score",
        "answer",
    ]
    rows = []
    for answer in answers:
        question = types.get(answer.question)
        score = None
        scale = question.answer_range() if question is not None else None
        if scale is not None:
            score = _score_of(answer.value, *scale)
        value = answer.value
        text = "; ".join(map(str, value)) if isinstance(value, list) else value
        rows.append(
            [
                answer.at,
                answer.person,
                answer.user_id,
                answer.account_id,
                answer.question,
                question.type.value if question is not None else None,
                score,
                None if score is not None else text,
            ]
        )
    name = f"survey-{query.survey}"
    if query.format == "xlsx":
        return xlsx_file(name, header, rows)
    return csv_file(name, header, rows)


def run_survey(
    store: EventQueries,
    app_id: str,
    query: SurveyQuery,
    actions: Actions | None,
    catalog: ContentCatalog,
) -> SurveyResult | ExportFile:
    """Answer a survey query from the event store."""
    survey = catalog.item(query.survey, "survey", kind="survey").document
    question = _question(survey, query.question)
    if query.breakdown is not None and query.breakdown.source is Source.EVENT:
        raise InvalidInput("survey results break down by person or account", field="breakdown")
    answers, shown = _answers(store, app_id, query, actions)
    if query.format != "json":
        return _export(query, survey, answers)
    mine = [a for a in answers if a.question == question.key]
    latest = _latest(mine)
    overall, ignored = _responses(question, latest)
    starts = interval_starts(query.date_from, query.date_to, query.interval, query.timezone)
    zone = ZoneInfo(query.timezone)
    trend = [
        SurveyPeriod(
            start=start.replace(tzinfo=zone),
            **_responses(question, _latest(a for a in mine if a.period == start))[0],
        )
        for start in starts
    ]
    breakdown = [
        SurveyGroup(value=value, **_responses(question, group)[0])
        for value, group in _groups(query, latest, catalog).items()
    ]
    free_text = question.type is QuestionType.TEXT
    texts = [(a, text) for a in reversed(mine) if (text := _text_of(a, free_text)) is not None]
    if query.search:
        needle = query.search.casefold()
        texts = [(a, text) for a, text in texts if needle in text.casefold()]
    page = texts[query.answers_offset : query.answers_offset + query.answers_limit]
    return SurveyResult(
        **overall,
        survey=query.survey,
        question=question.key,
        question_type=question.type.value,
        shown=len(shown),
        response_rate=_response_rate(question, latest, shown),
        ignored=ignored,
        trend=trend,
        breakdown=breakdown,
        answers=[
            TextAnswer(
                answered_at=a.at.replace(tzinfo=ZoneInfo("UTC")),
                person_id=a.person,
                user_id=a.user_id,
                account_id=a.account_id,
                text=text,
            )
            for a, text in page
        ],
        answers_total=len(texts),
    )
