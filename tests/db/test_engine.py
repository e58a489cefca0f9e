"""Metadata database: clear failures, UTC round trips, migrations at head on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.orm import Session

from waypost.db import DatabaseError, check_database, create_engine_for
from waypost.db.migrate import alembic_config
from waypost.settings import Settings
from waypost.tenancy.models import Workspace


def test_unreachable_database_says_which_and_why_without_the_password() -> None:
    engine = create_engine_for("postgresql+psycopg://waypost:hunter2@127.0.0.1:1/nowhere")
    with pytest.raises(DatabaseError) as caught:
        check_database(engine)
    message = str(caught.value)
    assert (
        "cannot reach the metadata database postgresql+psycopg://waypost:***@127.0.0.1:1/nowhere"
        in message
    )
    assert "hunter2" not in message
    assert "refused" in message.lower() or "connect" in message.lower()


def test_migrations_leave_the_database_at_the_newest_revision(settings: Settings) -> None:
    engine = create_engine_for(settings.metadata_url)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
    engine.dispose()


def test_times_come_back_as_the_same_instant_in_utc(db: Session) -> None:
    tokyo = timezone(timedelta(hours=9))
    created = datetime(2026, 3, 1, 9, 0, tzinfo=tokyo)
    with db.begin():
        db.add(Workspace(id="ws_t", name="T", created_at=created))
    db.expunge_all()
    loaded = db.get(Workspace, "ws_t")
    assert loaded is not None
    assert loaded.created_at == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert loaded.created_at.tzinfo is UTC


def test_naive_times_are_refused(db: Session) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.begin():
        db.add(Workspace(id="ws_n", name="N", created_at=datetime(2026, 1, 1)))
