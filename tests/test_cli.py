"""The `waypost` command: apps, users and keys administration, settings errors, and `make run`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from waypost.app import create_app
from waypost.cli import app as cli
from waypost.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _run(settings: Settings, *args: str, stdin: str | None = None) -> dict | list:
    env = {"WAYPOST_DATABASE_URL": settings.metadata_url}
    result = runner.invoke(
        cli, [*args, "--json", "--data-dir", str(settings.data_dir)], input=stdin, env=env
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_apps_create_prints_working_keys(settings: Settings) -> None:
    created = _run(settings, "apps", "create", "Shop")
    assert set(created) == {"workspace_id", "app_id", "write_key", "secret_key"}
    with TestClient(create_app(settings)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['secret_key']}"})
    assert me.status_code == 200
    assert me.json()["app_id"] == created["app_id"]
    listed = _run(settings, "apps", "list")
    assert [a["app_id"] for a in listed] == [created["app_id"]]


def test_users_create_with_a_role_can_sign_in(settings: Settings) -> None:
    created = _run(
        settings,
        "users",
        "create",
        "Mika@Example.com",
        "--role",
        "builder",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert created["email"] == "mika@example.com" and created["role"] == "builder"
    assert "password" not in created
    with TestClient(create_app(settings)) as client:
        from tests.conftest import sign_in

        sign_in(client, "mika@example.com", "a long enough password")
        me = client.get("/api/v1/me").json()
    assert me["workspaces"][0]["role"] == "builder"


def test_users_create_refuses_a_short_password_naming_the_field(settings: Settings) -> None:
    result = runner.invoke(
        cli,
        [
            "users",
            "create",
            "a@example.com",
            "--password-stdin",
            "--data-dir",
            str(settings.data_dir),
        ],
        input="short\n",
        env={"WAYPOST_DATABASE_URL": settings.metadata_url},
    )
    assert result.exit_code == 2
    assert "at least 10 characters (password)" in result.output


def test_keys_rotate_keeps_the_old_key_for_the_grace_period_and_zero_grace_stops_all(
    settings: Settings,
) -> None:
    created = _run(settings, "apps", "create", "Shop")
    with TestClient(create_app(settings)) as client:

        def status(key: str) -> int:
            return client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code

        graceful = _run(settings, "keys", "rotate", "--app", created["app_id"])
        assert (status(created["secret_key"]), status(graceful["key"])) == (200, 200)
        kinds = [k["kind"] for k in _run(settings, "keys", "list", "--app", created["app_id"])]
        assert sorted(kinds) == ["secret", "secret", "write"]
        # An emergency rotation (a leaked key) stops every earlier key at once.
        immediate = _run(settings, "keys", "rotate", "--app", created["app_id"], "--grace", "0")
        assert status(created["secret_key"]) == 401
        assert status(graceful["key"]) == 401
        assert status(immediate["key"]) == 200


def test_persons_show_and_delete_erase_a_person_and_their_events(settings: Settings) -> None:
    created = _run(settings, "apps", "create", "Shop")
    batch = [
        {"type": "track", "event": "Viewed", "anonymousId": "a1"},
        {"type": "identify", "userId": "u1", "anonymousId": "a1", "traits": {"email": "a@b.jp"}},
        {"type": "track", "event": "Viewed", "userId": "u2"},
    ]
    with TestClient(create_app(settings)) as client:
        sent = client.post("/v1/batch", json={"batch": batch, "writeKey": created["write_key"]})
        assert sent.status_code == 200
    app = created["app_id"]

    shown = _run(settings, "persons", "show", "a1", "--app", app)
    assert shown["user_ids"] == ["u1"] and shown["traits"] == {"email": "a@b.jp"}
    erased = _run(settings, "persons", "delete", "u1", "--app", app)
    assert erased["distinct_ids"] == ["a1", "u1"] and erased["events_deleted"] == 2

    env = {"WAYPOST_DATABASE_URL": settings.metadata_url}
    again = runner.invoke(
        cli, ["persons", "show", "u1", "--app", app, "--data-dir", str(settings.data_dir)], env=env
    )
    assert again.exit_code == 2 and "no person has the id 'u1'" in again.output
    assert _run(settings, "persons", "show", "u2", "--app", app)["events"] == {"Viewed": 1}


def test_events_compact_after_an_erasure_leaves_no_trace_of_the_person_on_disk(
    settings: Settings,
) -> None:
    created = _run(settings, "apps", "create", "Shop")
    batch = [
        {"type": "identify", "userId": "u1", "traits": {"email": "erase-me@example.jp"}},
        {"type": "track", "event": "Viewed", "userId": "u2"},
    ]
    with TestClient(create_app(settings)) as client:
        sent = client.post("/v1/batch", json={"batch": batch, "writeKey": created["write_key"]})
        assert sent.status_code == 200
    _run(settings, "persons", "delete", "u1", "--app", created["app_id"])

    done = _run(settings, "events", "compact")

    assert done["path"] == str(settings.events_path) and done["bytes_after"] > 0
    assert b"erase-me@example.jp" not in settings.events_path.read_bytes()
    assert _run(settings, "persons", "show", "u2", "--app", created["app_id"])["events"] == {
        "Viewed": 1
    }


def test_events_compact_without_an_event_store_says_so(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["events", "compact", "--data-dir", str(tmp_path / "none")])
    assert result.exit_code == 2 and "there is no event store at" in result.output


def test_persons_delete_beside_a_running_server_points_to_the_api(settings: Settings) -> None:
    created = _run(settings, "apps", "create", "Shop")
    env = {**os.environ, "WAYPOST_DATABASE_URL": settings.metadata_url}
    with TestClient(create_app(settings)):
        result = subprocess.run(
            [sys.executable, "-m", "waypost", "persons", "delete", "u1", "--app",
             created["app_id"], "--data-dir", str(settings.data_dir)],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert "DELETE /api/v1/persons/{id}" in result.stderr


def test_persons_show_beside_a_running_server_points_to_the_read_api(settings: Settings) -> None:
    created = _run(settings, "apps", "create", "Shop")
    env = {**os.environ, "WAYPOST_DATABASE_URL": settings.metadata_url}
    with TestClient(create_app(settings)):
        result = subprocess.run(
            [sys.executable, "-m", "waypost", "persons", "show", "u1", "--app",
             created["app_id"], "--data-dir", str(settings.data_dir)],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert "GET /api/v1/persons/{id}" in result.stderr and "DELETE" not in result.stderr


def _serve_bootstrap(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> str:
    """`waypost serve --bootstrap` up to the moment the server would start listening."""
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setattr("waypost.logs.configure_logging", lambda *args, **kwargs: None)
    result = runner.invoke(
        cli,
        ["serve", "--bootstrap", "--data-dir", str(settings.data_dir)],
        env={"WAYPOST_DATABASE_URL": settings.metadata_url},
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_first_start_prints_the_login_and_ids_and_later_starts_only_where_they_are_kept(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _serve_bootstrap(settings, monkeypatch)
    notes = settings.data_dir / "first-run.txt"
    fields = dict(line.split(":", 1) for line in notes.read_text().splitlines())
    password, workspace = fields["Password"].strip(), fields["Workspace id"].strip()
    assert password in first and workspace in first and fields["Secret key"].strip() in first
    assert str(notes) in first

    later = _serve_bootstrap(settings, monkeypatch)
    assert password not in later and "Secret key" not in later
    assert str(notes) in later and "/console/" in later
    listed = _run(settings, "apps", "list")
    assert [a["workspace_id"] for a in listed] == [workspace]


def test_unknown_app_is_reported_by_name(settings: Settings) -> None:
    result = runner.invoke(
        cli,
        ["keys", "rotate", "--app", "app_nope", "--data-dir", str(settings.data_dir)],
        env={"WAYPOST_DATABASE_URL": settings.metadata_url},
    )
    assert result.exit_code == 2
    assert "no app app_nope (app_id)" in result.output


def test_invalid_setting_stops_the_command_with_a_clear_message(tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["migrate", "--data-dir", str(tmp_path)], env={"WAYPOST_LOG_LEVEL": "loud"}
    )
    assert result.exit_code == 2
    assert "invalid setting log_level (WAYPOST_LOG_LEVEL)" in result.output


def test_unreachable_database_stops_the_command_naming_it(tmp_path: Path) -> None:
    result = runner.invoke(
        cli,
        ["apps", "create", "X", "--data-dir", str(tmp_path)],
        env={"WAYPOST_DATABASE_URL": "postgresql+psycopg://u:pw@127.0.0.1:1/db"},
    )
    assert result.exit_code == 2
    assert (
        "cannot reach the metadata database postgresql+psycopg://u:***@127.0.0.1:1/db"
        in result.output
    )


def test_serve_refuses_to_start_when_the_database_is_unreachable(tmp_path: Path) -> None:
    result = runner.invoke(
        cli,
        ["serve", "--data-dir", str(tmp_path), "--port", "1"],
        env={"WAYPOST_DATABASE_URL": "postgresql+psycopg://u:pw@127.0.0.1:1/db"},
    )
    assert result.exit_code == 2
    assert "cannot reach the metadata database" in result.output


def test_serve_refuses_a_second_server_on_the_same_event_store(settings: Settings) -> None:
    # DuckDB locks a file against other processes only, so the second server is a real process.
    env = {**os.environ, "WAYPOST_DATABASE_URL": settings.metadata_url}
    with TestClient(create_app(settings)):
        result = subprocess.run(
            [sys.executable, "-m", "waypost", "serve", "--data-dir", str(settings.data_dir)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "Only one Waypost server may use" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """`make run` exactly as the README says, on a temporary data directory and a free port."""
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {**os.environ, "WAYPOST_PORT": str(port), "WAYPOST_DATA_DIR": str(data_dir)}
    env.pop("WAYPOST_DATABASE_URL", None)
    process = subprocess.Popen(
        ["make", "-s", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
        else:
            pytest.fail("make run did not serve /healthz within 120 s")
        yield base, "", data_dir
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert "Password:" in output and "Secret key:" in output


@pytest.mark.slow
def test_make_run_serves_healthz_and_admin_commands_work_beside_it(
    make_run: tuple[str, str, Path],
) -> None:
    base, _, data_dir = make_run
    assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
    notes = (data_dir / "first-run.txt").read_text()
    secret = next(line.split()[-1] for line in notes.splitlines() if line.startswith("Secret key:"))
    assert (
        httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    # While the server holds the event store, the CLI administers the same data directory.
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "waypost",
            "apps",
            "create",
            "Beside",
            "--json",
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key = json.loads(created.stdout)["secret_key"]
    me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200
