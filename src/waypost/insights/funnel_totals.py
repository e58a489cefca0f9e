"""What a funnel counted over the units it chose, as both of its forms give it: the SQL statement
(funnels.py) and the one-pass walk (funnel_walk.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel


class HistogramBin(BaseModel):
    from_seconds: int
    to_seconds: int
    count: int


@dataclass(frozen=True)
class FunnelTotals:
    """Per step: how many units reached it, and the average and median microseconds from the
    previous step over those that took longer than zero (None for step 0, and when none did);
    the time-to-convert histogram."""

    counts: list[int]
    average_us: list[float | None]
    median_us: list[float | None]
    histogram: list[HistogramBin]

    @classmethod
    def nobody(cls, steps: int) -> FunnelTotals:
        """The totals of a funnel that counted no unit."""
        return cls([0] * steps, [None] * steps, [None] * steps, [])


def histogram(bins: Iterable[tuple[int, int]] | None, lo: int, width: int) -> list[HistogramBin]:
    """Bins of whole seconds from (bin number, count) pairs, the shortest time `lo` and the bins'
    `width`; every bin up to the last with a count is listed, empty ones as 0."""
    counts = {int(b): int(n) for b, n in bins or []}
    if not counts:
        return []
    lo, width = int(lo), int(width)
    return [
        HistogramBin(
            from_seconds=lo + b * width, to_seconds=lo + (b + 1) * width, count=counts.get(b, 0)
        )
        for b in range(max(counts) + 1)
    ]
