"""A 200 is a promise: events acknowledged before `kill -9` are on disk after a restart, once each,
and resending every batch afterwards stores nothing twice."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from waypost.cli import app as cli
from waypost.settings import Settings

pytestmark = pytest.mark.slow

CLIENTS = 4
BATCHES_PER_CLIENT = 30
BATCH_SIZE = 100
# Enough acknowledged batches that the kill lands in the middle of steady load.
KILL_AFTER_ACKNOWLEDGED = 20
STARTUP_SECONDS = 30.0
Batch = list[dict[str, object]]


def _env() -> dict[str, str]:
    """The environment minus any WAYPOST_* settings, so only the data directory decides."""
    return {k: v for k, v in os.environ.items() if not k.startswith("WAYPOST_")}


def _waypost(*arguments: str) -> list[str]:
    """The `waypost` command of the running interpreter's environment."""
    return [sys.executable, "-m", "waypost", *arguments]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`waypost serve` as a real process on a free loopback port."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        port = str(_free_port())
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                _waypost(
                    "serve", "--host", "127.0.0.1", "--port", port, "--data-dir", str(data_dir)
                ),
                env=_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited:\n{self.log.read_text()}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        pytest.fail(f"the server did not answer /healthz in {STARTUP_SECONDS:.0f} s")

    def stop(self) -> None:
        """Graceful stop (SIGTERM): the writer commits what waits and the store is closed."""
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[[Path], Server]]:
    """Starts servers and waits until they answer; any still running at the end are killed."""
    started: list[Server] = []

    def start(data_dir: Path) -> Server:
        server = Server(data_dir, tmp_path / "server.log")
        started.append(server)
        server.wait_until_healthy()
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
        server.process.wait(timeout=30)


def _create_app(data_dir: Path) -> tuple[str, str]:
    """An app made with `waypost apps create`, as an operator would; (app_id, write_key)."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("WAYPOST_")}
    result = CliRunner().invoke(
        cli, ["apps", "create", "Crash", "--json", "--data-dir", str(data_dir)], env=unset
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    return created["app_id"], created["write_key"]


def _batch(client: int, number: int) -> Batch:
    return [
        {
            "type": "track",
            "event": "Report Exported",
            "userId": f"user-{client}-{i % 7}",
            "messageId": f"c{client}-b{number}-e{i}",
            "properties": {"format": "csv", "rows": i},
            "context": {"page": {"path": "/reports"}},
        }
        for i in range(BATCH_SIZE)
    ]


def _ids(batches: list[Batch]) -> set[str]:
    return {str(event["messageId"]) for batch in batches for event in batch}


class Load:
    """Clients on their own threads, each sending its batches one after another and noting
    which were answered 200. A client stops at its first connection error."""

    def __init__(self, url: str, write_key: str, batches: list[list[Batch]]) -> None:
        self.acknowledged: list[Batch] = []
        self.refused: list[int] = []
        self.connection_errors = 0
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._send, args=(url, write_key, own), daemon=True)
            for own in batches
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a client did not finish within 60 s"

    def _send(self, url: str, write_key: str, batches: list[Batch]) -> None:
        with httpx.Client(base_url=url, auth=(write_key, ""), timeout=20) as client:
            for batch in batches:
                try:
                    response = client.post("/v1/batch", json={"batch": batch})
                except httpx.TransportError:
                    with self._lock:
                        self.connection_errors += 1
                    return
                with self._lock:
                    if response.status_code == 200 and response.json()["accepted"] == len(batch):
                        self.acknowledged.append(batch)
                    else:
                        self.refused.append(response.status_code)


def _stored_counts(events_path: Path, app_id: str) -> dict[str, int]:
    """messageId → how many rows carry it, read from the stopped server's event file."""
    with duckdb.connect(str(events_path), read_only=True) as connection:
        rows = connection.execute(
            "SELECT message_id, count(*) FROM events WHERE app_id = ? GROUP BY message_id",
            [app_id],
        ).fetchall()
    return {message_id: count for message_id, count in rows}


def _stored_twice(stored: dict[str, int]) -> set[str]:
    return {message_id for message_id, count in stored.items() if count > 1}


def test_acknowledged_events_survive_kill_9_and_every_retry_is_stored_once(
    tmp_path: Path, start_server: Callable[[Path], Server]
) -> None:
    data_dir = tmp_path / "data"
    events_path = Settings(data_dir=data_dir).events_path
    app_id, write_key = _create_app(data_dir)
    batches = [[_batch(c, n) for n in range(BATCHES_PER_CLIENT)] for c in range(CLIENTS)]
    every_batch = [batch for own in batches for batch in own]

    # Four clients send steadily; the server is killed outright in the middle of it.
    server = start_server(data_dir)
    load = Load(server.url, write_key, batches)
    load.start()
    deadline = time.monotonic() + 20
    while len(load.acknowledged) < KILL_AFTER_ACKNOWLEDGED and time.monotonic() < deadline:
        time.sleep(0.005)
    server.process.kill()
    server.process.wait(timeout=10)
    load.join()
    acknowledged = _ids(load.acknowledged)
    assert load.refused == []
    assert len(load.acknowledged) >= KILL_AFTER_ACKNOWLEDGED
    assert len(load.acknowledged) < len(every_batch), "the load ended before the kill"
    assert load.connection_errors == CLIENTS, "each client should have lost its connection"

    # The restarted server recovers the store; every acknowledged event is there, once.
    start_server(data_dir).stop()
    stored = _stored_counts(events_path, app_id)
    assert acknowledged - stored.keys() == set(), "acknowledged events were lost"
    assert _stored_twice(stored) == set()
    # Batches cut off by the kill may be stored without an answer, but only whole.
    for batch in every_batch:
        assert len(_ids([batch]) & stored.keys()) in (0, len(batch))

    # Clients retry everything they sent, answered or not: each event ends up stored once.
    server = start_server(data_dir)
    retry = Load(server.url, write_key, batches)
    retry.start()
    retry.join()
    server.stop()
    assert (retry.refused, retry.connection_errors) == ([], 0)
    assert len(retry.acknowledged) == len(every_batch)
    stored = _stored_counts(events_path, app_id)
    assert _ids(every_batch) - stored.keys() == set(), "retried events were not stored"
    assert _stored_twice(stored) == set()
    assert stored.keys() == _ids(every_batch)
