"""Measurement insights benchmark: survey, engagement, goal and the impact calculators, at 10M.

Uses bench/funnel.py's events (10M events, 500k persons, 20 event names, 90 days by default;
kept in `--data-dir` and shared with the funnel and insights benchmarks) and adds, to a store of
its own beside them (`measurement.duckdb`), what Waypost's snippet and the billing system would
have sent for those persons: guidance events, survey answers and accounts with their traits, in
the proportions `waypost demo simulate` produces (the `DEMO` table below, measured from a
simulated store). Events are attached to the funnel data's persons and times: the onboarding
walkthrough is seen right after a sign-up once it launched (a third of the way in, as in the
demo), the import walkthrough just before a data source is connected, the NPS survey after the
first report export, each task's completion right after its event. Every draw is NumPy, from
the shape's seed, so the same shape gives the same store.

Each of the six kinds answers one realistic query over the whole range through
`waypost.insights.runner.run_query` (the code behind the API and the CLI), with the demo's
content documents as the catalog (its goal events renamed to the funnel's, `STANDS_FOR`). The
baseline of each is a plain DuckDB scan over the same store of the rows and columns that kind
must read at the least (`SCANS`): the ratio says how far the answer is from the cost of reading
its input. Each side runs in a subprocess of its own, warmed up once, then `--repeat` times (3),
`--rounds` times taking turns; the best time counts. The issue's targets, under 1 s and 2 GB per
answer, are checked per kind and the exit status is 1 if one is missed.

    .venv/bin/python bench/measurement.py --data-dir /tmp/funnel   # or: make bench-measurement
    .venv/bin/python bench/measurement.py --data-dir /tmp/funnel --kind survey --kind goal
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from funnel import (
    APP,
    DAY,
    MINUTE,
    START,
    STEPS,
    US,
    Shape,
    Timing,
    _line,
    _maxrss_mb,
    _merge,
    _peak_mb,
    _side,
    _timed,
    add_run_arguments,
    commit,
    machine,
    prepare,
)

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from waypost.insights.catalog import ContentCatalog

# Bump when the generated guidance, accounts or the store layout change, so kept data is made again.
GENERATOR_VERSION = 1
STORE = "measurement.duckdb"
MANIFEST = "measurement.json"
SECOND = US

# Per (content item, event): events and distinct people in the store of
#   waypost demo simulate --customers 2000 --days 90 --seed 5
# (into a fresh data directory; counted over that run's message ids, `sim-5-…`), which made
# 189,342 events in all. The benchmark adds these events in the same proportion to the funnel's
# events as they have to the demo's other events, and each item's events per person as there.
DEMO_EVENTS = 189_342
DEMO = {
    ("welcome", "$guide_shown"): (2559, 2559),
    ("welcome", "$guide_cta_clicked"): (1358, 1358),
    ("welcome", "$guide_completed"): (1358, 1358),
    ("welcome", "$guide_dismissed"): (1201, 1201),
    ("first-project", "$holdout_assigned"): (268, 268),
    ("first-project", "$guide_shown"): (3167, 2020),
    ("first-project", "$guide_step_viewed"): (13307, 2020),
    ("first-project", "$guide_completed"): (1651, 1651),
    ("first-project", "$guide_dismissed"): (1516, 897),
    ("import-contacts", "$guide_shown"): (3391, 1913),
    ("import-contacts", "$guide_step_viewed"): (5822, 1913),
    ("import-contacts", "$guide_completed"): (1549, 1549),
    ("call-offer", "$guide_shown"): (424, 399),
    ("call-offer", "$guide_cta_clicked"): (112, 110),
    ("call-offer", "$guide_completed"): (112, 110),
    ("call-offer", "$guide_dismissed"): (312, 296),
    ("nps", "$survey_shown"): (1439, 1439),
    ("nps", "$survey_answered"): (1339, 984),
    ("nps", "$survey_dismissed"): (455, 455),
    ("import-dropoff", "$survey_shown"): (1065, 1065),
    ("import-dropoff", "$survey_answered"): (686, 686),
    ("import-dropoff", "$survey_dismissed"): (379, 379),
    ("verify-email", "$task_completed"): (2787, 2787),
    ("create-project", "$task_completed"): (2148, 2148),
    ("import-contacts-task", "$task_completed"): (1624, 1624),
    ("invite-teammate", "$task_completed"): (828, 828),
    ("build-report", "$task_completed"): (1523, 1523),
}
# Views of each step of the walkthroughs, step 0 first (first-project's step 4 is a split to
# step 5 for admins or 6 for members); the NPS scores given (nobody gave 0-2); the answers to
# "what stopped you?"; how many of the NPS answers of 8 or less said why.
DEMO_STEPS = {
    "first-project": (3167, 2656, 2257, 1925, 1651, 1081, 570),
    "import-contacts": (3391, 2431),
}
DEMO_SCORES = {3: 6, 4: 13, 5: 37, 6: 80, 7: 142, 8: 216, 9: 217, 10: 273}
DEMO_REASONS = {"format": 288, "time": 240, "unsure": 128, "other": 30}
DEMO_WHY = 355
# Users per account (1 to 11) and accounts per plan, from the same run.
DEMO_ACCOUNT_SIZES = (1298, 355, 201, 73, 34, 24, 9, 2, 3, 1, 1)
DEMO_PLANS = {"trial": 799, "pro": 1055, "business": 146}
# The demo never misses a target; real apps do after a release. This share of the views of
# steps that point at an element also sends $guide_target_missing, so engagement has some to
# count (not in the demo's proportions, as the demo has none).
TARGET_MISSING = 0.01
# Renewal outcomes follow onboarding, as in the demo: accounts that completed it renew more.
RENEWS_COMPLETED, RENEWS_NOT_COMPLETED, RENEWS_EARLIER = 0.75, 0.40, 0.60
TERM_DAYS = 30  # an account's first renewal comes this long after its first sign-up

# The funnel data's events standing in for the demo app's (in the content documents' goals and
# triggers, and for what completes each task).
STANDS_FOR = {
    "Email Verified": "Signed Up",
    "Project Created": "Created Dashboard",
    "Contacts Imported": "Connected Data Source",
    "Teammate Invited": "Invited Teammate",
    "Report Built": "Report Exported",
}
TASKS = {
    "verify-email": "Email Verified",
    "create-project": "Project Created",
    "import-contacts-task": "Contacts Imported",
    "invite-teammate": "Teammate Invited",
    "build-report": "Report Built",
}
# The funnel events whose first time per person the guidance is attached to.
FIRSTS = ("Signed Up", "Connected Data Source", "Created Dashboard", "Invited Teammate")
FIRSTS += ("Report Exported",)

GUIDANCE_EVENTS = (
    "$guide_shown",
    "$guide_step_viewed",
    "$guide_completed",
    "$guide_dismissed",
    "$guide_cta_clicked",
    "$guide_target_missing",
    "$holdout_assigned",
    "$survey_shown",
    "$survey_answered",
    "$survey_dismissed",
    "$task_completed",
)
ITEMS = tuple(dict.fromkeys(item for item, _ in DEMO))
QUESTIONS = (("score", "nps"), ("why", "text"), ("reason", "single"))
WHY = (
    "Good, missing an email integration",
    "Reports are useful, but it is a bit pricey",
    "Importing my spreadsheet kept failing",
    "The import did not understand my file",
    "My team has not started using it",
    "Hard to get my colleagues on board",
    "スプレッドシートの取り込みがうまくいかなかった",
    "チームがまだ使い始めていない",
    "良いがメール連携がほしい",
    "レポートは便利だが少し高い",
)
OTHER_REASONS = (
    "Too many columns",
    "Wanted to check with IT first",
    "結合セルがあるファイルだった",
)
# Every answer as the JSON the snippet sends: scores, then why's texts, then the reasons.
ANSWERS = (
    *(str(score) for score in range(11)),
    *(json.dumps(text, ensure_ascii=False) for text in WHY),
    *(json.dumps(reason) for reason in DEMO_REASONS if reason != "other"),
    *(json.dumps(f"other:{text}", ensure_ascii=False) for text in OTHER_REASONS),
)


# ---------------------------------------------------------------- the content


def content_catalog() -> ContentCatalog:
    """The demo's content items as the insights read them, goal events renamed to the funnel's."""
    import yaml

    from waypost.guidance.library import parse_document
    from waypost.insights.catalog import ContentCatalog, ContentItemInfo

    def renamed(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: renamed(value) for key, value in node.items()}
        if isinstance(node, list):
            return [renamed(value) for value in node]
        return STANDS_FOR.get(node, node) if isinstance(node, str) else node

    directory = Path(__file__).resolve().parents[1] / "src" / "waypost" / "demo" / "content"
    items = {}
    for path in sorted(directory.glob("*.yaml")):
        for data in yaml.safe_load_all(path.read_text()):
            if not data or data.get("kind") == "segment":
                continue
            document = parse_document(renamed(data))
            items[document.key] = ContentItemInfo(
                document.key, document.kind, document.name, document
            )
    return ContentCatalog(items=items)


# ---------------------------------------------------------------- the events


@dataclass
class Persons:
    """What the funnel data says of each person (index: person_id - 1): the first time of each
    of FIRSTS (-1: never), and their first and last event, in microseconds."""

    first: dict[str, np.ndarray]
    since: np.ndarray
    until: np.ndarray

    @classmethod
    def read(cls, parquet: Path, count: int) -> Persons:
        """The `count` persons of the funnel's Parquet file."""
        import duckdb
        import numpy as np

        firsts = ", ".join(
            f"min(ts) FILTER (WHERE event = '{name}') AS f{k}" for k, name in enumerate(FIRSTS)
        )
        found = (
            duckdb.connect()
            .execute(
                f"""SELECT person_id, {firsts}, min(ts) AS since, max(ts) AS until
FROM (SELECT person_id, event, epoch_us(timestamp) AS ts FROM read_parquet('{parquet}'))
GROUP BY person_id"""
            )
            .fetchnumpy()
        )
        index = np.asarray(found["person_id"]) - 1

        def column(name: str) -> np.ndarray:
            values = np.full(count, -1, np.int64)
            values[index] = np.ma.filled(np.ma.asarray(found[name]), -1)
            return values

        return cls(
            {name: column(f"f{k}") for k, name in enumerate(FIRSTS)},
            column("since"),
            column("until"),
        )


@dataclass
class Batch:
    """Generated guidance events, as columns of codes: person (index), event (GUIDANCE_EVENTS),
    item (ITEMS), step (-1: none), time, question (QUESTIONS, -1: none), answer (ANSWERS)."""

    parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def add(
        self,
        person: np.ndarray,
        event: str,
        item: str,
        at: np.ndarray,
        step: np.ndarray | int = -1,
        question: str | None = None,
        answer: np.ndarray | int = -1,
    ) -> None:
        import numpy as np

        n = person.size
        asked = -1 if question is None else [q for q, _ in QUESTIONS].index(question)
        self.parts.append(
            (
                person,
                np.full(n, GUIDANCE_EVENTS.index(event), np.uint8),
                np.full(n, ITEMS.index(item), np.uint8),
                np.broadcast_to(np.asarray(step, np.int16), n),
                at,
                np.full(n, asked, np.int8),
                np.broadcast_to(np.asarray(answer, np.int16), n),
            )
        )

    def table(self) -> pa.Table:
        import numpy as np
        import pyarrow as pa

        names = ("person", "event", "item", "step", "ts_us", "question", "answer")
        columns = [np.concatenate(column) for column in zip(*self.parts, strict=True)]
        # A number per event, for message ids that do not depend on the order of a scan.
        columns.append(np.arange(columns[0].size))
        return pa.table(dict(zip((*names, "row"), columns, strict=True)))


def _scale(shape: Shape) -> float:
    """Generated events per event of the demo: the funnel's events over the demo's others."""
    guidance = sum(events for events, _ in DEMO.values())
    return shape.events / (DEMO_EVENTS - guidance)


def _pick(rng: np.random.Generator, eligible: np.ndarray, people: float) -> np.ndarray:
    """`people` of the eligible persons (all of them when fewer), in order."""
    import numpy as np

    count = min(round(people), eligible.size)
    return np.sort(rng.choice(eligible, count, replace=False))


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row i repeated counts[i] times: the row of each copy and its number within the row."""
    import numpy as np

    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def _waits(rng: np.random.Generator, size: int, median_us: float, sigma: float) -> np.ndarray:
    """Log-normal waits in microseconds, at least a second."""
    import numpy as np

    return np.exp(rng.normal(np.log(median_us), sigma, size)).astype(np.int64) + SECOND


def _shows(
    rng: np.random.Generator, person: np.ndarray, first: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`count[i]` shows to person i, the first at `first[i]` and each next one a visit later
    (a day or so): the shows' persons, times, and numbers per person."""
    import numpy as np

    owner, number = _expand(count)
    gaps = np.where(number == 0, 0, _waits(rng, owner.size, DAY, 1.0))
    total = np.cumsum(gaps)
    starts = np.cumsum(count) - count
    return person[owner], first[owner] + total - total[starts][owner], number


def _walk(
    batch: Batch,
    rng: np.random.Generator,
    item: str,
    show: tuple[np.ndarray, np.ndarray],
    views: np.ndarray,
    ending: np.ndarray,
    targeted: int,
    last_step: np.ndarray | None = None,
) -> None:
    """Walkthrough shows (person, time): steps 0 to views - 1 viewed 15 s apart (the last one
    `last_step` when given, a split's branch), then dismissed (ending 1), completed (2) or left
    (0). Views of the first `targeted` steps miss their element now and then."""
    import numpy as np

    person, at = show
    batch.add(person, "$guide_shown", item, at)
    owner, number = _expand(views)
    step = number.astype(np.int16)
    final = np.cumsum(views) - 1
    if last_step is not None:
        step[final] = last_step
    seen = at[owner] + (number + 1) * 15 * SECOND
    batch.add(person[owner], "$guide_step_viewed", item, seen, step)
    missing = (step < targeted) & (rng.random(owner.size) < TARGET_MISSING)
    late = seen[missing] + 2 * SECOND
    batch.add(person[owner][missing], "$guide_target_missing", item, late, step[missing])
    for code, event in ((1, "$guide_dismissed"), (2, "$guide_completed")):
        ends = ending == code
        batch.add(person[ends], event, item, seen[final][ends] + 5 * SECOND, step[final][ends])


def _poisson_rates(
    shown: int, dismissals: int, dismissing: int, completing: int
) -> tuple[float, float]:
    """Mean dismissals of people who never complete (beyond their one) and of those who do,
    so that dismissals and people dismissing match the demo's in expectation."""
    left = shown - completing  # people who never complete: each dismissed at least once
    completing_rate = -math.log(1 - (dismissing - left) / completing)
    return (dismissals - completing * completing_rate) / left - 1, completing_rate


def generate(shape: Shape, persons: Persons, launch_us: int) -> pa.Table:
    """The guidance and survey events of the funnel data's persons, in the demo's proportions."""
    import numpy as np

    rng = np.random.default_rng([shape.seed, GENERATOR_VERSION])
    scale = _scale(shape)
    batch = Batch()
    everyone = np.arange(shape.persons)
    first = {name: persons.first[STANDS_FOR.get(name, name)] for name in (*STANDS_FOR, *FIRSTS)}

    def people(item: str, event: str) -> float:
        return DEMO[item, event][1] * scale

    def share(item: str, event: str, of: str) -> float:
        return DEMO[item, event][1] / DEMO[item, of][1]

    # Tasks: completed right after the event that completes them, by as many as in the demo.
    for task, event in TASKS.items():
        done = _pick(rng, everyone[first[event] >= 0], people(task, "$task_completed"))
        batch.add(done, "$task_completed", task, first[event][done] + 400_000)

    # After the launch, new persons land on the projects page: the welcome, then the main
    # walkthrough or its holdout.
    landed = everyone[persons.first["Signed Up"] >= launch_us]
    welcomed = _pick(rng, landed, people("welcome", "$guide_shown"))
    at = persons.first["Signed Up"][welcomed] + (rng.random(welcomed.size) * 9 + 1) * MINUTE
    at = at.astype(np.int64)
    batch.add(welcomed, "$guide_shown", "welcome", at)
    clicked = rng.random(welcomed.size) < share("welcome", "$guide_cta_clicked", "$guide_shown")
    batch.add(welcomed[clicked], "$guide_cta_clicked", "welcome", at[clicked] + 5 * SECOND)
    batch.add(welcomed[clicked], "$guide_completed", "welcome", at[clicked] + 5 * SECOND + 100_000)
    batch.add(welcomed[~clicked], "$guide_dismissed", "welcome", at[~clicked] + 4 * SECOND)

    item = "first-project"
    shown, held = people(item, "$guide_shown"), people(item, "$holdout_assigned")
    audience = _pick(rng, landed, shown + held)
    start = persons.first["Signed Up"][audience] + (rng.random(audience.size) * 9 + 2) * MINUTE
    start = start.astype(np.int64)
    holdout = rng.random(audience.size) < held / (shown + held)
    batch.add(audience[holdout], "$holdout_assigned", item, start[holdout])
    exposed, start = audience[~holdout], start[~holdout]
    completes = rng.random(exposed.size) < share(item, "$guide_completed", "$guide_shown")
    rate_left, rate_completing = _poisson_rates(
        DEMO[item, "$guide_shown"][1],
        DEMO[item, "$guide_dismissed"][0],
        DEMO[item, "$guide_dismissed"][1],
        DEMO[item, "$guide_completed"][1],
    )
    dismissed = np.where(
        completes,
        rng.poisson(rate_completing, exposed.size),
        1 + rng.poisson(rate_left, exposed.size),
    )
    count = dismissed + completes
    show_person, show_at, number = _shows(rng, exposed, start, count)
    owner = np.repeat(np.arange(exposed.size), count)
    # Dismissed shows come first; a completing person's last show completes.
    completing = completes[owner] & (number == count[owner] - 1)
    steps = DEMO_STEPS[item]
    stops = np.array([steps[k] - steps[k + 1] for k in range(4)], float)
    views = np.where(completing, 6, 1 + rng.choice(4, owner.size, p=stops / stops.sum()))
    branch = np.where(rng.random(owner.size) < steps[5] / steps[4], 5, 6)
    last = np.where(completing, branch, views - 1).astype(np.int16)
    ending = np.where(completing, 2, 1)
    _walk(batch, rng, item, (show_person, show_at), views, ending, 4, last)

    # The import walkthrough: on the import page, just before a data source is connected.
    item = "import-contacts"
    importers = _pick(rng, everyone[first["Contacts Imported"] >= 0], people(item, "$guide_shown"))
    completes = rng.random(importers.size) < share(item, "$guide_completed", "$guide_shown")
    events = DEMO[item, "$guide_shown"]
    count = 1 + rng.poisson(events[0] / events[1] - 1, importers.size)
    at = first["Contacts Imported"][importers] - 2 * MINUTE
    show_person, show_at, number = _shows(rng, importers, at, count)
    owner = np.repeat(np.arange(importers.size), count)
    completing = completes[owner] & (number == 0)
    steps, finished = DEMO_STEPS[item], DEMO[item, "$guide_completed"][0]
    on = (steps[1] - finished) / (steps[0] - finished)  # step 1 viewed, not completed
    views = np.where(completing | (rng.random(owner.size) < on), 2, 1)
    _walk(batch, rng, item, (show_person, show_at), views, np.where(completing, 2, 0), 2)

    # NPS after the first report export: a score, and why for 8 or less (9-10 jump to the end).
    item = "nps"
    asked = _pick(rng, everyone[first["Report Built"] >= 0], people(item, "$survey_shown"))
    at = first["Report Built"][asked] + 2 * SECOND
    batch.add(asked, "$survey_shown", item, at)
    answering = rng.random(asked.size) < share(item, "$survey_answered", "$survey_shown")
    batch.add(
        asked[~answering], "$survey_dismissed", item, at[~answering] + 20 * SECOND, -1, "score"
    )
    who, at = asked[answering], at[answering] + _waits(rng, int(answering.sum()), 20 * SECOND, 0.5)
    weights = np.array(list(DEMO_SCORES.values()), float)
    score = rng.choice(list(DEMO_SCORES), who.size, p=weights / weights.sum())
    batch.add(who, "$survey_answered", item, at, -1, "score", score)
    low = sum(n for s, n in DEMO_SCORES.items() if s <= 8)
    says = (score <= 8) & (rng.random(who.size) < DEMO_WHY / low)
    text = 11 + rng.integers(0, len(WHY), int(says.sum()))
    later = at[says] + _waits(rng, int(says.sum()), 40 * SECOND, 0.5)
    batch.add(who[says], "$survey_answered", item, later, -1, "why", text)
    detractors, detractors_at = who[score <= 6], at[score <= 6]

    # "What stopped you?" once an import is left halfway: some time in a person's active days.
    item = "import-dropoff"
    asked = _pick(rng, everyone[persons.since >= 0], people(item, "$survey_shown"))
    since, until = persons.since[asked], persons.until[asked]
    at = since + ((until - since) * rng.random(asked.size)).astype(np.int64)
    batch.add(asked, "$survey_shown", item, at)
    answering = rng.random(asked.size) < share(item, "$survey_answered", "$survey_shown")
    batch.add(
        asked[~answering], "$survey_dismissed", item, at[~answering] + 30 * SECOND, -1, "reason"
    )
    who, at = asked[answering], at[answering] + _waits(rng, int(answering.sum()), 15 * SECOND, 0.5)
    weights = np.array(list(DEMO_REASONS.values()), float)
    reason = rng.choice(len(DEMO_REASONS), who.size, p=weights / weights.sum())
    # The three options follow why's texts; "other" is one of the other reasons' texts.
    other = reason == len(DEMO_REASONS) - 1
    answer = np.where(other, 3 + rng.integers(0, len(OTHER_REASONS), who.size), reason)
    batch.add(who, "$survey_answered", item, at, -1, "reason", 11 + len(WHY) + answer)

    # The call offer follows a low score or a file format that got in the way.
    item = "call-offer"
    offered = np.concatenate([detractors, who[reason == 0]])
    offered_at = np.concatenate([detractors_at, at[reason == 0]])
    chosen = rng.permutation(offered.size)[: round(people(item, "$guide_shown"))]
    who, at = offered[chosen], offered_at[chosen] + 2 * SECOND
    batch.add(who, "$guide_shown", item, at)
    clicked = rng.random(who.size) < share(item, "$guide_cta_clicked", "$guide_shown")
    batch.add(who[clicked], "$guide_cta_clicked", item, at[clicked] + 6 * SECOND)
    batch.add(who[clicked], "$guide_completed", item, at[clicked] + 6 * SECOND + 100_000)
    batch.add(who[~clicked], "$guide_dismissed", item, at[~clicked] + 4 * SECOND)
    return batch.table()


def accounts(shape: Shape, persons: Persons) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Persons grouped into accounts of the demo's sizes; each account's traits (plan, contract
    value, and status once its first renewal came: active, or cancelled more often when no
    member finished onboarding within the term) and each person's (plan, role)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng([shape.seed, GENERATOR_VERSION, 1])
    sizes = np.array(DEMO_ACCOUNT_SIZES, float)
    drawn = 1 + rng.choice(sizes.size, shape.persons, p=sizes / sizes.sum())
    drawn = drawn[: np.searchsorted(np.cumsum(drawn), shape.persons) + 1]
    drawn[-1] -= drawn.sum() - shape.persons
    order = rng.permutation(shape.persons)
    account = np.empty(shape.persons, np.int64)
    account[order] = np.repeat(np.arange(drawn.size), drawn)
    first_member = np.zeros(shape.persons, bool)
    first_member[order[np.cumsum(drawn) - drawn]] = True

    signup = persons.first["Signed Up"]
    term = TERM_DAYS * DAY
    onboarded = (signup >= 0) & (
        (persons.first["Connected Data Source"] >= signup)
        & (persons.first["Connected Data Source"] <= signup + term)
        & (persons.first["Created Dashboard"] >= signup)
        & (persons.first["Created Dashboard"] <= signup + term)
    )
    completed = np.bincount(account, onboarded, drawn.size) > 0
    started = np.full(drawn.size, np.iinfo(np.int64).max)
    np.minimum.at(started, account[signup >= 0], signup[signup >= 0])
    new = started < np.iinfo(np.int64).max
    end_us = int(shape.end.timestamp() * US)
    outcome_due = ~new | (started + term < end_us)
    renews = np.where(
        ~new, RENEWS_EARLIER, np.where(completed, RENEWS_COMPLETED, RENEWS_NOT_COMPLETED)
    )
    renewed = rng.random(drawn.size) < renews

    plans = np.array(list(DEMO_PLANS), object)
    weights = np.array(list(DEMO_PLANS.values()), float)
    plan = rng.choice(plans.size, drawn.size, p=weights / weights.sum())
    # Yearly contract values as the demo's: a trial pays nothing, pro 588 a pack (1 to 10 packs),
    # business 1,188 a pack (3 to 9).
    packs = np.where(
        plans[plan] == "pro",
        np.minimum(1 + rng.poisson(1.5, drawn.size), 10),
        rng.integers(3, 10, drawn.size),
    )
    value = np.select([plans[plan] == "pro", plans[plan] == "business"], [588, 1188], 0) * packs
    ids = np.array([f"acct-{k + 1}" for k in range(drawn.size)], object)
    traits = {
        "plan": (np.arange(drawn.size), np.array([json.dumps(p) for p in plans], object)[plan]),
        "contract_value": (np.arange(drawn.size), value.astype(str).astype(object)),
        "status": (
            np.flatnonzero(outcome_due),
            np.where(renewed, '"active"', '"cancelled"').astype(object)[outcome_due],
        ),
    }
    account_traits = pa.table(
        {
            "account_id": pa.array(np.concatenate([ids[rows] for rows, _ in traits.values()])),
            "trait": pa.array(np.repeat(list(traits), [rows.size for rows, _ in traits.values()])),
            "value": pa.array(np.concatenate([values for _, values in traits.values()])),
        }
    )
    person_plan = np.array([json.dumps(p) for p in plans], object)[plan][account]
    roles = np.where(first_member, '"admin"', '"member"').astype(object)
    person_traits = pa.table(
        {
            "person_id": pa.array(np.tile(np.arange(1, shape.persons + 1), 2)),
            "trait": pa.array(np.repeat(["plan", "role"], shape.persons)),
            "value": pa.array(np.concatenate([person_plan, roles])),
        }
    )
    members = pa.table(
        {
            "person_id": pa.array(np.arange(1, shape.persons + 1)),
            "account_id": pa.array(ids[account]),
        }
    )
    return members, account_traits, person_traits


# The columns of the funnel's Parquet file that are events-table columns.
FUNNEL_COLUMNS = {"app_id", "message_id", "type", "event", "distinct_id", "user_id", "timestamp"}
FUNNEL_COLUMNS |= {"received_at", "properties", "context", "person_id"}


def _literal(values: tuple[str, ...]) -> str:
    """A DuckDB list literal of strings."""
    return "[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def build_store(shape: Shape, parquet: Path, ids: Path, path: Path) -> dict[str, int]:
    """A Waypost event store holding the funnel's events and the generated guidance events in
    time order (as a store receives them), every event with its person's account, and the
    persons, accounts and traits; returns what it holds."""
    import pyarrow.compute as pc

    from waypost.events import DuckDBEventStore
    from waypost.events.schema import STORED_COLUMNS

    persons = Persons.read(parquet, shape.persons)
    launch_us = int((START + timedelta(days=shape.days // 3)).timestamp() * US)
    guidance = generate(shape, persons, launch_us)
    members, account_traits, person_traits = accounts(shape, persons)
    columns = [c.name for c in STORED_COLUMNS]
    funnel_columns = ", ".join(
        f"m.account_id AS {c}"
        if c == "account_id"
        else (f"f.{c}" if c in FUNNEL_COLUMNS else f"NULL AS {c}")
        for c in columns
    )
    questions, types = (
        _literal(tuple(q for q, _ in QUESTIONS)),
        _literal(tuple(t for _, t in QUESTIONS)),
    )
    properties = f"""'{{"$content_id":"' || item || '","$content_version":1'
  || CASE WHEN step >= 0 THEN ',"$content_step":' || step ELSE '' END
  || CASE WHEN question >= 0 THEN ',"$question":"' || {questions}[question + 1] || '"' ELSE '' END
  || CASE WHEN answer >= 0 THEN ',"$answer":' || {_literal(ANSWERS)}[answer + 1]
       || ',"$question_type":"' || {types}[question + 1] || '"' ELSE '' END
  || '}}'"""
    generated = {
        "app_id": f"'{APP}'",
        "message_id": "concat_ws('-', h[1:8], h[9:12], h[13:16], h[17:20], h[21:32])",
        "type": "'track'",
        "event": "event",
        "distinct_id": "'u' || person_id",
        "user_id": "'u' || person_id",
        "account_id": "m.account_id",
        "timestamp": "make_timestamp(ts_us)",
        "received_at": "make_timestamp(ts_us + 1500000)",
        "content_id": "item",
        "content_step": "CASE WHEN step >= 0 THEN step END",
        "properties": properties,
        "context": """'{"library":{"name":"waypost.js","version":"0.1.0"},"groupId":"'
  || m.account_id || '"}'""",
        "person_id": "person_id",
    }
    guidance_columns = ", ".join(f"{generated.get(c, 'NULL')} AS {c}" for c in columns)
    store = DuckDBEventStore(path)
    cursor = store.cursor()
    try:
        cursor.register("guidance", guidance)
        cursor.register("members", members)
        cursor.register("account_values", account_traits)
        cursor.register("person_values", person_traits)
        coded = f"""SELECT g.person + 1 AS person_id,
  {_literal(GUIDANCE_EVENTS)}[g.event + 1] AS event, {_literal(ITEMS)}[g.item + 1] AS item,
  g.step, g.ts_us, g.question, g.answer,
  md5('{shape.seed}:guidance:' || g.row) AS h
FROM guidance g"""
        cursor.execute(
            f"""INSERT INTO events ({", ".join(columns)})
SELECT * FROM (
  SELECT {funnel_columns} FROM read_parquet('{parquet}') f JOIN members m USING (person_id)
  UNION ALL
  SELECT {guidance_columns} FROM ({coded}) JOIN members m USING (person_id)
) ORDER BY timestamp"""
        )
        cursor.execute(f"INSERT INTO person_ids SELECT * FROM read_parquet('{ids}')")
        cursor.execute(
            "INSERT INTO persons SELECT i.app_id, i.person_id, min(i.created_at), "
            "any_value(m.account_id), min(i.created_at) FROM person_ids i "
            "JOIN members m USING (person_id) GROUP BY i.app_id, i.person_id"
        )
        set_at = f"make_timestamp({int(START.timestamp() * US)})"
        cursor.execute(
            f"INSERT INTO account_traits SELECT '{APP}', account_id, trait, value, {set_at} "
            "FROM account_values"
        )
        cursor.execute(
            f"INSERT INTO person_traits SELECT '{APP}', person_id, trait, value, {set_at} "
            "FROM person_values"
        )
        cursor.execute("CHECKPOINT")
    finally:
        cursor.close()
        store.close()
    accounts_made = len(pc.unique(members.column("account_id")))
    return {"guidance_events": guidance.num_rows, "accounts": accounts_made}


def prepare_measurement(shape: Shape, data_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The measurement store beside the funnel's data, made unless `data_dir` holds it for
    this shape, these funnel events and this generator."""
    parquet, ids, _ = prepare(shape, data_dir)
    path, manifest = data_dir / STORE, data_dir / MANIFEST
    wanted = {
        "funnel": json.loads((data_dir / "manifest.json").read_text()),
        "generator": GENERATOR_VERSION,
    }
    if manifest.exists() and path.exists():
        kept = json.loads(manifest.read_text())
        if {key: kept.get(key) for key in wanted} == wanted:
            print(f"reusing the measurement store {path}")
            return path, {**kept, "reused": True}
    for stale in (manifest, path, path.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(path.with_suffix(".journal"), ignore_errors=True)
    started = time.perf_counter()
    held = build_store(shape, parquet, ids, path)
    made = {**wanted, **held, "seconds": time.perf_counter() - started}
    manifest.write_text(json.dumps(made))
    print(
        f"added {held['guidance_events']:,} guidance and survey events and {held['accounts']:,} "
        f"accounts into {path} in {made['seconds']:.1f}s"
    )
    return path, {**made, "reused": False}


# ---------------------------------------------------------------- the queries


def queries(shape: Shape) -> dict[str, dict[str, Any]]:
    """Each kind's query, over the whole range, as the API receives it."""
    span = {"date_from": START.isoformat(), "date_to": shape.end.isoformat()}
    signed_up, connected, dashboard = ({"event": name} for name in STEPS[:3])
    return {
        "survey": {
            "kind": "survey",
            "survey": "nps",
            "question": "score",
            "interval": "week",
            "breakdown": {"source": "account", "property": "plan"},
            **span,
        },
        "engagement": {"kind": "engagement", **span},
        "goal": {
            "kind": "goal",
            "start": {"item": "first-project"},
            "goal": dashboard,
            "within_days": 7,
            "interval": "week",
            **span,
        },
        "impact_productivity": {
            "kind": "impact_productivity",
            "item": "first-project",
            "minutes_saved_per_completion": 10,
            "hourly_rate": 60,
            **span,
        },
        "impact_time_saved": {
            "kind": "impact_time_saved",
            "item": "first-project",
            "process": {"start": signed_up, "end": connected, "window_days": 30},
            "hourly_rate": 60,
            **span,
        },
        "impact_renewal": {
            "kind": "impact_renewal",
            "measure": {
                "new": signed_up,
                "milestones": [connected, dashboard],
                "within_days": TERM_DAYS,
                "outcome": {"trait": "status", "renewed": ["active"], "churned": ["cancelled"]},
                "item": "first-project",
                "contract_value_trait": "contract_value",
            },
            **span,
        },
    }


KINDS = ("survey", "engagement", "goal", "impact_productivity", "impact_time_saved")
KINDS += ("impact_renewal",)
DESCRIPTIONS = {
    "survey": "survey nps, question score: NPS with its interval, weekly trend, by account plan",
    "engagement": "engagement of every item with activity, goal lift against the holdout",
    "goal": f"goal: {STEPS[2]} within 7 days of seeing first-project, weekly cohorts",
    "impact_productivity": "impact_productivity: first-project's completions measured",
    "impact_time_saved": (
        f"impact_time_saved: {STEPS[0]} → {STEPS[1]} before and after first-project launched"
    ),
    "impact_renewal": (
        f"impact_renewal, measured: accounts' onboarding ({STEPS[1]}, {STEPS[2]} within "
        f"{TERM_DAYS} days), status, contract value, before and after first-project"
    ),
}


def _shown(item: str) -> str:
    return f"(event = '$guide_shown' AND content_id = '{item}')"


# What each kind reads at the least: which events of the range, and which of their columns.
SCANS: dict[str, tuple[str, tuple[str, ...]]] = {
    "survey": (
        "content_id = 'nps' AND event IN ('$survey_shown', '$survey_answered')",
        ("person_id", "account_id", "timestamp", "properties"),
    ),
    "engagement": (
        f"(content_id IS NOT NULL AND event IN {GUIDANCE_EVENTS}) "
        f"OR event IN ('{STEPS[1]}', '{STEPS[2]}')",
        ("person_id", "content_id", "content_step", "timestamp"),
    ),
    "goal": (f"{_shown('first-project')} OR event = '{STEPS[2]}'", ("person_id", "timestamp")),
    "impact_productivity": ("event = '$guide_completed' AND content_id = 'first-project'", ()),
    "impact_time_saved": (
        f"{_shown('first-project')} OR event IN ('{STEPS[0]}', '{STEPS[1]}')",
        ("person_id", "timestamp"),
    ),
    "impact_renewal": (
        f"{_shown('first-project')} OR event IN {STEPS[:3]}",
        ("account_id", "timestamp"),
    ),
}


def scan_sql(kind: str, shape: Shape) -> str:
    """The baseline: one pass over the events the kind must read, touching the columns it must."""
    where, columns = SCANS[kind]
    since, until = (moment.strftime("%Y-%m-%d %H:%M:%S") for moment in (START, shape.end))
    read = "".join(f", max({column})" for column in columns)
    return (
        f"SELECT count(*){read} FROM events WHERE app_id = '{APP}' "
        f"AND timestamp >= '{since}' AND timestamp < '{until}' AND ({where})"
    )


def _rounded(value: Any) -> Any:
    """An answer with its floats rounded (sums over rows in another order differ in the last
    digits), so runs can be compared."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def waypost_side(args: argparse.Namespace) -> Timing:
    """`run_query` on the measurement store, as the API and the CLI call it."""
    import duckdb

    from waypost.events import DuckDBEventStore
    from waypost.insights.queries import read_query
    from waypost.insights.runner import run_query

    store = DuckDBEventStore(Path(args.store))
    cursor = store.cursor()
    if args.threads:
        cursor.execute(f"SET GLOBAL threads = {int(args.threads)}")
    (threads,) = cursor.execute("SELECT current_setting('threads')").fetchone() or ("?",)
    query = read_query(queries(Shape(**json.loads(args.shape)))[args.kind])
    catalog = content_catalog()

    def run() -> list[Any]:
        return [_rounded(run_query(store, APP, query, None, catalog).model_dump(mode="json"))]

    setup_mb = _peak_mb()
    wall, cpu, answer = _timed(run, args.repeat)
    cursor.close()
    store.close()
    settings = {"threads": str(threads), "duckdb": duckdb.__version__}
    return Timing("waypost", wall, cpu, answer, setup_mb, _peak_mb(), _maxrss_mb(), settings)


def scan_side(args: argparse.Namespace) -> Timing:
    """The baseline scan in DuckDB over the same store file, read-only."""
    import duckdb

    con = duckdb.connect(args.store, read_only=True)
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    sql = scan_sql(args.kind, Shape(**json.loads(args.shape)))

    def run() -> list[Any]:
        return [str(value) for value in con.execute(sql).fetchone() or ()]

    setup_mb = _peak_mb()
    wall, cpu, answer = _timed(run, args.repeat)
    con.close()
    settings = {"duckdb": duckdb.__version__}
    return Timing("scan", wall, cpu, answer, setup_mb, _peak_mb(), _maxrss_mb(), settings)


# ---------------------------------------------------------------- the run

TARGET_SECONDS = 1.0
TARGET_MB = 2000.0


def _inputs(answer: dict[str, Any]) -> str:
    def number(value: float) -> str:
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"

    return ", ".join(
        f"{i['name']} {number(i['value'])} ({i['source']})" if i["value"] is not None else i["name"]
        for i in answer["inputs"]
    )


def summary(kind: str, answer: dict[str, Any]) -> str:
    """A line of what the answer says, to see that it is about the data."""
    if kind == "survey":
        score = answer["score"]
        return (
            f"NPS {score['value']:.1f} [{score['ci_low']:.1f}, {score['ci_high']:.1f}] from "
            f"{answer['responded']:,} answers; shown to {answer['shown']:,} (response rate "
            f"{answer['response_rate']:.2f}); {len(answer['trend'])} weeks, "
            f"{len(answer['breakdown'])} plans"
        )
    if kind == "engagement":
        items = {item["key"]: item for item in answer["items"]}
        main = items["first-project"]
        lift = main["goal"]
        return (
            f"{len(items)} items; first-project shown {main['shown']:,} times to "
            f"{main['people']:,}, completion {main['completion_rate']:.2f}, goal "
            f"{lift['exposed_rate']:.3f} against holdout {lift['holdout_rate']:.3f}: "
            f"{lift['verdict']}"
        )
    if kind == "goal":
        return (
            f"{answer['reached']:,} of {answer['started']:,} reached it (rate "
            f"{answer['rate']:.3f}), median {answer['median_seconds'] / 3600:.1f} h, "
            f"{len(answer['trend'])} cohorts"
        )
    if kind == "impact_renewal":
        return (
            f"{_inputs(answer)}; {answer['additional_renewals']:+,.1f} renewals, "
            f"{answer['retained_revenue']:,.0f} kept"
        )
    return f"{_inputs(answer)}; {answer['hours_saved']:,.1f} h, {answer['value']:,.0f} saved"


def _met(t: Timing) -> bool:
    return min(t.wall) < TARGET_SECONDS and t.peak_mb < TARGET_MB


def report(
    args: argparse.Namespace,
    shape: Shape,
    kinds: list[str],
    timings: dict[tuple[str, str], Timing],
    made: dict[str, Any],
) -> int:
    """Prints each kind beside its scan and against the targets; 1 when a target is missed."""
    ours = timings[kinds[0], "waypost"]
    print(f"\nmachine  {machine()}")
    print(f"commit   {commit(__file__)}")
    print(
        f"versions Python {platform.python_version()}, DuckDB {ours.settings['duckdb']}; "
        f"DuckDB threads {ours.settings['threads']}"
    )
    when = "in an earlier run" if made["reused"] else "in this run"
    print(
        f"data     {shape.events:,} funnel events and {made['guidance_events']:,} guidance and "
        f"survey events (the demo's proportions), {shape.persons:,} persons in "
        f"{made['accounts']:,} accounts, {shape.days} days from {START:%Y-%m-%d} (seed "
        f"{shape.seed}); added {when} in {made['seconds']:.1f}s (not timed below)"
    )
    print(
        f"timing   best of {args.rounds} x {args.repeat} runs, each process warmed up first; "
        f"targets under {TARGET_SECONDS:g} s and {TARGET_MB:,.0f} MB"
    )
    for kind in kinds:
        ours, scan = timings[kind, "waypost"], timings[kind, "scan"]
        print(f"\n{DESCRIPTIONS[kind]}")
        print(_line("DuckDB scan of what it reads", scan))
        print(_line("Waypost run_query", ours, min(scan.wall), "scan"))
        print(f"  {summary(kind, ours.counts[0])}")

    print(
        f"\n{'kind':20s} {'best':>8s} {'CPU s':>6s} {'peak RSS':>9s} {'scan':>8s} {'ratio':>7s}"
        "  target"
    )
    missed = []
    for kind in kinds:
        ours, scan = timings[kind, "waypost"], timings[kind, "scan"]
        if not _met(ours):
            missed.append(kind)
        print(
            f"{kind:20s} {min(ours.wall):7.3f}s {min(ours.cpu):6.2f} {ours.peak_mb:6.0f} MB "
            f"{min(scan.wall):7.3f}s {min(ours.wall) / min(scan.wall):6.1f}x  "
            f"{'met' if kind not in missed else 'MISSED'}"
        )
    if missed:
        print(f"\ntargets MISSED: {', '.join(missed)}")
        return 1
    print("\ntargets met")
    return 0


def run(args: argparse.Namespace) -> int:
    shape = Shape(args.persons, args.events, args.days, args.seed)
    workdir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="measure-"))
    kinds = args.kinds or list(KINDS)
    try:
        store, made = prepare_measurement(shape, workdir)
        common = {"--shape": json.dumps(asdict(shape)), "--repeat": str(args.repeat)}
        common["--store"] = str(store)
        if args.threads:
            common["--threads"] = str(args.threads)
        timings: dict[tuple[str, str], Timing] = {}
        # Rounds take turns, so that load from elsewhere on the machine falls on every side.
        for _ in range(args.rounds):
            for kind in kinds:
                for side in ("scan", "waypost"):
                    flat = [part for pair in {**common, "--kind": kind}.items() for part in pair]
                    timings[kind, side] = _merge(
                        timings.get((kind, side)), _side(side, flat, __file__)
                    )
        return report(args, shape, kinds, timings, made)
    finally:
        if not args.data_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    add_run_arguments(parser)
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: cores)")
    parser.add_argument(
        "--kind",
        dest="kinds",
        action="append",
        choices=KINDS,
        help="time only this kind; repeatable (default: all)",
    )
    # A side, run in a subprocess of its own by `run`.
    parser.add_argument("--side", choices=("waypost", "scan"), help=argparse.SUPPRESS)
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.side:
        (args.kind,) = args.kinds
        side = waypost_side if args.side == "waypost" else scan_side
        print(json.dumps(asdict(side(args))))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
