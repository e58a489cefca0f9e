"""Compaction: after an erasure, rewriting the event store leaves none of the person's bytes in
the file, and everything else (events, persons, the id sequence, the journal position) as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.events.messages import identify, send, track
from waypost.events import DuckDBEventStore, EventStoreError
from waypost.events.duckdb_store import compact

EMAIL = b"hanako.yamada@example.jp"
USER = "hanako-yamada-42"


def _store_with_an_erased_person(path: Path) -> int:
    """The erased person's id, the last one the store handed out."""
    store = DuckDBEventStore(path)
    try:
        for n in range(30):
            send(store, track("Viewed", n, userId=f"someone-{n}", properties={"plan": "pro"}))
        send(
            store,
            identify(1, {"email": EMAIL.decode()}, userId=USER, anonymousId="anon-hanako"),
            track("Viewed", 2, userId=USER, properties={"email": EMAIL.decode()}),
        )
        erased = store.erase_person("app1", USER)
        assert erased is not None
        return int(erased.person_id)
    finally:
        store.close()


def test_compaction_removes_an_erased_persons_bytes_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    erased_id = _store_with_an_erased_person(path)
    assert EMAIL in path.read_bytes(), "deleted rows stay in the file's freed blocks"

    done = compact(path)

    data = path.read_bytes()
    assert EMAIL not in data and USER.encode() not in data and b"anon-hanako" not in data
    assert done.bytes_after == len(data) and done.bytes_before > 0
    store = DuckDBEventStore(path)
    try:
        assert store.cursor().execute("SELECT count(*) FROM events").fetchone() == (30,)
        kept = store.find_person("app1", "someone-7")
        assert kept is not None and kept.user_ids == ("someone-7",)
        assert store.find_person("app1", USER) is None
        # New persons continue the id sequence: not even the erased person's id is reused.
        send(store, track("Viewed", 40, userId="newcomer"))
        newcomer = store.find_person("app1", "newcomer")
        assert newcomer is not None and int(newcomer.person_id) > erased_id
    finally:
        store.close()


def test_compaction_refuses_a_store_in_use_and_leaves_it_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    _store_with_an_erased_person(path)
    before = path.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('held', flush=True); "
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(EventStoreError, match="Stop the server that uses it first"):
            compact(path)
    finally:
        holder.communicate("", timeout=30)
    assert path.read_bytes() == before
    assert not (tmp_path / "events.duckdb.compacting").exists()
