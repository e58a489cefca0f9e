"""`waypost demo simulate` on a data directory, and the customers the first start simulates."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from tests.conftest import Tenant
from waypost.cli import app as cli
from waypost.demo.seed import demo_app_id, mark_seeded
from waypost.demo.simulate import SimulationError
from waypost.events import DuckDBEventStore
from waypost.settings import Settings

runner = CliRunner()


def _simulate(settings: Settings, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        cli,
        ["demo", "simulate", *args, "--data-dir", str(settings.data_dir)],
        env={"WAYPOST_DATABASE_URL": settings.metadata_url},
    )
    return result.exit_code, result.output


def _events(settings: Settings, app_id: str) -> dict[str, int]:
    store = DuckDBEventStore(settings.events_path)
    try:
        rows = store.query(
            "SELECT event, count(*) FROM events WHERE app_id = $app GROUP BY event",
            {"app": app_id},
        )[1]
    finally:
        store.close()
    return dict(rows)


def test_demo_simulate_stores_customers_in_the_demo_app_once(
    settings: Settings, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    mark_seeded(settings, tenant.app_id)
    args = ("--customers", "30", "--days", "21", "--seed", "5", "--end", "2026-03-02", "--json")
    code, output = _simulate(settings, *args)
    assert code == 0, output
    made = json.loads(output)
    assert made["app_id"] == tenant.app_id  # the demo's app, without --app
    assert made["customers"] == 30 and made["users"] >= 30
    assert made["stored"] == made["events"] > 0
    assert (made["since"], made["until"]) == (
        "2026-02-09T00:00:00+00:00",
        "2026-03-02T00:00:00+00:00",
    )
    counts = _events(settings, tenant.app_id)
    assert sum(counts.values()) == made["events"]
    assert counts["Signed Up"] == made["users"]

    code, output = _simulate(settings, *args)
    assert code == 0, output
    again = json.loads(output)
    assert again["events"] == made["events"] and again["stored"] == 0
    assert again["already_stored"] == made["events"]
    assert _events(settings, tenant.app_id) == counts


def test_demo_simulate_says_what_it_did_in_a_line(
    settings: Settings, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    code, output = _simulate(
        settings, "--customers", "5", "--days", "7", "--end", "2026-03-02", "--app", tenant.app_id
    )
    assert code == 0, output
    assert output.startswith("simulated 5 accounts and ")
    assert "from 2026-02-23 to 2026-03-02" in output and "were already" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--end", "2026-3"), "--end must be a day as YYYY-MM-DD, not '2026-3'"),
        (("--end", "2999-01-01"), "end must be"),
        (("--customers", "0"), "Invalid value for '--customers'"),
        (("--app", "app_nope"), "no app app_nope"),
        ((), "holds no demo: name the app with --app"),
    ],
)
def test_demo_simulate_refuses_what_it_cannot_do_naming_why(
    settings: Settings, args: tuple[str, ...], message: str
) -> None:
    code, output = _simulate(settings, *args)
    assert code == 2
    assert message in output


def test_demo_simulate_refuses_the_same_seed_over_another_period(
    settings: Settings, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    first = ("--customers", "5", "--days", "7", "--app", tenant.app_id)
    assert _simulate(settings, *first, "--end", "2026-03-02")[0] == 0
    code, output = _simulate(settings, *first, "--end", "2026-03-03")
    assert code == 2
    assert "seed 1 was simulated into this app before over another period" in output


def test_the_first_start_simulates_the_demos_customers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("waypost.cli.FIRST_CUSTOMERS", 12)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setattr("waypost.logs.configure_logging", lambda *args, **kwargs: None)
    result = runner.invoke(
        cli,
        ["serve", "--bootstrap", "--data-dir", str(settings.data_dir)],
        env={"WAYPOST_DATABASE_URL": settings.metadata_url},
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("Demo customers:")]
    assert len(lines) == 1 and lines[0].startswith("Demo customers: 12 accounts, ")
    app_id = demo_app_id(settings)
    assert app_id is not None
    counts = _events(settings, app_id)
    assert counts["Signed Up"] >= 12
    # The period ends as today starts (UTC), so nothing comes from the future.
    store = DuckDBEventStore(settings.events_path)
    try:
        latest = store.query("SELECT max(timestamp) FROM events", {})[1][0][0]
    finally:
        store.close()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert today - timedelta(days=2) < latest.replace(tzinfo=UTC) < today

    later = runner.invoke(
        cli,
        ["serve", "--bootstrap", "--data-dir", str(settings.data_dir)],
        env={"WAYPOST_DATABASE_URL": settings.metadata_url},
    )
    assert later.exit_code == 0, later.output
    assert "Demo customers" not in later.stdout
    assert _events(settings, app_id) == counts


def test_a_first_start_whose_simulation_fails_still_shows_the_login(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise SimulationError("the disk is full")

    monkeypatch.setattr("waypost.demo.simulate.simulate", broken)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setattr("waypost.logs.configure_logging", lambda *args, **kwargs: None)
    result = runner.invoke(
        cli,
        ["serve", "--bootstrap", "--data-dir", str(settings.data_dir)],
        env={"WAYPOST_DATABASE_URL": settings.metadata_url},
    )
    assert result.exit_code == 0, result.output
    assert "Password:" in result.stdout and "Demo app:" in result.stdout
    assert "Demo customers: none simulated (the disk is full)" in result.stderr
