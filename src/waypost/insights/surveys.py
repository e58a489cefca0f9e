"""Survey results: one question's responses, response rate, score with its 95% interval,
distribution or option counts, trend, breakdown, and its answers in words; or every answer to
the survey as a CSV or XLSX file.

Each person counts once per question (in a trend, once per period, in a breakdown once per
value): their latest answer in the range. Skipped questions send no answer and do not count.
The response rate is the people who answered the question over the people shown the survey.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel

from waypost.errors import InvalidInput
from waypost.events.store import EventQueries
from waypost.guidance.documents import QuestionType, Survey
from waypost.insights._sql import OTHER, Compilation, bucket, one_of, records
from waypost.insights.actions import Actions
from waypost.insights.catalog import ContentCatalog
from waypost.insights.exports import ExportFile, csv_file, xlsx_file
from waypost.insights.intervals import interval_starts
from waypost.insights.properties import PropertySql
from waypost.insights.queries import AggregateBy, Source, SurveyQuery
from waypost.insights.stats import Estimate, mean, mean_of, nps_of, wilson

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
    person_id: int | None  # None (with user and account) for members who may not read people
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


# People per answer (its JSON text): each person's latest answer of a set counts once.
Tally = dict[str, int]
# An answer in words: when, its message id, whose, and the answer (or its words).
Worded = tuple[datetime, str, int, str]


@dataclass
class _Tallies:
    """The question's answers, counted in the database: only the distinct answers come back."""

    overall: Tally = field(default_factory=dict)
    # Of the people shown the survey in the range.
    of_shown: Tally = field(default_factory=dict)
    periods: dict[datetime, Tally] = field(default_factory=dict)
    # Per value of the breakdown's trait, every value (_groups keeps the largest).
    groups: dict[str, Tally] = field(default_factory=dict)
    # Each person's latest answer, for a breakdown by segments.
    people: dict[int, str] = field(default_factory=dict)
    shown: int = 0
    # Every answer that may hold words, not only the latest.
    worded: list[Worded] = field(default_factory=list)


def _question(survey: Survey, key: str | None) -> Any:
    if key is None:
        return survey.questions[0]
    for question in survey.questions:
        if question.key == key:
            return question
    known = ", ".join(q.key for q in survey.questions)
    raise InvalidInput(f"the survey has no question {key!r} (it has {known})", field="question")


def _scoped(sql: Compilation, query: SurveyQuery, app_id: str) -> tuple[str, str, str]:
    """The query's conditions on events with a person, the view to read and its trait joins,
    compiled into the statement's values but apart from any breakdown."""
    props = PropertySql(sql.params, sql.props.actions)
    where = " AND ".join(props.scope(query, app_id, "e.person_id", guidance=True))
    return where, props.events_view(AggregateBy.PERSON), props.joins()


def _tallies(
    store: EventQueries, app_id: str, query: SurveyQuery, question: Any, actions: Actions | None
) -> _Tallies:
    """How many people gave each answer to the question: as their latest in the range (all of
    them, and those shown the survey in the range), in each period, per breakdown value; and
    how many people were shown the survey."""
    sql = Compilation(actions)
    props, params = sql.props, sql.params
    survey = params.add(query.survey)
    shown_where, shown_view, shown_joins = _scoped(sql, query, app_id)
    conditions = props.scope(query, app_id, "e.person_id", guidance=True)
    breakdown = query.breakdown
    trait = breakdown.property if breakdown is not None else None
    by_trait = breakdown is not None and trait is not None
    group = props.text(breakdown.source, trait) if breakdown and trait else "''"
    period = bucket(params, "e.timestamp", query.interval.value, query.timezone)
    view, joins = props.events_view(AggregateBy.PERSON), props.joins()
    key = params.add(question.key)
    # Only these answers can hold words (_text_of then reads them exactly): strings, for text
    # questions, and any answer with an `other:` string in it.
    worded = f"contains(answer, {params.add(chr(34) + OTHER_PREFIX)})"
    if question.type is QuestionType.TEXT:
        worded = f"(json_type(answer) = 'VARCHAR' OR {worded})"
    # Rows of each part: `at` is a period's start or an answer's time, `label` a breakdown value
    # or an answer's message id.
    parts = [
        """SELECT 'all' AS part, NULL::TIMESTAMP AS at, NULL::VARCHAR AS label, NULL::BIGINT AS
  person, last.answer, person_id IN (SELECT person_id FROM shown) AS of_shown, count(*) AS n
FROM latest GROUP BY ALL""",
        """SELECT 'period', period, NULL, NULL, answer, NULL, count(*)
FROM (SELECT period, arg_max(answer, said) AS answer FROM answers GROUP BY period, person_id)
GROUP BY ALL""",
        "SELECT 'shown', NULL, NULL, NULL, NULL, NULL, count(*) FROM shown",
        f"""SELECT 'text', said.at, said.id, person_id, answer, NULL, 1 FROM answers
WHERE {worded}""",
    ]
    if by_trait:
        parts.append(
            "SELECT 'group', NULL, last.grp, NULL, last.answer, NULL, count(*) "
            "FROM latest GROUP BY ALL"
        )
    elif breakdown is not None:
        parts.append("SELECT 'person', NULL, NULL, person_id, last.answer, NULL, 1 FROM latest")
    rows = records(
        store,
        sql.statement(f"""WITH shown AS (
  SELECT DISTINCT e.person_id FROM {shown_view} e {shown_joins}
  WHERE {shown_where} AND e.event = '{SHOWN}' AND e.content_id = {survey}
), answers AS MATERIALIZED (
  SELECT e.person_id, {{'at': e.timestamp, 'id': e.message_id}} AS said, {period} AS period,
    {group} AS grp,
    coalesce(json_extract(e.properties, '$."$answer"')::VARCHAR, 'null') AS answer
  FROM {view} e {joins}
  WHERE {" AND ".join(conditions)} AND e.event = '{ANSWERED}' AND e.content_id = {survey}
    AND coalesce(json_extract_string(e.properties, '$."$question"'), '') = {key}
), latest AS MATERIALIZED (
  SELECT person_id, arg_max({{'answer': answer, 'grp': grp}}, said) AS last
  FROM answers GROUP BY person_id
)
{" UNION ALL ".join(parts)}"""),
    )
    found = _Tallies()
    for row in rows:
        part, answer, n = row["part"], row["answer"], int(row["n"])
        if part == "shown":
            found.shown = n
        elif part == "all":
            _add(found.overall, answer, n)
            if row["of_shown"]:
                _add(found.of_shown, answer, n)
        elif part == "period":
            _add(found.periods.setdefault(row["at"], {}), answer, n)
        elif part == "group":
            _add(found.groups.setdefault(row["label"], {}), answer, n)
        elif part == "text":
            found.worded.append((row["at"], row["label"], int(row["person"]), answer))
        else:
            found.people[int(row["person"])] = answer
    return found


def _add(tally: Tally, answer: str, n: int) -> None:
    tally[answer] = tally.get(answer, 0) + n


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


def _responses(question: Any, tally: Tally) -> tuple[dict[str, Any], int]:
    """What the people's latest answers (counted per answer) say, and how many could not be
    read as this question's type."""
    values = [(orjson.loads(answer), n) for answer, n in tally.items()]
    people = sum(n for _, n in values)
    kind = question.type
    scale = question.answer_range()
    if scale is not None:
        low, high = scale
        counts: dict[int, int] = dict.fromkeys(range(low, high + 1), 0)
        for value, n in values:
            read = _score_of(value, low, high)
            if read is not None:
                counts[read] += n
        valid = sum(counts.values())
        distribution = [
            ValueCount(value=v, count=c, share=c / valid if valid else 0.0)
            for v, c in counts.items()
        ]
        extra: dict[str, Any] = {}
        if kind is QuestionType.NPS:
            promoters = sum(c for v, c in counts.items() if v >= 9)
            detractors = sum(c for v, c in counts.items() if v <= 6)
            estimate, *groups = nps_of(promoters, valid - promoters - detractors, detractors)
            extra = dict(zip(("promoters", "passives", "detractors"), groups, strict=True))
            score = _score("nps", estimate)
        elif kind is QuestionType.CSAT:
            score = _score("csat", wilson(sum(c for v, c in counts.items() if v >= 4), valid))
        else:
            score = _score("ces" if kind is QuestionType.CES else "rating", _mean(counts))
        out = {"responded": valid, "score": score, "distribution": distribution, **extra}
        return {**out, "options": []}, people - valid
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        keys = [o.key for o in question.options or ()]
        labels = {o.key: _label(o) for o in question.options or ()}
        if question.other:
            keys.append("other")
            labels["other"] = "Other"
        chosen_by: dict[str, int] = dict.fromkeys(keys, 0)
        ignored = 0
        for value, n in values:
            chosen = value if isinstance(value, list) else [value]
            picked = {
                "other" if isinstance(c, str) and c.startswith(OTHER_PREFIX) else c
                for c in chosen
                if isinstance(c, str)
            } & set(keys)
            if not picked:
                ignored += n
            for key in picked:
                chosen_by[key] += n
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
    texts = sum(n for value, n in values if isinstance(value, str) and value.strip())
    out = {"responded": texts, "score": None, "distribution": [], "options": []}
    return out, people - texts


def _mean(counts: dict[int, int]) -> Estimate:
    """The mean of scale answers given as the count of each value, with its t interval."""
    n = sum(counts.values())
    if n == 0:
        return mean([])
    average = math.fsum(v * c for v, c in counts.items()) / n
    squares = math.fsum(c * (v - average) ** 2 for v, c in counts.items())
    return mean_of(n, average, math.sqrt(squares / (n - 1)) if n > 1 else None)


def _score(measure: str, estimate: Estimate) -> Score:
    return Score(
        measure=measure,
        value=estimate.value,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        n=estimate.n,
        note=estimate.note,
    )


def _text_of(value: Any, free_text: bool) -> str | None:
    """The words of an answer: a text question's answer, or the text of an `other` choice."""
    values = value if isinstance(value, list) else [value]
    for one in values:
        if isinstance(one, str) and one.startswith(OTHER_PREFIX):
            return one[len(OTHER_PREFIX) :].strip() or None
    if free_text and isinstance(value, str):
        return value.strip() or None
    return None


def _texts(query: SurveyQuery, question: Any, tallies: _Tallies) -> list[Worded]:
    """Every answer to the question in words, newest first, matching the search if any."""
    free_text = question.type is QuestionType.TEXT
    needle = query.search.casefold() if query.search else None
    found = []
    for at, message, person, answer in sorted(tallies.worded, reverse=True):
        text = _text_of(orjson.loads(answer), free_text)
        if text is not None and (needle is None or needle in text.casefold()):
            found.append((at, message, person, text))
    return found


def _page(
    store: EventQueries, app_id: str, query: SurveyQuery, texts: list[Worded]
) -> list[TextAnswer]:
    """The page of text answers asked for, with each one's user and account."""
    page = texts[query.answers_offset : query.answers_offset + query.answers_limit]
    if not page:
        return []
    sql = Compilation()
    rows = records(
        store,
        sql.statement(f"""SELECT e.message_id, e.user_id, e.account_id
FROM resolved_events e
WHERE e.app_id = {sql.bind(app_id)} AND e.event = '{ANSWERED}'
  AND e.content_id = {sql.bind(query.survey)}
  AND {one_of("e.message_id", sql.bind(sorted({message for _, message, _, _ in page})))}"""),
    )
    who = {row["message_id"]: (row["user_id"], row["account_id"]) for row in rows}
    return [
        TextAnswer(
            answered_at=at.replace(tzinfo=UTC),
            person_id=person,
            user_id=who.get(message, (None, None))[0],
            account_id=who.get(message, (None, None))[1],
            text=text,
        )
        for at, message, person, text in page
    ]


def _groups(query: SurveyQuery, tallies: _Tallies, catalog: ContentCatalog) -> dict[str, Tally]:
    """The latest answers split by the breakdown: a trait's largest values (the rest as
    Other, last), or each segment's members."""
    breakdown = query.breakdown
    if breakdown is None:
        return {}
    if breakdown.segments is not None:
        members = catalog.segment_members(breakdown.segments, "breakdown.segments")
        groups: dict[str, Tally] = {}
        for key in breakdown.segments:
            tally = groups[key] = {}
            for person, answer in tallies.people.items():
                if person in members[key]:
                    _add(tally, answer, 1)
        return groups
    sizes = {value: sum(tally.values()) for value, tally in tallies.groups.items()}
    ranked = sorted(sizes, key=lambda value: (-sizes[value], value))
    groups = {value: tallies.groups[value] for value in ranked[: breakdown.limit]}
    for value in ranked[breakdown.limit :]:
        for answer, n in tallies.groups[value].items():
            _add(groups.setdefault(OTHER, {}), answer, n)
    return groups


def _export(
    store: EventQueries,
    app_id: str,
    query: SurveyQuery,
    survey: Survey,
    actions: Actions | None,
) -> ExportFile:
    """Every answer to every question, one row each, as CSV or XLSX."""
    sql = Compilation(actions)
    props, params = sql.props, sql.params
    where = " AND ".join(props.scope(query, app_id, "e.person_id", guidance=True))
    answered = records(
        store,
        sql.statement(f"""SELECT e.person_id, e.user_id, e.account_id, e.timestamp,
  json_extract_string(e.properties, '$."$question"') AS question,
  json_extract(e.properties, '$."$answer"')::VARCHAR AS answer
FROM resolved_events e {props.joins()}
WHERE {where} AND e.event = '{ANSWERED}' AND e.content_id = {params.add(query.survey)}
ORDER BY e.timestamp, e.message_id"""),
    )
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
    for row in answered:
        key = row["question"] or ""
        value = orjson.loads(row["answer"]) if row["answer"] is not None else None
        question = types.get(key)
        score = None
        scale = question.answer_range() if question is not None else None
        if scale is not None:
            score = _score_of(value, *scale)
        text = "; ".join(map(str, value)) if isinstance(value, list) else value
        rows.append(
            [
                row["timestamp"],
                int(row["person_id"]),
                row["user_id"],
                row["account_id"],
                key,
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
    if query.format != "json":
        return _export(store, app_id, query, survey, actions)
    if query.breakdown is not None and query.breakdown.segments is not None:
        catalog.segment_members(query.breakdown.segments, "breakdown.segments")
    tallies = _tallies(store, app_id, query, question, actions)
    overall, ignored = _responses(question, tallies.overall)
    starts = interval_starts(query.date_from, query.date_to, query.interval, query.timezone)
    zone = ZoneInfo(query.timezone)
    trend = [
        SurveyPeriod(
            start=start.replace(tzinfo=zone),
            **_responses(question, tallies.periods.get(start, {}))[0],
        )
        for start in starts
    ]
    breakdown = [
        SurveyGroup(value=value, **_responses(question, tally)[0])
        for value, tally in _groups(query, tallies, catalog).items()
    ]
    texts = _texts(query, question, tallies)
    shown = tallies.shown
    responded: int = _responses(question, tallies.of_shown)[0]["responded"]
    return SurveyResult(
        **overall,
        survey=query.survey,
        question=question.key,
        question_type=question.type.value,
        shown=shown,
        # Of the people shown the survey in the range, the share who answered the question (an
        # answer to a showing before the range does not count).
        response_rate=responded / shown if shown else None,
        ignored=ignored,
        trend=trend,
        breakdown=breakdown,
        answers=_page(store, app_id, query, texts),
        answers_total=len(texts),
    )
