"""Filters on event properties and on person and account traits, compiled to SQL conditions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from waypost.errors import InvalidInput
from waypost.insights.actions import Actions, ActionStep, UrlMatch
from waypost.insights.queries import AggregateBy, Common, EventMatch, Filter, Op, Source, naive_utc

if TYPE_CHECKING:
    from waypost.insights._sql import Params

TEST_ACCOUNT_TRAIT = "is_test_account"
# Guidance events a builder sent while previewing a draft carry `$preview: true`, which the
# store flags in a column of their own; measurement leaves them out.
NOT_PREVIEW = "e.preview IS NOT TRUE"
_NUMBER_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE')"


class PropertySql:
    """Compiles filters over the events relation `e`, joining in the trait values they name."""

    def __init__(self, params: Params, actions: Actions | None = None) -> None:
        self.params = params
        self.actions = actions or {}
        self._joins: dict[tuple[Source, str], str] = {}

    def scope(
        self,
        query: Common,
        app_id: str,
        unit: str | None = None,
        dates: bool = True,
        guidance: bool = False,
    ) -> list[str]:
        """Conditions every insight starts from: the app, events with a `unit`, the query's
        dates (unless `dates` is false), its filters and the test-account rule; with
        `guidance`, not the events of a builder previewing a draft (`$preview`)."""
        add = self.params.add
        conditions = [f"e.app_id = {add(app_id)}", self.all_of(query.where)]
        if guidance:
            conditions.append(NOT_PREVIEW)
        if unit is not None:
            conditions.append(f"{unit} IS NOT NULL")
        if dates and query.date_from is not None:
            conditions.append(f"e.timestamp >= {add(naive_utc(query.date_from))}")
        if dates and query.date_to is not None:
            conditions.append(f"e.timestamp < {add(naive_utc(query.date_to))}")
        if query.filter_test_accounts:
            conditions.append(self.not_test_account())
        return conditions

    @property
    def uses_accounts(self) -> bool:
        """Whether a compiled condition reads an account's traits."""
        return any(source is Source.ACCOUNT for source, _ in self._joins)

    def events_view(self, unit: AggregateBy) -> str:
        """The view to read events from, once conditions are compiled: `person_events` unless
        the unit or a condition needs the event's account (`resolved_events` resolves it)."""
        if unit is AggregateBy.ACCOUNT or self.uses_accounts:
            return "resolved_events"
        return "person_events"

    def matches(self, match: EventMatch) -> str:
        """True for the events a step, series or exclusion counts."""
        if match.action is not None:
            steps = self.actions.get(match.action)
            if steps is None:
                raise InvalidInput(f"the app has no action named {match.action!r}", field="action")
            which = " OR ".join(f"({self._action_step(step)})" for step in steps)
        elif match.event is not None:
            which = f"e.event = {self.params.add(match.event)}"
        else:
            which = "true"
        return f"(({which}) AND {self.all_of(match.where)})"

    def _action_step(self, step: ActionStep) -> str:
        add = self.params.add
        parts = []
        if step.event is not None:
            parts.append(f"e.event = {add(step.event)}")
        if step.url is not None:
            if step.url_match is UrlMatch.EXACT:
                parts.append(f"coalesce(e.url = {add(step.url)}, false)")
            elif step.url_match is UrlMatch.REGEX:
                parts.append(f"coalesce(regexp_matches(e.url, {add(step.url)}), false)")
            else:
                parts.append(f"coalesce(contains(e.url, {add(step.url)}), false)")
        if step.selector is not None:
            parts.append(f"coalesce(e.element_selector = {add(step.selector)}, false)")
        if step.text is not None:
            parts.append(f"coalesce(e.element_text = {add(step.text)}, false)")
        parts.append(self.all_of(step.where))
        return " AND ".join(parts)

    def value(self, source: Source, name: str) -> tuple[str, str | None]:
        """The JSON column and key holding a property (traits are joined in as whole values)."""
        if source is Source.EVENT:
            return "e.properties", name
        alias = self._joins.setdefault((source, name), f"trait{len(self._joins)}")
        return f"{alias}.value", None

    def text(self, source: Source, name: str) -> str:
        """A property as text ('' when missing or null), for breakdowns."""
        column, key = self.value(source, name)
        return f"coalesce({self._json_text(column, key)}, '')"

    def joins(self) -> str:
        """LEFT JOINs bringing in each trait the compiled conditions named."""
        parts = []
        for (source, name), alias in self._joins.items():
            trait = self.params.add(name)
            if source is Source.PERSON:
                parts.append(
                    f"LEFT JOIN person_traits {alias} ON {alias}.app_id = e.app_id "
                    f"AND {alias}.person_id = e.person_id AND {alias}.trait = {trait}"
                )
            else:
                parts.append(
                    f"LEFT JOIN account_traits {alias} ON {alias}.app_id = e.app_id "
                    f"AND {alias}.account_id = e.account_id AND {alias}.trait = {trait}"
                )
        return "\n".join(parts)

    def all_of(self, filters: list[Filter]) -> str:
        """A condition true when every filter holds (true for none)."""
        return " AND ".join(f"({self.condition(f)})" for f in filters) or "true"

    def not_test_account(self) -> str:
        """True unless the event's person is marked as a test account."""
        column, key = self.value(Source.PERSON, TEST_ACCOUNT_TRAIT)
        return f"NOT {self._is_json_bool(column, key, True)}"

    def condition(self, f: Filter) -> str:
        """One filter as a condition that is never NULL."""
        column, key = self.value(f.source, f.property)
        if f.op is Op.IS_SET:
            return f"coalesce({self._json_type(column, key)} <> 'NULL', false)"
        if f.op is Op.IS_NOT_SET:
            return f"NOT coalesce({self._json_type(column, key)} <> 'NULL', false)"
        if f.op is Op.IN:
            assert isinstance(f.value, list)
            return " OR ".join(f"({self._equals(column, key, v)})" for v in f.value)
        if f.op is Op.EQ:
            return self._equals(column, key, f.value)
        if f.op is Op.NEQ:
            return f"NOT ({self._equals(column, key, f.value)})"
        if f.op in (Op.CONTAINS, Op.REGEX):
            text, pattern = self._json_text(column, key), self.params.add(f.value)
            test = (
                f"contains(lower({text}), lower({pattern}))"
                if f.op is Op.CONTAINS
                else f"regexp_matches({text}, {pattern})"
            )
            return f"coalesce({self._is_json_string(column, key)} AND {test}, false)"
        symbol = {Op.GT: ">", Op.GTE: ">=", Op.LT: "<", Op.LTE: "<="}[f.op]
        number = self._json_number(column, key)
        return f"coalesce({number} {symbol} {self.params.add(f.value)}, false)"

    def _equals(self, column: str, key: str | None, value: object) -> str:
        if isinstance(value, bool):
            return self._is_json_bool(column, key, value)
        if isinstance(value, int | float):
            number = self._json_number(column, key)
            return f"coalesce({number} = {self.params.add(float(value))}, false)"
        return (
            f"coalesce({self._is_json_string(column, key)} "
            f"AND {self._json_text(column, key)} = {self.params.add(value)}, false)"
        )

    # A property is read from a JSON column: the top-level `key` of event properties, or (a key
    # of None) a trait's whole value.

    def _path(self, key: str | None) -> str:
        # Names are limited by the query models (no quotes or backslashes); bound all the same.
        return self.params.add("$" if key is None else f'$."{key}"')

    def _json_type(self, column: str, key: str | None) -> str:
        """The value's JSON type name (NULL when absent)."""
        return f"json_type({column}, {self._path(key)})"

    def _json_text(self, column: str, key: str | None) -> str:
        """The value as text: strings bare, other values as JSON text."""
        return f"json_extract_string({column}, {self._path(key)})"

    def _json_number(self, column: str, key: str | None) -> str:
        """The value as a double when it is a JSON number, else NULL."""
        path = self._path(key)
        return (
            f"CASE WHEN json_type({column}, {path}) IN {_NUMBER_TYPES} "
            f"THEN TRY_CAST(json_extract_string({column}, {path}) AS DOUBLE) END"
        )

    def _is_json_string(self, column: str, key: str | None) -> str:
        return f"coalesce({self._json_type(column, key)} = 'VARCHAR', false)"

    def _is_json_bool(self, column: str, key: str | None, value: bool) -> str:
        path = self._path(key)
        return (
            f"coalesce(json_type({column}, {path}) = 'BOOLEAN' "
            f"AND json_extract_string({column}, {path}) = '{'true' if value else 'false'}', false)"
        )
