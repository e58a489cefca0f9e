"""Calendar intervals in a time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from waypost.insights.intervals import Offset, utc_offsets

JANUARY = datetime(2026, 1, 5, tzinfo=UTC)
APRIL = datetime(2026, 4, 5, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_zone_without_clock_changes_has_one_offset() -> None:
    assert utc_offsets("UTC", JANUARY, APRIL) == [Offset(timedelta(0), None)]
    assert utc_offsets("Asia/Tokyo", JANUARY, APRIL) == [Offset(9 * HOUR, None)]
    kathmandu = utc_offsets("Asia/Kathmandu", JANUARY, APRIL)
    assert kathmandu == [Offset(timedelta(hours=5, minutes=45), None)]


def test_each_clock_change_inside_the_range_starts_a_new_offset_at_its_exact_second() -> None:
    # New York moves its clocks at 07:00 UTC on March 8th and 06:00 UTC on November 1st, 2026.
    spring, autumn = datetime(2026, 3, 8, 7), datetime(2026, 11, 1, 6)
    assert utc_offsets("America/New_York", JANUARY, APRIL) == [
        Offset(-5 * HOUR, spring),
        Offset(-4 * HOUR, None),
    ]
    year = utc_offsets("America/New_York", JANUARY, datetime(2027, 1, 1, tzinfo=UTC))
    assert year == [Offset(-5 * HOUR, spring), Offset(-4 * HOUR, autumn), Offset(-5 * HOUR, None)]
    # Ranges that end just before the change, or start at it, see one offset.
    before = spring.replace(tzinfo=UTC) - timedelta(seconds=1)
    assert utc_offsets("America/New_York", JANUARY, before) == [Offset(-5 * HOUR, None)]
    assert utc_offsets("America/New_York", spring.replace(tzinfo=UTC), APRIL) == [
        Offset(-4 * HOUR, None)
    ]
