"""Identity, traits and profiles in DuckDB, updated inside the append's transaction.

Every function here works on the cursor of an open transaction in which the new (not duplicate)
rows are registered as the relation `incoming`. All of it is set-based SQL except the few
messages that link two ids, which go through the rules in `events.identity`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from waypost.events.identity import Link, LinkPlan, plan_links

_LINKS = """
SELECT l.app_id, l.source, l.user_id, l.alias
FROM (
  SELECT app_id, CASE WHEN type = 'alias' THEN previous_id ELSE anonymous_id END AS source,
         user_id, type = 'alias' AS alias, timestamp, seq
  FROM incoming WHERE user_id IS NOT NULL
) l
-- Most messages with both ids repeat a link made long ago (analytics.js sends both on every
-- event after identify); those change nothing and are left out here.
LEFT JOIN person_ids a ON a.app_id = l.app_id AND a.distinct_id = l.source
LEFT JOIN person_ids b ON b.app_id = l.app_id AND b.distinct_id = l.user_id
WHERE l.source IS NOT NULL AND l.source <> l.user_id
  AND (a.person_id IS NULL OR b.person_id IS NULL OR a.person_id <> b.person_id)
ORDER BY l.timestamp, l.seq
"""

# Trait changes the new rows carry: identify traits and $set/$set_once (PostHog's way) for
# persons, group traits for accounts.
_TRAIT_SETS = """
CREATE OR REPLACE TEMP TABLE trait_sets AS
SELECT r.app_id, 'person' AS entity, r.person_id, NULL::VARCHAR AS account_id, j.key AS trait,
       j.value, r.timestamp AS set_at, r.seq, false AS once
FROM resolved r, json_each(r.properties) j
WHERE r.type = 'identify' AND json_type(r.properties) = 'OBJECT'
  AND j.key NOT IN ('$set', '$set_once')
UNION ALL
SELECT r.app_id, 'person', r.person_id, NULL, j.key, j.value, r.timestamp, r.seq, false
FROM resolved r, json_each(r.properties, '$."$set"') j
WHERE json_type(r.properties, '$."$set"') = 'OBJECT'
UNION ALL
SELECT r.app_id, 'person', r.person_id, NULL, j.key, j.value, r.timestamp, r.seq, true
FROM resolved r, json_each(r.properties, '$."$set_once"') j
WHERE json_type(r.properties, '$."$set_once"') = 'OBJECT'
UNION ALL
SELECT r.app_id, 'account', NULL, r.account_id, j.key, j.value, r.timestamp, r.seq, false
FROM resolved r, json_each(r.properties) j
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
_STATS = """
INSERT INTO person_event_stats
SELECT app_id, person_id, event, count(*), min(timestamp), max(timestamp)
FROM resolved GROUP BY app_id, person_id, event
ON CONFLICT DO UPDATE SET
  count = person_event_stats.count + excluded.count,
  first_seen = least(person_event_stats.first_seen, excluded.first_seen),
  last_seen = greatest(person_event_stats.last_seen, excluded.last_seen)
"""
_ACCOUNTS = """
INSERT INTO accounts
SELECT app_id, account_id, min(timestamp), max(timestamp)
FROM resolved WHERE account_id IS NOT NULL GROUP BY app_id, account_id
ON CONFLICT DO UPDATE SET
  first_seen = least(accounts.first_seen, excluded.first_seen),
  last_seen = greatest(accounts.last_seen, excluded.last_seen)
"""
# A group message makes its account the person's current one, unless a later one already did.
_CURRENT_ACCOUNT = """
UPDATE persons SET account_id = g.account_id, account_set_at = g.set_at
FROM (
  SELECT app_id, person_id, arg_max(account_id, (timestamp, seq)) AS account_id,
         max(timestamp) AS set_at
  FROM resolved WHERE type = 'group' AND account_id IS NOT NULL GROUP BY app_id, person_id
) g
WHERE persons.app_id = g.app_id AND persons.person_id = g.person_id
  AND (persons.account_set_at IS NULL OR persons.account_set_at <= g.set_at)
"""
_MERGE_STATEMENTS = (
    """UPDATE person_ids SET person_id = m.winner FROM merges m
    WHERE person_ids.app_id = m.app_id AND person_ids.person_id = m.loser""",
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


def apply_identity(cursor: duckdb.DuckDBPyConnection, incoming: pa.Table, now: datetime) -> None:
    """Map every id in `incoming` to a person, merge as links say, then update traits and
    profiles. Runs inside the caller's transaction."""
    stamp = now.replace(tzinfo=None)
    _link_ids(cursor, stamp)
    new_persons = _arrow(
        cursor.execute(
            """INSERT INTO person_ids
            SELECT app_id, distinct_id, nextval('person_seq'), bool_or(user_id IS NOT NULL), ?
            FROM incoming GROUP BY app_id, distinct_id
            ON CONFLICT DO NOTHING RETURNING app_id, person_id""",
            [stamp],
        )
    )
    if new_persons.num_rows:
        cursor.register("new_persons", new_persons)
        cursor.execute(
            "INSERT INTO persons SELECT app_id, person_id, ?, NULL, NULL FROM new_persons", [stamp]
        )
        cursor.unregister("new_persons")
    cursor.execute(
        """CREATE OR REPLACE TEMP TABLE resolved AS
        SELECT i.app_id, i.seq, i.type, i.event, i.timestamp, i.account_id, i.properties,
               p.person_id
        FROM incoming i
        JOIN person_ids p ON p.app_id = i.app_id AND p.distinct_id = i.distinct_id"""
    )
    cursor.execute(_STATS)
    types = incoming.column("type")
    if pc.any(pc.is_valid(incoming.column("account_id"))).as_py():
        cursor.execute(_ACCOUNTS)
    if pc.any(pc.equal(types, "group")).as_py():
        cursor.execute(_CURRENT_ACCOUNT)
    carries_traits = pc.or_(
        pc.is_in(types, pa.array(["identify", "group"])),
        pc.match_substring(incoming.column("properties"), '"$set'),
    )
    if pc.any(carries_traits).as_py():
        _update_traits(cursor)
    cursor.execute("DROP TABLE resolved")


def _arrow(result: duckdb.DuckDBPyConnection) -> pa.Table:
    """The rows a statement returned (RETURNING), as a table to register for the next one."""
    names = [column[0] for column in result.description or ()]
    rows = result.fetchall()
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})


def _link_ids(cursor: duckdb.DuckDBPyConnection, stamp: datetime) -> None:
    links_by_app: dict[str, list[Link]] = defaultdict(list)
    for app_id, source, user_id, alias in cursor.execute(_LINKS).fetchall():
        links_by_app[app_id].append(Link(source, user_id, alias))
    for app_id, links in links_by_app.items():
        ids = sorted({i for link in links for i in (link.source, link.user_id)})
        known = dict(
            cursor.execute(
                "SELECT distinct_id, person_id FROM person_ids "
                "WHERE app_id = ? AND distinct_id IN (SELECT unnest(?))",
                [app_id, ids],
            ).fetchall()
        )
        identified = {
            row[0]
            for row in cursor.execute(
                "SELECT DISTINCT person_id FROM person_ids WHERE app_id = ? AND is_user "
                "AND person_id IN (SELECT unnest(?))",
                [app_id, sorted(set(known.values()))],
            ).fetchall()
        }
        # Each link makes at most one person: take that many ids from the sequence at once.
        fresh = iter(
            [
                int(row[0])
                for row in cursor.execute(
                    "SELECT nextval('person_seq') FROM range(?)", [len(links)]
                ).fetchall()
            ]
        )
        plan = plan_links(links, known, identified, fresh.__next__)
        _write_plan(cursor, app_id, plan, stamp)


def _write_plan(
    cursor: duckdb.DuckDBPyConnection, app_id: str, plan: LinkPlan, stamp: datetime
) -> None:
    # One set-based insert each; a statement per row would cost a round trip per new person.
    if plan.new_persons:
        persons = sorted(plan.new_persons)
        _insert(cursor, "persons", "app_id, person_id, ?, NULL, NULL", stamp, {
            "app_id": [app_id] * len(persons), "person_id": pa.array(persons, pa.int64())
        })  # fmt: skip
    if plan.assign:
        ids = list(plan.assign)
        _insert(cursor, "person_ids", "app_id, distinct_id, person_id, is_user, ?", stamp, {
            "app_id": [app_id] * len(ids),
            "distinct_id": ids,
            "person_id": pa.array([plan.assign[i][0] for i in ids], pa.int64()),
            "is_user": [plan.assign[i][1] for i in ids],
        })  # fmt: skip
    if plan.merges:
        merges = pa.table(
            {
                "app_id": [app_id] * len(plan.merges),
                "loser": list(plan.merges),
                "winner": list(plan.merges.values()),
            }
        )
        cursor.register("merges", merges)
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


def _update_traits(cursor: duckdb.DuckDBPyConnection) -> None:
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
