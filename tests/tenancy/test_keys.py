"""App keys: wrong, revoked or expired keys get a clear 401; rotation has a grace period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Tenant
from waypost.db import utcnow
from waypost.errors import InvalidInput
from waypost.tenancy.keys import KeyKind, authenticate_key, hash_key, rotate_key
from waypost.tenancy.models import ApiKey


def _me(client: TestClient, key: str) -> tuple[int, dict]:
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    return response.status_code, response.json()


def test_secret_key_identifies_its_app(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    assert _me(client, tenant.app.secret_key) == (
        200,
        {
            "kind": "secret_key",
            "app_id": tenant.app_id,
            "user_id": None,
            "email": None,
            "workspaces": [],
        },
    )


def test_unknown_key_gets_401_naming_the_header(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    make_tenant("Acme")
    status, body = _me(client, "sk_not_a_real_key")
    assert status == 401
    assert body["error"]["code"] == "invalid_key"
    assert body["error"]["field"] == "authorization"
    assert "not valid" in body["error"]["message"]


def test_missing_or_malformed_authorization_gets_401_saying_what_to_send(
    client: TestClient,
) -> None:
    missing = client.get("/api/v1/apps")
    assert missing.status_code == 401
    assert "Bearer" in missing.json()["error"]["message"]
    basic = client.get("/api/v1/apps", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    assert basic.json()["error"]["field"] == "authorization"


def test_write_key_cannot_use_the_admin_api(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    status, body = _me(client, tenant.app.write_key)
    assert status == 401
    assert body["error"]["code"] == "invalid_key"


def test_keys_are_stored_only_as_hashes(db: Session, make_tenant: Callable[[str], Tenant]) -> None:
    tenant = make_tenant("Acme")
    rows = db.scalars(select(ApiKey).where(ApiKey.app_id == tenant.app_id)).all()
    secret_row = next(r for r in rows if r.kind == "secret")
    assert secret_row.key_hash == hash_key(tenant.app.secret_key)
    assert secret_row.public_value is None
    stored = [str(value) for r in rows for value in vars(r).values()]
    assert not any(tenant.app.secret_key in value for value in stored)


def test_rotated_secret_key_keeps_working_for_the_grace_period_then_stops(
    db: Session, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    now = utcnow()
    with db.begin():
        new = rotate_key(db, tenant.app_id, KeyKind.SECRET, grace_seconds=3600, now=now)
    old = tenant.app.secret_key
    assert authenticate_key(db, old, KeyKind.SECRET, now + timedelta(minutes=59)) is not None
    assert authenticate_key(db, old, KeyKind.SECRET, now + timedelta(minutes=61)) is None
    assert authenticate_key(db, new.value, KeyKind.SECRET, now + timedelta(days=30)) is not None


def test_rotation_through_the_api_then_revoking_the_old_key_gets_401(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    rotated = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/rotate",
        headers=tenant.bearer(),
        json={"kind": "secret"},
    )
    assert rotated.status_code == 201, rotated.text
    new_key = rotated.json()["value"]
    assert _me(client, tenant.app.secret_key)[0] == 200, "old key works during the grace period"
    keys = client.get(
        f"/api/v1/apps/{tenant.app_id}/keys", headers={"Authorization": f"Bearer {new_key}"}
    )
    old_id = next(
        k["id"] for k in keys.json() if k["kind"] == "secret" and k["expires_at"] is not None
    )
    revoked = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/{old_id}/revoke",
        headers={"Authorization": f"Bearer {new_key}"},
    )
    assert revoked.status_code == 200
    status, body = _me(client, tenant.app.secret_key)
    assert status == 401 and body["error"]["code"] == "invalid_key"
    assert _me(client, new_key)[0] == 200


def test_rotation_with_zero_grace_stops_the_old_key_at_once(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    response = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/rotate",
        headers=tenant.bearer(),
        json={"kind": "secret", "grace_seconds": 0},
    )
    assert response.status_code == 201
    assert _me(client, tenant.app.secret_key)[0] == 401


def test_rotation_request_with_a_bad_kind_names_the_field(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    response = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/rotate", headers=tenant.bearer(), json={"kind": "root"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "kind"
    typo = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/rotate",
        headers=tenant.bearer(),
        json={"kind": "secret", "grace": 5},
    )
    assert typo.status_code == 422
    assert typo.json()["error"]["field"] == "grace"


def test_grace_period_past_a_year_is_refused_naming_the_field(
    client: TestClient, make_tenant: Callable[[str], Tenant], db: Session
) -> None:
    # Found by the OpenAPI contract test: a huge grace period overflowed the date (500).
    tenant = make_tenant("Acme")
    response = client.post(
        f"/api/v1/apps/{tenant.app_id}/keys/rotate",
        json={"kind": "secret", "grace_seconds": 10**12},
        headers=tenant.bearer(),
    )
    assert (response.status_code, response.json()["error"]["field"]) == (422, "grace_seconds")
    with db.begin(), pytest.raises(InvalidInput) as refused:
        rotate_key(db, tenant.app_id, KeyKind.SECRET, grace_seconds=10**12)
    assert refused.value.field == "grace_seconds"
