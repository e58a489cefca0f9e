"""The ingest journal: acknowledged events on disk before the event store has taken them in.

A tracking request is answered once its rows are in the journal and the journal is synced; the
store loads them afterwards, in large transactions that cost far less per event than one commit
per request. Each load records the last frame it took in the store, in the same transaction, so
a frame is loaded exactly once whatever crashes when: opening the store loads every frame it has
not recorded (`DuckDBEventStore` does this), and a segment file is deleted only after the store
has recorded all its frames.

A segment file holds frames, each a header (magic, sequence number, length, CRC-32) and one
Arrow IPC stream of event rows. Every opening starts a new segment, so a frame torn by a crash
can only be the last of its segment; the torn bytes are cut off when the journal opens. Damage
elsewhere (a bad disk block) costs only the frames it touches: reading picks up again at the next
header whose payload checks out, and the loss is logged.
"""

from __future__ import annotations

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
_HEADER = struct.Struct("<4sQII")  # magic, sequence number, payload length, CRC-32 of payload
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
                with path.open("r+b") as file:
                    file.truncate(good_end)
                    os.fsync(file.fileno())
            self._segments.append(_Segment(path, last))
            self.last_seq = max(self.last_seq, last)
        self._file: BinaryIO | None = None  # the open segment, started by the first append
        self._written = 0

    def append(self, rows: pa.Table) -> int:
        """Write the rows as the next frame and sync it to disk; its sequence number."""
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, rows.schema) as stream:
            stream.write_table(rows)
        payload = sink.getvalue()
        seq = self.last_seq + 1
        header = _HEADER.pack(_MAGIC, seq, payload.size, zlib.crc32(payload))
        with self._lock:
            file = self._file
            if file is None or self._written >= self._segment_bytes:
                file = self._start_segment(seq)
            try:
                file.write(header)
                file.write(payload)
                file.flush()
                os.fdatasync(file.fileno())
            except OSError:
                # What reached the file may be a torn frame; the next append starts a new
                # segment, and the next opening cuts the torn bytes off.
                file.close()
                self._file = None
                raise
            self._written += _HEADER.size + payload.size
            self._segments[-1].last = seq
            self.last_seq = seq
        return seq

    def _start_segment(self, first: int) -> BinaryIO:
        if self._file is not None:
            self._file.close()
        path = self.directory / f"{first:020d}{_SUFFIX}"
        self._file = file = path.open("ab")
        self._written = 0
        self._segments.append(_Segment(path, 0))
        # The new file's name must survive a crash too, or its synced frames would be lost.
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return file

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
    """(sequence number, payload, end offset) of each frame of a segment whose payload checks
    out. Past a damaged frame, reading goes on at the next header whose payload checks out."""
    view = memoryview(data)
    offset = 0
    while offset + _HEADER.size <= len(data):
        magic, seq, length, crc = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        end = start + length
        if magic == _MAGIC and end <= len(data) and zlib.crc32(view[start:end]) == crc:
            yield seq, view[start:end], end
            offset = end
        else:
            offset = data.find(_MAGIC, offset + 1)
            if offset < 0:
                return
