"""Imports and exports: backfilling historical events from files."""

from waypost.integrations.imports import (
    ImportFormat,
    ImportProgress,
    ImportSummary,
    Rejection,
    detect_format,
    import_events,
)

__all__ = [
    "ImportFormat",
    "ImportProgress",
    "ImportSummary",
    "Rejection",
    "detect_format",
    "import_events",
]
