"""The `waypost` command: the product's front door for operators."""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from waypost.db import DatabaseError, check_database, create_engine_for, session_factory, upgrade
from waypost.errors import InvalidInput, WaypostError
from waypost.events import EventStore, EventStoreError, open_event_store
from waypost.events.duckdb_store import compact
from waypost.insights import read_query
from waypost.insights.answer import answer
from waypost.insights.runner import exported
from waypost.integrations import ImportFormat, ImportProgress, Rejection, import_events
from waypost.settings import Settings, SettingsError, load_settings, settings_reference
from waypost.tenancy.keys import KeyKind, active_keys, revoke_key, rotate_key
from waypost.tenancy.members import add_member, create_user
from waypost.tenancy.models import App as AppRow
from waypost.tenancy.models import User
from waypost.tenancy.roles import Role
from waypost.tenancy.workspaces import create_app, create_workspace, default_workspace, get_app

app = typer.Typer(
    help="Waypost: customer onboarding and digital adoption, self-hosted.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
apps_cli = typer.Typer(help="Create and list apps.", no_args_is_help=True)
users_cli = typer.Typer(help="Manage console users.", no_args_is_help=True)
keys_cli = typer.Typer(help="List, rotate and revoke app keys.", no_args_is_help=True)
config_cli = typer.Typer(help="Inspect settings.", no_args_is_help=True)
persons_cli = typer.Typer(help="Look up and erase persons (GDPR).", no_args_is_help=True)
insights_cli = typer.Typer(help="Answer insight queries.", no_args_is_help=True)
app.add_typer(apps_cli, name="apps")
app.add_typer(users_cli, name="users")
app.add_typer(keys_cli, name="keys")
app.add_typer(config_cli, name="config")
app.add_typer(persons_cli, name="persons")
app.add_typer(insights_cli, name="insights")
import_cli = typer.Typer(help="Backfill data from files.", no_args_is_help=True)
app.add_typer(import_cli, name="import")
events_cli = typer.Typer(help="Maintain the event store.", no_args_is_help=True)
app.add_typer(events_cli, name="events")
content_cli = typer.Typer(
    help="Guidance content as code: export to files, import from them.", no_args_is_help=True
)
app.add_typer(content_cli, name="content")
demo_cli = typer.Typer(
    help="The demo: Acme CRM at /demo/, its guidance and simulated customers.",
    no_args_is_help=True,
)
app.add_typer(demo_cli, name="demo")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory [env: WAYPOST_DATA_DIR; default ./.waypost]."),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="TOML settings file [env: WAYPOST_CONFIG]."),
]
WorkspaceId = Annotated[
    str | None, typer.Option("--workspace", help="Workspace id; default: the first, made if none.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _settings(config: Path | None = None, **overrides: Any) -> Settings:
    try:
        return load_settings(overrides, config)
    except SettingsError as exc:
        raise _fail(str(exc)) from None


@contextmanager
def _metadata(settings: Settings) -> Iterator[Session]:
    """A migrated metadata session, committed on success. The event store is never opened here,
    so these commands work while the server runs on the same data directory."""
    engine = create_engine_for(settings.metadata_url)
    try:
        check_database(engine)
        upgrade(engine)
        with session_factory(engine)() as session, session.begin():
            yield session
    except DatabaseError as exc:
        raise _fail(str(exc)) from None
    except WaypostError as exc:
        where = f" ({exc.field})" if exc.field else ""
        raise _fail(f"{exc.message}{where}") from None
    finally:
        engine.dispose()


def _print(data: dict[str, Any] | list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        typer.echo("  ".join(f"{key}={value}" for key, value in row.items()))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address [env: WAYPOST_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port [env: WAYPOST_PORT].")] = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
    bootstrap: Annotated[
        bool,
        typer.Option(help="On an empty install, create a workspace, an app and an owner login."),
    ] = False,
) -> None:
    """Run the server: API, console, snippet and tracking endpoints."""
    import uvicorn

    from waypost.app import create_app as create_server
    from waypost.logs import configure_logging

    settings = _settings(config, host=host, port=port, data_dir=data_dir)
    if bootstrap:
        _bootstrap(settings)
    _preflight(settings)
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        create_server(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=True,
        access_log=False,
    )


def _preflight(settings: Settings) -> None:
    """Stop with a clear message, before the server starts, when either store cannot be used."""
    engine = create_engine_for(settings.metadata_url)
    try:
        check_database(engine)
    except DatabaseError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    try:
        open_event_store(settings).close()
    except EventStoreError as exc:
        raise _fail(str(exc)) from None


FIRST_RUN_FILE = "first-run.txt"


def _bootstrap(settings: Settings) -> None:
    """On an install without users, create an owner, a workspace and an app and print how to sign
    in, password included; later starts print only where those first-run notes are kept."""
    notes = settings.data_dir / FIRST_RUN_FILE
    created = ""
    demo_app: str | None = None
    with _metadata(settings) as session:
        has_users = bool(session.scalar(select(func.count()).select_from(User)))
        if not has_users:
            password = secrets.token_urlsafe(12)
            user = create_user(session, "admin@waypost.local", password, name="Admin")
            workspace = create_workspace(session, "Demo")
            add_member(session, workspace.id, user.id, Role.OWNER)
            new = create_app(session, workspace.id, "Demo app")
            if settings.demo:
                from waypost.demo.seed import seed_content

                seed_content(session, new.app_id)
            created = (
                f"Console:       {settings.base_url}/console/\n"
                f"Email:         {user.email}\n"
                f"Password:      {password}\n"
                f"Workspace id:  {workspace.id}\n"
                f"App id:        {new.app_id}\n"
                f"Write key:     {new.write_key}\n"
                f"Secret key:    {new.secret_key}\n"
            )
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(notes, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(created)
            if settings.demo:
                from waypost.demo.seed import mark_seeded

                mark_seeded(settings, new.app_id)
                created += f"Demo app:      {settings.base_url}/demo/\n"
                demo_app = new.app_id
    if demo_app is not None:
        _simulate_first_customers(settings, demo_app)
    if created:
        rule = "=" * 72
        typer.echo(f"\n{typer.style(rule, bold=True)}")
        typer.echo(typer.style("Waypost's first run: sign in to the console with", bold=True))
        typer.echo(f"\n{created}")
        typer.echo(f"Shown once. Kept in {notes}, readable only by you; delete it once noted.")
        typer.echo(f"{typer.style(rule, bold=True)}\n")
    else:
        where = f" (first-run login and keys: {notes})" if notes.exists() else ""
        typer.echo(f"Console: {settings.base_url}/console/{where}")


# The customers the first start simulates: enough for every insight to tell the story, few
# enough to take seconds.
FIRST_CUSTOMERS = 250
FIRST_DAYS = 60
FIRST_SEED = 1


def _simulate_first_customers(settings: Settings, app_id: str) -> None:
    """Give the new demo a history: simulated customers of its app, in one line of output.
    A failure leaves the demo without them (and says so) rather than hide the first-run
    login that follows."""
    from waypost.demo.simulate import Simulation, SimulationError, simulate

    simulation = Simulation(FIRST_CUSTOMERS, FIRST_DAYS, FIRST_SEED, datetime.now(UTC).date())
    try:
        store = open_event_store(settings)
        try:
            done = simulate(store, app_id, simulation, base_url=settings.base_url)
        finally:
            store.close()
    except (SimulationError, EventStoreError) as exc:
        typer.echo(
            f"Demo customers: none simulated ({exc}); with the server stopped, "
            "`waypost demo simulate` makes them",
            err=True,
        )
        return
    typer.echo(
        f"Demo customers: {done.customers} accounts, {done.users:,} users and {done.events:,} "
        f"events over the last {FIRST_DAYS} days, simulated in {done.seconds:.1f} s "
        "(`waypost demo simulate` makes more)"
    )


@demo_cli.command("simulate")
def demo_simulate(
    customers: Annotated[
        int,
        typer.Option(
            min=1, metavar="N", help="Accounts (companies) that sign up; each has 1-10 users."
        ),
    ] = FIRST_CUSTOMERS,
    days: Annotated[
        int, typer.Option(min=1, max=3650, metavar="DAYS", help="Days the simulated period spans.")
    ] = FIRST_DAYS,
    seed: Annotated[
        int, typer.Option(help="Seed of every draw: the same seed and end make the same events.")
    ] = FIRST_SEED,
    end: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD",
            help="The period ends as this day starts (UTC) [default: today].",
        ),
    ] = None,
    app_id: Annotated[
        str | None, typer.Option("--app", help="App id [default: the demo's app].")
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Simulate customers of the demo app and store their events as the tracking API would:
    accounts signing up over the period, their users' sessions, onboarding steps, guidance,
    survey answers, support tickets, renewals and cancellations (see src/waypost/demo/simulate.py).

    Needs the event store, so run it while the server is stopped. Running it again with the
    same seed and end stores nothing twice; more customers with the same seed add only the new
    ones."""
    from waypost.demo.seed import demo_app_id
    from waypost.demo.simulate import (
        Simulation,
        SimulationError,
        check,
        default_workers,
        simulate,
    )

    settings = _settings(config, data_dir=data_dir)
    try:
        last = date.fromisoformat(end) if end is not None else datetime.now(UTC).date()
    except ValueError:
        raise _fail(f"--end must be a day as YYYY-MM-DD, not {end!r}") from None
    simulation = Simulation(customers, days, seed, last)
    try:
        check(simulation, datetime.now(UTC))
    except SimulationError as exc:
        raise _fail(str(exc)) from None
    app_id = app_id or demo_app_id(settings)
    if app_id is None:
        raise _fail(f"{settings.data_dir} holds no demo: name the app with --app")
    with _metadata(settings) as session:
        get_app(session, app_id)
    try:
        store = open_event_store(settings)
    except EventStoreError as exc:
        raise _fail(f"{exc}\nStop the server to simulate customers into its event store.") from None
    try:
        with _simulation_progress(not as_json, customers) as on_progress:
            done = simulate(
                store,
                app_id,
                simulation,
                base_url=settings.base_url,
                workers=default_workers(customers),
                on_progress=on_progress,
            )
    except (SimulationError, EventStoreError) as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    if as_json:
        _print({"app_id": app_id, **done.as_dict()}, as_json)
        return
    typer.echo(
        f"simulated {done.customers:,} accounts and {done.users:,} users from "
        f"{done.since:%Y-%m-%d} to {done.until:%Y-%m-%d}: {done.events:,} events, "
        f"{done.stored:,} stored ({done.events - done.stored:,} were already), "
        f"in {done.seconds:.1f} s"
    )


@contextmanager
def _simulation_progress(wanted: bool, total: int) -> Iterator[Any]:
    """A progress bar on a terminal's stderr: accounts simulated and events stored."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from waypost.demo.simulate import SimulationProgress

    console = Console(stderr=True)
    if not wanted or not console.is_terminal:
        yield None
        return
    columns = (
        TextColumn("accounts"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]:>12,} events"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("simulate", total=total, events=0)

        def update(step: SimulationProgress) -> None:
            progress.update(task, completed=step.accounts, events=step.events)

        yield update


@demo_cli.command("reset")
def demo_reset(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first.")] = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Start the demo over: delete the demo install's data directory (its metadata database,
    events, keys and first-run notes), so that the next `make run` seeds everything afresh.
    Only for a demo install on the embedded stores; stop the server first."""
    import shutil

    from waypost.demo.seed import demo_app_id

    settings = _settings(config, data_dir=data_dir)
    if demo_app_id(settings) is None:
        raise _fail(f"{settings.data_dir} holds no demo (it was not seeded by `make run`)")
    if settings.database_url or settings.events_url:
        raise _fail("the demo reset only clears the embedded stores; this install uses others")
    if not yes and not typer.confirm(f"Delete everything in {settings.data_dir}?"):
        raise typer.Exit(1)
    shutil.rmtree(settings.data_dir)
    typer.echo(f"deleted {settings.data_dir}; `make run` seeds the demo again")


@app.command()
def migrate(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Bring the metadata database schema up to date (the server also does this on start)."""
    settings = _settings(config, data_dir=data_dir)
    with _metadata(settings):
        pass
    typer.echo("metadata database is up to date")


@apps_cli.command("create")
def apps_create(
    name: Annotated[str, typer.Argument(help="The app's display name.")],
    workspace: WorkspaceId = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Create an app and print its ids and keys (the secret key is shown only now)."""
    settings = _settings(config, data_dir=data_dir)
    with _metadata(settings) as session:
        workspace_id = workspace or default_workspace(session).id
        new = create_app(session, workspace_id, name)
    _print(new.__dict__, as_json)


@apps_cli.command("list")
def apps_list(as_json: AsJson = False, data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Every app with its workspace."""
    settings = _settings(config, data_dir=data_dir)
    with _metadata(settings) as session:
        rows = [
            {"app_id": a.id, "workspace_id": a.workspace_id, "name": a.name}
            for a in session.scalars(select(AppRow).order_by(AppRow.created_at, AppRow.id))
        ]
    _print(rows, as_json)


@users_cli.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="Sign-in email.")],
    role: Annotated[Role, typer.Option(help="Role in the workspace.")] = Role.VIEWER,
    workspace: WorkspaceId = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Create a console user with a role; without --password-stdin a password is generated."""
    settings = _settings(config, data_dir=data_dir)
    generated = not password_stdin
    password = secrets.token_urlsafe(12) if generated else sys.stdin.readline().rstrip("\n")
    with _metadata(settings) as session:
        workspace_id = workspace or default_workspace(session).id
        user = create_user(session, email, password, name=name)
        add_member(session, workspace_id, user.id, role)
    result = {
        "user_id": user.id,
        "email": user.email,
        "workspace_id": workspace_id,
        "role": role.value,
    }
    if generated:
        result["password"] = password
    _print(result, as_json)


@keys_cli.command("list")
def keys_list(
    app_id: Annotated[str, typer.Option("--app", help="App id.")],
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """The app's working keys (secret keys as a hint only)."""
    settings = _settings(config, data_dir=data_dir)
    with _metadata(settings) as session:
        get_app(session, app_id)
        rows = [
            {
                "id": key.id,
                "kind": key.kind,
                "key": key.public_value or key.hint,
                "expires_at": key.expires_at.isoformat() if key.expires_at else None,
            }
            for key in active_keys(session, app_id)
        ]
    _print(rows, as_json)


@keys_cli.command("rotate")
def keys_rotate(
    app_id: Annotated[str, typer.Option("--app", help="App id.")],
    kind: Annotated[KeyKind, typer.Option(help="Which key to rotate.")] = KeyKind.SECRET,
    grace: Annotated[
        int | None,
        typer.Option(help="Seconds the old key keeps working [default: key_grace_seconds]."),
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Issue a new key; the old one keeps working for the grace period, then stops."""
    settings = _settings(config, data_dir=data_dir)
    if grace is not None and grace < 0:
        raise _fail("--grace must be zero or more seconds")
    with _metadata(settings) as session:
        get_app(session, app_id)
        issued = rotate_key(
            session, app_id, kind, settings.key_grace_seconds if grace is None else grace
        )
    _print({"key_id": issued.id, "kind": issued.kind.value, "key": issued.value}, as_json)


@keys_cli.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="Key id (see `waypost keys list`).")],
    app_id: Annotated[str, typer.Option("--app", help="App id.")],
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Stop a key from working at once."""
    settings = _settings(config, data_dir=data_dir)
    with _metadata(settings) as session:
        revoke_key(session, app_id, key_id)
    typer.echo(f"revoked {key_id}")


@contextmanager
def _event_store(
    settings: Settings, app_id: str, api: str = "DELETE /api/v1/persons/{id}"
) -> Iterator[EventStore]:
    """The event store for a command that reads or changes events, after checking the app."""
    with _metadata(settings) as session:
        get_app(session, app_id)
    try:
        store = open_event_store(settings)
    except EventStoreError as exc:
        raise _fail(
            f"{exc}\nWhile the server runs, use its API instead: {api} with the app's secret key."
        ) from None
    try:
        yield store
    except EventStoreError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()


PersonId = Annotated[
    str, typer.Argument(help="Any id of the person: userId, anonymousId or person id.")
]


@persons_cli.command("show")
def persons_show(
    person: PersonId,
    app_id: Annotated[str, typer.Option("--app", help="App id.")],
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """A person's ids, traits, account and event counts."""
    settings = _settings(config, data_dir=data_dir)
    with _event_store(settings, app_id, api="GET /api/v1/persons/{id}") as store:
        profile = store.find_person(app_id, person)
    if profile is None:
        raise _fail(f"no person has the id {person!r} in app {app_id}")
    _print(
        {
            "person_id": profile.person_id,
            "user_ids": list(profile.user_ids),
            "anonymous_ids": list(profile.anonymous_ids),
            "traits": profile.traits,
            "account_id": profile.account_id,
            "first_seen": profile.first_seen,
            "last_seen": profile.last_seen,
            "events": {c.event: c.count for c in profile.event_counts},
        },
        as_json,
    )


@persons_cli.command("delete")
def persons_delete(
    person: PersonId,
    app_id: Annotated[str, typer.Option("--app", help="App id.")],
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Erase a person: all their ids, traits, profile and events (a GDPR request).

    Needs the event store, so run it while the server is stopped; a running server offers the
    same through DELETE /api/v1/persons/{id}."""
    settings = _settings(config, data_dir=data_dir)
    with _event_store(settings, app_id) as store:
        erasure = store.erase_person(app_id, person)
    if erasure is None:
        raise _fail(f"no person has the id {person!r} in app {app_id}")
    _print(
        {
            "person_id": erasure.person_id,
            "distinct_ids": list(erasure.distinct_ids),
            "events_deleted": erasure.events_deleted,
        },
        as_json,
    )


@events_cli.command("compact")
def events_compact(
    as_json: AsJson = False, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Rewrite the event store so that nothing deleted stays on disk (finishes erasures).

    An erasure removes a person's rows at once, but the database file keeps their bytes in
    freed blocks until this runs. Stop the server first: it needs the file to itself."""
    settings = _settings(config, data_dir=data_dir)
    if not settings.events_path.exists():
        raise _fail(f"there is no event store at {settings.events_path}")
    try:
        done = compact(settings.events_path)
    except EventStoreError as exc:
        raise _fail(str(exc)) from None
    _print({"path": str(settings.events_path), **asdict(done)}, as_json)


@insights_cli.command("query")
def insights_query(
    file: Annotated[Path, typer.Argument(help="A JSON insight query (see docs/insights.md).")],
    app_id: Annotated[
        str | None, typer.Option("--app", help="App id; may be left out when there is one app.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write a file answer (csv, xlsx) here."),
    ] = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Print the JSON result of an insight query, as POST /api/v1/insights/query answers it."""
    settings = _settings(config, data_dir=data_dir)
    try:
        query = read_query(json.loads(file.read_bytes()))
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}") from None
    except ValueError as exc:
        raise _fail(f"{file} is not JSON: {exc}") from None
    except InvalidInput as exc:
        problems = "; ".join(f"{p['field'] or 'query'}: {p['message']}" for p in exc.problems or [])
        raise _fail(f"{file} is not a valid insight query: {problems}") from None
    with _metadata(settings) as session:
        app_id = _the_app(session, app_id)
        with _event_store(settings, app_id, api="POST /api/v1/insights/query") as store:
            try:
                result = answer(session, store, app_id, query)
            except InvalidInput as exc:
                raise _fail(f"{exc.field or 'query'}: {exc.message}") from None
    answered = exported(query, result)
    if answered is None:
        typer.echo(result.model_dump_json(indent=2))
    elif output is not None:
        output.write_bytes(answered.content)
        typer.echo(f"wrote {output}")
    elif answered.media_type.startswith("text/"):
        typer.echo(answered.content.decode("utf-8"), nl=False)
    else:
        raise _fail(f"the answer is a {answered.filename.rsplit('.', 1)[-1]} file: give --output")


REJECTS_SHOWN = 20


@import_cli.command("events")
def import_events_command(
    file: Annotated[
        Path, typer.Argument(help="JSON Lines, CSV or Parquet file of Segment messages.")
    ],
    app_id: Annotated[str, typer.Option("--app", help="App id.")],
    file_format: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="File format [default: from the file name]."),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            help="Write every rejected message here, one JSON object a line "
            f"[default: the first {REJECTS_SHOWN} on standard error].",
        ),
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Backfill historical events, checked, deduplicated and identity-resolved as live ones are.

    Needs the event store, so run it while the server is stopped. Running it again is safe:
    messages already stored are skipped."""
    settings = _settings(config, data_dir=data_dir)
    with _metadata(settings) as session:
        get_app(session, app_id)
    try:
        store = open_event_store(settings)
    except EventStoreError as exc:
        raise _fail(
            f"{exc}\nStop the server to import from a file, or send the events to the running "
            "server through POST /v1/batch."
        ) from None
    try:
        with _rejects_out(rejects) as on_rejection, _import_progress(not as_json) as on_progress:
            summary = import_events(
                store,
                app_id,
                file,
                file_format=file_format,
                on_rejection=on_rejection,
                on_progress=on_progress,
            )
    except WaypostError as exc:
        raise _fail(exc.message) from None
    except (EventStoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    if summary.rejected > REJECTS_SHOWN and rejects is None:
        typer.echo(
            f"... and {summary.rejected - REJECTS_SHOWN:,} more rejected; "
            "pass --rejects FILE to keep them all",
            err=True,
        )
    _print(summary.as_dict(), as_json)


@contextmanager
def _rejects_out(path: Path | None) -> Iterator[Any]:
    """Where rejections go: every one to the file as JSON Lines, else the first few to stderr."""
    if path is not None:
        with path.open("w", encoding="utf-8") as handle:
            yield lambda r: handle.write(json.dumps(r.as_dict(), ensure_ascii=False) + "\n")
        return
    shown = 0

    def show(rejection: Rejection) -> None:
        nonlocal shown
        shown += 1
        if shown <= REJECTS_SHOWN:
            where = f" {rejection.field}:" if rejection.field else ""
            typer.echo(f"line {rejection.line}:{where} {rejection.message}", err=True)

    yield show


@contextmanager
def _import_progress(wanted: bool) -> Iterator[Any]:
    """A progress bar on a terminal's stderr: messages read, their rate, and how far through."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not wanted or not console.is_terminal:
        yield None
        return
    columns = (
        BarColumn(),
        TextColumn("{task.fields[read]:>12,} messages  {task.fields[rate]:>9,.0f}/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("import", total=None, read=0, rate=0.0)

        def update(step: ImportProgress) -> None:
            elapsed = progress.tasks[0].elapsed or 0.0
            rate = step.read / elapsed if elapsed else 0.0
            if step.fraction is None:
                progress.update(task, read=step.read, rate=rate)
            else:
                progress.update(task, total=1.0, completed=step.fraction, read=step.read, rate=rate)

        yield update


@config_cli.command("show")
def config_show(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """The settings in force, secrets hidden."""
    settings = _settings(config, data_dir=data_dir)
    values = settings.model_dump(mode="json")
    values["metadata_url (effective)"] = settings.metadata_url
    typer.echo(json.dumps(values, indent=2))


@config_cli.command("reference")
def config_reference() -> None:
    """Markdown table of every setting (the source of docs/configuration.md)."""
    typer.echo(settings_reference(), nl=False)


def main() -> None:
    """Entry point of the `waypost` console script."""
    app()


AppOption = Annotated[str, typer.Option("--app", help="App id.")]


@content_cli.command("export")
def content_export(
    directory: Annotated[Path, typer.Argument(help="Directory to write the files into.")],
    app_id: AppOption,
    as_json: Annotated[bool, typer.Option("--json", help="Write JSON files, not YAML.")] = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Write every segment and content draft of the app as files: segments/<key>.yaml and
    <kind>/<key>.yaml. Files of items that no longer exist are left alone."""
    from waypost.guidance.content_code import export_documents

    settings = _settings(config, data_dir=data_dir)
    with _metadata(settings) as session:
        get_app(session, app_id)
        files = export_documents(session, app_id, json_format=as_json)
    for name, text in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {len(files)} files to {directory}")


@content_cli.command("import")
def content_import(
    path: Annotated[Path, typer.Argument(help="A YAML or JSON file, or a directory of them.")],
    app_id: AppOption,
    publish: Annotated[bool, typer.Option("--publish", help="Publish what was imported.")] = False,
    environment: Annotated[
        str, typer.Option(help="Where --publish releases: production or staging.")
    ] = "production",
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Save every document as its item's draft (segments too), all of them or, on the first
    problem, none; the error names the file, line and field."""
    from waypost.guidance.content_code import import_documents
    from waypost.guidance.files import read_path
    from waypost.guidance.library import Environment

    if environment not in ("production", "staging"):
        raise _fail(f"environment must be production or staging, not {environment!r}")
    settings = _settings(config, data_dir=data_dir)
    if not path.exists():
        raise _fail(f"{path} does not exist")
    with _metadata(settings) as session:
        get_app(session, app_id)
        documents = read_path(path)
        target = Environment(environment) if publish else None
        report = import_documents(session, app_id, documents, target, by="waypost content import")
    typer.echo(
        f"read {report.read} documents: {len(report.created)} created, {len(report.changed)} "
        f"changed, {len(report.unchanged)} unchanged, {len(report.segments)} segments"
    )
    for key, number in sorted(report.published.items()):
        typer.echo(f"published {key} v{number} to {environment}")


dashboards_cli = typer.Typer(
    help="Dashboards: saved insights under one date range and set of filters.",
    no_args_is_help=True,
)
app.add_typer(dashboards_cli, name="dashboards")
OneApp = Annotated[
    str | None, typer.Option("--app", help="App id; may be left out when there is one app.")
]


def _the_app(session: Session, app_id: str | None) -> str:
    """The app named, checked, or the only one there is."""
    if app_id is not None:
        return get_app(session, app_id).id
    apps = session.scalars(select(AppRow.id)).all()
    if len(apps) != 1:
        raise _fail(f"there are {len(apps)} apps; name one with --app")
    return apps[0]


def _read_document(file: Path) -> Any:
    """A JSON or YAML file's content (JSON by its .json suffix, YAML otherwise)."""
    import yaml

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}") from None
    try:
        return json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise _fail(f"{file} cannot be read: {exc}") from None


@insights_cli.command("save")
def insights_save(
    file: Annotated[Path, typer.Argument(help="A JSON (or YAML) insight query.")],
    name: Annotated[str, typer.Option("--name", help="What the saved insight is called.")],
    description: Annotated[str, typer.Option("--description", help="What it shows.")] = "",
    app_id: OneApp = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Save an insight query under a name, for dashboards (as POST /api/v1/insights/saved)."""
    from waypost.insights.dashboards import APP_KEY, create_insight, read_saved_insight

    settings = _settings(config, data_dir=data_dir)
    query = _read_document(file)
    with _metadata(settings) as session:
        saved = read_saved_insight({"name": name, "description": description, "query": query})
        row = create_insight(session, _the_app(session, app_id), saved, APP_KEY)
        printed = {"id": row.id, "name": row.name, "kind": json.loads(row.query)["kind"]}
    _print(printed, as_json)


@insights_cli.command("saved")
def insights_saved(
    app_id: OneApp = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """The app's saved insights, by name."""
    from waypost.insights.dashboards import insight_out, list_insights

    settings = _settings(config, data_dir=data_dir)
    with _metadata(settings) as session:
        saved = [insight_out(row) for row in list_insights(session, _the_app(session, app_id))]
    if as_json:
        _print([row.model_dump(mode="json") for row in saved], as_json)
        return
    _print([{"id": row.id, "kind": row.kind, "name": row.name} for row in saved], as_json)


@dashboards_cli.command("create")
def dashboards_create(
    file: Annotated[
        Path, typer.Argument(help="A YAML or JSON dashboard document (see docs/dashboards.md).")
    ],
    app_id: OneApp = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Make a dashboard from a document (as POST /api/v1/dashboards with the app's secret
    key: shared in the workspace, never private)."""
    from waypost.insights.dashboards import APP_KEY, create_dashboard, read_dashboard

    settings = _settings(config, data_dir=data_dir)
    document = _read_document(file)
    with _metadata(settings) as session:
        dashboard = read_dashboard(document)
        row = create_dashboard(session, _the_app(session, app_id), dashboard, APP_KEY)
        printed = {"id": row.id, "name": row.name, "tiles": len(dashboard.tiles)}
    _print(printed, as_json)


@dashboards_cli.command("list")
def dashboards_list(
    app_id: OneApp = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """The app's dashboards shared in its workspace, by name."""
    from waypost.insights.dashboards import APP_KEY, dashboard_out, list_dashboards

    settings = _settings(config, data_dir=data_dir)
    with _metadata(settings) as session:
        app_id = _the_app(session, app_id)
        shown = [dashboard_out(row) for row in list_dashboards(session, app_id, APP_KEY)]
    if as_json:
        _print([row.model_dump(mode="json") for row in shown], as_json)
        return
    _print(
        [
            {"id": row.id, "name": row.name, "tiles": len(row.tiles), "visible_to": row.visible_to}
            for row in shown
        ],
        as_json,
    )


@dashboards_cli.command("show")
def dashboards_show(
    dashboard_id: Annotated[
        str, typer.Argument(help="Dashboard id (see `waypost dashboards list`).")
    ],
    app_id: OneApp = None,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print CSV, a row per value, instead of JSON.")
    ] = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Run a dashboard: every tile answered over its range and filters, as JSON or CSV (as
    GET /api/v1/dashboards/{id}/data)."""
    from waypost.insights.dashboards import APP_KEY, dashboard_csv, get_dashboard, run_dashboard

    settings = _settings(config, data_dir=data_dir)
    with _metadata(settings) as session:
        app_id = _the_app(session, app_id)
        row = get_dashboard(session, app_id, dashboard_id, APP_KEY)
        with _event_store(settings, app_id, api="GET /api/v1/dashboards/{id}/data") as store:
            data = run_dashboard(session, store, app_id, row)
    if as_csv:
        typer.echo(dashboard_csv(data), nl=False)
        return
    typer.echo(data.model_dump_json(indent=2))
