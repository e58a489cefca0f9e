"""Console sign-in: argon2 passwords, secure cookies, CSRF on every change, lockout."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, Tenant, login_form_token, sign_in
from waypost.settings import Settings
from waypost.tenancy import passwords
from waypost.tenancy.members import find_user
from waypost.web.deps import changes_state


def _post_login(client: TestClient, email: str, password: str) -> Response:
    return client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf_token": login_form_token(client)},
        follow_redirects=False,
    )


def test_passwords_are_stored_as_argon2id_hashes(
    db: Session, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    user = find_user(db, tenant.owner_email)
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_the_server_hashes_with_argon2ids_recommended_cost() -> None:
    # The tests hash with a lighter cost (tests/conftest.py); the server's must stay RFC 9106's.
    stored = passwords.SERVER_HASHER.hash(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.SERVER_HASHER.verify(stored, PASSWORD)


def test_sign_in_sets_an_http_only_session_cookie_and_opens_the_console(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    token = login_form_token(client)
    response = client.post(
        "/console/login",
        data={"email": tenant.owner_email.upper(), "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert (
        "waypost_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    )
    home = client.get("/console/")
    assert home.status_code == 200
    assert "Acme app" in home.text


def test_session_cookie_is_secure_over_https(
    settings: Settings, make_tenant: Callable[[str], Tenant]
) -> None:
    from waypost.app import create_app

    tenant = make_tenant("Acme")
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        response = _post_login(client, tenant.owner_email, PASSWORD)
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    assert _post_login(client, tenant.owner_email, "wrong password!").status_code == 401
    assert _post_login(client, "nobody@acme.example", "wrong password!").status_code == 401
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_login_form_without_its_token_is_refused(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"email": tenant.owner_email, "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "waypost_session" not in response.headers.get("set-cookie", "")


def test_account_locks_after_repeated_failures_even_for_the_right_password(
    client: TestClient, settings: Settings, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    statuses = [
        _post_login(client, tenant.owner_email, "wrong password!").status_code
        for _ in range(settings.login_max_failures)
    ]
    assert statuses[:-1] == [401] * (settings.login_max_failures - 1)
    assert statuses[-1] == 429
    locked = _post_login(client, tenant.owner_email, PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


def test_api_changes_from_a_session_need_the_csrf_header(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    csrf = sign_in(client, tenant.owner_email)
    body = {"workspace_id": tenant.workspace_id, "name": "Second app"}
    refused = client.post("/api/v1/apps", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf"
    accepted = client.post("/api/v1/apps", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["secret_key"].startswith("sk_")
    assert client.get("/api/v1/apps").status_code == 200, "reads need no CSRF token"


def test_insight_query_from_a_session_is_a_read_and_needs_no_csrf_header(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    sign_in(client, tenant.owner_email)
    app = {"app_id": tenant.app_id}
    funnel = {"kind": "funnel", "steps": [{"event": "Signed Up"}, {"event": "Paid"}]}
    query = client.post("/api/v1/insights/query", params=app, json=funnel)
    assert query.status_code == 200, query.text
    # A POST that changes something still needs the token, on the same slice's routes.
    action = {"name": "Paid", "steps": [{"event": "Paid"}]}
    refused = client.post("/api/v1/actions", params=app, json=action)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf")


@pytest.mark.parametrize(
    ("method", "path", "changes"),
    [
        ("GET", "/api/v1/events", False),
        ("POST", "/api/v1/insights/query", False),
        ("POST", "/api/v1/actions", True),
        ("PUT", "/api/v1/actions/{action_id}", True),
        ("DELETE", "/api/v1/persons/{person}", True),
        ("PUT", "/api/v1/insights/query", True),
    ],
)
def test_only_the_listed_read_only_posts_skip_csrf(method: str, path: str, changes: bool) -> None:
    assert changes_state(method, path) is changes


def test_sign_out_ends_the_session(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    csrf = sign_in(client, tenant.owner_email)
    session_cookie = client.cookies.get("waypost_session")
    client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    client.cookies.set("waypost_session", session_cookie)
    assert client.get("/api/v1/me").status_code == 401
