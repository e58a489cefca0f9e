"""Calendar intervals in a time zone: hours, days, weeks starting on Monday, months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from waypost.insights.queries import Interval


def interval_starts(
    date_from: datetime, date_to: datetime, interval: Interval, timezone: str
) -> list[datetime]:
    """The local start (without a zone) of every interval overlapping [date_from, date_to)."""
    zone = ZoneInfo(timezone)
    current = truncate(date_from.astimezone(zone).replace(tzinfo=None), interval)
    end = date_to.astimezone(zone).replace(tzinfo=None)
    starts = []
    while current < end:
        starts.append(current)
        current = _next(current, interval)
    return starts


def truncate(moment: datetime, interval: Interval) -> datetime:
    """The start of the interval holding a local time."""
    day = moment.replace(minute=0, second=0, microsecond=0)
    if interval is Interval.HOUR:
        return day
    day = day.replace(hour=0)
    if interval is Interval.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if interval is Interval.MONTH else day


def _next(moment: datetime, interval: Interval) -> datetime:
    if interval is Interval.MONTH:
        return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)
    step = {Interval.HOUR: timedelta(hours=1), Interval.DAY: timedelta(days=1)}
    return moment + step.get(interval, timedelta(days=7))


def fixed_offset(timezone: str, date_from: datetime, date_to: datetime) -> timedelta | None:
    """The zone's offset from UTC when it is the same all through [date_from, date_to] (always in
    UTC or Asia/Tokyo; in New York only between daylight-saving changes), else None.

    Offsets are compared a day apart and at both ends: no zone changes its offset twice in a day.
    """
    zone = ZoneInfo(timezone)
    moment = date_from.astimezone(UTC)
    end = date_to.astimezone(UTC)
    offset = moment.astimezone(zone).utcoffset()
    while True:
        if moment.astimezone(zone).utcoffset() != offset:
            return None
        if moment >= end:
            return offset
        moment = min(moment + timedelta(days=1), end)
