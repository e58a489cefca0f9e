"""Fixtures for the tracking tests: reading stored events back, and running the official Node
clients (installed into tests/node by `make test`) against a live server."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

NODE_DIR = Path(__file__).parents[1] / "node"
NODE_SECONDS = 60


@pytest.fixture
def stored_events() -> Callable[[TestClient | FastAPI, str], list[dict[str, Any]]]:
    """Read an app's rows from the event store, in time order, as dicts by column name."""

    def read(client: TestClient | FastAPI, app_id: str) -> list[dict[str, Any]]:
        app = client.app if isinstance(client, TestClient) else client
        cursor = app.state.events.cursor()  # type: ignore[attr-defined]
        try:
            result = cursor.execute(
                "SELECT * FROM events WHERE app_id = ? ORDER BY timestamp, message_id", [app_id]
            )
            names = [d[0] for d in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        finally:
            cursor.close()

    return read


@pytest.fixture
def run_node() -> Callable[[str, dict[str, str]], str]:
    """Run a CommonJS script with tests/node's packages; returns its stdout, fails on errors."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the Node client tests need Node 20 or later")
    if not (NODE_DIR / "node_modules").is_dir():
        pytest.fail(f"the Node clients are not installed: run `make test` (npm ci in {NODE_DIR})")

    def run(script: str, env: dict[str, str]) -> str:
        # The PostHog SDKs switch protocol when these are set; the tests speak the default one.
        clean = {k: v for k, v in os.environ.items() if not k.startswith("POSTHOG_")}
        done = subprocess.run(
            [node, "-"],
            input=script,
            cwd=NODE_DIR,
            env={**clean, **env},
            capture_output=True,
            text=True,
            timeout=NODE_SECONDS,
            check=False,
        )
        assert done.returncode == 0, f"node failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    return run
