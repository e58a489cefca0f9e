"""The settings page (no browser): who sees which controls, the API refusing what the page
hides, and the member's own language and time zone posted with the form's CSRF token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Tenant, sign_in
from waypost.guidance.app_settings import identity_secret
from waypost.i18n.catalog import messages
from waypost.tenancy.models import User
from waypost.tenancy.roles import Role

EN = messages("en")
JA = messages("ja")


def _main(html: str) -> str:
    """The page's own content (the whole catalogue rides along in a script for the page's JS)."""
    return html.split('<main id="main" tabindex="-1">')[1].split("</main>")[0]


@pytest.fixture
def acme(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


def _settings(client: TestClient, tenant: Tenant) -> str:
    page = client.get(f"/console/apps/{tenant.app_id}/settings")
    assert page.status_code == 200
    return _main(page.text)


def test_an_owner_manages_keys_and_sees_the_identity_secret(
    client: TestClient, acme: Tenant, db: Session
) -> None:
    sign_in(client, acme.owner_email)
    page = _settings(client, acme)
    assert 'id="rotate-form"' in page
    assert "data-revoke=" in page
    assert f'data-key="{acme.app.write_key}"' in page
    with db.begin():
        secret = identity_secret(db, acme.app_id)
    assert secret in page
    assert 'id="identity-toggle"' in page
    assert EN["settings.keys.owner_only"] not in page


@pytest.mark.parametrize("role", [Role.ADMIN, Role.BUILDER, Role.VIEWER])
def test_only_an_owner_gets_key_controls(
    client: TestClient,
    acme: Tenant,
    db: Session,
    make_member: Callable[[str, Role, str], str],
    role: Role,
) -> None:
    sign_in(client, make_member(acme.workspace_id, role, f"{role.value}@acme.example"))
    page = _settings(client, acme)
    assert 'id="rotate-form"' not in page
    assert "data-revoke=" not in page
    assert EN["settings.keys.owner_only"] in page
    with db.begin():
        secret = identity_secret(db, acme.app_id)
    assert secret not in page
    assert 'id="identity-rotate"' not in page


def test_a_viewer_cannot_rotate_or_revoke_keys_through_the_api_either(
    client: TestClient, acme: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    csrf = sign_in(client, make_member(acme.workspace_id, Role.VIEWER, "viewer@acme.example"))
    headers = {"X-CSRF-Token": csrf}
    rotate = client.post(
        f"/api/v1/apps/{acme.app_id}/keys/rotate", json={"kind": "secret"}, headers=headers
    )
    assert rotate.status_code == 403
    keys = client.get(f"/api/v1/apps/{acme.app_id}/keys").json()
    revoke = client.post(f"/api/v1/apps/{acme.app_id}/keys/{keys[0]['id']}/revoke", headers=headers)
    assert revoke.status_code == 403
    assert len(client.get(f"/api/v1/apps/{acme.app_id}/keys").json()) == len(keys)


def test_members_can_be_managed_by_admins_without_reaching_owner(
    client: TestClient, acme: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    make_member(acme.workspace_id, Role.BUILDER, "builder@acme.example")
    sign_in(client, make_member(acme.workspace_id, Role.ADMIN, "admin@acme.example"))
    page = _settings(client, acme)
    assert 'id="add-member"' in page
    assert 'data-role-of="builder@acme.example"' in page
    # The owner's role is not the admin's to change, nor is the admin's own.
    assert f'data-role-of="{acme.owner_email}"' not in page
    assert 'data-role-of="admin@acme.example"' not in page
    assert '<option value="owner"' not in page


def test_a_viewer_sees_members_and_guidance_settings_read_only(
    client: TestClient, acme: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    sign_in(client, make_member(acme.workspace_id, Role.VIEWER, "viewer@acme.example"))
    page = _settings(client, acme)
    assert 'id="add-member"' not in page
    assert "data-role-of=" not in page
    assert EN["settings.members.admins_only"] in page
    assert "<fieldset disabled>" in page
    assert EN["settings.guidance.builders_only"] in page


def _user(db: Session, email: str) -> User:
    with db.begin():
        user = db.scalars(select(User).where(User.email == email)).one()
        db.expunge(user)
    return user


def test_the_member_chooses_japanese_and_a_zone_and_the_next_page_follows(
    client: TestClient, acme: Tenant, db: Session
) -> None:
    csrf = sign_in(client, acme.owner_email)
    saved = client.post(
        f"/console/apps/{acme.app_id}/settings/preferences",
        data={"csrf_token": csrf, "locale": "ja", "timezone": "Asia/Tokyo"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("/settings?saved=preferences#preferences")
    user = _user(db, acme.owner_email)
    assert (user.locale, user.timezone) == ("ja", "Asia/Tokyo")
    page = client.get(saved.headers["location"])
    assert '<html lang="ja">' in page.text
    assert JA["settings.prefs.title"] in _main(page.text)
    assert '<meta name="wp-timezone" content="Asia/Tokyo">' in page.text

    # Back to the browser's language: the member's setting and the cookie both go.
    client.post(
        f"/console/apps/{acme.app_id}/settings/preferences",
        data={"csrf_token": csrf, "locale": "", "timezone": ""},
    )
    assert (_user(db, acme.owner_email).locale, _user(db, acme.owner_email).timezone) == (
        None,
        None,
    )
    english = client.get(f"/console/apps/{acme.app_id}/settings", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.text


def test_preferences_without_the_forms_token_change_nothing(
    client: TestClient, acme: Tenant, db: Session
) -> None:
    sign_in(client, acme.owner_email)
    refused = client.post(
        f"/console/apps/{acme.app_id}/settings/preferences",
        data={"csrf_token": "forged", "locale": "ja"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert EN["settings.prefs.expired"] in _main(refused.text)
    assert _user(db, acme.owner_email).locale is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("locale", "fr", "settings.prefs.bad_locale"),
        ("timezone", "Mars/Olympus", "settings.prefs.bad_zone"),
    ],
)
def test_preferences_refuse_what_the_console_cannot_show(
    client: TestClient, acme: Tenant, field: str, value: str, message: str
) -> None:
    csrf = sign_in(client, acme.owner_email)
    refused = client.post(
        f"/console/apps/{acme.app_id}/settings/preferences",
        data={"csrf_token": csrf, field: value},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert EN[message] in _main(refused.text)


def test_the_settings_page_in_japanese(client: TestClient, acme: Tenant) -> None:
    sign_in(client, acme.owner_email)
    page = _main(client.get(f"/console/apps/{acme.app_id}/settings?lang=ja").text)
    for message in ("settings.install.title", "settings.members.title", "settings.budget.title"):
        assert JA[message] in page
