"""Simulated customers of Acme CRM: accounts and their users living their days, as events.

Each account (a company: size, region, plan, contract value, renewal date) signs up within the
simulated period; its first user is an admin who signs up, verifies the email, meets the
onboarding guidance on the projects page, creates a project, imports contacts, invites teammates
(who join and live their own days), builds reports, answers surveys, opens support tickets, and
upgrades a trial. On the account's renewal date it renews or cancels. Nothing here writes a
result in: each person acts on chances that follow their motivation, their company's fit and
what happened to them so far (guidance seen, an import that failed, a teammate who joined), and
the funnels, lifts and renewal rates are whatever the insights then count.

The guidance events follow the demo's content (`demo/content/*.yaml`): its item keys, the main
walkthrough's steps, goal window and holdout, which is drawn as decide draws it
(`stable_percent(f"holdout:{key}", userId)`), and an attention budget like decide's (one new
interruption after another, a cooldown after a dismissal). The onboarding guidance (the welcome
and the main walkthrough) launches a third of the way into the period, so completion can be
compared before and after the launch as well as against the holdout.

Every message is built as the tracking API receives it, checked by `validate_message`, made a
row by `to_row` and stored through the event store's bulk `append` (deduplication, identities,
traits, accounts). Message ids are derived from the seed, the account, the user and a counter,
so the same seed and period give the same events, and running it again stores nothing twice:
not even after the store's dedupe window, since ids already stored are skipped. More customers
with the same seed add the accounts after those stored (each account is drawn from the seed and
its number alone); the same seed over another period is refused, as its ids would name other
events.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import random
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from waypost.events import EventStore, to_table
from waypost.guidance.rules import stable_percent
from waypost.tracking import to_row, validate_message

DAY = 86_400.0
HOUR = 3_600.0
MINUTE = 60.0
# Accounts made and stored together: one append per chunk.
CHUNK_ACCOUNTS = 400
# From this many customers a simulation makes accounts in several processes.
PARALLEL_FROM = 2_000
MAX_DAYS = 3_650
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# The share of the period that passes before the onboarding guidance launches.
LAUNCH_AT = 1 / 3
# The billing system's renewal run, after midnight UTC on the renewal date.
RENEWAL_HOUR = 2.0
# One month of a subscription: the first renewal (a trial's end) comes this long after sign-up.
TERM_DAYS = 30
# The demo's guidance items the simulation uses, by the key its content gives them.
WELCOME = "welcome"
MAIN_WALKTHROUGH = "first-project"
IMPORT_WALKTHROUGH = "import-contacts"
NPS = "nps"
DROPOFF = "import-dropoff"
CALL_OFFER = "call-offer"
TASKS = {
    "Email Verified": "verify-email",
    "Project Created": "create-project",
    "Contacts Imported": "import-contacts-task",
    "Teammate Invited": "invite-teammate",
    "Report Built": "build-report",
}
ONBOARDING = ("Signed Up", "Email Verified", "Project Created", "Contacts Imported")
# The steps that make a person come back more often.
PROGRESS = frozenset({"Project Created", "Contacts Imported", "Report Built"})
VERSION = 1  # every item's version, as first seeded
# The attention budget decide keeps by default (walkthroughs, shoutouts and surveys interrupt).
BUDGET_NEW = 3  # new interruptions a day
COOLDOWN = 4 * HOUR  # after a dismissal
LIBRARY = {"name": "waypost.js", "version": "0.1.0"}
BILLING = {"name": "acme-billing", "version": "2.4.1"}
HELPDESK = {"name": "acme-helpdesk", "version": "1.9.0"}
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
)
TITLE = "Acme CRM"  # the demo app's title on every page


@dataclass(frozen=True)
class Simulation:
    """What to simulate: `customers` accounts signing up over the `days` days before `end`
    (midnight UTC of that date), drawn from `seed`."""

    customers: int
    days: int
    seed: int
    end: date

    @property
    def until(self) -> datetime:
        """The moment the simulated period ends (exclusive)."""
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)

    @property
    def since(self) -> datetime:
        """The moment the simulated period starts."""
        return self.until - timedelta(days=self.days)

    @property
    def launch(self) -> datetime:
        """When the onboarding guidance (the welcome and the main walkthrough) launched."""
        return self.since + timedelta(days=math.floor(self.days * LAUNCH_AT))

    @property
    def id_prefix(self) -> str:
        """What every message id, user id and account id of this seed starts with."""
        return f"sim-{self.seed}-"


@dataclass(frozen=True)
class SimulationProgress:
    """How far a simulation has got: accounts done of all, events made and stored so far."""

    accounts: int
    total: int
    events: int
    stored: int


@dataclass(frozen=True)
class SimulationSummary:
    """What a simulation made and stored."""

    customers: int
    users: int
    events: int
    stored: int
    since: datetime
    until: datetime
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict."""
        return {
            "customers": self.customers,
            "users": self.users,
            "events": self.events,
            "stored": self.stored,
            "already_stored": self.events - self.stored,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "seconds": round(self.seconds, 3),
        }


class SimulationError(ValueError):
    """The simulation cannot run as asked (a bad size or date, or content it does not know)."""


def simulate(
    store: EventStore,
    app_id: str,
    simulation: Simulation,
    *,
    base_url: str = DEFAULT_BASE_URL,
    received_at: datetime | None = None,
    workers: int = 1,
    on_progress: Callable[[SimulationProgress], None] | None = None,
) -> SimulationSummary:
    """Simulate the customers and store their events in the app, through the store's ingest
    rules. Events already stored (an earlier run with the same seed) are not stored again.

    With `workers` over 1, accounts are made and checked in that many spawned processes
    (`default_workers` says how many are worth it); the events are the same either way. A
    script that asks for them needs multiprocessing's `if __name__ == "__main__":` guard."""
    started = time.perf_counter()
    received_at = (received_at or datetime.now(UTC)).astimezone(UTC)
    check(simulation, received_at)
    base_url = base_url.rstrip("/")
    world = _World.of(simulation, base_url)
    stored_before = _already_stored(store, app_id, simulation.id_prefix)
    if stored_before:
        _check_same_period(store, app_id, world)
    job = _Job(simulation, base_url, app_id, received_at)
    users = events = stored = 0
    for done, table, people in _tables(job, workers):
        users += people
        events += table.num_rows
        if stored_before:
            table = _without_stored(store, app_id, table)
        if table.num_rows:
            stored += store.append(table, received_at).stored_count
        if on_progress is not None:
            on_progress(SimulationProgress(done, simulation.customers, events, stored))
    fold = getattr(store, "fold_activity", None)
    if callable(fold):
        fold()  # decide's per-person counts, current now rather than at the next append
    return SimulationSummary(
        customers=simulation.customers,
        users=users,
        events=events,
        stored=stored,
        since=simulation.since,
        until=simulation.until,
        seconds=time.perf_counter() - started,
    )


def default_workers(customers: int) -> int:
    """Processes worth making the accounts in: one per CPU for a large simulation, none for a
    small one, which would spend more time starting them than it saves."""
    return (os.cpu_count() or 1) if customers >= PARALLEL_FROM else 1


def check(simulation: Simulation, now: datetime) -> None:
    """SimulationError when the simulation cannot run: no customers or days, or an end so far
    ahead that its events would be refused as coming from the future."""
    if simulation.customers < 1:
        raise SimulationError("customers must be at least 1")
    if not 1 <= simulation.days <= MAX_DAYS:
        raise SimulationError(f"days must be from 1 to {MAX_DAYS}")
    latest = (now + timedelta(days=1)).date()
    if simulation.end > latest:
        raise SimulationError(
            f"end must be {latest.isoformat()} or earlier: the tracking rules refuse events "
            "more than a day in the future"
        )


def messages(simulation: Simulation, base_url: str = DEFAULT_BASE_URL) -> Iterator[dict[str, Any]]:
    """Every message of the simulation as the tracking API would receive it, account by
    account, each account's in the order they were sent."""
    world = _World.of(simulation, base_url.rstrip("/"))
    for index in range(simulation.customers):
        yield from _Account.simulate(world, index).messages()


@dataclass(frozen=True)
class _Job:
    """What a process making accounts needs to know (sent to each, so kept small)."""

    simulation: Simulation
    base_url: str
    app_id: str
    received_at: datetime


def _chunk(job: _Job, first: int, last: int) -> tuple[pa.Table, int]:
    """Accounts first..last-1 as events-table rows, checked by the tracking rules, and how
    many users they have."""
    world = _World.of(job.simulation, job.base_url)
    rows: list[dict[str, Any]] = []
    people = 0
    with _collector_paused():
        for index in range(first, last):
            account = _Account.simulate(world, index)
            rows.extend(
                to_row(job.app_id, validate_message(m, job.received_at)) for m in account.messages()
            )
            people += account.people
        return to_table(rows), people


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a while: a chunk makes millions of small objects, and
    the collector would walk them all again and again (a quarter of the time) for the few
    cycles among them, which it collects once it is back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _tables(job: _Job, workers: int) -> Iterator[tuple[int, pa.Table, int]]:
    """(accounts done, their rows, their users) chunk by chunk, in account order; made in
    `workers` processes when more than one, a few chunks ahead of the caller."""
    total = job.simulation.customers
    ranges = [
        (first, min(first + CHUNK_ACCOUNTS, total)) for first in range(0, total, CHUNK_ACCOUNTS)
    ]
    if workers <= 1 or len(ranges) < 2:
        for first, last in ranges:
            yield (last, *_chunk(job, first, last))
        return
    # Spawned, not forked: the caller holds the event store's threads and connection.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(workers, len(ranges)), mp_context=context) as pool:
        waiting: deque[tuple[int, Future[tuple[pa.Table, int]]]] = deque()
        for first, last in ranges:
            waiting.append((last, pool.submit(_chunk, job, first, last)))
            if len(waiting) > 2 * workers:
                done, future = waiting.popleft()
                yield (done, *future.result())
        while waiting:
            done, future = waiting.popleft()
            yield (done, *future.result())


def _already_stored(store: EventStore, app_id: str, prefix: str) -> bool:
    """Whether any message of this seed is stored in the app already (a run before)."""
    _, rows = store.query(
        "SELECT count(*) FROM events WHERE app_id = $app AND starts_with(message_id, $prefix)",
        {"app": app_id, "prefix": prefix},
    )
    return bool(rows and rows[0][0])


def _check_same_period(store: EventStore, app_id: str, world: _World) -> None:
    """SimulationError when the seed was simulated into the app before over another period:
    its ids would name other events, and only some of the new ones would be stored."""
    first = _Account.simulate(world, 0).messages()[0]
    _, rows = store.query(
        "SELECT timestamp FROM events WHERE app_id = $app AND message_id = $id",
        {"app": app_id, "id": first["messageId"]},
    )
    made = datetime.fromisoformat(first["timestamp"]).replace(tzinfo=None)
    if rows and rows[0][0] != made:
        seed = world.simulation.seed
        raise SimulationError(
            f"seed {seed} was simulated into this app before over another period (its first "
            f"account came at {rows[0][0]:%Y-%m-%d %H:%M} UTC; in this period, at "
            f"{made:%Y-%m-%d %H:%M}): simulate with that run's days and end to add to it, or "
            "with another seed"
        )


def _without_stored(store: EventStore, app_id: str, table: pa.Table) -> pa.Table:
    """The rows whose message ids are not stored yet. The store skips ids it has seen within
    its dedupe window by itself; this also skips those stored longer ago."""
    ids = table.column("message_id").to_pylist()
    found = store.query_arrow(
        "SELECT message_id FROM events WHERE app_id = $app AND message_id IN (SELECT unnest($ids))",
        {"app": app_id, "ids": ids},
    )
    if not found.num_rows:
        return table
    return table.filter(pc.invert(pc.is_in(table.column("message_id"), found.column(0))))


# ---------------------------------------------------------------- the world


@dataclass(frozen=True)
class _Content:
    """What the simulation takes from the demo's guidance content."""

    holdout: float
    # The main walkthrough's steps: those shown before the split, the split, and the
    # popup shown after it to admins and to members.
    lead_steps: tuple[int, ...]
    split_step: int
    admin_step: int
    member_step: int
    import_last_step: int


@cache
def demo_content() -> _Content:
    """The demo content's holdout and walkthrough steps; SimulationError when an item the
    simulation sends events for is not in it."""
    from waypost.demo.seed import CONTENT
    from waypost.guidance.files import read_path

    documents = {located.document.key: located.document for located in read_path(CONTENT)}
    wanted = {WELCOME, MAIN_WALKTHROUGH, IMPORT_WALKTHROUGH, NPS, DROPOFF, CALL_OFFER}
    missing = sorted((wanted | set(TASKS.values())) - set(documents))
    if missing:
        raise SimulationError(f"the demo content has no item {', '.join(missing)}")
    main = documents[MAIN_WALKTHROUGH]
    steps = list(main.steps)
    split = next(i for i, step in enumerate(steps) if step.kind == "split")
    keys = {step.key: i for i, step in enumerate(steps) if getattr(step, "key", None)}
    then, otherwise = steps[split].split.then, steps[split].split.otherwise
    return _Content(
        holdout=float(main.holdout),
        lead_steps=tuple(range(split)),
        split_step=split,
        admin_step=keys[then],
        member_step=keys[otherwise],
        import_last_step=len(documents[IMPORT_WALKTHROUGH].steps) - 1,
    )


@dataclass(frozen=True)
class _World:
    simulation: Simulation
    base_url: str
    content: _Content
    since: float
    until: float
    launch: float

    @classmethod
    def of(cls, simulation: Simulation, base_url: str) -> _World:
        return cls(
            simulation=simulation,
            base_url=base_url,
            content=demo_content(),
            since=simulation.since.timestamp(),
            until=simulation.until.timestamp(),
            launch=simulation.launch.timestamp(),
        )


@cache
def _page(base_url: str, path: str) -> tuple[dict[str, str], dict[str, str]]:
    """A page's properties as `page` sends them, and the page in an event's context (shared by
    every message on that page: nothing changes them)."""
    url = base_url + path
    return (
        {"url": url, "path": path, "title": TITLE, "referrer": ""},
        {"url": url, "path": path, "search": "", "title": TITLE, "referrer": ""},
    )


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _iso(at: float) -> str:
    """The moment as ISO 8601 text to the millisecond (a third of `isoformat`'s cost)."""
    day, rest = divmod(round(at * 1000), 86_400_000)
    return "%s%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - the quickest of the spellings
        _date_text(day),
        rest // 3_600_000,
        rest // 60_000 % 60,
        rest // 1000 % 60,
        rest % 1000,
    )


@cache
def _date_text(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat() + "T"


# ---------------------------------------------------------------- names and places

REGIONS = (  # region, share, locale tag, hours from UTC, share of Japanese speakers
    ("North America", 0.38, "en-US", -5, 0.0),
    ("Europe", 0.30, "en-GB", 1, 0.0),
    ("Japan", 0.22, "ja-JP", 9, 0.92),
    ("Asia Pacific", 0.10, "en-SG", 8, 0.05),
)
SIZES = (  # share, employees from, to, team from, to, plan weights trial/pro/business
    (0.55, 2, 19, 1, 3, (0.85, 0.15, 0.0)),
    (0.33, 20, 199, 2, 6, (0.65, 0.25, 0.10)),
    (0.12, 200, 5_000, 3, 10, (0.45, 0.25, 0.30)),
)
PRICES = {"trial": 0, "pro": 49, "business": 99}  # a seat a month, in USD
FIRST_EN = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sophia", "Lucas", "Mia", "Ethan", "Amara",
    "Leo", "Isla", "Omar", "Chloe", "Arjun", "Grace", "Diego", "Hannah", "Felix", "Zoe", "Kofi",
    "Lena", "Samuel", "Nora", "Ravi", "Elena", "Jonas", "Maya", "Theo",
)  # fmt: skip
LAST_EN = (
    "Smith", "Johnson", "Garcia", "Müller", "Brown", "Rossi", "Novak", "Dubois", "Khan", "Silva",
    "Walker", "Nguyen", "Okafor", "Larsen", "Patel", "Cohen", "Moreau", "Fischer", "Evans",
    "Kowalski", "Santos", "Berg", "Murphy", "Ito", "Lopez", "Schmidt",
)  # fmt: skip
FIRST_JA = (
    ("陽菜", "hina"), ("蓮", "ren"), ("結衣", "yui"), ("湊", "minato"), ("葵", "aoi"),
    ("大翔", "hiroto"), ("さくら", "sakura"), ("悠真", "yuma"), ("美咲", "misaki"),
    ("翔太", "shota"),
    ("花子", "hanako"), ("健太", "kenta"), ("愛", "ai"), ("拓海", "takumi"), ("七海", "nanami"),
)  # fmt: skip
LAST_JA = (
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
)  # fmt: skip
COMPANY_FIRST = (
    "Northwind", "Bluepeak", "Harbor", "Cedar", "Quartz", "Lumen", "Atlas", "Brightline", "Ember",
    "Juniper", "Summit", "Riverstone", "Kestrel", "Orbit", "Maple", "Copper", "Silverleaf", "Nova",
    "Greenfield", "Ironbridge", "Polar", "Redwood", "Sable", "Tidewater",
)  # fmt: skip
COMPANY_JA = (
    "Sakura", "Hikari", "Fuji", "Midori", "Asahi", "Kaze", "Yamato", "Tsubasa", "Aozora", "Minato",
    "Kotobuki", "Hoshi",
)  # fmt: skip
COMPANY_LAST = (
    "Logistics", "Foods", "Labs", "Partners", "Consulting", "Studio", "Health", "Trading",
    "Systems", "Realty", "Energy", "Media", "Analytics", "Outfitters", "Dental", "Legal",
)  # fmt: skip
FILES = (("customers.csv", 1_250), ("leads.xlsx", 84), ("contacts-export.csv", 0), ("crm.xlsx", 0))
# Why people answer the drop-off survey as they do, and an NPS reason by what went wrong.
DROPOFF_REASONS = (("format", 0.45), ("time", 0.30), ("unsure", 0.20), ("other", 0.05))
DROPOFF_OTHER = {
    "en": ("Our file has merged cells", "Wanted to check with IT first", "Too many columns"),
    "ja": ("結合セルがあるファイルだった", "情報システム部に確認したかった", "列が多すぎる"),
}
NPS_REASONS = {
    "import": {
        "en": ("Importing my spreadsheet kept failing", "The import did not understand my file"),
        "ja": (
            "スプレッドシートの取り込みがうまくいかなかった",
            "ファイルが正しく読み込まれなかった",
        ),
    },
    "start": {
        "en": ("Hard to know where to start", "Setting it up took longer than expected"),
        "ja": ("何から始めればいいかわかりにくい", "設定に思ったより時間がかかった"),
    },
    "support": {
        "en": ("Support took days to answer", "I had to contact support twice"),
        "ja": ("サポートの返事に何日もかかった", "サポートに二度問い合わせることになった"),
    },
    "team": {
        "en": ("My team has not started using it", "Hard to get my colleagues on board"),
        "ja": ("チームがまだ使い始めていない", "同僚に使ってもらうのが難しい"),
    },
    "good": {
        "en": ("Reports are useful, but it is a bit pricey", "Good, missing an email integration"),
        "ja": ("レポートは便利だが少し高い", "良いがメール連携がほしい"),
    },
}


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, float]]) -> Any:
    point = rng.random() * sum(weight for _, weight in choices)
    for value, weight in choices:
        point -= weight
        if point < 0:
            return value
    return choices[-1][0]


def _ascii(name: str) -> str:
    """A name as the local part of an email address: Müller → muller."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


# ---------------------------------------------------------------- accounts


@dataclass
class _Account:
    world: _World
    rng: random.Random
    index: int
    id: str
    name: str
    domain: str
    region: str
    locale_tag: str
    utc_offset: int
    japanese: float
    employees: int
    team: int
    plan: str
    signup: float
    renewal: float
    fit: float
    users: list[_User] = field(default_factory=list)
    upgraded_at: float | None = None
    invited: int = 0  # invitations sent
    people: int = 0  # users with events in the period, once `messages` has cut them
    cancelled_at: float | None = None
    # Backend messages (billing), after the users' own.
    backend: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    backend_count: int = 0

    @classmethod
    def simulate(cls, world: _World, index: int) -> _Account:
        """The account's whole life in the period: its users, then its renewal."""
        rng = random.Random(f"waypost-demo/{world.simulation.seed}/{index}")
        region, _, locale_tag, offset, japanese = _weighted(rng, [(r, r[1]) for r in REGIONS])
        size = _weighted(rng, [(s, s[0]) for s in SIZES])
        _, low, high, team_low, team_high, plans = size
        employees = int(math.exp(rng.uniform(math.log(low), math.log(high + 1))))
        plan = _weighted(rng, list(zip(("trial", "pro", "business"), plans, strict=True)))
        if region == "Japan":
            name = f"{rng.choice(COMPANY_JA)} {rng.choice(COMPANY_LAST)}"
        else:
            name = f"{rng.choice(COMPANY_FIRST)} {rng.choice(COMPANY_LAST)}"
        # Sign-ups come through the period, a little more of them lately (growth).
        span = world.until - world.since
        signup = world.since + span * (1 - rng.random() ** 1.15) * 0.995
        account = cls(
            world=world,
            rng=rng,
            index=index,
            id=f"{world.simulation.id_prefix}acct-{index}",
            name=name,
            domain=f"{_slug(name)}.example",
            region=region,
            locale_tag=locale_tag,
            utc_offset=offset,
            japanese=japanese,
            employees=employees,
            team=min(rng.randint(team_low, team_high), employees),
            plan=plan,
            signup=signup,
            renewal=_day_start(signup + TERM_DAYS * DAY) + RENEWAL_HOUR * HOUR,
            fit=rng.gauss(0.0, 0.7),
        )
        account.live()
        return account

    @property
    def seats(self) -> int:
        return max(self.team, 3 if self.plan == "business" else 1)

    @property
    def contract_value(self) -> int:
        """A year of the plan for the account's seats, in USD."""
        return PRICES[self.plan] * self.seats * 12

    def traits(self) -> dict[str, Any]:
        """The account's traits as the app's `group` call sends them."""
        return {
            "name": self.name,
            "employees": self.employees,
            "plan": self.plan,
            "contract_value": self.contract_value,
            "renewal_date": _iso_date(self.renewal),
            "region": self.region,
        }

    def live(self) -> None:
        """The users' days (the founder's first: the invitations they send bring the others),
        then the renewal, and nothing of anyone after a cancellation."""
        waiting: list[tuple[float, str]] = [(self.signup, "admin")]
        while waiting and len(self.users) < 60:
            joined, role = waiting.pop(0)
            user = _User(self, len(self.users), joined, role)
            self.users.append(user)
            user.live()
            waiting.extend(user.invitees)
        if self.renewal < self.world.until:
            self.renew()

    def renew(self) -> None:
        """On the renewal date: renew or cancel, by how far onboarding got and how much the
        account is used; a trial that never upgraded converts, or ends."""
        at = self.renewal
        completed = self.onboarded_by(at)
        recent = sum(u.sessions_between(at - 14 * DAY, at) for u in self.users)
        usage = math.log1p(recent / max(1, len(self.users)))
        tickets = sum(u.tickets for u in self.users)
        owner = self.users[0]
        score = -0.3 + 0.9 * completed + 0.7 * usage + 0.5 * self.fit - 0.35 * tickets
        if self.plan == "business":
            score += 0.4
        trial = self.plan == "trial" and self.upgraded_at is None
        if trial:
            score -= 0.9
        if self.rng.random() < _sigmoid(score):
            if trial:
                owner.upgrade(at - self.rng.uniform(0.2, 6) * HOUR)
            self.bill(
                at,
                "Subscription Renewed",
                {"plan": self.plan, "contract_value": self.contract_value, "period": "month"},
            )
            self.renewal += TERM_DAYS * DAY
            self.bill(at + 1, None, {"renewal_date": _iso_date(self.renewal), "status": "active"})
        else:
            reason = "trial_ended" if trial else self.rng.choice(("price", "not_used", "switched"))
            self.bill(at, "Subscription Cancelled", {"plan": self.plan, "reason": reason})
            self.bill(at + 1, None, {"status": "cancelled"})
            self.cancelled_at = at

    def onboarded_by(self, at: float) -> bool:
        """Whether the account went through every onboarding step before `at`, in order (each
        step by any of its users, after the step before)."""
        reached = self.signup
        for step in (*ONBOARDING, "Teammate Invited"):
            times = [t for u in self.users for t in u.milestones.get(step, ()) if t >= reached]
            if not times or min(times) >= at:
                return False
            reached = min(times)
        return True

    def bill(self, at: float, event: str | None, data: dict[str, Any]) -> None:
        """A message from the billing system: an event, or the account's changed traits."""
        owner = self.users[0]
        self.backend_count += 1
        message: dict[str, Any] = {
            "messageId": f"{self.id}-billing-{self.backend_count}",
            "userId": owner.user_id,
        }
        if event is None:
            message |= {"type": "group", "groupId": self.id, "traits": data}
            message["context"] = {"library": BILLING}
        else:
            message |= {"type": "track", "event": event, "properties": data}
            message["context"] = {"library": BILLING, "groupId": self.id}
        self.backend.append((at, message))

    def messages(self) -> list[dict[str, Any]]:
        """Every message of the account in the order they were sent, cut at a cancellation
        (whoever would have come back after it does not)."""
        cut = self.world.until
        if self.cancelled_at is not None:
            cut = min(cut, self.cancelled_at + 2)
        found = [m for u in self.users for m in u.out if m[0] < cut]
        found += [m for m in self.backend if m[0] < self.world.until]
        found.sort(key=lambda pair: pair[0])
        self.people = sum(1 for u in self.users if u.out and u.out[0][0] < cut)
        for at, message in found:
            message["timestamp"] = _iso(at)
        return [message for _, message in found]


def _day_start(at: float) -> float:
    return at - at % DAY


def _iso_date(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).date().isoformat()


# ---------------------------------------------------------------- users


class _User:
    """One person of an account: who they are, what they have done, and the messages their
    browser (and the app's backend) sent."""

    def __init__(self, account: _Account, number: int, joined: float, role: str) -> None:
        rng = account.rng
        self.account = account
        self.world = account.world
        self.rng = rng
        self.number = number
        self.joined = joined
        self.role = role
        self.locale = "ja" if rng.random() < account.japanese else "en"
        self.locale_tag = "ja-JP" if self.locale == "ja" else account.locale_tag
        if self.locale == "ja":
            (first, first_latin), (last, last_latin) = rng.choice(FIRST_JA), rng.choice(LAST_JA)
            self.name = f"{last} {first}"
        else:
            first, last = rng.choice(FIRST_EN), rng.choice(LAST_EN)
            first_latin, last_latin = _ascii(first), _ascii(last)
            self.name = f"{first} {last}"
        self.email = f"{first_latin}.{last_latin}{number or ''}@{account.domain}"
        self.user_id = f"{account.id}-u{number}"
        self.anonymous_id = f"{account.id}-a{number}"
        self.user_agent = rng.choice(USER_AGENTS)
        # How much this person wants it to work, beside the company's need.
        self.skill = rng.gauss(0.0, 1.0) + account.fit
        self.out: list[tuple[float, dict[str, Any]]] = []
        self.count = 0
        self.session = ""
        self.sessions: list[float] = []
        self.page = "/demo/"
        self.context: dict[str, Any] = {}
        self.identified = False
        # The ids the snippet sends: the anonymous id, and the user id once identified.
        self.ids: dict[str, str] = {"anonymousId": self.anonymous_id}
        self.steps = 0  # of PROGRESS reached
        self.milestones: dict[str, list[float]] = {}
        self.tasks: set[str] = set()
        self.invitees: list[tuple[float, str]] = []
        self.tickets = 0
        self.abandoned = 0  # imports given up and not yet done after all
        self.last_progress = joined
        # Guidance as decide would see it.
        self.seen: dict[str, float] = {}  # interruptions by when first shown
        self.cooldown_until = 0.0
        self.welcomed = False
        self.holdout: bool | None = None  # drawn at the first projects page after launch
        self.walkthrough_done = False
        self.walkthrough_closed_in = ""  # the session the main walkthrough was closed in
        self.import_guided = False
        self.surveyed: set[str] = set()

    # ------------------------------------------------------------ sending

    def _send(self, at: float, message: dict[str, Any]) -> float:
        self.count += 1
        message["messageId"] = f"{self.user_id}-{self.count}"
        self.out.append((at, message))
        return at

    def _page_context(self, path: str) -> dict[str, Any]:
        context = {
            "page": _page(self.world.base_url, path)[1],
            "userAgent": self.user_agent,
            "locale": self.locale_tag,
            "timezoneOffset": self.account.utc_offset * 60,
            "library": LIBRARY,
            "sessionId": self.session,
        }
        if self.identified:
            context["groupId"] = self.account.id
        return context

    def view(self, at: float, path: str) -> float:
        """A page view (the app routes without reloading: one `page` per route)."""
        self.page = path
        self.context = self._page_context(path)
        return self._send(
            at,
            {
                "type": "page",
                **self.ids,
                "properties": _page(self.world.base_url, path)[0],
                "context": self.context,
            },
        )

    def track(self, at: float, event: str, properties: dict[str, Any] | None = None) -> float:
        """An event the app tracks on the current page."""
        self._send(
            at,
            {
                "type": "track",
                "event": event,
                **self.ids,
                "properties": properties or {},
                "context": self.context,
            },
        )
        if not event.startswith("$"):
            if event not in self.milestones:
                self.milestones[event] = []
                self.steps += event in PROGRESS
            self.milestones[event].append(at)
            task = TASKS.get(event)
            if task is not None and task not in self.tasks:
                self.tasks.add(task)
                at = self.track(at + 0.4, "$task_completed", _content(task))
        return at

    def guide(self, at: float, event: str, key: str, **more: Any) -> float:
        """A guidance event the snippet sends."""
        return self.track(at, event, {**_content(key), **more})

    # ------------------------------------------------------------ a life

    def live(self) -> None:
        """The first session (sign-up), then a session on the days the person comes back."""
        until = self.world.until
        if self.joined >= until:
            return
        self.sign_up(self.joined)
        day = _day_start(self.joined) + DAY
        while day < until:
            if self.rng.random() < self.activity(day):
                local_hour = min(max(self.rng.gauss(13.0, 2.6), 7.0), 22.0)
                start = day + (local_hour - self.account.utc_offset) * HOUR
                start += self.rng.uniform(0, 40) * MINUTE
                if self.joined < start < until:
                    self.visit(start)
            day += DAY

    def activity(self, day: float) -> float:
        """The chance of a session on the day: more the further they got and the more they
        want it, less the longer nothing went forward, little at weekends."""
        since_join = (day - self.joined) / DAY
        chance: float
        if "Email Verified" not in self.milestones:
            chance = 0.55 * 0.55**since_join
        else:
            chance = _sigmoid(-1.3 + 0.6 * self.skill + 0.5 * self.steps)
            stalled = (day - self.last_progress) / DAY
            if self.steps < 2:
                chance *= 0.9**stalled
            if self.abandoned:
                chance *= 0.8
        weekday = (int(day // DAY) + 3) % 7  # 1970-01-01 was a Thursday
        return chance * (0.3 if weekday >= 5 else 1.0)

    def sessions_between(self, start: float, end: float) -> int:
        """Sessions that began in [start, end)."""
        return sum(1 for s in self.sessions if start <= s < end)

    def _new_session(self, at: float) -> None:
        self.sessions.append(at)
        self.session = f"{self.user_id}-s{len(self.sessions)}"

    def _step(self, low: float = 4, high: float = 70) -> float:
        return self.rng.uniform(low, high)

    def sign_up(self, at: float) -> None:
        """Landing on the sign-up page, signing up, and (mostly) verifying the email at once."""
        rng = self.rng
        self._new_session(at)
        at = self.view(at, "/demo/")
        at += self._step(30, 240)
        self.identified = True
        self.ids = {"userId": self.user_id, "anonymousId": self.anonymous_id}
        self.context = self._page_context("/demo/")
        self._send(
            at,
            {
                "type": "identify",
                **self.ids,
                "traits": {
                    "name": self.name,
                    "email": self.email,
                    "role": self.role,
                    "plan": self.account.plan,
                    "locale": self.locale,
                },
                "context": self.context,
            },
        )
        self._send(
            at + 0.1,
            {
                "type": "group",
                **self.ids,
                "groupId": self.account.id,
                "traits": self.account.traits(),
                "context": self.context,
            },
        )
        at = self.track(at + 0.2, "Signed Up", {"role": self.role})
        self.last_progress = at
        at = self.view(at + self._step(1, 3), "/demo/verify")
        # Most find the code in their inbox at once; some come back for it later.
        if rng.random() < 0.72 + 0.05 * self.skill:
            self.verify(at + self._step(20, 150))
        elif rng.random() < 0.35:
            self.visit(at + rng.uniform(2, 20) * HOUR)

    def verify(self, at: float) -> float:
        at = self.track(at, "Email Verified")
        self.last_progress = at
        return self.work(at + self._step(1, 3))

    def visit(self, at: float) -> None:
        """A later session: the app opens where it sends the person."""
        self._new_session(at)
        if "Email Verified" not in self.milestones:
            at = self.view(at, "/demo/verify")
            if self.rng.random() < 0.45:
                self.verify(at + self._step(20, 120))
            return
        self.work(at)

    def work(self, at: float) -> float:
        """A session in the app: the projects page first, then what is next for the person and
        a look around; perhaps a ticket to support."""
        rng = self.rng
        at = self.projects(at)
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            at += self._step(10, 120)
            at = self.next_page(at)
        if rng.random() < self.ticket_chance(at):
            self.ticket(at + rng.uniform(2, 30) * MINUTE)
        return at

    def next_page(self, at: float) -> float:
        rng = self.rng
        done = self.milestones
        choices: list[tuple[Callable[[float], float], float]] = [
            (self.projects, 0.6),
            (self.settings, 0.15),
            (self.billing, 0.5 if self._may_upgrade() else 0.1),
        ]
        if "Project Created" in done:
            choices.append((self.import_page, 2.2 if "Contacts Imported" not in done else 0.6))
            if self.role == "admin" or rng.random() < 0.2:
                weight = 1.5 if "Teammate Invited" not in done else 0.3
                choices.append((self.team, weight if self.account.team > 1 else 0.3))
        if "Contacts Imported" in done:
            choices.append((self.reports, 1.6 if "Report Built" not in done else 1.0))
        else:
            choices.append((self.reports, 0.15))
        page: Callable[[float], float] = _weighted(rng, choices)
        return page(at)

    def ticket_chance(self, at: float) -> float:
        stuck = "Project Created" not in self.milestones and at - self.joined > 2 * DAY
        return 0.004 + 0.05 * min(self.abandoned, 2) + 0.03 * stuck

    def ticket(self, at: float) -> None:
        """A support ticket, sent by the help desk."""
        rng = self.rng
        if self.abandoned:
            topic = "import"
        elif "Project Created" not in self.milestones:
            topic = "getting_started"
        else:
            topic = rng.choice(("billing", "reports", "permissions", "other"))
        self.tickets += 1
        self._send(
            at,
            {
                "type": "track",
                "event": "Support Ticket Opened",
                "userId": self.user_id,
                "properties": {
                    "topic": topic,
                    "priority": rng.choice(("low", "normal", "normal", "high")),
                    "channel": rng.choice(("email", "chat")),
                },
                "context": {"library": HELPDESK, "groupId": self.account.id},
            },
        )

    # ------------------------------------------------------------ guidance

    def may_interrupt(self, key: str, at: float) -> bool:
        """Whether decide would let a new interruption start now: none on screen, under the
        day's budget, not within the cooldown after a dismissal. One seen before may go on."""
        if key in self.seen:
            return True
        day_ago = at - DAY
        recent = sum(1 for first in self.seen.values() if first >= day_ago)
        return at >= self.cooldown_until and recent < BUDGET_NEW

    def shown(self, at: float, key: str) -> float:
        self.seen.setdefault(key, at)
        return self.guide(at, "$guide_shown", key)

    def dismissed(self, at: float, key: str, step: int | None = None) -> float:
        self.cooldown_until = at + COOLDOWN
        if step is None:
            return self.guide(at, "$guide_dismissed", key)
        return self.guide(at, "$guide_dismissed", key, **{"$content_step": step})

    def launched(self, at: float) -> bool:
        return at >= self.world.launch

    # ------------------------------------------------------------ pages

    def projects(self, at: float) -> float:
        """The projects page: the welcome and the main walkthrough (or its holdout) after
        the launch, and perhaps a project."""
        at = self.view(at, "/demo/projects")
        rng = self.rng
        walk = False
        if self.launched(at):
            if self.holdout is None:
                self.holdout = self.in_holdout()
                if self.holdout:
                    at = self.guide(at + 0.3, "$holdout_assigned", MAIN_WALKTHROUGH)
            if not self.welcomed and self.may_interrupt(WELCOME, at):
                self.welcomed = True
                at = self.shown(at + 0.5, WELCOME)
                at += self._step(3, 25)
                if rng.random() < 0.5 + 0.1 * self.skill:  # "Show me around"
                    at = self.guide(at, "$guide_cta_clicked", WELCOME)
                    at = self.guide(at + 0.1, "$guide_completed", WELCOME)
                    walk = not self.holdout
                else:  # "Later"
                    at = self.dismissed(at, WELCOME)
            elif (
                not self.holdout
                and not self.walkthrough_done
                and self.walkthrough_closed_in != self.session
                and self.may_interrupt(MAIN_WALKTHROUGH, at)
            ):
                walk = True
        has_project = "Project Created" in self.milestones
        if walk:
            return self.walkthrough(at + 0.5, has_project)
        if has_project:
            if rng.random() < 0.06:
                at = self.track(at + self._step(20, 90), "Project Created", {"projects": 2})
            return at
        if rng.random() < _sigmoid(-0.9 + 0.6 * self.skill):
            at = self.create_project(at + self._step(20, 200))
        return at

    def in_holdout(self) -> bool:
        """The main walkthrough's holdout draw, as decide makes it for this person."""
        return stable_percent(f"holdout:{MAIN_WALKTHROUGH}", self.user_id) < (
            self.world.content.holdout
        )

    def walkthrough(self, at: float, has_project: bool) -> float:
        """The main walkthrough: followed to a new project, or closed on the way."""
        rng = self.rng
        content = self.world.content
        at = self.shown(at, MAIN_WALKTHROUGH)
        follow = _sigmoid(0.35 + 0.6 * self.skill - (0.8 if has_project else 0.0))
        for step in content.lead_steps:
            at = self.guide(at + 0.2, "$guide_step_viewed", MAIN_WALKTHROUGH, **_step(step))
            if rng.random() > follow ** (1 / len(content.lead_steps)):
                self.walkthrough_closed_in = self.session
                return self.dismissed(at + self._step(2, 20), MAIN_WALKTHROUGH, step)
            at += self._step(2, 15)
        at = self.create_project(at)
        at = self.guide(
            at + 0.2, "$guide_step_viewed", MAIN_WALKTHROUGH, **_step(content.split_step)
        )
        last = content.admin_step if self.role == "admin" else content.member_step
        at = self.guide(at + 0.1, "$guide_step_viewed", MAIN_WALKTHROUGH, **_step(last))
        at += self._step(2, 10)
        at = self.guide(at, "$guide_completed", MAIN_WALKTHROUGH, **_step(last))
        self.walkthrough_done = True
        # Its last popup's button opens the import page.
        return self.import_page(at + self._step(1, 4))

    def create_project(self, at: float) -> float:
        count = len(self.milestones.get("Project Created", ())) + 1
        at = self.track(at, "Project Created", {"projects": count})
        self.last_progress = at
        return at

    def import_page(self, at: float) -> float:
        """Choosing a file and importing it, or leaving halfway (the drop-off survey asks
        why)."""
        rng = self.rng
        at = self.view(at, "/demo/contacts/import")
        guided = False
        if not self.import_guided and self.may_interrupt(IMPORT_WALKTHROUGH, at):
            guided = True
            at = self.shown(at + 0.5, IMPORT_WALKTHROUGH)
            at = self.guide(at + 0.2, "$guide_step_viewed", IMPORT_WALKTHROUGH, **_step(0))
        done = "Contacts Imported" in self.milestones
        if rng.random() > (0.5 if done else 0.66) + 0.08 * guided:
            return at
        file, rows = rng.choice(FILES)
        rows = rows or int(math.exp(rng.uniform(math.log(20), math.log(8_000))))
        at = self.track(at + self._step(5, 40), "Import Started", {"file": file})
        last = self.world.content.import_last_step  # its last step: "Start import"
        if guided:
            at = self.guide(at + 0.2, "$guide_step_viewed", IMPORT_WALKTHROUGH, **_step(last))
        success = _sigmoid(0.1 + 0.5 * self.skill + 0.8 * min(self.abandoned, 2) + 0.3 * done)
        if rng.random() < success:
            at = self.track(
                at + self._step(3, 60), "Contacts Imported", {"rows": rows, "file": file}
            )
            self.abandoned = 0
            self.last_progress = at
            if guided:
                at = self.guide(at + 0.3, "$guide_completed", IMPORT_WALKTHROUGH, **_step(last))
                self.import_guided = True
            return at
        # Leaving the page with a file chosen and not imported: abandoned.
        at = self.track(at + self._step(20, 300), "Import Abandoned", {"file": file})
        self.abandoned += 1
        return self.dropoff_survey(at + 1)

    def dropoff_survey(self, at: float) -> float:
        """ "What stopped you?", once, when the budget lets it interrupt."""
        rng = self.rng
        if DROPOFF in self.surveyed or not self.may_interrupt(DROPOFF, at):
            return at
        self.surveyed.add(DROPOFF)
        self.seen.setdefault(DROPOFF, at)
        at = self.guide(at, "$survey_shown", DROPOFF)
        at += self._step(4, 30)
        if rng.random() > 0.62:
            self.cooldown_until = at + COOLDOWN
            return self.guide(at, "$survey_dismissed", DROPOFF, **{"$question": "reason"})
        reason = _weighted(rng, DROPOFF_REASONS)
        answer = f"other:{rng.choice(DROPOFF_OTHER[self.locale])}" if reason == "other" else reason
        at = self.guide(at, "$survey_answered", DROPOFF, **_answer("reason", answer, "single"))
        if reason == "format":
            at = self.call_offer(at + 2)
        return at

    def call_offer(self, at: float) -> float:
        """The survey's follow-up: an offer of a call."""
        at = self.shown(at, CALL_OFFER)
        at += self._step(3, 20)
        if self.rng.random() < 0.25:
            at = self.guide(at, "$guide_cta_clicked", CALL_OFFER)
            return self.guide(at + 0.1, "$guide_completed", CALL_OFFER)
        return self.dismissed(at, CALL_OFFER)

    def team(self, at: float) -> float:
        """Inviting teammates, who mostly join within a day or two."""
        rng = self.rng
        at = self.view(at, "/demo/team")
        account = self.account
        room = account.team - 1 - account.invited
        chance = 0.55 if self.role == "admin" else 0.15
        if room <= 0 or rng.random() > chance + 0.1 * self.skill:
            return at
        for _ in range(rng.randint(1, min(room, 3))):
            role = "admin" if rng.random() < 0.2 else "member"
            at = self.track(at + self._step(10, 60), "Teammate Invited", {"role": role})
            account.invited += 1
            self.last_progress = at
            if rng.random() < 0.78:
                self.invitees.append((at + rng.expovariate(1 / (20 * HOUR)) + 5 * MINUTE, role))
        return at

    def reports(self, at: float) -> float:
        """Building a report (the NPS survey follows the first)."""
        at = self.view(at, "/demo/reports/new")
        imported = "Contacts Imported" in self.milestones
        if self.rng.random() > (0.7 if imported else 0.12):
            return at
        chart = self.rng.choice(("funnel", "trend"))
        at = self.track(at + self._step(15, 120), "Report Built", {"chart": chart})
        self.last_progress = at
        return self.nps(at + 1)

    def nps(self, at: float) -> float:
        """The NPS survey, triggered by a report: a score that follows the person's
        experience, and a reason unless they would recommend it anyway."""
        rng = self.rng
        if NPS in self.surveyed or not self.may_interrupt(NPS, at):
            return at
        self.surveyed.add(NPS)
        self.seen.setdefault(NPS, at)
        at = self.guide(at, "$survey_shown", NPS)
        at += self._step(4, 40)
        if rng.random() > 0.68:
            self.cooldown_until = at + COOLDOWN
            return self.guide(at, "$survey_dismissed", NPS, **{"$question": "score"})
        onboarded = all(event in self.milestones for event in ONBOARDING)
        team = len(self.account.users) > 1 or bool(self.invitees)
        mood = (
            6.3
            + 0.8 * self.skill
            + 1.0 * onboarded
            + 0.6 * team
            + 0.5 * self.walkthrough_done
            - 1.6 * min(self.abandoned, 1)
            - 0.9 * min(self.tickets, 2)
        )
        score = min(10, max(0, round(rng.gauss(mood, 1.5))))
        at = self.guide(at, "$survey_answered", NPS, **_answer("score", score, "nps"))
        if score <= 8 and rng.random() < 0.7:
            if self.abandoned or ("Import Abandoned" in self.milestones and rng.random() < 0.6):
                theme = "import"
            elif self.tickets:
                theme = "support"
            elif not onboarded:
                theme = "start"
            elif not team:
                theme = "team"
            else:
                theme = "good"
            text = rng.choice(NPS_REASONS[theme][self.locale])
            at = self.guide(
                at + self._step(10, 60), "$survey_answered", NPS, **_answer("why", text, "text")
            )
        if score <= 6:
            at = self.call_offer(at + 2)
        return at

    def _may_upgrade(self) -> bool:
        return (
            self.number == 0 and self.account.plan == "trial" and self.account.upgraded_at is None
        )

    def billing(self, at: float) -> float:
        """The billing page, where the owner of a trial may upgrade."""
        at = self.view(at, "/demo/billing")
        if not self._may_upgrade():
            return at
        done = sum(
            1
            for event in ("Contacts Imported", "Teammate Invited", "Report Built")
            if event in self.milestones
        )
        if self.rng.random() < _sigmoid(-2.2 + 0.9 * done + 0.4 * self.skill):
            at = self.upgrade(at + self._step(10, 60))
        return at

    def upgrade(self, at: float) -> float:
        """Upgrading the trial to Pro: the app says so, and billing updates the account."""
        account = self.account
        if self.page != "/demo/billing":
            self._new_session(at)
            at = self.view(at, "/demo/billing") + self._step(5, 30)
        account.plan = "pro"
        account.upgraded_at = at
        self._send(
            at, {"type": "identify", **self.ids, "traits": {"plan": "pro"}, "context": self.context}
        )
        at = self.track(at + 0.1, "Plan Upgraded", {"plan": "pro"})
        account.bill(at + 1, None, {"plan": "pro", "contract_value": account.contract_value})
        return at

    def settings(self, at: float) -> float:
        return self.view(at, "/demo/settings")


def _content(key: str) -> dict[str, Any]:
    return {"$content_id": key, "$content_version": VERSION}


def _step(index: int) -> dict[str, Any]:
    return {"$content_step": index}


def _answer(question: str, answer: Any, kind: str) -> dict[str, Any]:
    return {"$question": question, "$answer": answer, "$question_type": kind}
