"""Log lines: readable on a terminal, JSON for machines, the request id on both."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from waypost.logs import configure_logging, request_id_var, stamp_request_ids


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, factory = root.handlers[:], root.level, logging.getLogRecordFactory()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.setLogRecordFactory(factory)


def _access_line(stream: io.StringIO, fmt: str) -> str:
    configure_logging("info", fmt, stream)
    stamp_request_ids()
    token = request_id_var.set("3f2a9c1d")
    try:
        logging.getLogger("waypost.access").info(
            "%s %s %s",
            "GET",
            "/healthz",
            200,
            extra={"method": "GET", "path": "/healthz", "status": 200, "duration_ms": 0.41},
        )
    finally:
        request_id_var.reset(token)
    return stream.getvalue()


def test_auto_writes_json_when_standard_error_is_not_a_terminal() -> None:
    entry = json.loads(_access_line(io.StringIO(), "auto"))
    assert entry["logger"] == "waypost.access" and entry["message"] == "GET /healthz 200"
    assert entry["request_id"] == "3f2a9c1d" and entry["duration_ms"] == 0.41
    assert entry["status"] == 200 and entry["level"] == "info"


def test_auto_writes_readable_lines_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    line = _access_line(FakeTerminal(), "auto").rstrip("\n")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO    waypost\.access: GET /healthz 200"
        r"  duration_ms=0\.41 request_id=3f2a9c1d",
        line,
    ), line


def test_text_lines_on_a_terminal_colour_the_level_unless_no_color_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[32mINFO" in _access_line(FakeTerminal(), "text")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in _access_line(FakeTerminal(), "text")


def test_the_setting_overrides_what_the_stream_is() -> None:
    assert not _access_line(io.StringIO(), "text").startswith("{")
    json.loads(_access_line(FakeTerminal(), "json"))


def test_text_quotes_values_with_spaces_and_puts_the_traceback_below() -> None:
    stream = io.StringIO()
    configure_logging("info", "text", stream)
    try:
        raise RuntimeError("disk full")
    except RuntimeError:
        logging.getLogger("waypost.journal").exception(
            "cannot write the journal", extra={"directory": "/data/my events", "waiting": 12}
        )
    first, *rest = stream.getvalue().splitlines()
    assert first.endswith(
        'ERROR   waypost.journal: cannot write the journal  directory="/data/my events" waiting=12'
    )
    assert rest[0] == "Traceback (most recent call last):" and rest[-1] == "RuntimeError: disk full"
