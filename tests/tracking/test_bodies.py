"""Request bodies: each way a body can be wrong gets its own clear error, never a 500."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waypost.tracking.bodies import (
    MAX_BATCH_BYTES,
    MalformedBody,
    PayloadTooLarge,
    decode_body,
)


def test_plain_and_gzip_bodies_decode_to_the_same_document() -> None:
    document = {"batch": [{"type": "track", "event": "Signed Up", "userId": "u1"}]}
    raw = json.dumps(document).encode()
    assert decode_body(raw, None) == document
    assert decode_body(gzip.compress(raw), "gzip") == document
    assert decode_body(gzip.compress(raw), None) == document, "gzip is recognised by its magic"


def test_non_ascii_text_survives_decoding() -> None:
    assert decode_body('{"event": "ログイン完了"}'.encode(), None) == {"event": "ログイン完了"}


def test_body_over_the_batch_limit_is_413_saying_the_limit() -> None:
    raw = b'{"x": "' + b"a" * MAX_BATCH_BYTES + b'"}'
    with pytest.raises(PayloadTooLarge, match="limit is 512,000 bytes"):
        decode_body(raw, None)


def test_small_gzip_that_expands_past_the_limit_is_refused_without_expanding_it() -> None:
    bomb = gzip.compress(b" " * (50 * 1024 * 1024))
    assert len(bomb) < 100_000
    with pytest.raises(PayloadTooLarge, match="expands to more than"):
        decode_body(bomb, "gzip")


def test_corrupt_and_truncated_gzip_are_named() -> None:
    with pytest.raises(MalformedBody) as corrupt:
        decode_body(b"\x1f\x8bnot really gzip", "gzip")
    assert corrupt.value.code == "bad_gzip"
    with pytest.raises(MalformedBody, match="truncated"):
        decode_body(gzip.compress(b'{"a": 1}')[:-6], "gzip")


def test_unsupported_content_encoding_names_the_header() -> None:
    with pytest.raises(MalformedBody) as caught:
        decode_body(b"{}", "br")
    assert caught.value.field == "content-encoding"


def test_invalid_utf8_reports_the_byte_offset() -> None:
    with pytest.raises(MalformedBody, match="not valid UTF-8 \\(byte 11") as caught:
        decode_body(b'{"event": "\xff"}', None)
    assert caught.value.code == "invalid_utf8"


def test_malformed_json_reports_line_and_column() -> None:
    with pytest.raises(MalformedBody, match="line 2, column 1") as caught:
        decode_body(b'{"a": 1,\n}', None)
    assert caught.value.code == "malformed_json"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_as_not_json(constant: str) -> None:
    with pytest.raises(MalformedBody, match=f"{constant} is not a JSON number") as caught:
        decode_body(f'{{"batch": [{{"properties": {{"x": {constant}}}}}]}}'.encode(), None)
    assert caught.value.code == "malformed_json"


def test_an_integer_of_thousands_of_digits_is_refused_not_crashed_on() -> None:
    with pytest.raises(MalformedBody) as caught:
        decode_body(b'{"batch": [{"properties": {"n": ' + b"9" * 5000 + b"}}]}", None)
    assert caught.value.code == "malformed_json"


def test_empty_body_is_named() -> None:
    with pytest.raises(MalformedBody, match="empty"):
        decode_body(b"  \n", None)


def test_absurdly_deep_nesting_is_refused_not_crashed_on() -> None:
    with pytest.raises(MalformedBody) as caught:
        decode_body(b"[" * 100_000 + b"]" * 100_000, None)
    assert caught.value.code == "too_deep"


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2)  # past 64 bits orjson reads floats
    | st.integers(max_value=-(2**63) + 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=20,
)


@given(_json, st.booleans())
def test_a_body_decodes_exactly_as_pythons_json_reads_it(document: object, spaced: bool) -> None:
    text = json.dumps(document, indent=1 if spaced else None, ensure_ascii=spaced)
    decoded = decode_body(text.encode(), None)
    expected = json.loads(text)
    assert decoded == expected
    assert repr(decoded) == repr(expected), "integers stay integers, floats floats"
