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
    MANAGE_APPS = "manage_apps"  # create apps
    MANAGE_KEYS = "manage_keys"  # rotate and revoke keys, the identity-verification secret
    EDIT_CONTENT = "edit_content"  # guidance, surveys, playbooks
    QUERY_INSIGHTS = "query_insights"  # reports: insight queries and the actions they use
    EDIT_REPORTS = "edit_reports"  # saved insights and dashboards
    READ_EVENTS = "read_events"  # raw events and person profiles, which hold personal data
    ERASE_DATA = "erase_data"  # delete a person and their events (GDPR requests)
    VIEW = "view"

    @property
    def action(self) -> str:
        """What the permission lets a person do, worded to follow "may not" in a refusal."""
        return _ACTIONS[self]


_ACTIONS = {
    Permission.MANAGE_WORKSPACE: "manage the workspace",
    Permission.MANAGE_MEMBERS: "manage members",
    Permission.MANAGE_APPS: "create apps",
    Permission.MANAGE_KEYS: "rotate or revoke keys or see and change the identity secret",
    Permission.EDIT_CONTENT: "create or change content and actions",
    Permission.QUERY_INSIGHTS: "query insights",
    Permission.EDIT_REPORTS: "create or change saved insights and dashboards",
    Permission.READ_EVENTS: "read raw events or person profiles",
    Permission.ERASE_DATA: "erase persons and their events",
    Permission.VIEW: "see this",
}

_READ = frozenset({Permission.QUERY_INSIGHTS, Permission.VIEW})
# Analysts and up also save insights and arrange dashboards for the rest of the workspace.
_ANALYSE = _READ | {Permission.READ_EVENTS, Permission.EDIT_REPORTS}
_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    # Keys open the whole app to whoever holds them: only owners hand them out.
    Role.ADMIN: frozenset(Permission) - {Permission.MANAGE_WORKSPACE, Permission.MANAGE_KEYS},
    Role.BUILDER: _ANALYSE | {Permission.EDIT_CONTENT},
    Role.ANALYST: _ANALYSE,
    # Viewers look at reports; the personal data beneath them stays with analysts and up.
    Role.VIEWER: _READ,
}


def permissions_of(role: Role) -> frozenset[Permission]:
    """Everything the role allows."""
    return _GRANTS[role]


def ranks_at_least(role: Role, lowest: Role) -> bool:
    """Whether `role` is `lowest` or a more powerful one."""
    order = list(Role)  # declared from most to least powerful
    return order.index(role) <= order.index(lowest)


def refusal(role: Role | None, needs: Permission, where: str) -> str:
    """The message for a caller whose role lacks a permission: says what, and which role."""
    who = f"a member with the {role.value} role" if role is not None else "this secret key"
    return f"{who} may not {needs.action} in this {where}"


# A secret API key acts for its app with everything but workspace-level administration.
SECRET_KEY_PERMISSIONS = frozenset(Permission) - {
    Permission.MANAGE_WORKSPACE,
    Permission.MANAGE_MEMBERS,
}
