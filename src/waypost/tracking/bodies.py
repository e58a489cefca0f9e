"""Turning a tracking request's raw bytes into JSON, with a clear error for each way it can fail.

Tracking clients send plain or gzip-compressed JSON, sometimes labelled ``text/plain`` (browsers do
that to avoid a CORS preflight). Limits are checked on the decompressed size, so a small gzip body
cannot expand into gigabytes in memory.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import orjson

from waypost.errors import WaypostError

# Segment's published limits: 32 KB per message, 500 KB per batch request.
MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
# orjson reads integers past 64 bits as floats, where Python keeps them whole (and validation
# refuses them as unstorable); a body with 19 digits in a row is read by Python's parser alone.
# Found by mapping every digit to 0 and looking for nineteen of them: a regular expression
# scanning for [0-9]{19} took longer than parsing the body.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19


class PayloadTooLarge(WaypostError):
    status = 413
    code = "payload_too_large"


class MalformedBody(WaypostError):
    status = 400
    code = "malformed_body"


def decode_body(raw: bytes, content_encoding: str | None, limit: int = MAX_BATCH_BYTES) -> Any:
    """The JSON document in the body; PayloadTooLarge or MalformedBody saying what is wrong.

    orjson reads the body when it can (three times quicker); anything it refuses goes to Python's
    parser, whose answers (and error messages) are the rule."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "gzip" or (encoding == "identity" and raw[:2] == b"\x1f\x8b"):
        raw = _gunzip(raw, limit)
    elif encoding not in ("identity", ""):
        raise MalformedBody(
            f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding",
            field="content-encoding",
            code="unsupported_encoding",
        )
    if len(raw) > limit:
        raise PayloadTooLarge(
            f"the request body is {len(raw):,} bytes; the limit is {limit:,} bytes "
            "(split the batch into smaller ones)"
        )
    if _LONG_NUMBER not in raw.translate(_DIGITS_TO_ZERO):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the standard parser below says what is wrong, in the words it always has
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(
            f"the body is not valid UTF-8 (byte {exc.start}: {exc.reason})", code="invalid_utf8"
        ) from None
    if not text.strip():
        raise MalformedBody("the body is empty; send a JSON object", code="empty_body")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        # The parser gives up on absurd nesting; each message's own depth is checked later.
        raise MalformedBody("the JSON is nested too deeply to read", code="too_deep") from None
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            code="malformed_json",
        ) from None
    except ValueError as exc:  # Python refuses integers of more than 4,300 digits
        raise MalformedBody(f"the JSON cannot be read: {exc}", code="malformed_json") from None


def _refuse_constant(name: str) -> Any:
    # Python's parser accepts NaN and Infinity, which JSON (and the event store) do not.
    raise MalformedBody(
        f"{name} is not a JSON number; send null or a string instead", code="malformed_json"
    )


def _gunzip(raw: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise MalformedBody(f"the gzip body cannot be read: {exc}", code="bad_gzip") from None
    if len(out) > limit or decompressor.unconsumed_tail:
        raise PayloadTooLarge(
            f"the request body expands to more than {limit:,} bytes; split the batch"
        )
    if not decompressor.eof:
        raise MalformedBody("the gzip body is truncated", code="bad_gzip")
    return out
