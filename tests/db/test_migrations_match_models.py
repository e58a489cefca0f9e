"""The migrations create exactly the tables the models describe, on SQLite and PostgreSQL: a
model changed without a migration (or the other way round) fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from waypost.db import create_engine_for
from waypost.db.models import Base
from waypost.settings import Settings


def test_the_migrated_database_matches_the_models(settings: Settings) -> None:
    engine = create_engine_for(settings.metadata_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
