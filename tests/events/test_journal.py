"""The ingest journal: frames survive reopening and crashes, torn tails are cut off, loaded
segments are deleted, and the store loads every journaled frame exactly once."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from tests.events.messages import table, track
from waypost.events import DuckDBEventStore, EventStoreError
from waypost.events.journal import Journal


def _frames(journal: Journal, after: int = 0) -> list[tuple[int, list[str]]]:
    return [
        (seq, rows.column("message_id").to_pylist()) for seq, rows in journal.frames_after(after)
    ]


def _ids(rows: pa.Table) -> list[str]:
    return rows.column("message_id").to_pylist()


def test_frames_come_back_in_order_after_reopening(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    written = [table(track("A", m, userId="u1"), track("B", m, userId="u2")) for m in range(3)]
    assert [journal.append(rows) for rows in written] == [1, 2, 3]
    journal.close()

    reopened = Journal(tmp_path / "j")
    assert reopened.last_seq == 3
    assert _frames(reopened) == [(n + 1, _ids(rows)) for n, rows in enumerate(written)]
    assert _frames(reopened, after=2) == [(3, _ids(written[2]))]


def test_a_torn_last_frame_is_cut_off_and_numbering_continues(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    first, second = table(track("A", 1, userId="u1")), table(track("B", 2, userId="u1"))
    journal.append(first)
    journal.append(second)
    journal.close()
    (segment,) = (tmp_path / "j").iterdir()
    whole = segment.stat().st_size
    # A crash in the middle of writing a third frame: its header and part of its payload.
    elsewhere = Journal(tmp_path / "other", after=2)
    elsewhere.append(table(track("lost", 3, userId="u1")))
    elsewhere.close()
    (torn,) = (tmp_path / "other").iterdir()
    segment.write_bytes(segment.read_bytes() + torn.read_bytes()[: torn.stat().st_size // 2])

    reopened = Journal(tmp_path / "j")
    assert segment.stat().st_size == whole
    assert [seq for seq, _ in _frames(reopened)] == [1, 2]
    third = table(track("C", 3, userId="u1"))
    assert reopened.append(third) == 3
    reopened.close()
    assert _frames(Journal(tmp_path / "j")) == [
        (1, _ids(first)),
        (2, _ids(second)),
        (3, _ids(third)),
    ]


@pytest.mark.parametrize("where", ["payload", "header"])
def test_a_damaged_frame_costs_only_itself(tmp_path: Path, where: str) -> None:
    journal = Journal(tmp_path / "j")
    sizes = []
    for m in range(3):
        journal.append(table(track("A", m, userId="u1")))
        sizes.append(sum(p.stat().st_size for p in (tmp_path / "j").iterdir()))
    journal.close()
    (segment,) = (tmp_path / "j").iterdir()
    data = bytearray(segment.read_bytes())
    second = sizes[0] if where == "header" else (sizes[0] + sizes[1]) // 2
    data[second] ^= 0xFF  # one flipped byte in the second frame's magic, or mid-payload
    segment.write_bytes(bytes(data))

    reopened = Journal(tmp_path / "j")
    assert [seq for seq, _ in _frames(reopened)] == [1, 3]
    assert segment.stat().st_size == len(data), "nothing after the damage is cut off"


def test_release_deletes_only_segments_whose_frames_are_all_loaded(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j", segment_bytes=1)  # one frame per segment
    for m in range(3):
        journal.append(table(track("A", m, userId="u1")))
    assert len(list((tmp_path / "j").iterdir())) == 3
    assert journal.release_through(2) == 2
    assert journal.release_through(3) == 0, "the open segment is still being written"
    assert [seq for seq, _ in _frames(journal)] == [3]
    journal.close()
    assert journal.release_through(3) == 1
    assert list((tmp_path / "j").iterdir()) == []


def test_numbering_continues_past_the_stores_position_when_no_segment_is_left(
    tmp_path: Path,
) -> None:
    assert Journal(tmp_path / "j", after=41).append(table(track("A", 1, userId="u1"))) == 42


def _count(store: DuckDBEventStore) -> int:
    cursor = store.cursor()
    try:
        row = cursor.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0
    finally:
        cursor.close()


def test_opening_the_store_loads_frames_it_had_not_taken_in_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    store = DuckDBEventStore(path)
    loaded = table(track("A", 1, userId="u1"), track("A", 2, userId="u2"))
    store.load(loaded, store._journal.append(loaded))
    # Acknowledged, then the process died before the load: only the journal has these.
    store._journal.append(table(track("B", 3, userId="u1")))
    store._journal.append(table(track("C", 4, userId="u3"), track("C", 5, userId="u4")))
    store._connection.close()  # no fold, no orderly close: as after kill -9
    store._journal.close()

    reopened = DuckDBEventStore(path)
    assert (_count(reopened), reopened.loaded_seq) == (5, 3)
    assert list(path.with_suffix(".journal").iterdir()) == [], "loaded segments are deleted"
    reopened.close()
    again = DuckDBEventStore(path)
    assert _count(again) == 5
    again.close()


def test_a_read_waits_until_acknowledged_frames_are_loaded(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    rows = table(track("A", 1, userId="u1"))
    seq = store._journal.append(rows)  # acknowledged; the load comes a moment later

    def load_late() -> None:
        time.sleep(0.3)
        store.load(rows, seq)

    loader = threading.Thread(target=load_late)
    loader.start()
    try:
        assert _count(store) == 1
    finally:
        loader.join()
        store.close()


def test_erasing_a_person_deletes_their_events_from_the_journal_too(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    rows = table(track("Viewed", 1, userId="u1", properties={"email": "gone@example.jp"}))
    store.load(rows, store._journal.append(rows))

    assert store.erase_person("app1", "u1") is not None

    leftovers = [p.read_bytes() for p in store._journal.directory.iterdir()]
    assert not any(b"gone@example.jp" in data for data in leftovers)
    later = table(track("Viewed", 2, userId="u2"))
    store.load(later, store._journal.append(later))
    store.close()
    reopened = DuckDBEventStore(tmp_path / "events.duckdb")
    assert _count(reopened) == 1, "what came after the erasure is kept"
    reopened.close()


def test_a_failed_append_never_reuses_its_number_and_later_frames_stay_safe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(tmp_path / "j")
    first = table(track("A", 1, userId="u1"))
    journal.append(first)
    journal.close()  # as after an erasure: the next append starts a new segment
    real_sync = os.fdatasync

    def failing_sync(fd: int) -> None:  # the disk fails once, as when it is full
        monkeypatch.setattr(os, "fdatasync", real_sync)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdatasync", failing_sync)
    with pytest.raises(OSError):
        journal.append(table(track("lost", 2, userId="u1")))
    assert journal.last_seq == 1, "readers never wait for a frame that failed"

    later = [table(track("B", 3, userId="u1")), table(track("C", 4, userId="u1"))]
    assert [journal.append(rows) for rows in later] == [3, 4]
    journal.release_through(2)  # the first frame and the failed one are done with
    assert _frames(journal) == [(3, _ids(later[0])), (4, _ids(later[1]))]
    journal.close()
    assert _frames(Journal(tmp_path / "j"), after=2) == [(3, _ids(later[0])), (4, _ids(later[1]))]


def test_frames_journaled_by_an_older_version_are_loaded_after_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    DuckDBEventStore(path).close()
    # Acknowledged by a version whose events had no content_step column, then a crash and an
    # upgrade: the frame lacks a column the new version's table has.
    older = table(track("Old", 1, userId="u1")).drop_columns(["content_step"])
    Journal(path.with_suffix(".journal")).append(older)

    store = DuckDBEventStore(path)
    try:
        cursor = store.cursor()
        row = cursor.execute("SELECT event, content_step FROM events").fetchall()
        assert row == [("Old", None)]
    finally:
        store.close()


def test_frames_that_cannot_be_loaded_stop_the_opening_with_a_clear_error_and_stay(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.duckdb"
    DuckDBEventStore(path).close()
    # A frame no version of the events table can take: an event name that is not text.
    rows = table(track("A", 1, userId="u1"))
    broken = rows.set_column(
        rows.schema.get_field_index("event"), "event", pa.array([[1, 2]], pa.list_(pa.int64()))
    )
    Journal(path.with_suffix(".journal")).append(broken)

    with pytest.raises(EventStoreError) as caught:
        DuckDBEventStore(path)
    assert "could not be loaded from the journal" in str(caught.value)
    assert "Nothing is lost" in str(caught.value)
    assert [seq for seq, _ in _frames(Journal(path.with_suffix(".journal")))] == [1]
    DuckDBEventStore(path.with_name("other.duckdb")).close()  # the process can go on
    with duckdb.connect(str(path)) as connection:  # the file was let go
        assert connection.execute("SELECT count(*) FROM events").fetchone() == (0,)
