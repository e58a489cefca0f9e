"""Event ingestion: Segment- and PostHog-compatible tracking API, validation, identity.

What other slices may use: reading a body (`decode_body`), the message rules (`validate_message`
one message at a time, `checks_sql` for many at once in DuckDB, both from the one table `RULES`),
and turning messages into events-table rows (`to_row`, and the names the rows use; the events
slice's `to_table` makes a batch of them columnar).
"""

from waypost.tracking.bodies import decode_body
from waypost.tracking.messages import Message, validate_message
from waypost.tracking.rows import (
    CONTENT_ID,
    CONTENT_STEP,
    ELEMENT_SELECTOR,
    ELEMENT_TEXT,
    TYPE_EVENTS,
    to_row,
)
from waypost.tracking.rules import (
    KNOWN_KEYS,
    PYTHON_WHITESPACE,
    RULES,
    BrokenRule,
    Holds,
    Rule,
    checks_sql,
)

__all__ = [
    "CONTENT_ID",
    "CONTENT_STEP",
    "ELEMENT_SELECTOR",
    "ELEMENT_TEXT",
    "KNOWN_KEYS",
    "PYTHON_WHITESPACE",
    "RULES",
    "TYPE_EVENTS",
    "BrokenRule",
    "Holds",
    "Message",
    "Rule",
    "checks_sql",
    "decode_body",
    "to_row",
    "validate_message",
]
