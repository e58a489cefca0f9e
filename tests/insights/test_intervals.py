"""Calendar intervals in a time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from waypost.insights.intervals import fixed_offset

JANUARY = datetime(2026, 1, 5, tzinfo=UTC)
APRIL = datetime(2026, 4, 5, tzinfo=UTC)


def test_a_zone_without_daylight_saving_has_one_offset() -> None:
    assert fixed_offset("UTC", JANUARY, APRIL) == timedelta(0)
    assert fixed_offset("Asia/Tokyo", JANUARY, APRIL) == timedelta(hours=9)
    assert fixed_offset("Asia/Kathmandu", JANUARY, APRIL) == timedelta(hours=5, minutes=45)


def test_a_daylight_saving_change_inside_the_range_means_no_fixed_offset() -> None:
    assert fixed_offset("America/New_York", JANUARY, APRIL) is None
    # New York moves its clocks at 07:00 UTC on March 8th, 2026.
    change = datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert fixed_offset("America/New_York", JANUARY, change - timedelta(seconds=1)) == timedelta(
        hours=-5
    )
    assert fixed_offset("America/New_York", JANUARY, change) is None
    assert fixed_offset("America/New_York", change, APRIL) == timedelta(hours=-4)
