"""guidance: content items, versions, releases, segments, guidance settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import waypost.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _app_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["app_id"], ["apps.id"], name=op.f(f"fk_{table}_app_id_apps"), ondelete="CASCADE"
    )


def _item_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["item_id"],
        ["content_items.id"],
        name=op.f(f"fk_{table}_item_id_content_items"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    utc = waypost.db.base.UTCDateTime
    op.create_table(
        "content_items",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("draft", sa.Text(), nullable=False),
        sa.Column("archived_at", utc(), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        _app_fk("content_items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_items")),
        sa.UniqueConstraint("app_id", "key", name=op.f("uq_content_items_app_id")),
    )
    op.create_index(op.f("ix_content_items_app_id"), "content_items", ["app_id"])
    op.create_table(
        "content_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", utc(), nullable=False),
        _item_fk("content_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_versions")),
        sa.UniqueConstraint("item_id", "number", name=op.f("uq_content_versions_item_id")),
    )
    op.create_index(op.f("ix_content_versions_item_id"), "content_versions", ["item_id"])
    op.create_table(
        "content_releases",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("released_at", utc(), nullable=False),
        _item_fk("content_releases"),
        sa.PrimaryKeyConstraint("item_id", "environment", name=op.f("pk_content_releases")),
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        _app_fk("segments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("app_id", "key", name=op.f("uq_segments_app_id")),
    )
    op.create_index(op.f("ix_segments_app_id"), "segments", ["app_id"])
    op.create_table(
        "guidance_settings",
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("identity_secret", sa.String(length=80), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        _app_fk("guidance_settings"),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_guidance_settings")),
    )


def downgrade() -> None:
    op.drop_table("guidance_settings")
    op.drop_index(op.f("ix_segments_app_id"), table_name="segments")
    op.drop_table("segments")
    op.drop_table("content_releases")
    op.drop_index(op.f("ix_content_versions_item_id"), table_name="content_versions")
    op.drop_table("content_versions")
    op.drop_index(op.f("ix_content_items_app_id"), table_name="content_items")
    op.drop_table("content_items")
