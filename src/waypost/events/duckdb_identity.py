"""Identity, traits and profiles in DuckDB, updated inside the append's transaction.

The store's writer keeps a mirror of `person_ids` in memory (`Identities`), so the usual append,
whose ids are all known and whose links are all made, runs no identity SQL at all: each row's
person comes from the mirror, and only new ids, links and merges are written. DuckDB's
`INSERT … ON CONFLICT` costs grow with the table when most keys already exist (figures in
docs/lab/performance-history.md), which is why nothing here upserts known ids on the way to an
acknowledgement, and why profile counts go to an append-only backlog that `fold_activity`
adds up between appends.

Every function works on the cursor of an open transaction in which the new (not duplicate)
rows, each with its `person_id`, are registered as the relation `incoming`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from waypost.events.identity import Link, LinkPlan, plan_links
from waypost.events.schema import PREVIEW_SQL, PREVIEW_STATE_SUFFIX

# Trait changes the new rows carry: identify traits and $set/$set_once (PostHog's way) for
# persons, group traits for accounts. `contains` spares parsing the properties of rows that
# cannot hold a $set (nearly all).
_TRAIT_SETS = """
CREATE OR REPLACE TEMP TABLE trait_sets AS
SELECT r.app_id, 'person' AS entity, r.person_id, NULL::VARCHAR AS account_id, j.key AS trait,
       j.value, r.timestamp AS set_at, r.seq, false AS once
FROM incoming r, json_each(r.properties) j
WHERE r.type = 'identify' AND json_type(r.properties) = 'OBJECT'
  AND j.key NOT IN ('$set', '$set_once')
UNION ALL
SELECT r.app_id, 'person', r.person_id, NULL, j.key, j.value, r.timestamp, r.seq, false
FROM incoming r, json_each(r.properties, '$."$set"') j
WHERE contains(r.properties, '"$set"') AND json_type(r.properties, '$."$set"') = 'OBJECT'
UNION ALL
SELECT r.app_id, 'person', r.person_id, NULL, j.key, j.value, r.timestamp, r.seq, true
FROM incoming r, json_each(r.properties, '$."$set_once"') j
WHERE contains(r.properties, '"$set_once"')
  AND json_type(r.properties, '$."$set_once"') = 'OBJECT'
UNION ALL
SELECT r.app_id, 'account', NULL, r.account_id, j.key, j.value, r.timestamp, r.seq, false
FROM incoming r, json_each(r.properties) j
WHERE r.type = 'group' AND r.account_id IS NOT NULL AND json_type(r.properties) = 'OBJECT'
"""
# Where each kind of trait lives, and the column that names its owner.
_TRAIT_TABLES = (
    ("person", "person_traits", "person_id"),
    ("account", "account_traits", "account_id"),
)
# A history row whenever a value differs from the one before it (in the batch, else stored).
_TRAIT_HISTORY = """
INSERT INTO trait_history
SELECT s.app_id, s.entity, s.{key}::VARCHAR, s.trait, s.value, s.set_at
FROM (
  SELECT *, lag(value) OVER (PARTITION BY app_id, {key}, trait ORDER BY set_at, seq) AS before
  FROM trait_sets WHERE entity = '{entity}' AND NOT once
) s
LEFT JOIN {table} t ON t.app_id = s.app_id AND t.{key} = s.{key} AND t.trait = s.trait
WHERE (CASE WHEN s.before IS NULL THEN t.value ELSE s.before END) IS DISTINCT FROM s.value
"""
_TRAIT_SET = """
INSERT INTO {table}
SELECT app_id, {key}, trait, arg_max(value, (set_at, seq)), max(set_at)
FROM trait_sets WHERE entity = '{entity}' AND NOT once GROUP BY app_id, {key}, trait
ON CONFLICT DO UPDATE SET
  value = CASE WHEN excluded.set_at >= {table}.set_at THEN excluded.value ELSE {table}.value END,
  set_at = greatest({table}.set_at, excluded.set_at)
"""
_TRAIT_SET_ONCE = """
INSERT INTO {table}
SELECT app_id, {key}, trait, arg_min(value, (set_at, seq)), min(set_at)
FROM trait_sets WHERE entity = '{entity}' AND once GROUP BY app_id, {key}, trait
ON CONFLICT DO NOTHING
RETURNING app_id, '{entity}', {key}::VARCHAR, trait, value, set_at
"""
# Profiles: a plain insert per append; `fold_activity` moves them into the keyed tables.
_BACKLOG = """
INSERT INTO activity_backlog
SELECT app_id, person_id, account_id, event, count(*), min(timestamp), max(timestamp),
       timestamp::DATE AS day
FROM incoming GROUP BY app_id, person_id, account_id, event, day
"""
# Guidance events (those about a content item) also count per item, with the latest's version.
_CONTENT_BACKLOG = f"""
INSERT INTO content_backlog
SELECT app_id, person_id,
       CASE WHEN {PREVIEW_SQL} THEN content_id || '{PREVIEW_STATE_SUFFIX}' ELSE content_id END
         AS state_key,
       event, count(*), min(timestamp), max(timestamp),
       arg_max(TRY_CAST(json_extract_string(properties, '$."$content_version"') AS INTEGER),
               (timestamp, seq)),
       arg_max(content_step, (timestamp, seq))
FROM incoming WHERE content_id IS NOT NULL AND starts_with(event, '$')
GROUP BY app_id, person_id, state_key, event
"""
_CONTENT_UPSERT = """
    ON CONFLICT DO UPDATE SET
      count = content_activity.count + excluded.count,
      first_seen = least(content_activity.first_seen, excluded.first_seen),
      last_version = CASE WHEN excluded.last_seen >= content_activity.last_seen
        THEN excluded.last_version ELSE content_activity.last_version END,
      last_step = CASE WHEN excluded.last_seen >= content_activity.last_seen
        THEN excluded.last_step ELSE content_activity.last_step END,
      last_seen = greatest(content_activity.last_seen, excluded.last_seen)"""
_FOLD = (
    """INSERT INTO person_event_stats
    SELECT app_id, person_id, event, sum(count), min(first_seen), max(last_seen)
    FROM activity_backlog GROUP BY app_id, person_id, event
    ON CONFLICT DO UPDATE SET
      count = person_event_stats.count + excluded.count,
      first_seen = least(person_event_stats.first_seen, excluded.first_seen),
      last_seen = greatest(person_event_stats.last_seen, excluded.last_seen)""",
    """INSERT INTO accounts
    SELECT app_id, account_id, min(first_seen), max(last_seen)
    FROM activity_backlog WHERE account_id IS NOT NULL GROUP BY app_id, account_id
    ON CONFLICT DO UPDATE SET
      first_seen = least(accounts.first_seen, excluded.first_seen),
      last_seen = greatest(accounts.last_seen, excluded.last_seen)""",
    """INSERT INTO person_daily_events
    SELECT app_id, person_id, event, day, sum(count)
    FROM activity_backlog WHERE day IS NOT NULL GROUP BY app_id, person_id, event, day
    ON CONFLICT DO UPDATE SET count = person_daily_events.count + excluded.count""",
    "DELETE FROM activity_backlog",
    """INSERT INTO content_activity
    SELECT app_id, person_id, content_id, event, sum(count), min(first_seen), max(last_seen),
           arg_max(last_version, last_seen), arg_max(last_step, last_seen)
    FROM content_backlog GROUP BY app_id, person_id, content_id, event"""
    + _CONTENT_UPSERT,
    "DELETE FROM content_backlog",
)
# A group message makes its account the person's current one, unless a later one already did.
_CURRENT_ACCOUNT = """
UPDATE persons SET account_id = g.account_id, account_set_at = g.set_at
FROM (
  SELECT app_id, person_id, arg_max(account_id, (timestamp, seq)) AS account_id,
         max(timestamp) AS set_at
  FROM incoming WHERE type = 'group' AND account_id IS NOT NULL GROUP BY app_id, person_id
) g
WHERE persons.app_id = g.app_id AND persons.person_id = g.person_id
  AND (persons.account_set_at IS NULL OR persons.account_set_at <= g.set_at)
"""
# A merge moves the loser's ids first (the mirror needs the moved ids this returns), then runs
# `_MERGE_STATEMENTS`.
_MOVE_IDS = """UPDATE person_ids SET person_id = m.winner FROM merges m
WHERE person_ids.app_id = m.app_id AND person_ids.person_id = m.loser
RETURNING person_ids.app_id, person_ids.distinct_id, person_ids.person_id"""
_MERGE_STATEMENTS = (
    # Events keep the person they were stored with; overrides point it (flattened) to the winner.
    """UPDATE person_overrides SET person_id = m.winner FROM merges m
    WHERE person_overrides.app_id = m.app_id AND person_overrides.person_id = m.loser""",
    "INSERT INTO person_overrides SELECT app_id, loser, winner FROM merges",
    """UPDATE activity_backlog SET person_id = m.winner FROM merges m
    WHERE activity_backlog.app_id = m.app_id AND activity_backlog.person_id = m.loser""",
    """UPDATE content_backlog SET person_id = m.winner FROM merges m
    WHERE content_backlog.app_id = m.app_id AND content_backlog.person_id = m.loser""",
    """INSERT INTO person_daily_events
    SELECT s.app_id, m.winner, s.event, s.day, sum(s.count)
    FROM person_daily_events s JOIN merges m ON s.app_id = m.app_id AND s.person_id = m.loser
    GROUP BY s.app_id, m.winner, s.event, s.day
    ON CONFLICT DO UPDATE SET count = person_daily_events.count + excluded.count""",
    """DELETE FROM person_daily_events s USING merges m
    WHERE s.app_id = m.app_id AND s.person_id = m.loser""",
    """INSERT INTO content_activity
    SELECT s.app_id, m.winner, s.content_id, s.event, sum(s.count), min(s.first_seen),
           max(s.last_seen), arg_max(s.last_version, s.last_seen), arg_max(s.last_step, s.last_seen)
    FROM content_activity s JOIN merges m ON s.app_id = m.app_id AND s.person_id = m.loser
    GROUP BY s.app_id, m.winner, s.content_id, s.event"""
    + _CONTENT_UPSERT,
    """DELETE FROM content_activity s USING merges m
    WHERE s.app_id = m.app_id AND s.person_id = m.loser""",
    """INSERT INTO person_event_stats
    SELECT s.app_id, m.winner, s.event, sum(s.count), min(s.first_seen), max(s.last_seen)
    FROM person_event_stats s JOIN merges m ON s.app_id = m.app_id AND s.person_id = m.loser
    GROUP BY s.app_id, m.winner, s.event
    ON CONFLICT DO UPDATE SET
      count = person_event_stats.count + excluded.count,
      first_seen = least(person_event_stats.first_seen, excluded.first_seen),
      last_seen = greatest(person_event_stats.last_seen, excluded.last_seen)""",
    """DELETE FROM person_event_stats s USING merges m
    WHERE s.app_id = m.app_id AND s.person_id = m.loser""",
    """INSERT INTO person_traits
    SELECT t.app_id, m.winner, t.trait, arg_max(t.value, t.set_at), max(t.set_at)
    FROM person_traits t JOIN merges m ON t.app_id = m.app_id AND t.person_id = m.loser
    GROUP BY t.app_id, m.winner, t.trait
    ON CONFLICT DO UPDATE SET
      value = CASE WHEN excluded.set_at > person_traits.set_at
              THEN excluded.value ELSE person_traits.value END,
      set_at = greatest(person_traits.set_at, excluded.set_at)""",
    """DELETE FROM person_traits t USING merges m
    WHERE t.app_id = m.app_id AND t.person_id = m.loser""",
    """UPDATE trait_history SET entity_id = m.winner::VARCHAR FROM merges m
    WHERE trait_history.entity = 'person' AND trait_history.app_id = m.app_id
      AND trait_history.entity_id = m.loser::VARCHAR""",
    # The merged person keeps the earliest creation and the most recently set account.
    """UPDATE persons SET created_at = least(persons.created_at, x.created_at),
      account_id = CASE
        WHEN x.account_set_at > coalesce(persons.account_set_at, TIMESTAMP '1970-01-01')
        THEN x.account_id ELSE persons.account_id END,
      account_set_at = greatest(persons.account_set_at, x.account_set_at)
    FROM (
      SELECT p.app_id, m.winner, min(p.created_at) AS created_at,
             arg_max(p.account_id, p.account_set_at) AS account_id,
             max(p.account_set_at) AS account_set_at
      FROM persons p JOIN merges m ON p.app_id = m.app_id AND p.person_id = m.loser
      GROUP BY p.app_id, m.winner
    ) x
    WHERE persons.app_id = x.app_id AND persons.person_id = x.winner""",
    """DELETE FROM persons p USING merges m WHERE p.app_id = m.app_id AND p.person_id = m.loser""",
)


class Identities:
    """The writer's mirror of `person_ids`: every (app, id) → person, and the persons that have a
    userId. Loaded by the store's first write and changed only by the store's own writes.
    Changes made inside a transaction are staged, and kept by `commit` or dropped by `discard`."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._ids: dict[str, dict[str, int]] = defaultdict(dict)
        self._users: dict[str, set[int]] = defaultdict(set)
        self._staged_ids: dict[str, dict[str, int]] = defaultdict(dict)
        self._staged_users: dict[str, set[int]] = defaultdict(set)
        result = cursor.execute("SELECT app_id, distinct_id, person_id, is_user FROM person_ids")
        while batch := result.fetchmany(100_000):
            for app_id, distinct_id, person_id, is_user in batch:
                self._ids[app_id][distinct_id] = person_id
                if is_user:
                    self._users[app_id].add(person_id)

    def person(self, app_id: str, distinct_id: str) -> int | None:
        """The person the id belongs to, counting what this transaction staged."""
        staged = self._staged_ids.get(app_id)
        if staged and distinct_id in staged:
            return staged[distinct_id]
        return self._ids[app_id].get(distinct_id)

    def identified(self, app_id: str, person_id: int) -> bool:
        """Whether the person has a userId."""
        return person_id in self._users[app_id] or person_id in self._staged_users[app_id]

    def stage(self, app_id: str, distinct_id: str, person_id: int, is_user: bool) -> None:
        """Record an id's person, to be kept when the transaction commits."""
        self._staged_ids[app_id][distinct_id] = person_id
        if is_user:
            self._staged_users[app_id].add(person_id)

    def stage_user(self, app_id: str, person_id: int) -> None:
        """Record that the person now has a userId (one merged into it had)."""
        self._staged_users[app_id].add(person_id)

    def commit(self) -> None:
        """Keep what the transaction staged."""
        for app_id, ids in self._staged_ids.items():
            self._ids[app_id].update(ids)
        for app_id, users in self._staged_users.items():
            self._users[app_id].update(users)
        self.discard()

    def discard(self) -> None:
        """Forget what the transaction staged (it rolled back)."""
        self._staged_ids.clear()
        self._staged_users.clear()

    def forget(self, app_id: str, distinct_ids: list[str], person_id: int) -> None:
        """An erased person's ids (after the erasure committed)."""
        for distinct_id in distinct_ids:
            self._ids[app_id].pop(distinct_id, None)
        self._users[app_id].discard(person_id)


def apply_identity(
    cursor: duckdb.DuckDBPyConnection, incoming: pa.Table, now: datetime, identities: Identities
) -> pa.Array:
    """Map every id in `incoming` to a person (new ids get new persons), apply the links and
    merges they carry, and return each row's person. Runs inside the caller's transaction.

    Python looks at each distinct id and each distinct link once, however many rows repeat them:
    the rows map to their ids' persons in Arrow."""
    stamp = now.replace(tzinfo=None)
    links = _distinct_links(incoming)
    if links.num_rows:
        _link_ids(cursor, incoming, links, identities, stamp)
    apps = incoming.column("app_id")
    app_ids = pc.unique(apps).to_pylist()
    if len(app_ids) == 1:
        return _persons_of_ids(cursor, incoming, app_ids[0], identities, stamp)
    found = np.zeros(incoming.num_rows, dtype=np.int64)
    for app_id in app_ids:
        in_app = pc.equal(apps, app_id)
        persons = _persons_of_ids(cursor, incoming.filter(in_app), app_id, identities, stamp)
        found[pc.indices_nonzero(in_app).to_numpy()] = persons.to_numpy()
    return pa.array(found)


def _distinct_links(incoming: pa.Table) -> pa.Table:
    """The links the rows carry (app, alias, source, user), each at its first occurrence in time
    order (arrival breaks ties), in that order. A link applied again later changes nothing: after
    it, either both ids are one person or the rules refused the merge for good (the source's
    person has a userId, which no later link takes away)."""
    alias = pc.equal(incoming.column("type"), "alias")
    source = pc.if_else(alias, incoming.column("previous_id"), incoming.column("anonymous_id"))
    user = incoming.column("user_id")
    carries = pc.fill_null(pc.not_equal(source, user), False)
    if not pc.any(carries).as_py():
        return pa.table({"app_id": pa.array([], pa.string())})
    links = (
        pa.table(
            {
                "app_id": incoming.column("app_id"),
                "alias": alias,
                "source": source,
                "user_id": user,
                "timestamp": incoming.column("timestamp"),
                "seq": incoming.column("seq"),
            }
        )
        .filter(carries)
        .sort_by([("timestamp", "ascending"), ("seq", "ascending")])
    )
    return first_of_each(links, ["app_id", "alias", "source", "user_id"])


def first_of_each(table: pa.Table, keys: list[str]) -> pa.Table:
    """The table's rows, in their order, without those repeating an earlier row's `keys`."""
    positions = table.select(keys).append_column(
        "position", pa.array(np.arange(table.num_rows), pa.int64())
    )
    firsts = positions.group_by(keys, use_threads=False).aggregate([("position", "min")])
    if firsts.num_rows == table.num_rows:
        return table
    return table.take(np.sort(firsts.column("position_min").to_numpy()))


def _persons_of_ids(
    cursor: duckdb.DuckDBPyConnection,
    rows: pa.Table,
    app_id: str,
    identities: Identities,
    stamp: datetime,
) -> pa.Array:
    """Each row's person, for rows of one app; ids never seen get a person of their own (in the
    order they first appear)."""
    encoded = pc.dictionary_encode(rows.column("distinct_id")).combine_chunks()
    ids = encoded.dictionary.to_pylist()
    persons = [identities.person(app_id, distinct_id) for distinct_id in ids]
    unknown = [index for index, person in enumerate(persons) if person is None]
    if unknown:
        users = _first_seen_as_user(rows, app_id, [ids[index] for index in unknown])
        _new_persons(
            cursor,
            {(app_id, ids[index]): ids[index] in users for index in unknown},
            identities,
            stamp,
        )
        persons = [identities.person(app_id, distinct_id) for distinct_id in ids]
    return pa.array(persons, pa.int64()).take(encoded.indices)


def activity_statements(incoming: pa.Table) -> list[str]:
    """The statements that bring profile counts and current accounts up to date with the rows of
    `incoming` (with their persons). Plain SQL that returns nothing, so the store can send them
    to DuckDB in one call with the events insert and the commit."""
    statements = [_BACKLOG]
    if pc.any(pc.is_valid(incoming.column("content_id"))).as_py():
        statements.append(_CONTENT_BACKLOG)
    if pc.any(pc.equal(incoming.column("type"), "group")).as_py():
        statements.append(_CURRENT_ACCOUNT)
    return statements


def carries_traits(incoming: pa.Table) -> bool:
    """Whether any row sets traits (identify, group, or properties with $set or $set_once)."""
    types = incoming.column("type")
    carrying = pc.or_(
        pc.is_in(types, pa.array(["identify", "group"])),
        pc.match_substring(incoming.column("properties"), '"$set'),
    )
    return bool(pc.any(carrying).as_py())


def fold_activity(cursor: duckdb.DuckDBPyConnection) -> None:
    """Add the backlog of profile counts into `person_event_stats` and `accounts`, in one
    statement each, and empty it. Runs inside the caller's transaction."""
    for statement in _FOLD:
        cursor.execute(statement)


def _link_ids(
    cursor: duckdb.DuckDBPyConnection,
    incoming: pa.Table,
    links: pa.Table,
    identities: Identities,
    stamp: datetime,
) -> None:
    """Apply the links (from `_distinct_links`, in time order) that the mirror does not already
    show applied."""
    person = identities.person
    links_by_app: dict[str, list[Link]] = defaultdict(list)
    for app_id, alias, source, user_id in zip(
        *(links.column(name).to_pylist() for name in ("app_id", "alias", "source", "user_id")),
        strict=True,
    ):
        known = person(app_id, source)
        if known is None or known != person(app_id, user_id):
            links_by_app[app_id].append(Link(source, user_id, alias))
    for app_id, app_links in links_by_app.items():
        ids = {i for link in app_links for i in (link.source, link.user_id)}
        known_ids = {i: p for i in ids if (p := person(app_id, i)) is not None}
        identified = {p for p in known_ids.values() if identities.identified(app_id, p)}
        users = _first_seen_as_user(incoming, app_id, sorted(ids - known_ids.keys()))
        # A link makes at most two persons (a shared computer's second user, and the first).
        fresh = iter(_next_person_ids(cursor, 2 * len(app_links)))
        plan = plan_links(app_links, known_ids, identified, fresh.__next__, users)
        _write_plan(cursor, app_id, plan, identities, stamp)


def _first_seen_as_user(rows: pa.Table, app_id: str, candidates: list[str]) -> set[str]:
    """Of the candidate ids of the app (new to the store), those whose first appearance in the
    rows, in time order with arrival breaking ties, is as a userId: the flag one message at a
    time would give them. An alias's previousId and an anonymousId appear as other ids."""
    if not candidates:
        return set()
    alias = pc.equal(rows.column("type"), "alias")
    previous = pc.if_else(alias, rows.column("previous_id"), pa.scalar(None, pa.string()))
    seen = pa.concat_tables(
        pa.table(
            {
                "app_id": rows.column("app_id"),
                "id": ids,
                "as_user": pa.array(np.full(rows.num_rows, as_user)),
                "timestamp": rows.column("timestamp"),
                "seq": rows.column("seq"),
            }
        )
        for ids, as_user in (
            (rows.column("user_id"), True),
            (rows.column("anonymous_id"), False),
            (previous, False),
        )
    )
    wanted = pc.and_(
        pc.equal(seen.column("app_id"), app_id),
        pc.is_in(seen.column("id"), value_set=pa.array(candidates, pa.string())),
    )
    seen = seen.filter(wanted).sort_by(
        [("timestamp", "ascending"), ("seq", "ascending"), ("as_user", "descending")]
    )
    first = first_of_each(seen, ["id"])
    return set(first.filter(first.column("as_user")).column("id").to_pylist())


def _arrow(result: duckdb.DuckDBPyConnection) -> pa.Table:
    """The rows a statement returned (RETURNING), as a table to register for the next one."""
    names = [column[0] for column in result.description or ()]
    rows = result.fetchall()
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})


def _next_person_ids(cursor: duckdb.DuckDBPyConnection, count: int) -> list[int]:
    """`count` new person ids from the sequence, in one query."""
    rows = cursor.execute("SELECT nextval('person_seq') FROM range(?)", [count]).fetchall()
    return [int(row[0]) for row in rows]


def _new_persons(
    cursor: duckdb.DuckDBPyConnection,
    unknown: dict[tuple[str, str], bool],
    identities: Identities,
    stamp: datetime,
) -> None:
    """A person of its own for each id never seen (and not linked to another)."""
    persons = _next_person_ids(cursor, len(unknown))
    ids = [(a, i, p, user) for ((a, i), user), p in zip(unknown.items(), persons, strict=True)]
    _add_ids(cursor, [(a, p) for a, _, p, _ in ids], ids, identities, stamp)


def _add_ids(
    cursor: duckdb.DuckDBPyConnection,
    persons: list[tuple[str, int]],
    ids: list[tuple[str, str, int, bool]],
    identities: Identities,
    stamp: datetime,
) -> None:
    """Insert new persons (app, person) and new ids (app, id, person, is_user), one set-based
    insert each (a statement per row would cost a round trip per person), and stage the ids."""
    if persons:
        _insert(cursor, "persons", "app_id, person_id, ?, NULL, NULL", stamp, {
            "app_id": [a for a, _ in persons],
            "person_id": pa.array([p for _, p in persons], pa.int64()),
        })  # fmt: skip
    if ids:
        _insert(cursor, "person_ids", "app_id, distinct_id, person_id, is_user, ?", stamp, {
            "app_id": [a for a, _, _, _ in ids],
            "distinct_id": [i for _, i, _, _ in ids],
            "person_id": pa.array([p for _, _, p, _ in ids], pa.int64()),
            "is_user": [user for _, _, _, user in ids],
        })  # fmt: skip
    for app_id, distinct_id, person_id, is_user in ids:
        identities.stage(app_id, distinct_id, person_id, is_user)


def _write_plan(
    cursor: duckdb.DuckDBPyConnection,
    app_id: str,
    plan: LinkPlan[int],
    identities: Identities,
    stamp: datetime,
) -> None:
    _add_ids(
        cursor,
        [(app_id, person_id) for person_id in sorted(plan.new_persons)],
        [(app_id, i, person_id, is_user) for i, (person_id, is_user) in plan.assign.items()],
        identities,
        stamp,
    )
    if plan.merges:
        merges = pa.table(
            {
                "app_id": [app_id] * len(plan.merges),
                "loser": pa.array(list(plan.merges), pa.int64()),
                "winner": pa.array(list(plan.merges.values()), pa.int64()),
            }
        )
        cursor.register("merges", merges)
        for moved_app, distinct_id, person_id in cursor.execute(_MOVE_IDS).fetchall():
            identities.stage(moved_app, distinct_id, person_id, False)
        for loser, winner in plan.merges.items():
            if identities.identified(app_id, loser):
                identities.stage_user(app_id, winner)
        for statement in _MERGE_STATEMENTS:
            cursor.execute(statement)
        cursor.unregister("merges")


def _insert(
    cursor: duckdb.DuckDBPyConnection,
    table: str,
    columns: str,
    stamp: datetime,
    values: dict[str, Any],
) -> None:
    cursor.register("planned", pa.table(values))
    cursor.execute(f"INSERT INTO {table} SELECT {columns} FROM planned", [stamp])
    cursor.unregister("planned")


def update_traits(cursor: duckdb.DuckDBPyConnection) -> None:
    """Person and account traits, and their history, from the rows of `incoming`."""
    cursor.execute(_TRAIT_SETS)
    for entity, table, key in _TRAIT_TABLES:
        names = {"entity": entity, "table": table, "key": key}
        cursor.execute(_TRAIT_HISTORY.format(**names))
        cursor.execute(_TRAIT_SET.format(**names))
        first_values = _arrow(cursor.execute(_TRAIT_SET_ONCE.format(**names)))
        if first_values.num_rows:
            cursor.register("first_values", first_values)
            cursor.execute("INSERT INTO trait_history SELECT * FROM first_values")
            cursor.unregister("first_values")
    cursor.execute("DROP TABLE trait_sets")
