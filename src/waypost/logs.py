"""Logging: readable lines on a terminal, one JSON object per line elsewhere; both carry the
current request's id."""

from __future__ import annotations

import json
import logging
import os
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

request_id_var: ContextVar[str | None] = ContextVar("waypost_request_id", default=None)

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",  # uvicorn's copy of the message with terminal colours
}
_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    return record


def stamp_request_ids() -> None:
    """Make every log record carry the id of the request it was written during.

    Stamped when the record is made, so handlers that format later (queues, test captures) keep it.
    """
    logging.setLogRecordFactory(_record_with_request_id)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD_ATTRS and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


_LEVEL_COLOURS = {"DEBUG": "2", "INFO": "32", "WARNING": "33", "ERROR": "31", "CRITICAL": "1;31"}


class TextFormatter(logging.Formatter):
    """One line a person reads: local time, level, logger, message, then the extras as key=value.

    Extras the message already states (the access line's method, path and status) are left out;
    the request id comes last. With ``colour``, the level is coloured and the extras dimmed.
    """

    def __init__(self, *, colour: bool = False) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created).astimezone()
        stamp = moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
        message = record.getMessage()
        said = set(message.split())
        fields = {k: v for k, v in _extras(record).items() if str(v) not in said}
        request_id = getattr(record, "request_id", None)
        if request_id:
            fields["request_id"] = request_id
        level = f"{record.levelname:<7}"
        tail = " ".join(f"{key}={_text_value(value)}" for key, value in fields.items())
        if self.colour:
            level = f"\x1b[{_LEVEL_COLOURS.get(record.levelname, '0')}m{level}\x1b[0m"
            tail = f"\x1b[2m{tail}\x1b[0m" if tail else tail
        line = f"{stamp} {level} {record.name}: {message}"
        if tail:
            line = f"{line}  {tail}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def _text_value(value: Any) -> str:
    """A value as it reads after `key=`: bare when it is one word, else quoted as JSON."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if text and not any(c.isspace() or c in "\"'=" for c in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def wants_text(fmt: str, stream: TextIO) -> bool:
    """Whether `fmt` ("auto", "text" or "json") means readable lines on this stream.

    "auto" is text when the stream is a terminal, so a person starting the server reads lines
    and a log shipper reading a pipe or file gets JSON.
    """
    if fmt == "auto":
        return _is_terminal(stream)
    return fmt == "text"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def configure_logging(level: str, fmt: str, stream: TextIO | None = None) -> None:
    """Send Waypost's and the server's logs to stderr in the chosen format (auto, text, json)."""
    out = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(out)
    if wants_text(fmt, out):
        colour = _is_terminal(out) and not os.environ.get("NO_COLOR")
        handler.setFormatter(TextFormatter(colour=colour))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our middleware writes one access line per request, with its id; uvicorn's would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
