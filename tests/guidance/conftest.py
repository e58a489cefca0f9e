"""A guidance test bench: an app in a real metadata database, a real event store, documents
published as builders publish them, and decisions for scripted people at chosen moments."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session

from tests.conftest import Tenant
from waypost.events import DuckDBEventStore
from waypost.events.schema import to_table
from waypost.guidance.app_settings import AppSettings, save_app_settings
from waypost.guidance.catalogue import build
from waypost.guidance.decide import DecideRequest, Person, decide, lookback
from waypost.guidance.library import Environment, parse_document, publish, save_draft
from waypost.tracking.messages import validate_message
from waypost.tracking.rows import to_row

# A Monday, 09:00 UTC (18:00 in Tokyo).
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


@dataclass
class Bench:
    """One app's content and its people, decided at chosen times."""

    db: Session
    app_id: str
    store: DuckDBEventStore

    def publish(self, text: str, environment: Environment = Environment.PRODUCTION) -> int:
        """Save a YAML document as the draft and publish it; the version number."""
        document = parse_document(yaml.safe_load(text))
        with self.db.begin():
            save_draft(self.db, self.app_id, document)
            return publish(self.db, self.app_id, document.key, environment).number

    def settings(self, **changes: Any) -> None:
        with self.db.begin():
            save_app_settings(self.db, self.app_id, AppSettings(**changes))

    def send(self, at: datetime, *messages: dict[str, Any]) -> None:
        """Messages as the tracking API stores them, received at `at`."""
        rows = []
        for message in messages:
            full = {"messageId": f"msg-{next(_ids)}", "timestamp": at.isoformat(), **message}
            rows.append(to_row(self.app_id, validate_message(full, at)))
        self.store.append(to_table(rows))

    def guide(self, at: datetime, user: str, event: str, key: str, version: int = 1, **more: Any):
        """One guidance event the snippet would send."""
        properties = {"$content_id": key, "$content_version": version, **more}
        self.send(at, {"type": "track", "event": event, "userId": user, "properties": properties})

    def decide(
        self,
        user: str,
        at: datetime,
        url: str | None = "https://app.example/home",
        environment: Environment = Environment.PRODUCTION,
        **request: Any,
    ) -> dict[str, Any]:
        with self.db.begin():
            catalogue = build(self.db, self.app_id, environment)
        wanted = DecideRequest(userId=user, url=url, environment=environment.value, **request)
        activity = self.store.person_activity(self.app_id, user, lookback(at))
        traits = {**(activity.profile.traits if activity else {}), **wanted.traits}
        return decide(catalogue, wanted, Person(user, activity, traits), at)

    def keys(self, user: str, at: datetime, **request: Any) -> list[str]:
        """The keys of the items decide offers, in its order."""
        return [item["key"] for item in self.decide(user, at, **request)["items"]]


@pytest.fixture
def bench(db: Session, make_tenant: Callable[[str], Tenant], tmp_path: Path) -> Iterator[Bench]:
    tenant = make_tenant("Acme")
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    try:
        yield Bench(db, tenant.app_id, store)
    finally:
        store.close()
