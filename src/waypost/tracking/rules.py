"""The message rules, once: every way a message can be refused, and the SQL that proves a message
keeps each one.

Two paths check messages by this table. The request path (`messages.validate_message`) checks one
message at a time in Python, written out by hand because it runs for every event the API takes, and
refuses only by raising a rule of this table (`Rule.broken`). The import checks a whole file at
once in DuckDB with `checks_sql`, which is compiled from this table: a message is accepted there
only when every rule's proof holds, and every other message goes to `validate_message`. So each
refusal carries the request path's words, and the SQL has only to be safe (never accept what a rule
refuses), not complete: a proof may refuse more than its rule does, at the cost of sending those
messages to Python.

A test (tests/integrations/test_rule_table.py) breaks every rule of the table, field by field, and
requires the request path, the HTTP API and the import to refuse each message with the same code
and field.

What a proof reads: ``text`` (the message's JSON text), ``size`` (its length in bytes), ``keys``
(its top-level keys in order), and for each key in `READ_KEYS`: ``j_<key>``, the JSON text of its
value (NULL when absent or null, as ``raw.get`` sees it), and ``<key>_s``, the string it holds
(NULL when it holds something else). Then the values as `validate_message` reads them:
``<id>_v`` for each of `IDENTIFIERS` (stripped, or an integer's digits; NULL for anything else),
``event_v`` and ``name_v`` (stripped), ``<time>_t`` for each of `TIMES` (parsed when it has one of
the usual ISO 8601 shapes, else NULL) and ``uses_<time>`` (whether `event_time` reads it),
``happened`` (when the event happened, by Segment's rule), ``latest`` (the latest time allowed)
and ``earliest``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from waypost.errors import InvalidInput
from waypost.tracking.bodies import MAX_EVENT_BYTES

MESSAGE_TYPES = frozenset({"track", "identify", "page", "screen", "group", "alias"})
# Every top-level key the Segment spec and its official libraries send. Anything else is
# most likely a typo (`userID`, `propertes`) that would otherwise be dropped without a word.
KNOWN_KEYS = frozenset(
    {
        "type", "messageId", "timestamp", "originalTimestamp", "sentAt", "receivedAt",
        "anonymousId", "userId", "event", "name", "category", "properties", "traits",
        "context", "integrations", "groupId", "previousId", "channel", "version",
        "_metadata", "writeKey", "options",
    }
)  # fmt: skip
MAX_ID_LENGTH = 255
MAX_NAME_LENGTH = 255
MAX_NESTING = 16
# A clock more than a day ahead is broken, not skewed; events years old are kept (imports).
MAX_FUTURE = timedelta(days=1)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

IDENTIFIERS = ("userId", "anonymousId", "previousId", "groupId", "messageId")
# The message types whose name is checked, by the key that holds it.
NAMED = {"event": ("track",), "name": ("page", "screen")}
TIMES = ("timestamp", "originalTimestamp", "sentAt")
OBJECTS = ("properties", "traits", "context")
READ_KEYS = ("type", *IDENTIFIERS, *NAMED, *TIMES, *OBJECTS)
# What Python's str.strip() removes (every character whose isspace() is true).
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


@dataclass(frozen=True, slots=True)
class Holds:
    """A proof: SQL that is true only for a message that keeps the rule (NULL counts as false)."""

    condition: str


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A proof: a regular expression the text of a message that keeps the rule never matches.
    All of them are joined into one expression, so the text is scanned once."""

    pattern: str


Proof = Holds | Unmatched


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One way a message is refused: the code and reason of the refusal, and for each field it
    names (None: the message itself, or a key or path the message decides) the SQL proof.

    A refusal names the field itself, or a path that starts with it (``properties.a.b``)."""

    name: str
    reason: str
    proofs: Mapping[str | None, Proof]
    code: str = "invalid"

    def broken(self, field: str | None = None, **values: Any) -> BrokenRule:
        """The refusal of a message that breaks this rule at `field`; `values` fill the reason."""
        return BrokenRule(self, self.reason.format(**values) if values else self.reason, field)


class BrokenRule(InvalidInput):
    """A message refused by a rule of the table; `rule` says which."""

    def __init__(self, rule: Rule, message: str, field: str | None) -> None:
        super().__init__(message, field=field, code=rule.code)
        self.rule = rule


# ---------------------------------------------------------------- SQL the proofs are made of


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(values: Iterable[str]) -> str:
    return ", ".join(_literal(value) for value in sorted(values))


def _at_most(value: str, limit: int) -> str:
    """At most `limit` characters; counting bytes first, which is cheaper and usually enough."""
    return f"(CASE WHEN strlen({value}) <= {limit} THEN true ELSE length({value}) <= {limit} END)"


def _uses(key: str) -> str:
    """Whether `event_time` reads this time key: timestamp when given, else originalTimestamp,
    corrected by sentAt when that is given too."""
    if key == "timestamp":
        return "j_timestamp IS NOT NULL"
    uses_original = "j_timestamp IS NULL AND j_originalTimestamp IS NOT NULL"
    return (
        uses_original if key == "originalTimestamp" else f"{uses_original} AND j_sentAt IS NOT NULL"
    )


def _when_used(key: str, condition: str) -> Holds:
    return Holds(f"(NOT uses_{key} OR {condition})")


_STRING_LITERAL = r'"(?:[^"\\]|\\.)*"'
_INNERMOST = r"\{[^{}\[\]]*\}|\[[^{}\[\]]*\]"


def _depth_ok() -> Holds:
    """At most MAX_NESTING levels of brackets, strings aside: peel the innermost pairs that many
    times and see that none are left. The usual message has too few brackets to need it."""
    peeled = f"regexp_replace(text, '{_STRING_LITERAL}', '', 'g')"
    for _ in range(MAX_NESTING):
        peeled = f"regexp_replace({peeled}, '{_INNERMOST}', '', 'g')"
    opens = "strlen(text) - strlen(replace(replace(text, '{', ''), '[', ''))"
    return Holds(
        f"(CASE WHEN {opens} <= {MAX_NESTING} THEN true "
        f"ELSE NOT regexp_matches({peeled}, '[{{\\[]') END)"
    )


# validate_message re-serialises a message to measure it. Without exponents its numbers never
# grow by more than a sixth; `1e15` can grow 4.5 times. Python measures the longer messages.
_SMALL_ENOUGH = MAX_EVENT_BYTES * 2 // 9
_SMALL_ENOUGH_WITHOUT_EXPONENTS = MAX_EVENT_BYTES * 5 // 6
# Python reports a time outside years 1-9999 (in UTC) as out of range; DuckDB holds such times.
_CALENDAR = "TIMESTAMP '0001-01-01' AND TIMESTAMP '9999-12-31 23:59:59.999999'"

# ---------------------------------------------------------------- the rules, in the order checked

MESSAGE_OBJECT = Rule(
    "message_object",
    "each message must be a JSON object, not {kind}",
    {None: Holds("text[1] = '{'")},
)
KNOWN_KEY = Rule(
    "known_key",
    "unknown key {key!r}; custom data belongs in properties, traits or context",
    {
        None: Holds(
            f"len(list_filter(keys, lambda k: NOT list_contains([{_list(KNOWN_KEYS)}], k))) = 0"
        )
    },
)
UNICODE = Rule(
    "unicode",
    "contains an invalid Unicode escape (a lone surrogate)",
    # Any escaped surrogate, paired or not: Python tells the two apart.
    {None: Unmatched(r"\\u[dD][89a-fA-F]")},
    code="invalid_unicode",
)
STORABLE = Rule(
    "storable",
    "cannot be stored: {detail}; integers must fit in 64 bits",
    # Nineteen digits in a row may be an integer past 64 bits (in a string too, which is rare).
    {None: Unmatched("[0-9]{19}")},
    code="unstorable_value",
)
MESSAGE_SIZE = Rule(
    "message_size",
    f"the message is {{size:,}} bytes; the limit is {MAX_EVENT_BYTES:,}",
    {
        # CASE, not OR: DuckDB works out both sides of an OR for every message.
        None: Holds(
            f"(CASE WHEN size <= {_SMALL_ENOUGH} THEN true "
            f"WHEN size <= {_SMALL_ENOUGH_WITHOUT_EXPONENTS} "
            "THEN NOT regexp_matches(text, '[0-9][eE]') ELSE false END)"
        )
    },
    code="message_too_large",
)
FINITE = Rule(
    "finite",
    "is a number too large to store (beyond ±1.8e308)",
    # Only an exponent of three digits can take a number past a float's range.
    {None: Unmatched("[eE][-+]?[0-9]{3}")},
    code="number_out_of_range",
)
MESSAGE_TYPE = Rule(
    "message_type",
    "must be {expected}",
    {"type": Holds(f"type_s IN ({_list(MESSAGE_TYPES)})")},
)
IDENTIFIER_KIND = Rule(
    "identifier_kind",
    "must be a string (or a number)",
    # A float id is kept (as Python writes it); the SQL leaves those to Python.
    {key: Holds(f"(j_{key} IS NULL OR {key}_v IS NOT NULL)") for key in IDENTIFIERS},
)
IDENTIFIER_EMPTY = Rule(
    "identifier_empty",
    "must not be empty",
    {key: Holds(f"(j_{key} IS NULL OR {key}_v <> '')") for key in IDENTIFIERS},
)
IDENTIFIER_LENGTH = Rule(
    "identifier_length",
    f"must be at most {MAX_ID_LENGTH} characters",
    {
        key: Holds(f"(j_{key} IS NULL OR {_at_most(f'{key}_v', MAX_ID_LENGTH)})")
        for key in IDENTIFIERS
    },
)
ALIAS_IDS = Rule(
    "alias_ids",
    "alias needs both userId and previousId",
    {
        "previousId": Holds(
            "(type_s <> 'alias' OR (userId_v IS NOT NULL AND previousId_v IS NOT NULL))"
        )
    },
)
SOME_ID = Rule(
    "some_id",
    "either userId or anonymousId is required",
    {"userId": Holds("(type_s = 'alias' OR userId_v IS NOT NULL OR anonymousId_v IS NOT NULL)")},
)
GROUP_ID = Rule(
    "group_id",
    "is required for a group message",
    {"groupId": Holds("(type_s <> 'group' OR groupId_v IS NOT NULL)")},
)
EVENT_REQUIRED = Rule(
    "event_required",
    "is required for this message type",
    {"event": Holds("(type_s <> 'track' OR j_event IS NOT NULL)")},
)
NAME_TEXT = Rule(
    "name_text",
    "must be a non-empty string",
    {
        key: Holds(f"(type_s NOT IN ({_list(types)}) OR j_{key} IS NULL OR {key}_v <> '')")
        for key, types in NAMED.items()
    },
)
NAME_LENGTH = Rule(
    "name_length",
    f"must be at most {MAX_NAME_LENGTH} characters",
    # Measured before stripping, as Python measures it.
    {
        key: Holds(
            f"(type_s NOT IN ({_list(types)}) OR j_{key} IS NULL "
            f"OR {_at_most(f'{key}_s', MAX_NAME_LENGTH)})"
        )
        for key, types in NAMED.items()
    },
)
TIME_TEXT = Rule(
    "time_text",
    "must be an ISO 8601 date-time string",
    {key: _when_used(key, f"{key}_s IS NOT NULL") for key in TIMES},
)
TIME_FORMAT = Rule(
    "time_format",
    "{value!r} is not an ISO 8601 date-time",
    {key: _when_used(key, f"{key}_t IS NOT NULL") for key in TIMES},
)
TIME_RANGE = Rule(
    "time_range",
    "{value!r} is out of range",
    {key: _when_used(key, f"{key}_t BETWEEN {_CALENDAR}") for key in TIMES},
)
CORRECTED_TIME = Rule(
    "corrected_time",
    "with this sentAt the corrected time falls outside the calendar",
    {"originalTimestamp": _when_used("originalTimestamp", f"happened BETWEEN {_CALENDAR}")},
)
NOT_FUTURE = Rule(
    "not_future",
    "{when} is more than a day in the future; check the sender's clock",
    {key: _when_used(key, "happened <= latest") for key in ("timestamp", "originalTimestamp")},
)
NOT_BEFORE_2000 = Rule(
    "not_before_2000",
    "{when} is before the year 2000",
    {key: _when_used(key, "happened >= earliest") for key in ("timestamp", "originalTimestamp")},
)
OBJECT = Rule(
    "object",
    "must be a JSON object, not {kind}",
    {key: Holds(f"(j_{key} IS NULL OR j_{key}[1] = '{{')") for key in OBJECTS},
)
NESTING = Rule(
    "nesting",
    f"is nested more than {MAX_NESTING} levels deep",
    # The whole text is measured: nesting elsewhere (in integrations) only sends it to Python.
    dict.fromkeys(OBJECTS, _depth_ok()),
)

RULES: tuple[Rule, ...] = (
    MESSAGE_OBJECT,
    KNOWN_KEY,
    UNICODE,
    STORABLE,
    MESSAGE_SIZE,
    FINITE,
    MESSAGE_TYPE,
    IDENTIFIER_KIND,
    IDENTIFIER_EMPTY,
    IDENTIFIER_LENGTH,
    ALIAS_IDS,
    SOME_ID,
    GROUP_ID,
    EVENT_REQUIRED,
    NAME_TEXT,
    NAME_LENGTH,
    TIME_TEXT,
    TIME_FORMAT,
    TIME_RANGE,
    CORRECTED_TIME,
    NOT_FUTURE,
    NOT_BEFORE_2000,
    OBJECT,
    NESTING,
)

# Where DuckDB's JSON reader and `decode_body` read the same text differently. Not rules: messages
# that hold these go to Python, which refuses or reads them as the API does.
PARSING: tuple[Proof, ...] = (
    Unmatched(r",\s*[\]}]"),  # a trailing comma, which DuckDB reads and Python refuses
    Unmatched("NaN|Infinity"),  # refused by decode_body, read by DuckDB
    # A repeated top-level key: Python keeps its last value, DuckDB its first.
    Holds("len(list_filter(keys, lambda k, i: list_position(keys, k) = i)) = len(keys)"),
)

# ---------------------------------------------------------------- the checks, set-based

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WS = _literal(PYTHON_WHITESPACE)
# The time formats the SQL parses itself (ISO 8601 with seconds, or a date); others go to Python.
_TIME = (
    r"\d{4}-\d{2}-\d{2}([T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?"
)
_INTEGER = r"-?[0-9]+"


def _string(fragment: str) -> str:
    """The string a JSON fragment holds; NULL when it holds something else."""
    return (
        f"(CASE WHEN {fragment}[1] = '\"' THEN CASE WHEN contains({fragment}, '\\') "
        f"THEN json_extract_string({fragment}, '$') ELSE {fragment}[2:-2] END END)"
    )


def _strip(value: str) -> str:
    """str.strip(), skipping the work when both ends are printable ASCII (nearly always)."""
    return (
        f"(CASE WHEN {value}[1] BETWEEN '!' AND '~' AND {value}[-1] BETWEEN '!' AND '~' "
        f"THEN {value} ELSE trim({value}, {_WS}) END)"
    )


def _identifier(key: str) -> str:
    """messages._identifier's value: a string stripped, or an integer's digits."""
    return (
        f"(CASE WHEN {key}_s IS NOT NULL THEN {_strip(f'{key}_s')} "
        f"WHEN regexp_full_match(j_{key}, '{_INTEGER}') THEN j_{key} END)"
    )


def _time(key: str) -> str:
    return (
        f"(CASE WHEN regexp_full_match({key}_s, '{_TIME}') "
        f"THEN make_timestamp(epoch_us(try_cast({key}_s AS TIMESTAMPTZ))) END)"
    )


def _timestamp(when: datetime) -> str:
    return f"TIMESTAMP '{when.astimezone(UTC).replace(tzinfo=None).isoformat(sep=' ')}'"


def _accepts(proofs: Iterable[Proof]) -> str:
    """One SQL condition that holds only when every proof does: the conditions in order, each
    once, and every pattern joined into one regular expression where the first one stands."""
    conditions: list[str] = []
    patterns: list[str] = []
    scan_at = 0
    for proof in proofs:
        if isinstance(proof, Unmatched):
            if not patterns:
                scan_at = len(conditions)
            if proof.pattern not in patterns:
                patterns.append(proof.pattern)
        elif proof.condition not in conditions:
            conditions.append(proof.condition)
    if patterns:
        conditions.insert(scan_at, f"NOT regexp_matches(text, {_literal('|'.join(patterns))})")
    return "\n      AND ".join(conditions)


def _proofs_of(rules: Iterable[Rule]) -> list[Proof]:
    """Every proof of the rules, field by field, in order."""
    return [proof for rule in rules for proof in rule.proofs.values()]


def checks_sql(
    source: str,
    received_at: datetime,
    *,
    also_read: Mapping[str, str] | None = None,
    also_required: Sequence[Rule] = (),
) -> str:
    """SQL that checks each message of `source` by every rule, keeping the source's order: the
    source's columns, then those the proofs read (see above), ``j_<name>`` and ``<name>_s`` for
    each name in `also_read` (a JSON path; not one of `READ_KEYS`), and ``accepted``, true only
    for a message that keeps every rule and each of `also_required`.

    `source` is a query with a ``text`` column holding JSON DuckDB can read (a reader's NULL for
    the rest is never accepted); run it where the TimeZone is UTC, so times without a zone are UTC
    as Python takes them."""
    paths = {key: f"$.{key}" for key in READ_KEYS} | dict(also_read or {})
    path_list = ", ".join(_literal(path) for path in paths.values())
    # JSON null reads as absent, as raw.get() does.
    fragments = ",\n    ".join(
        f"nullif(f[{index}], 'null') AS j_{name}" for index, name in enumerate(paths, start=1)
    )
    strings = ",\n    ".join(f"{_string(f'j_{name}')} AS {name}_s" for name in paths)
    values = ",\n    ".join(
        [f"{_identifier(key)} AS {key}_v" for key in IDENTIFIERS]
        + [f"{_strip(f'{key}_s')} AS {key}_v" for key in NAMED]
        + [f"{_time(key)} AS {key}_t" for key in TIMES]
    )
    uses = ",\n    ".join(f"{_uses(key)} AS uses_{key}" for key in TIMES)
    received_us = (received_at - _EPOCH) // timedelta(microseconds=1)
    accepted = _accepts([*PARSING, *_proofs_of(RULES), *_proofs_of(also_required)])
    return f"""
WITH source AS ({source}),
parsed AS (
  SELECT *, strlen(text) AS size, json_keys(text) AS keys,
         json_extract(text, [{path_list}])::VARCHAR[] AS f
  FROM source
),
fragments AS (
  SELECT * EXCLUDE (f),
    {fragments}
  FROM parsed
),
strings AS (
  SELECT *,
    {strings}
  FROM fragments
),
valued AS (
  SELECT *,
    {values}
  FROM strings
),
timed AS (
  SELECT *,
    CASE WHEN j_timestamp IS NOT NULL THEN timestamp_t
         WHEN j_originalTimestamp IS NOT NULL AND j_sentAt IS NULL THEN originalTimestamp_t
         WHEN j_originalTimestamp IS NOT NULL THEN make_timestamp(
           {received_us} - (epoch_us(sentAt_t) - epoch_us(originalTimestamp_t)))
    END AS happened,
    {uses},
    {_timestamp(received_at + MAX_FUTURE)} AS latest,
    {_timestamp(EARLIEST)} AS earliest
  FROM valued
)
SELECT *,
  coalesce(
      {accepted},
    false) AS accepted
FROM timed
"""
