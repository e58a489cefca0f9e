"""Tables of saved reports: insights saved with a name, and dashboards that arrange them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from waypost.db.base import Base, UTCDateTime, utcnow


class SavedInsight(Base):
    """An insight query of one app kept under a name; `query` is its JSON, checked on save."""

    __tablename__ = "saved_insights"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    query: Mapped[str] = mapped_column(Text)
    # The user who saved it; None when an app's secret key (or the CLI) did.
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Dashboard(Base):
    """Saved insights arranged as tiles, with a date range and filters laid over all of them,
    and who in the workspace sees it."""

    __tablename__ = "dashboards"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Either an absolute range (either end may be open) or the last N days, or neither.
    date_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    date_to: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_days: Mapped[int | None] = mapped_column(Integer)
    filters: Mapped[str] = mapped_column(Text)  # the insights' Filter list as JSON
    filter_test_accounts: Mapped[bool] = mapped_column(Boolean, default=False)
    visible_to: Mapped[str] = mapped_column(String(20))  # the lowest Role that sees it
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    tiles: Mapped[str] = mapped_column(Text)  # ordered Tile list as JSON
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
