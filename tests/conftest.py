"""Shared fixtures: a migrated metadata database per test (SQLite, and PostgreSQL when marked),
settings on a temporary data directory, a running app, and helpers to create tenants."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import hypothesis
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from waypost.app import create_app
from waypost.db import create_engine_for, session_factory, upgrade
from waypost.settings import Settings
from waypost.tenancy import passwords
from waypost.tenancy.members import add_member, create_user
from waypost.tenancy.roles import Role
from waypost.tenancy.workspaces import NewApp, create_workspace
from waypost.tenancy.workspaces import create_app as create_tenant_app

POSTGRES_ENV = "WAYPOST_TEST_POSTGRES_URL"
PASSWORD = "correct horse battery"
STARTUP_SECONDS = 20.0


def _postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.fail(
            f"{POSTGRES_ENV} is not set: run `make test` (it starts PostgreSQL), "
            "or deselect with -m 'not postgres'"
        )
    return url


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """Argon2id at its lightest inside the tests: the server's parameters cost about 0.2 s of
    both cores a hash, and most tests make members and sign them in. Hashes carry their own
    parameters, so checking works the same; tests/tenancy/test_sign_in.py checks the server's."""
    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_HASHER", quick)
        patch.setattr(passwords, "_DUMMY_HASH", quick.hash("waypost-timing-equaliser"))
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "metadata.db"
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated once, used as the template of each test's database."""
    admin_url = _postgres_admin_url()
    name = f"waypost_template_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine_for(make_url(admin_url).set(database=name).render_as_string(False))
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated metadata database for one test, on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "metadata.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("postgres_template")
    admin_url = _postgres_admin_url()
    name = f"waypost_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(admin_url).set(database=name).render_as_string(False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, metadata_url: str) -> Settings:
    """Settings for a server on a temporary data directory and the test's metadata database."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=metadata_url,
        secret="test-secret-" + secrets.token_hex(8),
        log_format="text",
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    """A session on the test's metadata database, committed after each `with db.begin()`."""
    engine = create_engine_for(settings.metadata_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The full app, started (migrations, stores) and stopped around the test."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@dataclass(frozen=True)
class Tenant:
    """A workspace with one app and an owner who can sign in."""

    app: NewApp
    owner_email: str

    @property
    def workspace_id(self) -> str:
        return self.app.workspace_id

    @property
    def app_id(self) -> str:
        return self.app.app_id

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.app.secret_key}"}


@pytest.fixture
def make_tenant(db: Session) -> Callable[[str], Tenant]:
    """Create a workspace, its app and an owner (password PASSWORD)."""

    def make(name: str) -> Tenant:
        with db.begin():
            workspace = create_workspace(db, name)
            new = create_tenant_app(db, workspace.id, f"{name} app")
            email = f"owner@{name.lower()}.example"
            user = create_user(db, email, PASSWORD)
            add_member(db, workspace.id, user.id, Role.OWNER)
        return Tenant(app=new, owner_email=email)

    return make


@pytest.fixture
def make_member(db: Session) -> Callable[[str, Role, str], str]:
    """Create a user with a role in a workspace; returns the email (password PASSWORD)."""

    def make(workspace_id: str, role: Role, email: str) -> str:
        with db.begin():
            user = create_user(db, email, PASSWORD)
            add_member(db, workspace_id, user.id, role)
        return email

    return make


def login_form_token(client: TestClient) -> str:
    """Open the sign-in page and read the form's CSRF token, as a browser would submit it."""
    page = client.get("/console/login")
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the console form; returns the session's CSRF token for API calls."""
    response = client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf_token": login_form_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = client.get("/console/")
    return home.text.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.fixture
def live_app(settings: Settings) -> FastAPI:
    """The app a live server runs, for tests that look at its state."""
    return create_app(settings)


@pytest.fixture
def live_server(live_app: FastAPI) -> Iterator[str]:
    """The full app under uvicorn in a background thread; yields its base URL."""
    # Binding the socket here (port 0) and handing it to uvicorn leaves no window for a port race.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(live_app, lifespan="on", log_config=None, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, thread)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert not thread.is_alive(), "the live server did not stop within 10 seconds"


def _wait_until_healthy(base_url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if not thread.is_alive():
            pytest.fail("the live server stopped during startup (see the captured log)")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the live server did not answer /healthz within {STARTUP_SECONDS} seconds")


def examples(full: int) -> hypothesis.settings:
    """Settings for the slow property tests (SQL against a reference): `make test` runs `full`
    examples, `make test-fast` (WAYPOST_QUICK_PROPERTIES=1) a fifth of them."""
    quick = os.environ.get("WAYPOST_QUICK_PROPERTIES") == "1"
    return hypothesis.settings(
        max_examples=max(10, full // 5) if quick else full,
        deadline=None,
        suppress_health_check=[hypothesis.HealthCheck.too_slow],
    )
