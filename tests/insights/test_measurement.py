"""Measurement stories: survey results, engagement and lift, goals and the three impact
calculators, each over a few people's events sent through the tracking API, with the numbers
worked out by hand."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant, sign_in
from waypost.tenancy.roles import Role

Z = 1.959963984540054

SURVEY = {
    "kind": "survey",
    "key": "pulse",
    "name": "Pulse",
    "questions": [
        {"key": "score", "type": "nps", "text": {"en": "Recommend us?", "ja": "すすめますか"}},
        {"key": "happy", "type": "csat", "text": "Happy?"},
        {"key": "ease", "type": "ces", "text": "Easy?"},
        {
            "key": "reason",
            "type": "single",
            "text": "Why?",
            "options": [{"key": "price", "label": "Price"}, {"key": "speed", "label": "Speed"}],
            "other": True,
        },
        {"key": "why", "type": "text", "text": "Tell us more", "required": False},
        {"key": "stars", "type": "rating", "scale": 5, "text": "Stars?"},
    ],
}
TOUR = {
    "kind": "walkthrough",
    "key": "tour",
    "name": "Tour",
    "holdout": 10,
    "goal": {"event": "Project Created", "within_days": 7},
    "steps": [
        {"kind": "popup", "title": "One", "body": "First"},
        {"kind": "popup", "title": "Two", "body": "Second"},
        {"kind": "popup", "title": "Three", "body": "Third"},
    ],
}
JUNE = {"date_from": "2026-06-01T00:00:00Z", "date_to": "2026-08-01T00:00:00Z"}


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Measure")


class World:
    """Sends a story's events through the tracking API, as a snippet and a backend would."""

    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.client, self.tenant = client, tenant
        self.batch: list[dict[str, Any]] = []

    def content(self, document: dict[str, Any]) -> None:
        response = self.client.post("/api/v1/content", json=document, headers=self.tenant.bearer())
        assert response.status_code == 201, response.text

    def track(
        self, user: str, at: str, event: str, account: str | None = None, **props: Any
    ) -> None:
        message: dict[str, Any] = {
            "type": "track", "userId": user, "event": event, "timestamp": at,
            "properties": props,
        }  # fmt: skip
        if account:
            message["context"] = {"groupId": account}
        self.batch.append(message)

    def group(self, user: str, account: str, at: str, **traits: Any) -> None:
        self.batch.append(
            {"type": "group", "userId": user, "groupId": account, "timestamp": at, "traits": traits}
        )

    def answer(self, user: str, at: str, question: str, value: Any, kind: str = "nps") -> None:
        self.track(
            user, at, "$survey_answered", **{
                "$content_id": "pulse", "$content_version": 1, "$question": question,
                "$answer": value, "$question_type": kind,
            }
        )  # fmt: skip

    def guide(self, user: str, at: str, event: str, key: str = "tour", **more: Any) -> None:
        self.track(user, at, event, **{"$content_id": key, "$content_version": 1, **more})

    def send(self) -> None:
        response = self.client.post(
            "/v1/batch", json={"batch": self.batch, "writeKey": self.tenant.app.write_key}
        )
        assert response.status_code == 200 and response.json()["rejected"] == [], response.text
        self.batch = []

    def query(self, query: dict[str, Any], status: int = 200) -> Any:
        response = self.client.post(
            "/api/v1/insights/query", json=query, headers=self.tenant.bearer()
        )
        assert response.status_code == status, response.text
        return response


@pytest.fixture
def world(client: TestClient, tenant: Tenant) -> World:
    return World(client, tenant)


def _survey_story(world: World) -> None:
    """Six people of two accounts (pro and trial) are shown the pulse survey; five answer."""
    world.content(SURVEY)
    for user, account, plan in [
        ("u1", "acme", "pro"), ("u2", "acme", "pro"), ("u3", "acme", "pro"),
        ("u4", "beta", "trial"), ("u5", "beta", "trial"), ("u6", "beta", "trial"),
    ]:  # fmt: skip
        world.group(user, account, "2026-06-01T08:00:00Z", plan=plan)
        world.track(user, "2026-06-01T09:00:00Z", "$survey_shown", **{"$content_id": "pulse"})
    # u1 first loved it in June, then gave a 3 in July: the July answer is the one that counts.
    world.answer("u1", "2026-06-05T10:00:00Z", "score", 10)
    world.answer("u1", "2026-07-02T10:00:00Z", "score", 3)
    world.answer("u2", "2026-07-03T10:00:00Z", "score", 9)
    world.answer("u3", "2026-07-03T11:00:00Z", "score", 9)
    world.answer("u4", "2026-07-04T10:00:00Z", "score", 0)
    world.answer("u5", "2026-07-04T11:00:00Z", "score", 10)
    for user, happy, ease, stars in [("u1", 5, 2, 4), ("u2", 4, 4, 5), ("u3", 2, 6, 3)]:
        world.answer(user, "2026-07-05T10:00:00Z", "happy", happy, "csat")
        world.answer(user, "2026-07-05T10:00:01Z", "ease", ease, "ces")
        world.answer(user, "2026-07-05T10:00:02Z", "stars", stars, "rating")
    world.answer("u1", "2026-07-05T10:01:00Z", "reason", "price", "single")
    world.answer("u2", "2026-07-05T10:01:00Z", "reason", "other:too slow to load", "single")
    world.answer("u4", "2026-07-05T10:01:00Z", "reason", "price", "single")
    world.answer("u1", "2026-07-05T10:02:00Z", "why", "請求書の画面がわかりにくい", "text")
    world.answer("u2", "2026-07-05T10:03:00Z", "why", "Great reports", "text")
    world.track("u6", "2026-07-05T10:00:00Z", "$survey_dismissed", **{"$content_id": "pulse"})
    world.send()


def test_nps_counts_each_persons_latest_answer_with_its_interval(world: World) -> None:
    _survey_story(world)
    result = world.query({"kind": "survey", "survey": "pulse", **JUNE}).json()
    # Latest answers: u1 3, u2 9, u3 9, u4 0, u5 10: three promoters, two detractors of five.
    assert (result["promoters"], result["passives"], result["detractors"]) == (3, 0, 2)
    assert result["responded"] == 5 and result["shown"] == 6
    assert result["response_rate"] == pytest.approx(5 / 6)
    score = result["score"]
    assert score["measure"] == "nps" and score["value"] == pytest.approx(20.0)
    half = 100 * Z * math.sqrt((0.6 + 0.4 - 0.2**2) / 5)
    assert score["ci_low"] == pytest.approx(20 - half)
    # The upper end would pass 100 points: it stops there.
    assert score["ci_high"] == 100.0
    assert [d["count"] for d in result["distribution"]] == [1, 0, 0, 1, 0, 0, 0, 0, 0, 2, 1]


def test_nps_trend_counts_a_person_once_per_month_and_says_when_an_interval_is_missing(
    world: World,
) -> None:
    _survey_story(world)
    result = world.query({"kind": "survey", "survey": "pulse", "interval": "month", **JUNE}).json()
    june, july = result["trend"]
    assert june["start"].startswith("2026-06-01") and july["start"].startswith("2026-07-01")
    # June holds only u1's 10: the score, but one answer is too few for an interval.
    assert june["responded"] == 1 and june["score"]["value"] == 100.0
    assert june["score"]["ci_low"] is None and june["score"]["ci_high"] is None
    assert "too few" in june["score"]["note"]
    assert july["responded"] == 5 and july["score"]["value"] == pytest.approx(20.0)


def test_nps_breaks_down_by_an_account_trait(world: World) -> None:
    _survey_story(world)
    plan = {"source": "account", "property": "plan"}
    result = world.query({"kind": "survey", "survey": "pulse", "breakdown": plan, **JUNE}).json()
    groups = {g["value"]: g for g in result["breakdown"]}
    # pro: u1 3, u2 9, u3 9 -> (2 - 1) / 3; trial: u4 0, u5 10 -> 0.
    assert groups["pro"]["responded"] == 3
    assert groups["pro"]["score"]["value"] == pytest.approx(100 / 3)
    assert groups["trial"]["responded"] == 2 and groups["trial"]["score"]["value"] == 0.0


def test_nps_breaks_down_by_saved_segments(world: World) -> None:
    _survey_story(world)
    response = world.client.post(
        "/api/v1/segments",
        json={"key": "trials", "name": "Trials", "rules": {"account": {"plan": {"eq": "trial"}}}},
        headers=world.tenant.bearer(),
    )
    assert response.status_code == 201, response.text
    result = world.query(
        {"kind": "survey", "survey": "pulse", "breakdown": {"segments": ["trials"]}, **JUNE}
    ).json()
    [trials] = result["breakdown"]
    assert trials["value"] == "trials" and trials["responded"] == 2
    unknown = world.query(
        {"kind": "survey", "survey": "pulse", "breakdown": {"segments": ["nobody"]}, **JUNE}, 422
    ).json()
    assert unknown["error"]["field"] == "breakdown.segments.0"


def test_csat_ces_rating_and_choice_questions(world: World) -> None:
    _survey_story(world)

    def question(key: str) -> Any:
        return world.query({"kind": "survey", "survey": "pulse", "question": key, **JUNE}).json()

    happy = question("happy")["score"]
    # Two of three gave 4 or 5; Wilson's interval around 2/3 with n = 3.
    assert happy["measure"] == "csat" and happy["value"] == pytest.approx(2 / 3)
    p, n, z2 = 2 / 3, 3, Z * Z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    assert (happy["ci_low"], happy["ci_high"]) == pytest.approx((centre - half, centre + half))
    ease = question("ease")["score"]
    # 2, 4, 6: mean 4, standard deviation 2, t(0.975, 2 degrees of freedom) = 4.302653.
    assert ease["measure"] == "ces" and ease["value"] == pytest.approx(4.0)
    t_half = 4.302652729749464 * 2 / math.sqrt(3)
    assert (ease["ci_low"], ease["ci_high"]) == pytest.approx((4 - t_half, 4 + t_half))
    stars = question("stars")
    assert stars["score"]["measure"] == "rating" and stars["score"]["value"] == pytest.approx(4.0)
    assert [d["count"] for d in stars["distribution"]] == [0, 0, 1, 1, 1]
    reason = question("reason")
    assert {o["key"]: o["count"] for o in reason["options"]} == {"price": 2, "speed": 0, "other": 1}
    assert reason["options"][0]["share"] == pytest.approx(2 / 3)
    assert [a["text"] for a in reason["answers"]] == ["too slow to load"]


def test_text_answers_are_listed_newest_first_and_searchable_in_japanese(world: World) -> None:
    _survey_story(world)
    listed = world.query({"kind": "survey", "survey": "pulse", "question": "why", **JUNE}).json()
    assert listed["answers_total"] == 2 and listed["responded"] == 2
    found = world.query(
        {"kind": "survey", "survey": "pulse", "question": "why", "search": "画面", **JUNE}
    ).json()
    # A word inside a Japanese sentence (no spaces around it) is found.
    assert [a["text"] for a in found["answers"]] == ["請求書の画面がわかりにくい"]
    assert found["answers"][0]["user_id"] == "u1"


def test_survey_answers_export_as_csv_and_as_a_typed_spreadsheet(world: World) -> None:
    _survey_story(world)
    query = {"kind": "survey", "survey": "pulse", **JUNE}
    response = world.query({**query, "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    # Every answer to every question, u1's earlier NPS answer included.
    assert len(rows) == 6 + 9 + 3 + 2
    first = rows[0]
    assert (first["question"], first["score"], first["user_id"]) == ("score", "10", "u1")
    assert datetime.fromisoformat(first["answered_at"]).month == 6
    response = world.query({**query, "format": "xlsx"})
    assert "spreadsheetml" in response.headers["content-type"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    header, *values = list(sheet.iter_rows(values_only=True))
    assert header[:7] == (
        "answered_at", "person_id", "user_id", "account_id", "question", "question_type", "score"
    )  # fmt: skip
    assert len(values) == len(rows)
    assert isinstance(values[0][0], datetime) and values[0][0].month == 6
    assert isinstance(values[0][1], int | float) and values[0][6] == 10
    text = next(row for row in values if row[4] == "why")
    assert text[6] is None and text[7] == "請求書の画面がわかりにくい"


def _tour_story(world: World) -> None:
    """Four people see the tour (u1 twice), two finish it; u5 and u6 are its holdout."""
    world.content(TOUR)
    for user in ("u1", "u2", "u3", "u4"):
        world.guide(user, "2026-06-01T09:00:00Z", "$guide_shown")
    world.guide("u1", "2026-06-02T09:00:00Z", "$guide_shown")
    for step, users in enumerate([("u1", "u2", "u3", "u4"), ("u1", "u2", "u3"), ("u1", "u2")]):
        for user in users:
            world.guide(user, f"2026-06-01T09:0{step + 1}:00Z", "$guide_step_viewed",
                        **{"$content_step": step})  # fmt: skip
    for user in ("u1", "u2"):
        world.guide(user, "2026-06-01T09:05:00Z", "$guide_completed")
    world.guide("u3", "2026-06-01T09:05:00Z", "$guide_dismissed", **{"$content_step": 1})
    world.guide("u1", "2026-06-01T09:04:00Z", "$guide_cta_clicked", **{"$content_step": 2})
    world.guide("u4", "2026-06-01T09:02:00Z", "$guide_target_missing",
                **{"$content_step": 1, "$target_result": "not_found"})  # fmt: skip
    for user in ("u5", "u6"):
        world.guide(user, "2026-06-01T09:00:00Z", "$holdout_assigned")
    # The goal, within 7 days: u1 and u3 of those who saw it, u5 of the holdout; u2 too late.
    world.track("u1", "2026-06-03T09:00:00Z", "Project Created")
    world.track("u3", "2026-06-02T09:00:00Z", "Project Created")
    world.track("u2", "2026-06-11T09:00:00Z", "Project Created")
    world.track("u5", "2026-06-02T09:00:00Z", "Project Created")
    world.send()


def test_engagement_counts_plays_people_steps_and_broken_targets(world: World) -> None:
    _tour_story(world)
    [tour] = world.query({"kind": "engagement", **JUNE}).json()["items"]
    assert (tour["key"], tour["kind"], tour["name"]) == ("tour", "walkthrough", "Tour")
    assert (tour["shown"], tour["people"], tour["completed"]) == (5, 4, 2)
    assert tour["completion_rate"] == 0.5
    assert [(s["people"], s["dropped"]) for s in tour["steps"]] == [(4, 0), (3, 1), (2, 1)]
    assert (tour["cta_clicks"], tour["dismissals"], tour["target_missing"]) == (1, 1, 1)
    # One miss in ten attempts to show a step (nine views and the miss).
    assert tour["target_missing_rate"] == pytest.approx(0.1)


def test_engagement_lift_over_the_holdout_says_not_significant_in_words(world: World) -> None:
    _tour_story(world)
    goal = world.query({"kind": "engagement", **JUNE}).json()["items"][0]["goal"]
    assert (goal["exposed_people"], goal["exposed_reached"]) == (4, 2)
    assert (goal["holdout_people"], goal["holdout_reached"]) == (2, 1)
    assert goal["exposed_rate"] == 0.5 and goal["holdout_rate"] == 0.5
    assert goal["lift_absolute"] == 0.0 and goal["lift_relative"] == 0.0
    assert goal["p_value"] == pytest.approx(1.0) and goal["significant"] is False
    assert goal["verdict"].startswith("not significant")


def test_engagement_exports_one_row_per_item(world: World) -> None:
    _tour_story(world)
    response = world.query({"kind": "engagement", "format": "csv", **JUNE})
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert (row["key"], row["people"], row["goal_exposed_rate"]) == ("tour", "4", "0.5")
    assert row["goal_verdict"].startswith("not significant")


def test_a_goal_counts_who_got_there_within_the_days_boundary_included(world: World) -> None:
    for user, day in [("u1", 1), ("u2", 1), ("u3", 2), ("u4", 2)]:
        world.track(user, f"2026-06-0{day}T09:00:00Z", "Signed Up")
    world.track("u1", "2026-06-03T09:00:00Z", "Project Created")  # two days
    world.track("u2", "2026-06-04T09:00:00Z", "Project Created")  # exactly three days
    world.track("u3", "2026-06-10T09:00:00Z", "Project Created")  # eight days: too late
    world.send()
    result = world.query(
        {"kind": "goal", "start": {"event": "Signed Up"}, "goal": {"event": "Project Created"},
         "within_days": 3, **JUNE}
    ).json()  # fmt: skip
    assert (result["started"], result["reached"], result["rate"]) == (4, 2, 0.5)
    assert result["median_seconds"] == 2.5 * 86400
    assert sum(week["started"] for week in result["trend"]) == 4


def test_a_goal_can_start_when_an_item_is_seen(world: World) -> None:
    _tour_story(world)
    result = world.query(
        {"kind": "goal", "start": {"item": "tour"}, "goal": {"event": "Project Created"},
         "within_days": 7, **JUNE}
    ).json()  # fmt: skip
    assert (result["started"], result["reached"]) == (4, 2)


def test_renewal_impact_of_the_issues_example(world: World) -> None:
    result = world.query(
        {"kind": "impact_renewal", "new_customers": 1000, "completion_before": 0.60,
         "completion_after": 0.85, "renewal_rate_completed": 0.90,
         "renewal_rate_not_completed": 0.60, "annual_contract_value": 5000}
    ).json()  # fmt: skip
    assert result["renewals_before"] == 780
    assert result["renewals_after"] == 855
    assert result["additional_renewals"] == 75
    assert result["retained_revenue"] == 375_000
    assert {i["source"] for i in result["inputs"]} == {"given"}


def test_renewal_impact_measured_from_accounts(world: World) -> None:
    # Five accounts sign up; two before the launch on July 1 and three after.
    accounts = [
        ("a1", "2026-06-05", True, "active", 1000),
        ("a2", "2026-06-06", False, "cancelled", 2000),
        ("a3", "2026-07-05", True, "active", 3000),
        ("a4", "2026-07-06", True, "cancelled", 4000),
        ("a5", "2026-07-07", False, None, 5000),  # not up for renewal yet
    ]
    for account, day, completes, status, value in accounts:
        user = f"{account}-owner"
        traits: dict[str, Any] = {"contract_value": value}
        if status:
            traits["status"] = status
        world.group(user, account, f"{day}T08:00:00Z", **traits)
        world.track(user, f"{day}T09:00:00Z", "Signed Up", account)
        if completes:
            world.track(user, f"{day}T10:00:00Z", "Project Created", account)
    world.send()
    result = world.query(
        {"kind": "impact_renewal", **JUNE, "measure": {
            "new": {"event": "Signed Up"}, "milestones": [{"event": "Project Created"}],
            "within_days": 30, "launched_at": "2026-07-01T00:00:00Z",
            "outcome": {"trait": "status", "renewed": ["active"], "churned": ["cancelled"]},
            "contract_value_trait": "contract_value"}}
    ).json()  # fmt: skip
    inputs = {i["name"]: i for i in result["inputs"]}
    assert {i["source"] for i in inputs.values()} == {"measured"}
    assert inputs["new_customers"]["value"] == 5
    assert inputs["completion_before"]["value"] == 0.5
    assert inputs["completion_after"]["value"] == pytest.approx(2 / 3)
    assert inputs["renewal_rate_completed"]["value"] == pytest.approx(2 / 3)
    assert inputs["renewal_rate_not_completed"]["value"] == 0.0
    assert inputs["annual_contract_value"]["value"] == 3000
    # Wilson intervals come with the measured rates.
    assert inputs["completion_after"]["ci_low"] < 2 / 3 < inputs["completion_after"]["ci_high"]
    assert result["renewals_before"] == pytest.approx(5 * (0.5 * 2 / 3))
    assert result["renewals_after"] == pytest.approx(5 * (2 / 3) * (2 / 3))
    assert result["retained_revenue"] == pytest.approx((20 / 9 - 5 / 3) * 3000)
    # A given input wins over the measured one.
    given = world.query(
        {"kind": "impact_renewal", **JUNE, "annual_contract_value": 100, "measure": {
            "new": {"event": "Signed Up"}, "milestones": [{"event": "Project Created"}],
            "launched_at": "2026-07-01T00:00:00Z",
            "outcome": {"trait": "status", "renewed": ["active"], "churned": ["cancelled"]}}}
    ).json()  # fmt: skip
    value = next(i for i in given["inputs"] if i["name"] == "annual_contract_value")
    assert (value["value"], value["source"]) == (100, "given")


def test_productivity_impact_measures_completions_and_assumes_attribution(world: World) -> None:
    _tour_story(world)
    result = world.query(
        {"kind": "impact_productivity", "item": "tour", "minutes_saved_per_completion": 30,
         "hourly_rate": 60, **JUNE}
    ).json()  # fmt: skip
    inputs = {i["name"]: i for i in result["inputs"]}
    assert (inputs["completions"]["value"], inputs["completions"]["source"]) == (2, "measured")
    assert (inputs["attribution"]["value"], inputs["attribution"]["source"]) == (0.1, "assumed")
    # 2 completions x 30 minutes / 60 x 10% = 0.1 hours, at 60 an hour.
    assert result["hours_saved"] == pytest.approx(0.1) and result["value"] == pytest.approx(6)


def test_time_saved_impact_given_and_measured(world: World) -> None:
    given = world.query(
        {"kind": "impact_time_saved", "seconds_before": 600, "seconds_after": 300,
         "completions": 120, "hourly_rate": 40}
    ).json()  # fmt: skip
    # (600 - 300) s x 120 = 10 hours, at 40 an hour.
    assert (given["hours_saved"], given["value"]) == (10, 400)
    # Before the tour's first showing on July 1: 600, 900 and 1200 s; after: 300 and 500 s.
    world.content(TOUR)
    for user, day, seconds in [("b1", "06-10", 600), ("b2", "06-11", 900), ("b3", "06-12", 1200),
                               ("c1", "07-10", 300), ("c2", "07-11", 500)]:  # fmt: skip
        world.track(user, f"2026-{day}T09:00:00Z", "Signed Up")
        minutes, rest = divmod(seconds, 60)
        world.track(user, f"2026-{day}T09:{minutes:02d}:{rest:02d}Z", "Project Created")
    world.guide("c1", "2026-07-01T09:00:00Z", "$guide_shown")
    world.send()
    measured = world.query(
        {"kind": "impact_time_saved", "item": "tour", "hourly_rate": 36, **JUNE,
         "process": {"start": {"event": "Signed Up"}, "end": {"event": "Project Created"}}}
    ).json()  # fmt: skip
    inputs = {i["name"]: i["value"] for i in measured["inputs"]}
    assert (inputs["seconds_before"], inputs["seconds_after"]) == (900, 400)
    assert inputs["completions"] == 2
    assert measured["launched_at"].startswith("2026-07-01T09:00:00")
    # (900 - 400) s x 2 = 1000 s, at 36 an hour: 10.
    assert measured["hours_saved"] == pytest.approx(1000 / 3600)
    assert measured["value"] == pytest.approx(10)
    assert measured["comparison"]["test"] == "mann_whitney"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kind": "survey", "survey": "nope", **JUNE}, "survey"),
        ({"kind": "survey", "survey": "pulse", "question": "nope", **JUNE}, "question"),
        ({"kind": "survey", "survey": "tour", **JUNE}, "survey"),
        ({"kind": "survey", "survey": "pulse", "interval": "day", **JUNE}, "interval"),
        ({"kind": "engagement", "items": ["tour", "nope"]}, "items.1"),
        ({"kind": "goal", "start": {"item": "nope"}, "goal": {"event": "X"}, **JUNE},
         "start.item"),
        ({"kind": "goal", "start": {"event": "A", "item": "tour"}, "goal": {"event": "X"},
          **JUNE}, "start"),
        ({"kind": "impact_renewal", "new_customers": 10, "completion_before": 1.5,
          "completion_after": 0.5, "renewal_rate_completed": 0.5,
          "renewal_rate_not_completed": 0.5, "annual_contract_value": 1}, "completion_before"),
        ({"kind": "impact_renewal", "new_customers": -1, "completion_before": 0.5,
          "completion_after": 0.5, "renewal_rate_completed": 0.5,
          "renewal_rate_not_completed": 0.5, "annual_contract_value": 1}, "new_customers"),
        ({"kind": "impact_renewal", "new_customers": 1}, "completion_before"),
        ({"kind": "impact_productivity", "completions": 3, "minutes_saved_per_completion": 1,
          "hourly_rate": -5}, "hourly_rate"),
        ({"kind": "impact_productivity", "minutes_saved_per_completion": 1, "hourly_rate": 5},
         "completions"),
        ({"kind": "impact_productivity", "item": "nope", "minutes_saved_per_completion": 1,
          "hourly_rate": 5}, "item"),
        ({"kind": "impact_productivity", "completions": 1, "minutes_saved_per_completion": 1,
          "hourly_rate": 5, "attribution": 2}, "attribution"),
        ({"kind": "impact_time_saved", "hourly_rate": 5, "seconds_before": 1}, "seconds_after"),
    ],
)  # fmt: skip
def test_bad_measurement_queries_name_the_field(
    world: World, query: dict[str, Any], field: str
) -> None:
    world.content(SURVEY)
    world.content(TOUR)
    response = world.query(query, 422).json()
    assert response["error"]["field"] == field, response


def test_a_viewer_gets_the_numbers_but_not_who_is_behind_them(
    world: World, make_member: Callable[[str, Role, str], str]
) -> None:
    _survey_story(world)
    viewer = make_member(world.tenant.workspace_id, Role.VIEWER, "viewer@measure.example")
    csrf = sign_in(world.client, viewer)
    app = {"app_id": world.tenant.app_id}

    def ask(query: dict[str, Any]) -> Any:
        return world.client.post(
            "/api/v1/insights/query", params=app, json=query, headers={"X-CSRF-Token": csrf}
        )

    why = ask({"kind": "survey", "survey": "pulse", "question": "why", **JUNE})
    assert why.status_code == 200
    answers = why.json()["answers"]
    assert [a["text"] for a in answers] == ["Great reports", "請求書の画面がわかりにくい"]
    assert {(a["person_id"], a["user_id"], a["account_id"]) for a in answers} == {(None,) * 3}
    assert ask({"kind": "survey", "survey": "pulse", "format": "csv", **JUNE}).status_code == 403
    steps = [{"event": "$survey_shown"}, {"event": "$survey_answered"}]
    dropped = ask({"kind": "dropoff", "step": 0, "window_seconds": 60 * 86400, "steps": steps})
    assert dropped.status_code == 200
    assert dropped.json()["dropped"] == 1 and dropped.json()["units"] == []


def test_a_builders_preview_is_left_out_of_survey_results_and_goals(world: World) -> None:
    _survey_story(world)
    world.content(TOUR)
    # A builder previewing drafts: their showing, answer and tour start carry $preview.
    preview = {"$preview": True}
    world.track(
        "b1", "2026-07-06T09:00:00Z", "$survey_shown", **{"$content_id": "pulse"}, **preview
    )
    world.answer("b1", "2026-07-06T09:01:00Z", "score", 0)
    world.batch[-1]["properties"] |= preview
    world.guide("b1", "2026-06-01T09:00:00Z", "$guide_shown", **preview)
    world.track("b1", "2026-06-01T10:00:00Z", "Project Created")
    world.send()
    result = world.query({"kind": "survey", "survey": "pulse", **JUNE}).json()
    assert (result["responded"], result["shown"], result["detractors"]) == (5, 6, 2)
    goal = world.query(
        {"kind": "goal", "start": {"item": "tour"}, "goal": {"event": "Project Created"}, **JUNE}
    ).json()
    assert goal["started"] == 0
