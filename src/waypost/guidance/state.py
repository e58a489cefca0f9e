"""A person's guidance state, read from the guidance events the snippet sends (kept per person
and item at ingest): what they were shown, finished, dismissed, where they are in a walkthrough,
their checklist, and whether they are in an item's holdout."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from waypost.events import ContentActivity
from waypost.guidance.rules import ContentState

# The events the snippet sends, as the public contract names them.
SHOWN = "$guide_shown"
STEP_VIEWED = "$guide_step_viewed"
COMPLETED = "$guide_completed"
DISMISSED = "$guide_dismissed"
CTA_CLICKED = "$guide_cta_clicked"
TARGET_MISSING = "$guide_target_missing"
TASK_COMPLETED = "$task_completed"
SURVEY_SHOWN = "$survey_shown"
SURVEY_ANSWERED = "$survey_answered"
SURVEY_DISMISSED = "$survey_dismissed"
HOLDOUT_ASSIGNED = "$holdout_assigned"
GUIDANCE_EVENTS = (
    SHOWN,
    STEP_VIEWED,
    COMPLETED,
    DISMISSED,
    CTA_CLICKED,
    TARGET_MISSING,
    TASK_COMPLETED,
    SURVEY_SHOWN,
    SURVEY_ANSWERED,
    SURVEY_DISMISSED,
    HOLDOUT_ASSIGNED,
)


@dataclass
class ItemState:
    """One person's history with one content item."""

    shown: int = 0
    first_shown: datetime | None = None
    last_shown: datetime | None = None
    completed_at: datetime | None = None
    dismissed_at: datetime | None = None
    holdout: bool = False
    # The walkthrough step last viewed, of which version, and when.
    step: int | None = None
    version: int | None = None
    step_at: datetime | None = None

    @property
    def in_progress(self) -> bool:
        """A walkthrough (or survey) started and neither finished nor dismissed since."""
        if self.step_at is None:
            return False
        ended = max((t for t in (self.completed_at, self.dismissed_at) if t), default=None)
        return ended is None or ended < self.step_at

    def states(self) -> frozenset[ContentState]:
        """The states audience rules test (`content: {key, state}`)."""
        found: set[ContentState] = set()
        if self.shown:
            found.add(ContentState.SEEN)
        if self.completed_at is not None:
            found.add(ContentState.COMPLETED)
        if self.dismissed_at is not None:
            found.add(ContentState.DISMISSED)
        if self.step_at is not None or self.shown:
            found.add(ContentState.STARTED)
        return frozenset(found)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def item_states(activity: Iterable[ContentActivity]) -> dict[str, ItemState]:
    """Each item's state from a person's guidance activity rows."""
    states: dict[str, ItemState] = {}
    for row in activity:
        state = states.setdefault(row.content_id, ItemState())
        first, last = _aware(row.first_seen), _aware(row.last_seen)
        if row.event in (SHOWN, SURVEY_SHOWN):
            state.shown += row.count
            state.first_shown = (
                first if state.first_shown is None else min(state.first_shown, first)
            )
            state.last_shown = _later(state.last_shown, last)
            if state.version is None:
                state.version = row.last_version
        elif row.event in (COMPLETED, TASK_COMPLETED, SURVEY_ANSWERED):
            state.completed_at = _later(state.completed_at, last)
        elif row.event in (DISMISSED, SURVEY_DISMISSED):
            state.dismissed_at = _later(state.dismissed_at, last)
        elif row.event == HOLDOUT_ASSIGNED:
            state.holdout = True
        elif row.event == STEP_VIEWED:
            state.step, state.version, state.step_at = row.last_step, row.last_version, last
    return states
