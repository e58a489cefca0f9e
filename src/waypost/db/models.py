"""Every slice's tables on one metadata, for Alembic's autogenerate and for tests."""

from waypost.db.base import Base
from waypost.guidance import models as _guidance  # noqa: F401
from waypost.insights import actions as _actions  # noqa: F401  (registers the tables)
from waypost.insights import models as _reports  # noqa: F401
from waypost.tenancy import models as _tenancy  # noqa: F401

__all__ = ["Base"]
