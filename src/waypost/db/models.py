"""Every slice's tables on one metadata, for Alembic's autogenerate and for tests."""

from waypost.db.base import Base
from waypost.tenancy import models as _tenancy  # noqa: F401  (registers the tables)

__all__ = ["Base"]
