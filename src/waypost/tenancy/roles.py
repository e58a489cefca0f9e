"""Member roles and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A member's role in a workspace, from most to least powerful."""

    OWNER = "owner"
    ADMIN = "admin"
    BUILDER = "builder"
    ANALYST = "analyst"
    VIEWER = "viewer"


class Permission(StrEnum):
    """Something a member may do inside a workspace."""

    MANAGE_WORKSPACE = "manage_workspace"  # delete it, transfer ownership
    MANAGE_MEMBERS = "manage_members"
    MANAGE_APPS = "manage_apps"  # create apps, rotate and revoke keys
    EDIT_CONTENT = "edit_content"  # guidance, surveys, playbooks
    QUERY_INSIGHTS = "query_insights"  # also read raw events and person profiles
    ERASE_DATA = "erase_data"  # delete a person and their events (GDPR requests)
    VIEW = "view"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission) - {Permission.MANAGE_WORKSPACE},
    Role.BUILDER: frozenset({Permission.EDIT_CONTENT, Permission.QUERY_INSIGHTS, Permission.VIEW}),
    Role.ANALYST: frozenset({Permission.QUERY_INSIGHTS, Permission.VIEW}),
    Role.VIEWER: frozenset({Permission.VIEW}),
}


def permissions_of(role: Role) -> frozenset[Permission]:
    """Everything the role allows."""
    return _GRANTS[role]


# A secret API key acts for its app with everything but workspace-level administration.
SECRET_KEY_PERMISSIONS = frozenset(Permission) - {
    Permission.MANAGE_WORKSPACE,
    Permission.MANAGE_MEMBERS,
}
