"""dashboards: saved insights and the dashboards that arrange them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-20 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import waypost.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _app_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["app_id"], ["apps.id"], name=op.f(f"fk_{table}_app_id_apps"), ondelete="CASCADE"
    )


def upgrade() -> None:
    utc = waypost.db.base.UTCDateTime
    op.create_table(
        "saved_insights",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        _app_fk("saved_insights"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_insights")),
    )
    op.create_index(op.f("ix_saved_insights_app_id"), "saved_insights", ["app_id"])
    op.create_table(
        "dashboards",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("date_from", utc(), nullable=True),
        sa.Column("date_to", utc(), nullable=True),
        sa.Column("last_days", sa.Integer(), nullable=True),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("filter_test_accounts", sa.Boolean(), nullable=False),
        sa.Column("visible_to", sa.String(length=20), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("tiles", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        _app_fk("dashboards"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboards")),
    )
    op.create_index(op.f("ix_dashboards_app_id"), "dashboards", ["app_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_dashboards_app_id"), table_name="dashboards")
    op.drop_table("dashboards")
    op.drop_index(op.f("ix_saved_insights_app_id"), table_name="saved_insights")
    op.drop_table("saved_insights")
