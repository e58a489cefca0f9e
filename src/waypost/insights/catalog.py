"""What measurement insights know of an app's guidance: its content items (to check a survey,
question or item a query names, and to read an item's goal and holdout) and who is in a saved
segment now (for breakdowns by segment)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from waypost.errors import InvalidInput

# Members of each segment asked for, by person id (as the event store's person_id column).
SegmentMembers = dict[str, set[int]]


@dataclass(frozen=True)
class ContentItemInfo:
    """One content item as its current draft describes it."""

    key: str
    kind: str
    name: str
    document: Any


def _no_members(keys: Sequence[str]) -> SegmentMembers:
    return {key: set() for key in keys}


@dataclass(frozen=True)
class ContentCatalog:
    """An app's content items by key, and a way to find a segment's members now."""

    items: Mapping[str, ContentItemInfo] = field(default_factory=dict)
    segment_keys: frozenset[str] = frozenset()
    members: Callable[[Sequence[str]], SegmentMembers] = _no_members

    def item(self, key: str, field_name: str, kind: str | None = None) -> ContentItemInfo:
        """The item with the key; InvalidInput naming `field_name` when there is none (or it is
        not of `kind`)."""
        found = self.items.get(key)
        if found is None:
            raise InvalidInput(f"the app has no content item {key!r}", field=field_name)
        if kind is not None and found.kind != kind:
            raise InvalidInput(f"{key!r} is a {found.kind}, not a {kind}", field=field_name)
        return found

    def segment_members(self, keys: Sequence[str], field_name: str) -> SegmentMembers:
        """Who is in each segment now; InvalidInput naming `field_name` for an unknown key."""
        for index, key in enumerate(keys):
            if key not in self.segment_keys:
                raise InvalidInput(f"the app has no segment {key!r}", field=f"{field_name}.{index}")
        return self.members(keys)
