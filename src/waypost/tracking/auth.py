"""Write keys on the tracking path: looked up once, then cached briefly."""

from __future__ import annotations

import base64
import threading
import time

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from waypost.errors import Unauthorized
from waypost.tenancy.keys import KeyKind, authenticate_key

# A revoked or expired write key stops working within this many seconds.
CACHE_SECONDS = 10.0


class WriteKeys:
    """Maps write keys to app ids, asking the metadata database at most every CACHE_SECONDS."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._cache: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def cached(self, key: str) -> str | None:
        """The app id when a fresh answer for this key is cached: no I/O, for the event loop.

        None means the database must be asked (``app_id``), not that the key is invalid.
        """
        with self._lock:
            entry = self._cache.get(key)
        if entry is None or time.monotonic() - entry[1] > CACHE_SECONDS or entry[0] is None:
            return None
        return entry[0]

    def app_id(self, key: str) -> str:
        """The app of a valid write key, asking the database when the cache is stale;
        Unauthorized naming the problem otherwise."""
        now = time.monotonic()
        with self._lock:
            entry = self._cache.get(key)
        if entry is None or now - entry[1] > CACHE_SECONDS:
            with self._sessions() as session:
                app = authenticate_key(session, key, KeyKind.WRITE)
            entry = (app.id if app else None, now)
            with self._lock:
                if len(self._cache) > 100_000:  # bounded even under a flood of made-up keys
                    self._cache.clear()
                self._cache[key] = entry
        if entry[0] is None:
            raise Unauthorized(
                "this write key is not valid: unknown, revoked or expired",
                field="writeKey",
                code="invalid_write_key",
            )
        return entry[0]


async def app_for_key(write_keys: WriteKeys, key: str, field: str) -> str:
    """The app of a write key, from memory when known (only a miss waits on the metadata
    database, in a worker thread); Unauthorized naming ``field`` otherwise."""
    known = write_keys.cached(key)
    if known is not None:
        return known
    try:
        return await run_in_threadpool(write_keys.app_id, key)
    except Unauthorized as exc:
        raise Unauthorized(exc.message, field=field, code=exc.code) from None


def key_from_basic_auth(header: str | None) -> str | None:
    """The user name of an HTTP Basic Authorization header (Segment puts the write key there)."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise Unauthorized(
            "the Authorization header is not valid Basic credentials", field="authorization"
        ) from None
    return decoded.partition(":")[0] or None
