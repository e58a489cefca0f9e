"""Dates and numbers formatted the way the viewer's locale writes them, in the viewer's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_decimal


def _zone(timezone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_datetime(value: datetime, locale: str, timezone: str | None = None) -> str:
    """A stored UTC time shown in the viewer's zone and locale (ja: 2026/11/23 18:05:00)."""
    return _babel_datetime(value, "medium", tzinfo=_zone(timezone), locale=locale)


def format_number(value: float, locale: str) -> str:
    """A number with the locale's grouping and decimal marks."""
    return format_decimal(value, locale=locale)
