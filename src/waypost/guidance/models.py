"""Tables of the guidance slice: content items with their drafts, numbered versions and what
each environment has published; saved segments; each app's guidance settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from waypost.db.base import Base, UTCDateTime, utcnow


class ContentItem(Base):
    """One content item of an app, known by its key; `draft` is the document being edited
    (JSON), published documents live in `ContentVersion`."""

    __tablename__ = "content_items"
    __table_args__ = (UniqueConstraint("app_id", "key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    draft: Mapped[str] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContentVersion(Base):
    """A published document, numbered from 1 per item; never changed once written."""

    __tablename__ = "content_versions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_id: Mapped[str] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContentRelease(Base):
    """Which version of an item an environment shows (no row: the environment has none)."""

    __tablename__ = "content_releases"

    item_id: Mapped[str] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True
    )
    environment: Mapped[str] = mapped_column(String(20), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Segment(Base):
    """A saved audience: a rule tree with a key that content and other segments refer to."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("app_id", "key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GuidanceSettings(Base):
    """An app's guidance settings (a JSON document of `AppSettings`) and the secret its
    identity verification hashes user ids with."""

    __tablename__ = "guidance_settings"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    settings: Mapped[str] = mapped_column(Text)
    identity_secret: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
