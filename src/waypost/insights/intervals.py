"""Calendar intervals in a time zone: hours, days, weeks starting on Monday, months."""

from __future__ import annotations

import math
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Offset:
    """A zone's offset from UTC, holding until `until` (a UTC instant without a zone; None: to
    the end of the range)."""

    offset: timedelta
    until: datetime | None


def utc_offsets(timezone: str, date_from: datetime, date_to: datetime) -> list[Offset]:
    """The zone's offsets from UTC through [date_from, date_to], in order: one for UTC or
    Asia/Tokyo, one more per clock change inside the range (New York's in March and November).

    Offsets are compared a day apart, and each change is then found to the second: no zone
    changes its offset twice in a day."""
    zone = ZoneInfo(timezone)

    def offset_at(second: int) -> timedelta | None:
        return datetime.fromtimestamp(second, zone).utcoffset()

    # Whole seconds since 1970: clock changes fall on whole seconds.
    moment, end = math.floor(date_from.timestamp()), math.ceil(date_to.timestamp())
    current = offset_at(moment)
    pieces = []
    while moment < end:
        later = min(moment + 86400, end)
        if offset_at(later) != current:
            # The change is in (moment, later]: halve that down to its first second.
            low, high = moment, later
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset_at(middle) == current else (low, middle)
            until = datetime.fromtimestamp(high, UTC).replace(tzinfo=None)
            pieces.append(Offset(current or timedelta(0), until))
            current = offset_at(high)
        moment = later
    pieces.append(Offset(current or timedelta(0), None))
    return pieces
