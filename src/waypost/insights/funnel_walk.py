"""Ordered funnels walked in one pass over each unit's step events, as ClickHouse's
`windowFunnel` does inside its engine.

The SQL form of a funnel (funnels.py) follows every attempt with one `ASOF JOIN` per step, and
each join sorts the step events again. When no event can match two of a funnel's steps and
exclusions, the database only has to filter the events and sort them once, by unit and time;
this module does the rest with vectorised passes over that sorted list:

- for every step and exclusion, the position of its next event at or after each position
  (a reversed running minimum);
- for every attempt (each step-0 event), a hop per step to the next event of that step, kept
  when it is the same unit's and inside the window;
- per unit, the attempt the rules in attempts.py choose, and the counts, times and histogram of
  the chosen attempts.

Both forms answer with the same typed totals (funnel_totals.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waypost.insights.funnel_totals import FunnelTotals, HistogramBin, histogram


@dataclass(frozen=True)
class StepEvents:
    """A funnel's relevant events, sorted by unit and then by (time, step): `unit` as the
    store returns it, `at` in microseconds since 1970, `step` the first step an event matches
    (the number of steps when none), and `exclusion` the exclusion it matches (-1 when none)."""

    unit: pa.ChunkedArray
    at: np.ndarray
    step: np.ndarray
    exclusion: np.ndarray

    @classmethod
    def from_arrow(cls, table: pa.Table) -> StepEvents:
        """From the columns `unit`, `at`, `step` and `exclusion`, in that order of rows."""
        return cls(
            unit=table.column("unit"),
            at=table.column("at").to_numpy().astype(np.int64, copy=False),
            step=table.column("step").to_numpy().astype(np.int64, copy=False),
            exclusion=table.column("exclusion").to_numpy().astype(np.int64, copy=False),
        )


@dataclass(frozen=True)
class Walk:
    """What to walk: how many steps, the window in microseconds, each exclusion's
    (from_step, to_step), the two steps the histogram spans and its number of bins."""

    steps: int
    window_us: int
    exclusions: list[tuple[int, int]]
    histogram_steps: tuple[int, int]
    bins: int


def walk_funnel(events: StepEvents, walk: Walk) -> FunnelTotals | None:
    """The totals of the units the funnel counts; None when it counts none."""
    size = len(events.at)
    attempts = np.flatnonzero(events.step == 0)
    if len(attempts) == 0:
        return None
    group = _groups(events.unit)
    # Every array gets one more slot, `size`, standing for "no such event".
    group_at = np.append(group, -1)
    at = np.append(events.at, 0)
    following = {k: _next_where(events.step == k) for k in range(1, walk.steps)}

    unit, start = group[attempts], events.at[attempts]
    deadline = start + walk.window_us
    reached = [attempts]
    alive = np.ones(len(attempts), dtype=bool)
    for k in range(1, walk.steps):
        hop = following[k][np.where(alive, reached[-1] + 1, size)]
        alive = alive & (group_at[hop] == unit) & (at[hop] <= deadline)
        reached.append(np.where(alive, hop, size))
    level = np.count_nonzero(np.stack(reached) < size, axis=0)

    void = np.zeros(len(attempts), dtype=bool)
    for index, (first, last) in enumerate(walk.exclusions):
        after = reached[first]
        seen = _next_where(events.exclusion == index)[np.where(after < size, after + 1, size)]
        seen_here = (seen < size) & (group_at[seen] == unit)
        before_last = np.where(reached[last] < size, seen < reached[last], at[seen] <= deadline)
        void |= seen_here & before_last

    chosen = _choose(unit, level, void)
    if len(chosen) == 0:
        return None
    level = level[chosen]
    times = [at[positions[chosen]] for positions in reached]
    averages: list[float | None] = [None]
    medians: list[float | None] = [None]
    for k in range(1, walk.steps):
        gaps = (times[k] - times[k - 1])[level > k]
        gaps = gaps[gaps > 0]
        averages.append(int(gaps.sum()) / len(gaps) if len(gaps) else None)
        medians.append(float(np.median(gaps)) if len(gaps) else None)
    first, last = walk.histogram_steps
    spans = (times[last] - times[first])[level > last] // 1_000_000
    return FunnelTotals(
        counts=[int(np.count_nonzero(level > k)) for k in range(walk.steps)],
        average_us=averages,
        median_us=medians,
        histogram=_histogram(spans, walk.bins),
    )


def _groups(unit: pa.ChunkedArray) -> np.ndarray:
    """Each row's unit as a number counting up from 0, for sorted units of any type."""
    flat = unit.combine_chunks() if isinstance(unit, pa.ChunkedArray) else unit
    if len(flat) < 2:
        return np.zeros(len(flat), dtype=np.int64)
    changes = pc.not_equal(flat[1:], flat[:-1]).to_numpy(zero_copy_only=False)
    return np.concatenate(([0], np.cumsum(changes, dtype=np.int64)))


def _next_where(mask: np.ndarray) -> np.ndarray:
    """For each position, the first position at or after it where `mask` holds (`len(mask)`
    when none), with one more slot at the end for `len(mask)` itself."""
    size = len(mask)
    positions = np.where(mask, np.arange(size), size)
    following = np.minimum.accumulate(positions[::-1])[::-1]
    return np.append(following, size)


def _choose(unit: np.ndarray, level: np.ndarray, void: np.ndarray) -> np.ndarray:
    """Per unit, the earliest clean attempt among those that got furthest; none for a unit
    whose furthest attempts are all void. Attempts come in (unit, time) order."""
    starts = np.flatnonzero(np.concatenate(([True], unit[1:] != unit[:-1])))
    best = np.maximum.reduceat(level, starts)
    counts = np.diff(np.append(starts, len(unit)))
    eligible = np.flatnonzero((level == np.repeat(best, counts)) & ~void)
    kept = unit[eligible]
    firsts = np.concatenate(([True], kept[1:] != kept[:-1])) if len(kept) else kept.astype(bool)
    return eligible[firsts]


def _histogram(spans: np.ndarray, bins: int) -> list[HistogramBin]:
    """Whole seconds between the histogram's steps, in `bins` equal bins from the shortest."""
    if len(spans) == 0:
        return []
    lo = int(spans.min())
    width = max(1, (int(spans.max()) - lo + bins) // bins)
    values, counts = np.unique((spans - lo) // width, return_counts=True)
    return histogram(zip(values.tolist(), counts.tolist(), strict=True), lo, width)
