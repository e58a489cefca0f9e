"""Roles: what each member may do, and the rules that keep a workspace governable."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant, sign_in
from waypost.tenancy.roles import Permission, Role, permissions_of


def test_roles_are_ordered_by_what_they_allow() -> None:
    order = [Role.OWNER, Role.ADMIN, Role.BUILDER, Role.ANALYST, Role.VIEWER]
    for stronger, weaker in pairwise(order):
        assert permissions_of(weaker) < permissions_of(stronger)
    assert Permission.EDIT_CONTENT in permissions_of(Role.BUILDER)
    assert Permission.EDIT_CONTENT not in permissions_of(Role.ANALYST)
    assert Permission.READ_EVENTS in permissions_of(Role.ANALYST)
    # Viewers look at reports; the personal data beneath them is for analysts and up.
    assert Permission.QUERY_INSIGHTS in permissions_of(Role.VIEWER)
    assert Permission.READ_EVENTS not in permissions_of(Role.VIEWER)


FUNNEL = {"kind": "funnel", "steps": [{"event": "Signed Up"}, {"event": "Paid"}]}


def test_viewer_reads_reports_but_not_raw_events_or_person_profiles(
    client: TestClient,
    make_tenant: Callable[[str], Tenant],
    make_member: Callable[[str, Role, str], str],
) -> None:
    tenant = make_tenant("Acme")
    viewer = make_member(tenant.workspace_id, Role.VIEWER, "viewer@acme.example")
    csrf = sign_in(client, viewer)
    app = {"app_id": tenant.app_id}
    query = client.post(
        "/api/v1/insights/query", params=app, json=FUNNEL, headers={"X-CSRF-Token": csrf}
    )
    assert query.status_code == 200, query.text
    assert client.get("/api/v1/actions", params=app).status_code == 200
    for path in ("/api/v1/events", "/api/v1/persons/u1"):
        refused = client.get(path, params=app)
        assert refused.status_code == 403, path
        # Says what was refused in words, and why: not the name of an internal permission.
        assert refused.json()["error"]["message"] == (
            "a member with the viewer role may not read raw events or person profiles in this app"
        )


def test_workspace_refusal_names_the_role_and_what_it_may_not_do(
    client: TestClient,
    make_tenant: Callable[[str], Tenant],
    make_member: Callable[[str, Role, str], str],
) -> None:
    tenant = make_tenant("Acme")
    analyst = make_member(tenant.workspace_id, Role.ANALYST, "analyst@acme.example")
    headers = {"X-CSRF-Token": sign_in(client, analyst)}
    refused = client.post(
        "/api/v1/apps", json={"workspace_id": tenant.workspace_id, "name": "B"}, headers=headers
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "a member with the analyst role may not create apps in this workspace"
    )


@pytest.mark.parametrize("role", [Role.BUILDER, Role.ANALYST, Role.VIEWER])
def test_members_below_admin_cannot_rotate_keys_or_add_members(
    role: Role,
    client: TestClient,
    make_tenant: Callable[[str], Tenant],
    make_member: Callable[[str, Role, str], str],
) -> None:
    tenant = make_tenant("Acme")
    email = make_member(tenant.workspace_id, role, f"{role.value}@acme.example")
    headers = {"X-CSRF-Token": sign_in(client, email)}
    assert client.get(f"/api/v1/apps/{tenant.app_id}").status_code == 200
    rotate = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/rotate", json={"kind": "secret"}, headers=headers
    )
    assert rotate.status_code == 403
    assert rotate.json()["error"]["code"] == "forbidden"
    add = client.post(
        f"/api/v1/workspaces/{tenant.workspace_id}/members",
        json={"email": tenant.owner_email, "role": "viewer"},
        headers=headers,
    )
    assert add.status_code == 403


def test_only_an_owner_manages_keys_and_the_identity_secret(
    client: TestClient,
    make_tenant: Callable[[str], Tenant],
    make_member: Callable[[str, Role, str], str],
) -> None:
    tenant = make_tenant("Acme")
    admin = make_member(tenant.workspace_id, Role.ADMIN, "admin@acme.example")
    headers = {"X-CSRF-Token": sign_in(client, admin)}
    app = {"app_id": tenant.app_id}
    rotate = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/rotate", json={"kind": "secret"}, headers=headers
    )
    assert rotate.status_code == 403
    assert "rotate or revoke keys" in rotate.json()["error"]["message"]
    secret = client.post("/api/v1/guidance/identity-secret/rotate", params=app, headers=headers)
    assert secret.status_code == 403
    # An admin edits guidance settings but never sees the identity secret.
    settings = client.get("/api/v1/guidance/settings", params=app, headers=headers).json()
    assert settings["identity_secret"] is None
    # The owner does all three.
    client.cookies.clear()
    owner = {"X-CSRF-Token": sign_in(client, tenant.owner_email)}
    rotated = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/rotate", json={"kind": "secret"}, headers=owner
    )
    assert rotated.status_code == 201
    shown = client.get("/api/v1/guidance/settings", params=app, headers=owner).json()
    assert shown["identity_secret"]


def test_admin_cannot_make_an_owner_or_remove_one(
    client: TestClient,
    make_tenant: Callable[[str], Tenant],
    make_member: Callable[[str, Role, str], str],
) -> None:
    tenant = make_tenant("Acme")
    admin = make_member(tenant.workspace_id, Role.ADMIN, "admin@acme.example")
    viewer = make_member(tenant.workspace_id, Role.VIEWER, "viewer@acme.example")
    headers = {"X-CSRF-Token": sign_in(client, admin)}
    promote = client.post(
        f"/api/v1/workspaces/{tenant.workspace_id}/members",
        json={"email": viewer, "role": "owner"},
        headers=headers,
    )
    assert promote.status_code == 403
    assert promote.json()["error"]["field"] == "role"
    members = client.get(f"/api/v1/workspaces/{tenant.workspace_id}/members").json()
    owner_id = next(m["user_id"] for m in members if m["role"] == "owner")
    remove = client.delete(
        f"/api/v1/workspaces/{tenant.workspace_id}/members/{owner_id}", headers=headers
    )
    assert remove.status_code == 403
    demote = client.post(
        f"/api/v1/workspaces/{tenant.workspace_id}/members",
        json={"email": tenant.owner_email, "role": "viewer"},
        headers=headers,
    )
    assert demote.status_code == 403


def test_the_last_owner_cannot_leave_or_be_demoted(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    headers = {"X-CSRF-Token": sign_in(client, tenant.owner_email)}
    me = client.get("/api/v1/me").json()
    leave = client.delete(
        f"/api/v1/workspaces/{tenant.workspace_id}/members/{me['user_id']}", headers=headers
    )
    assert leave.status_code == 409
    assert "at least one owner" in leave.json()["error"]["message"]
    demote = client.post(
        f"/api/v1/workspaces/{tenant.workspace_id}/members",
        json={"email": tenant.owner_email, "role": "admin"},
        headers=headers,
    )
    assert demote.status_code == 409


def test_adding_an_unknown_email_says_to_create_the_user_first(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    headers = {"X-CSRF-Token": sign_in(client, tenant.owner_email)}
    response = client.post(
        f"/api/v1/workspaces/{tenant.workspace_id}/members",
        json={"email": "ghost@acme.example", "role": "viewer"},
        headers=headers,
    )
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "email"
