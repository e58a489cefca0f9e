"""The demo's simulated customers: the story the existing insights tell from their events (the
onboarding funnel, the walkthrough against its holdout, renewals of those who onboarded), that
the simulation agrees with decide, that the measurement insights tell it (lift over the holdout,
renewal impact, NPS by plan), and that it is deterministic and never stores twice."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Tenant
from waypost.demo import simulate as simulation_module
from waypost.demo.seed import seed_content
from waypost.demo.simulate import (
    Simulation,
    SimulationError,
    SimulationSummary,
    check,
    messages,
    simulate,
)
from waypost.events import DuckDBEventStore, to_table
from waypost.guidance.catalogue import build
from waypost.guidance.decide import DecideRequest, Person, decide, lookback
from waypost.guidance.files import read_path
from waypost.guidance.library import Environment
from waypost.guidance.rules import stable_percent
from waypost.insights import read_query, run_query
from waypost.insights.catalog import ContentCatalog, ContentItemInfo
from waypost.tracking import to_row, validate_message

APP = "app_simulated"
END = date(2026, 3, 2)
# The simulation is stored as if it ran at noon on the last day of its period.
RAN_AT = datetime(2026, 3, 2, 12, tzinfo=UTC)
ONBOARDING = ["Signed Up", "Email Verified", "Project Created", "Contacts Imported"]
FUNNEL = [*ONBOARDING, "Teammate Invited"]
WEEK = 7 * 86_400


def _about(key: str) -> list[dict[str, Any]]:
    return [{"property": "$content_id", "op": "eq", "value": key}]


@dataclass
class Story:
    store: DuckDBEventStore
    simulation: Simulation
    summary: SimulationSummary

    def ask(self, query: dict[str, Any]) -> Any:
        """An insight's answer, as POST /api/v1/insights/query gives it."""
        return run_query(self.store, APP, read_query(query), {})

    def funnel(self, *steps: dict[str, Any], **more: Any) -> list[int]:
        """How many reached each step."""
        answer = self.ask({"kind": "funnel", "steps": list(steps), **more})
        return [step.count for step in answer.steps]

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return self.store.query(sql, {"app": APP, **params})[1]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    """400 simulated customers over 60 days, in a real event store (a few seconds, once)."""
    store = DuckDBEventStore(tmp_path_factory.mktemp("story") / "events.duckdb")
    simulation = Simulation(customers=400, days=60, seed=7, end=END)
    try:
        yield Story(store, simulation, simulate(store, APP, simulation, received_at=RAN_AT))
    finally:
        store.close()


def test_the_onboarding_funnel_loses_people_at_every_step(story: Story) -> None:
    counts = story.funnel(*({"event": name} for name in FUNNEL), window_seconds=14 * 86_400)
    assert counts[0] == story.summary.users  # everyone signs up, once
    assert all(later < earlier for earlier, later in itertools.pairwise(counts))
    assert counts[-1] < counts[0] / 2


def test_people_shown_the_walkthrough_create_a_project_more_than_the_holdout(
    story: Story,
) -> None:
    guided = story.funnel(
        {"event": "$guide_shown", "where": _about("first-project")},
        {"event": "Project Created"},
        window_seconds=WEEK,
    )
    held_out = story.funnel(
        {"event": "$holdout_assigned", "where": _about("first-project")},
        {"event": "Project Created"},
        window_seconds=WEEK,
    )
    assert held_out[0] > 20 and guided[0] > 200
    assert guided[1] / guided[0] > held_out[1] / held_out[0] + 0.1
    # Counting everyone drawn when they first met the onboarding (the welcome, shown to both
    # groups at the moment of the draw), not only those who went on to see the walkthrough,
    # the lift holds: it is the walkthrough's, not a choice of who gets counted.
    welcomed = story.funnel(
        {"event": "$guide_shown", "where": _about("welcome")},
        {"event": "Project Created"},
        window_seconds=WEEK,
    )
    held_welcomed = story.funnel(
        {"event": "$holdout_assigned", "where": _about("first-project")},
        {"event": "$guide_shown", "where": _about("welcome")},
        {"event": "Project Created"},
        window_seconds=WEEK,
    )
    drawn_in = (welcomed[1] - held_welcomed[2]) / (welcomed[0] - held_welcomed[1])
    assert drawn_in > held_welcomed[2] / held_welcomed[1] + 0.05


def test_about_a_tenth_is_held_out_by_decides_own_draw(story: Story) -> None:
    def users(event: str) -> set[str]:
        found = story.rows(
            "SELECT DISTINCT user_id FROM events WHERE app_id = $app AND event = $event "
            "AND content_id = 'first-project'",
            event=event,
        )
        return {row[0] for row in found}

    held, shown = users("$holdout_assigned"), users("$guide_shown")
    assert not held & shown
    assert 0.05 < len(held) / len(held | shown) < 0.16
    draw = {user: stable_percent("holdout:first-project", user) < 10 for user in held | shown}
    assert all(draw[user] for user in held) and not any(draw[user] for user in shown)


def test_accounts_that_completed_onboarding_renew_more(story: Story) -> None:
    def completed_then(event: str) -> int:
        steps = [{"event": name} for name in [*FUNNEL, event]]
        return story.funnel(*steps, aggregate_by="account", window_seconds=366 * 86_400)[-1]

    totals = story.ask(
        {
            "kind": "trends",
            "series": [
                {"event": "Subscription Renewed", "math": "accounts"},
                {"event": "Subscription Cancelled", "math": "accounts"},
            ],
            "date_from": story.simulation.since.isoformat(),
            "date_to": story.simulation.until.isoformat(),
            "interval": "week",
        }
    )
    renewed, cancelled = (series.total for series in totals.series)
    done_renewed = completed_then("Subscription Renewed")
    done_cancelled = completed_then("Subscription Cancelled")
    others_renewed, others_cancelled = renewed - done_renewed, cancelled - done_cancelled
    assert done_renewed + done_cancelled > 20 and others_renewed + others_cancelled > 20
    completers = done_renewed / (done_renewed + done_cancelled)
    others = others_renewed / (others_renewed + others_cancelled)
    assert completers > others + 0.15


def test_more_people_create_a_project_after_the_walkthrough_launched(story: Story) -> None:
    since, launch, until = (
        moment.isoformat()
        for moment in (story.simulation.since, story.simulation.launch, story.simulation.until)
    )
    answer = story.ask(
        {
            "kind": "comparison",
            "insight": {
                "kind": "funnel",
                "steps": [{"event": "Email Verified"}, {"event": "Project Created"}],
                "window_seconds": WEEK,
            },
            "before": {"date_from": since, "date_to": launch},
            "after": {"date_from": launch, "date_to": until},
        }
    )
    measure = answer.differences[0]
    assert measure.after > measure.before
    first_shown = story.rows(
        "SELECT min(timestamp) FROM events WHERE app_id = $app AND event = '$guide_shown' "
        "AND content_id = 'first-project'"
    )[0][0]
    assert first_shown >= story.simulation.launch.replace(tzinfo=None)


def test_nps_scores_follow_experience(story: Story) -> None:
    def average_score(abandoned: bool) -> float:
        found = story.rows(
            "SELECT avg(CAST(json_extract(properties, '$.\"$answer\"') AS DOUBLE)), count(*) "
            "FROM events WHERE app_id = $app AND event = '$survey_answered' "
            "AND content_id = 'nps' AND properties->>'$.\"$question\"' = 'score' "
            "AND (user_id IN (SELECT user_id FROM events WHERE app_id = $app "
            "AND event = 'Import Abandoned')) = $abandoned",
            abandoned=abandoned,
        )
        assert found[0][1] > 10
        return float(found[0][0])

    assert average_score(abandoned=True) < average_score(abandoned=False) - 0.5


def test_events_are_within_the_period_and_name_the_demos_content(story: Story) -> None:
    first, last = story.rows(
        "SELECT min(timestamp), max(timestamp) FROM events WHERE app_id = $app"
    )[0]
    assert first >= story.simulation.since.replace(tzinfo=None)
    assert last < story.simulation.until.replace(tzinfo=None)
    keys = {
        row[0] for row in story.rows("SELECT DISTINCT content_id FROM events WHERE app_id = $app")
    }
    assert keys - {None} == {
        "welcome",
        "first-project",
        "import-contacts",
        "nps",
        "import-dropoff",
        "call-offer",
        "verify-email",
        "create-project",
        "import-contacts-task",
        "invite-teammate",
        "build-report",
    }
    versions = story.rows(
        "SELECT DISTINCT properties->>'$.\"$content_version\"' FROM events "
        "WHERE app_id = $app AND content_id IS NOT NULL"
    )
    assert versions == [("1",)]


def _shows_by_itself(answer: dict[str, Any], key: str) -> bool:
    """Whether decide offers the item to show by itself (not only listed, to be started)."""
    return any(item["key"] == key and not item.get("listed") for item in answer["items"])


def test_decide_holds_out_and_no_longer_offers_what_the_simulation_says(
    story: Story, db: Session, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    with db.begin():
        seed_content(db, tenant.app_id)
        catalogue = build(db, tenant.app_id, Environment.PRODUCTION)

    def decided(user: str) -> dict[str, Any]:
        # The person as the store knows them: the simulated app's events, this tenant's content.
        at = datetime.combine(END, datetime.min.time(), UTC)
        activity = story.store.person_activity(APP, user, lookback(at))
        assert activity is not None
        wanted = DecideRequest(userId=user, url="http://127.0.0.1:8000/demo/projects")
        return decide(catalogue, wanted, Person(user, activity, activity.profile.traits), at)

    # Held out and still in the walkthrough's audience (no project yet): decide lists them.
    held = story.rows(
        "SELECT user_id FROM events WHERE app_id = $app AND event = '$holdout_assigned' "
        "AND user_id NOT IN (SELECT user_id FROM events WHERE app_id = $app "
        "AND event = 'Project Created' AND user_id IS NOT NULL) ORDER BY user_id LIMIT 3"
    )
    assert held
    finished = story.rows(
        "SELECT user_id FROM events WHERE app_id = $app AND event = '$guide_completed' "
        "AND content_id = 'first-project' ORDER BY user_id LIMIT 3"
    )
    for (user,) in held:
        answer = decided(user)
        assert {"key": "first-project", "recorded": True} in answer["holdouts"]
        assert "first-project" not in [item["key"] for item in answer["items"]]
    for (user,) in finished:
        answer = decided(user)
        assert answer["holdouts"] == []
        assert not _shows_by_itself(answer, "first-project")
        tasks = {task["key"]: task["done"] for task in answer["checklist"]["tasks"]}
        assert tasks["create-project"] is True


# ---------------------------------------------------------------- determinism and re-runs


def _stored(store: DuckDBEventStore, app_id: str = APP) -> list[tuple[Any, ...]]:
    """Every stored event as the sender made it (not when it arrived, nor the person id the
    store gave it), in message id order."""
    return store.query(
        "SELECT message_id, type, event, user_id, anonymous_id, account_id, timestamp, "
        "session_id, path, content_id, content_step, properties, context FROM events "
        "WHERE app_id = $app ORDER BY message_id",
        {"app": app_id},
    )[1]


@pytest.fixture
def open_store(tmp_path: Path) -> Iterator[Callable[[str], DuckDBEventStore]]:
    opened: list[DuckDBEventStore] = []

    def make(name: str) -> DuckDBEventStore:
        opened.append(DuckDBEventStore(tmp_path / name / "events.duckdb"))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


SMALL = Simulation(customers=40, days=30, seed=3, end=END)


def test_the_same_seed_and_end_make_the_same_events(
    open_store: Callable[[str], DuckDBEventStore],
) -> None:
    first, second, other = open_store("first"), open_store("second"), open_store("other")
    simulate(first, APP, SMALL, received_at=RAN_AT)
    simulate(second, APP, SMALL, received_at=RAN_AT + timedelta(hours=5))
    made = _stored(first)
    assert len(made) > 1_000
    assert _stored(second) == made
    other_seed = Simulation(customers=40, days=30, seed=4, end=END)
    simulate(other, APP, other_seed, received_at=RAN_AT)
    assert _stored(other) != made


def test_processes_make_the_same_events_as_one(
    open_store: Callable[[str], DuckDBEventStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulation_module, "CHUNK_ACCOUNTS", 12)  # four chunks
    alone, shared = open_store("alone"), open_store("shared")
    simulate(alone, APP, SMALL, received_at=RAN_AT, workers=1)
    simulate(shared, APP, SMALL, received_at=RAN_AT, workers=2)
    assert _stored(shared) == _stored(alone)


def test_a_second_run_stores_nothing(open_store: Callable[[str], DuckDBEventStore]) -> None:
    store = open_store("events")
    first = simulate(store, APP, SMALL, received_at=RAN_AT)
    again = simulate(store, APP, SMALL, received_at=RAN_AT + timedelta(hours=1))
    assert first.stored == first.events > 0
    assert again.events == first.events and again.stored == 0
    assert len(_stored(store)) == first.events


def test_a_run_after_the_stores_dedupe_window_still_stores_nothing(
    open_store: Callable[[str], DuckDBEventStore],
) -> None:
    store = open_store("events")
    first = simulate(store, APP, SMALL, received_at=RAN_AT)
    later = RAN_AT + timedelta(days=30)
    assert store.forget_old_message_ids(later) >= first.events  # the store forgot every id
    again = simulate(store, APP, SMALL, received_at=later)
    assert again.stored == 0
    assert len(_stored(store)) == first.events


def test_the_store_itself_skips_the_simulations_messages_seen_before(
    open_store: Callable[[str], DuckDBEventStore],
) -> None:
    store = open_store("events")
    rows = to_table([to_row(APP, validate_message(message, RAN_AT)) for message in messages(SMALL)])
    assert store.append(rows, RAN_AT).stored_count == rows.num_rows
    assert store.append(rows, RAN_AT).stored_count == 0


def test_more_customers_with_the_same_seed_add_only_the_new_accounts(
    open_store: Callable[[str], DuckDBEventStore],
) -> None:
    grown, fresh = open_store("grown"), open_store("fresh")
    fewer = Simulation(customers=25, days=30, seed=3, end=END)
    simulate(grown, APP, fewer, received_at=RAN_AT)
    more = simulate(grown, APP, SMALL, received_at=RAN_AT)
    simulate(fresh, APP, SMALL, received_at=RAN_AT)
    assert 0 < more.stored < more.events
    assert _stored(grown) == _stored(fresh)


def test_the_same_seed_over_another_period_is_refused(
    open_store: Callable[[str], DuckDBEventStore],
) -> None:
    store = open_store("events")
    simulate(store, APP, SMALL, received_at=RAN_AT)
    later = Simulation(customers=40, days=30, seed=3, end=END + timedelta(days=1))
    with pytest.raises(SimulationError, match="seed 3 was simulated into this app before"):
        simulate(store, APP, later, received_at=RAN_AT + timedelta(days=1))
    # In another app the same seed is a fresh start.
    assert simulate(store, "app_other", later, received_at=RAN_AT).stored > 0


@pytest.mark.parametrize(
    ("simulation", "field"),
    [
        (Simulation(customers=0, days=30, seed=1, end=END), "customers"),
        (Simulation(customers=5, days=0, seed=1, end=END), "days"),
        (Simulation(customers=5, days=30, seed=1, end=END + timedelta(days=2)), "end"),
    ],
)
def test_a_simulation_that_cannot_run_is_refused_naming_why(
    simulation: Simulation, field: str
) -> None:
    with pytest.raises(SimulationError, match=f"^{field} must be"):
        check(simulation, RAN_AT)
    check(Simulation(customers=5, days=30, seed=1, end=END + timedelta(days=1)), RAN_AT)


def _catalog() -> ContentCatalog:
    """The demo's content items, as the measurement insights read them."""
    from waypost.demo.seed import CONTENT

    documents = [located.document for located in read_path(CONTENT)]
    return ContentCatalog(
        items={
            d.key: ContentItemInfo(d.key, d.kind, d.name, d)
            for d in documents
            if d.kind != "segment"
        }
    )


def test_engagement_shows_the_walkthrough_lifting_its_goal_over_the_holdout(
    story: Story,
) -> None:
    query = read_query({"kind": "engagement", "items": ["first-project"]})
    [item] = run_query(story.store, APP, query, {}, _catalog()).items  # type: ignore[attr-defined]
    goal = item.goal
    # The walkthrough's goal is a project within 7 days of seeing it: more of those who saw it
    # got there than of its holdout, by a margin the data is sure of.
    assert goal.holdout_people > 10 and goal.exposed_people > 5 * goal.holdout_people
    assert goal.exposed_rate > goal.holdout_rate
    assert goal.significant and goal.ci_low > 0 and goal.verdict.startswith("significant")
    assert item.steps[0].people == item.people


def test_renewal_impact_measured_from_the_simulated_accounts(story: Story) -> None:
    query = read_query({"kind": "impact_renewal", "measure": {
        "new": {"event": "Signed Up"}, "milestones": [{"event": name} for name in FUNNEL[1:]],
        "within_days": 30, "item": "first-project",
        "outcome": {"trait": "status", "renewed": ["active"], "churned": ["cancelled"]},
        "contract_value_trait": "contract_value"}})  # fmt: skip
    result = run_query(story.store, APP, query, {}, _catalog())
    inputs = {i.name: i for i in result.inputs}  # type: ignore[attr-defined]
    assert {i.source for i in inputs.values()} == {"measured"}
    completed, rest = inputs["renewal_rate_completed"], inputs["renewal_rate_not_completed"]
    # Accounts that went through onboarding renew more, and the intervals do not overlap.
    assert completed.n > 20 and rest.n > 20
    assert completed.ci_low > rest.ci_high
    assert inputs["new_customers"].value == story.simulation.customers
    assert inputs["annual_contract_value"].value > 0


def test_nps_breaks_down_by_plan(story: Story) -> None:
    query = read_query({
        "kind": "survey", "survey": "nps", "date_from": "2026-01-01", "date_to": "2026-03-03",
        "breakdown": {"source": "account", "property": "plan"}})  # fmt: skip
    result = run_query(story.store, APP, query, {}, _catalog())
    groups = {g.value: g for g in result.breakdown}  # type: ignore[attr-defined]
    assert {"trial", "pro"} <= set(groups)
    assert sum(g.responded for g in groups.values()) == result.responded  # type: ignore[attr-defined]
    assert result.score.ci_low < result.score.value < result.score.ci_high  # type: ignore[attr-defined]
