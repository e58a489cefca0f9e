"""Seeding the demo on a first start: the demo app's guidance content (the YAML files beside this
module, imported and published as content as code is), and a marker naming the demo app, kept
in the data directory. Later starts find the marker and change nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from waypost.guidance.content_code import ImportReport, import_documents
from waypost.guidance.files import read_path
from waypost.guidance.library import Environment
from waypost.settings import Settings

CONTENT = Path(__file__).with_name("content")
MARKER = "demo.json"


def demo_app_id(settings: Settings) -> str | None:
    """The app the demo was seeded into, or None where there is no demo."""
    marker = settings.data_dir / MARKER
    if not marker.exists():
        return None
    app_id: str = json.loads(marker.read_text())["app_id"]
    return app_id


def seed_content(session: Session, app_id: str) -> ImportReport:
    """Import and publish the demo's content into the app (as `waypost content import
    --publish` would)."""
    documents = read_path(CONTENT)
    return import_documents(session, app_id, documents, Environment.PRODUCTION, by="waypost demo")


def mark_seeded(settings: Settings, app_id: str) -> None:
    """Record that the demo lives in this app."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stamp = {"app_id": app_id, "seeded_at": datetime.now(UTC).isoformat(timespec="seconds")}
    (settings.data_dir / MARKER).write_text(json.dumps(stamp) + "\n")
