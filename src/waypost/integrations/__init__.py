"""Imports and exports: backfilling historical events from files."""

from waypost.integrations.imports import (
    EventSink,
    ImportFormat,
    ImportProgress,
    ImportSummary,
    Rejection,
    detect_format,
    import_events,
)

__all__ = [
    "EventSink",
    "ImportFormat",
    "ImportProgress",
    "ImportSummary",
    "Rejection",
    "detect_format",
    "import_events",
]
