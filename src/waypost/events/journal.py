"""The ingest journal: acknowledged events on disk before the event store has taken them in.

A tracking request is answered once its rows are in the journal and the journal is synced; the
store loads them afterwards, in large transactions that cost far less per event than one commit
per request. Each load records the last frame it took in the store, in the same transaction, so
a frame is loaded exactly once whatever crashes when: opening the store loads every frame it has
not recorded (`DuckDBEventStore` does this), and a segment file is deleted only after the store
has recorded all its frames.

A segment file holds frames, each a header (magic, sequence number, length, and a CRC-32 of
those and the payload) and one Arrow IPC stream of event rows. Sequence numbers are never used
twice, even by an append that failed. Every opening starts a new segment, so a frame torn by a crash
can only be the last of its segment; the torn bytes are cut off when the journal opens. Damage
elsewhere (a bad disk block) costs only the frames it touches: reading picks up again at the next
header whose payload checks out, and the loss is logged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

log = logging.getLogger("waypost.journal")
_HEADER = struct.Struct("<4sQII")  # magic, sequence number, payload length, CRC-32
_CHECKED = 16  # the header's bytes the CRC covers (all but itself), before the payload's
_MAGIC = b"WPJ1"
_SUFFIX = ".wpj"
# A new segment starts past this size, so loaded frames can be deleted a segment at a time.
SEGMENT_BYTES = 64 * 1024 * 1024


@dataclass
class _Segment:
    path: Path
    last: int  # sequence number of its last frame; 0 while it has none


class Journal:
    """Numbered frames of rows, appended durably by one thread and released by another."""

    def __init__(self, directory: Path, after: int = 0, segment_bytes: int = SEGMENT_BYTES) -> None:
        """Open the journal in `directory`; `after` is the last sequence number the store has
        recorded, so numbering continues past it when every segment has been deleted."""
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._segments: list[_Segment] = []
        # The last frame durably written: what readers wait for and replays read up to.
        self.last_seq = after
        for path in sorted(directory.glob(f"*{_SUFFIX}")):
            data = path.read_bytes()
            last, good_end, whole = 0, 0, 0
            for seq, payload, end in _frames(data):
                last, good_end = seq, end
                whole += _HEADER.size + len(payload)
            if whole < good_end:
                log.error(
                    "journal segment %s: %d damaged bytes skipped; the events in them are lost",
                    path,
                    good_end - whole,
                )
            if len(data) > good_end:  # a frame torn by a crash (or damage at the end): cut off
                log.warning(
                    "journal segment %s: %d bytes after its last whole frame cut off (a write "
                    "cut short by a crash or a failed disk; it was never acknowledged)",
                    path,
                    len(data) - good_end,
                )
                with path.open("r+b") as file:
                    file.truncate(good_end)
                    os.fsync(file.fileno())
            self._segments.append(_Segment(path, last))
            self.last_seq = max(self.last_seq, last)
        # The last sequence number handed out, written or not: a failed append's number is never
        # used again, so no two frames on disk can share one.
        self._numbered = self.last_seq
        self._file: BinaryIO | None = None  # the open segment, started by the first append
        self._written = 0

    def append(self, rows: pa.Table) -> int:
        """Write the rows as the next frame and sync it to disk; its sequence number."""
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, rows.schema) as stream:
            stream.write_table(rows)
        payload = sink.getvalue()
        with self._lock:
            seq = self._numbered = self._numbered + 1
            checked = _HEADER.pack(_MAGIC, seq, payload.size, 0)[:_CHECKED]
            crc = zlib.crc32(payload, zlib.crc32(checked))
            try:
                if self._file is None or self._written >= self._segment_bytes:
                    self._start_segment(seq)
                assert self._file is not None
                self._file.write(checked + crc.to_bytes(4, "little"))
                self._file.write(payload)
                self._file.flush()
                os.fdatasync(self._file.fileno())
            except BaseException:
                self._abandon_segment(seq)
                raise
            self._written += _HEADER.size + payload.size
            self._segments[-1].last = seq
            self.last_seq = seq
        return seq

    def _start_segment(self, first: int) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        path = self.directory / f"{first:020d}{_SUFFIX}"
        file = path.open("ab")
        self._segments.append(_Segment(path, 0))
        self._file, self._written = file, 0
        # The new file's name must survive a crash too, or its synced frames would be lost.
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _abandon_segment(self, failed: int) -> None:
        """After a failed append: cut the failed frame off (it was never acknowledged), close
        the segment so that the next append starts a new one, and count the segment as holding
        the failed number, so that it is deleted once the frames after it are loaded. When even
        the cut fails, the next opening cuts a torn frame off, and a whole one is loaded."""
        if self._file is not None:
            with contextlib.suppress(OSError):  # closing flushes, which fails on a full disk too
                self._file.close()
            self._file = None
            with contextlib.suppress(OSError):
                os.truncate(self._segments[-1].path, self._written)
        if self._segments:
            self._segments[-1].last = max(self._segments[-1].last, failed)

    def frames_after(self, seq: int) -> Iterator[tuple[int, pa.Table]]:
        """Every frame numbered above `seq`, in order, with its rows."""
        with self._lock:
            paths = [s.path for s in self._segments if s.last > seq]
        for path in paths:
            for number, payload, _ in _frames(path.read_bytes()):
                if number > seq:
                    yield number, pa.ipc.open_stream(payload).read_all()

    def release_through(self, seq: int) -> int:
        """Delete the segments whose frames are all numbered `seq` or below (the open one
        stays); how many were deleted."""
        with self._lock:
            done = [s for s in self._segments[:-1] if s.last <= seq]
            if self._file is None and self._segments and self._segments[-1].last <= seq:
                done.append(self._segments[-1])
            for segment in done:
                segment.path.unlink(missing_ok=True)
                self._segments.remove(segment)
        return len(done)

    def close(self) -> None:
        """Close the open segment; appending again starts a new one."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _frames(data: bytes) -> Iterator[tuple[int, memoryview, int]]:
    """(sequence number, payload, end offset) of each frame of a segment whose CRC checks out,
    in increasing order. Past a damaged frame, reading goes on at the next header that checks
    out."""
    view = memoryview(data)
    offset, previous = 0, 0
    while offset + _HEADER.size <= len(data):
        magic, seq, length, crc = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        end = start + length
        if (
            magic == _MAGIC
            and seq > previous
            and end <= len(data)
            and zlib.crc32(view[start:end], zlib.crc32(view[offset : offset + _CHECKED])) == crc
        ):
            yield seq, view[start:end], end
            offset, previous = end, seq
        else:
            offset = data.find(_MAGIC, offset + 1)
            if offset < 0:
                return
