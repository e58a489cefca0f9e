"""Preview links: a signed token, good for a few minutes, with which one browser sees an item's
preview release (its version in staging) on the live site while everyone else keeps seeing
production. The console issues it; decide verifies it.

The token is base64url(JSON {a: app, k: key, v: version, u: member, e: expiry}) "."
base64url(HMAC-SHA256 of that text), under a key derived from the server's signing secret for
this purpose only, so nothing else the server signs passes as a preview.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from waypost.errors import Unauthorized


@dataclass(frozen=True)
class PreviewGrant:
    """What a valid token allows: one item's version of one app, until `expires`; `member_id`
    is the console member who made the link."""

    app_id: str
    key: str
    version: int
    member_id: str
    expires: datetime


def issue(
    secret: str, app_id: str, key: str, version: int, member_id: str, expires: datetime
) -> str:
    """A token for previewing `key` at `version` in the app until `expires`."""
    payload = {"a": app_id, "k": key, "v": version, "u": member_id, "e": int(expires.timestamp())}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_b64(_mac(secret, body))}"


def verify(secret: str, token: str, app_id: str, now: datetime | None = None) -> PreviewGrant:
    """The grant a token carries, when it was signed here, is for this app and has not expired;
    else `401 preview_invalid` saying which."""
    body, _, mac = token.partition(".")
    payload: Any = None
    try:  # the signature first: nothing unsigned is parsed
        if hmac.compare_digest(_unb64(mac), _mac(secret, body)):
            payload = json.loads(_unb64(body))
    except ValueError:  # not base64, not UTF-8, not JSON
        pass
    if not _well_formed(payload):
        raise _invalid("the preview link is not valid here (altered, or from another server)")
    if payload["a"] != app_id:
        raise _invalid("the preview link is for another app")
    expires = datetime.fromtimestamp(payload["e"], UTC)
    if (now or datetime.now(UTC)) >= expires:
        raise _invalid("the preview link has expired: make a new one in the console")
    return PreviewGrant(payload["a"], payload["k"], payload["v"], payload["u"], expires)


def stale(grant: PreviewGrant, released: int | None) -> Unauthorized:
    """The error for a grant whose version staging no longer releases (`released`: what it
    releases now, if anything)."""
    now = f"staging now releases version {released}" if released else "staging releases none"
    return _invalid(
        f"the preview link is for version {grant.version} of {grant.key!r}, {now}: "
        "make a new preview link"
    )


def _invalid(message: str) -> Unauthorized:
    return Unauthorized(message, field="preview", code="preview_invalid")


def _well_formed(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    texts = all(isinstance(payload.get(name), str) for name in ("a", "k", "u"))
    numbers = all(type(payload.get(name)) is int for name in ("v", "e"))
    return texts and numbers


def _mac(secret: str, body: str) -> bytes:
    signing_key = hashlib.sha256(f"waypost preview\x1f{secret}".encode()).digest()
    return hmac.new(signing_key, body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
