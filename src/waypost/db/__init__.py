"""Metadata database: SQLAlchemy base, engines, sessions and Alembic migrations."""

from waypost.db.base import Base, UTCDateTime, new_id, utcnow
from waypost.db.engine import DatabaseError, check_database, create_engine_for, session_factory
from waypost.db.migrate import upgrade

__all__ = [
    "Base",
    "DatabaseError",
    "UTCDateTime",
    "check_database",
    "create_engine_for",
    "new_id",
    "session_factory",
    "upgrade",
    "utcnow",
]
