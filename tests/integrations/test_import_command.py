"""`waypost import events FILE --app APP`: the summary, where rejections go, and the clear refusals
when the app is unknown or a running server holds the event store."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import Tenant
from waypost.cli import app as cli
from waypost.events import DuckDBEventStore
from waypost.settings import Settings

runner = CliRunner()
GOOD = {"type": "track", "userId": "ada", "event": "Report Exported", "timestamp": "2024-05-01"}


def _invoke(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        cli,
        [*args, "--data-dir", str(settings.data_dir)],
        env={"WAYPOST_DATABASE_URL": settings.metadata_url},
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Shop")


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    lines = [GOOD, {**GOOD, "event": ""}, {**GOOD, "messageId": "m-2"}, {**GOOD, "userID": "x"}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_import_prints_a_json_summary_and_rejections_on_stderr(
    settings: Settings, tenant: Tenant, history: Path
) -> None:
    code, out, err = _invoke(settings, "import", "events", str(history), "--app", tenant.app_id,
                             "--json")  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert {k: summary[k] for k in ("read", "stored", "duplicates", "rejected")} == {
        "read": 4,
        "stored": 2,
        "duplicates": 0,
        "rejected": 2,
    }
    assert summary["events_per_second"] > 0 and summary["seconds"] > 0
    assert "line 2: event: must be a non-empty string" in err
    assert "line 4: userID: unknown key 'userID'" in err
    store = DuckDBEventStore(settings.events_path)
    try:
        assert store.find_person(tenant.app_id, "ada") is not None
    finally:
        store.close()


def test_running_the_import_again_stores_nothing_new(
    settings: Settings, tenant: Tenant, history: Path
) -> None:
    args = ("import", "events", str(history), "--app", tenant.app_id, "--json")
    _invoke(settings, *args)
    code, out, _ = _invoke(settings, *args)
    assert code == 0
    assert {k: json.loads(out)[k] for k in ("stored", "duplicates")} == {
        "stored": 0,
        "duplicates": 2,
    }


def test_rejects_file_holds_every_rejection_as_json_lines(
    settings: Settings, tenant: Tenant, history: Path, tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.jsonl"
    code, _, err = _invoke(settings, "import", "events", str(history), "--app", tenant.app_id,
                           "--rejects", str(rejects))  # fmt: skip
    assert code == 0, err
    assert err == ""
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["line"], r["field"], r["code"]) for r in lines] == [
        (2, "event", "invalid"),
        (4, "userID", "invalid"),
    ]


def test_an_unknown_app_is_refused_before_anything_is_read(
    settings: Settings, tenant: Tenant, history: Path
) -> None:
    code, _, err = _invoke(settings, "import", "events", str(history), "--app", "app_nope")
    assert code == 2
    assert "app_nope" in err


def test_a_file_that_is_not_there_is_named(settings: Settings, tenant: Tenant) -> None:
    code, _, err = _invoke(settings, "import", "events", "missing.jsonl", "--app", tenant.app_id)
    assert code == 2
    assert "missing.jsonl is not a file" in err


@pytest.fixture
def running_server_store(settings: Settings) -> Iterator[None]:
    """Another process holding the event store's write lock, as `waypost serve` does."""
    settings.events_path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; held = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(120)", str(settings.events_path)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.usefixtures("running_server_store")
def test_while_a_server_holds_the_store_the_import_says_to_stop_it_or_use_the_api(
    settings: Settings, tenant: Tenant, history: Path
) -> None:
    code, _, err = _invoke(settings, "import", "events", str(history), "--app", tenant.app_id)
    assert code == 2
    assert "Stop the server to import from a file" in err
    assert "POST /v1/batch" in err
