"""Alembic environment: the engine comes from Waypost's settings via the config's attributes."""

from alembic import context

from waypost.db.models import Base

config = context.config


def run_migrations() -> None:
    engine = config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations()
