"""Recently read person activity, kept in memory for the guidance engine's decisions.

A decision needs one person's profile and guidance state, and DuckDB answers a point query in
about a millisecond, several of which make one read: far too slow for decisions at thousands
per second. The store keeps what it read here and forgets a person the moment a load stores
events that could change them: events of theirs, events naming one of their ids (a merge moves
them), or group calls of their account (its traits). Each load is one generation; a read keeps
the generation it began in, and is remembered only if no load since then changed that person
(the recent changes are kept for this), so nothing stale is kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from waypost.events.store import PersonActivity, PersonProfile

# Persons remembered at most; the least recently read are forgotten first.
CAPACITY = 100_000
# Ids that named nobody, remembered at most (new visitors ask before their first event lands).
UNKNOWN_CAPACITY = 100_000
# Loads whose changes are kept, so a read that spanned them can tell whether it is stale.
CHANGES_KEPT = 256


@dataclass(frozen=True)
class _Change:
    """What one load changed; `known` is false when it was not worked out (nobody was
    remembered then), which makes every read that spanned it stale."""

    generation: int
    persons: frozenset[tuple[str, int]]
    ids: frozenset[tuple[str, str]]
    accounts: frozenset[tuple[str, str]]
    known: bool


def _names(profile: PersonProfile) -> tuple[str, ...]:
    """Every id a read may name the person by: their ids and their person id."""
    return (*profile.user_ids, *profile.anonymous_ids, profile.person_id)


class ActivityCache:
    """Person activity by (app, person id) and the ids that name each person."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, int], tuple[date, PersonActivity]] = OrderedDict()
        self._ids: dict[tuple[str, str], int] = {}
        self._unknown: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0
        self._changes: deque[_Change] = deque(maxlen=CHANGES_KEPT)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def generation(self) -> int:
        """Moves on at every change that forgets something; a read remembers its result only
        when the generation did not move while it read."""
        return self._generation

    def get(self, app_id: str, any_id: str, since: date) -> tuple[bool, PersonActivity | None]:
        """(True, the person) when the id is remembered from `since` or earlier, (True, None)
        when it is remembered to name nobody, (False, None) when the store must be asked."""
        with self._lock:
            if (app_id, any_id) in self._unknown:
                return True, None
            person_id = self._ids.get((app_id, any_id))
            if person_id is None:
                return False, None
            entry = self._entries.get((app_id, person_id))
            if entry is None or entry[0] > since:
                return False, None
            self._entries.move_to_end((app_id, person_id))
        kept, activity = entry
        if kept < since:  # remembered from an earlier day on: only the days asked for
            daily = {key: n for key, n in activity.daily.items() if key[1] >= since}
            activity = PersonActivity(activity.profile, daily, activity.content)
        return True, activity

    def _changed_since(
        self, generation: int, app_id: str, persons: set[int], ids: set[str], account: str | None
    ) -> bool:
        """Whether a load since `generation` may have changed what a read then saw."""
        if generation == self._generation:
            return False
        if not self._changes or self._changes[0].generation > generation + 1:
            return True  # the changes in between are no longer kept
        for change in self._changes:
            if change.generation <= generation:
                continue
            if not change.known:
                return True
            if any((app_id, p) in change.persons for p in persons):
                return True
            if any((app_id, i) in change.ids for i in ids):
                return True
            if account is not None and (app_id, account) in change.accounts:
                return True
        return False

    def put_unknown(self, app_id: str, any_id: str, generation: int) -> None:
        """Remember that the id named nobody when read at `generation`."""
        with self._lock:
            if self._changed_since(generation, app_id, set(), {any_id}, None):
                return
            self._unknown[(app_id, any_id)] = None
            while len(self._unknown) > UNKNOWN_CAPACITY:
                self._unknown.popitem(last=False)

    def put(self, app_id: str, activity: PersonActivity, since: date, generation: int) -> None:
        """Remember a person read while the generation was `generation`."""
        profile = activity.profile
        person_id = int(profile.person_id)
        ids = set(_names(profile))
        with self._lock:
            if self._changed_since(generation, app_id, {person_id}, ids, profile.account_id):
                return
            self._entries[(app_id, person_id)] = (since, activity)
            self._entries.move_to_end((app_id, person_id))
            for distinct_id in ids:
                self._ids[(app_id, distinct_id)] = person_id
            while len(self._entries) > self._capacity:
                (old_app, old_person), (_, old) = self._entries.popitem(last=False)
                self._forget_ids(old_app, old_person, old)

    def _forget_ids(self, app_id: str, person_id: int, activity: PersonActivity) -> None:
        profile = activity.profile
        for distinct_id in _names(profile):
            if self._ids.get((app_id, distinct_id)) == person_id:
                del self._ids[(app_id, distinct_id)]

    def forget(
        self,
        persons: Iterable[tuple[str, int]],
        ids: Iterable[tuple[str, str]] = (),
        accounts: Iterable[tuple[str, str]] = (),
        known: bool = True,
    ) -> None:
        """A load changed these persons, the persons these ids name, and the persons of these
        accounts: forget them (`known=False`: it was not worked out whom; forget nobody, but
        let no read that spanned it be remembered)."""
        with self._lock:
            self._generation += 1
            ids = frozenset(ids)
            persons = frozenset(persons)
            accounts = frozenset(accounts)
            self._changes.append(_Change(self._generation, persons, ids, accounts, known))
            if self.empty:
                return
            for named in ids:
                self._unknown.pop(named, None)
            doomed = set(persons)
            doomed |= {(app, p) for app, i in ids if (p := self._ids.get((app, i))) is not None}
            if accounts:
                doomed |= {
                    key
                    for key, (_, activity) in self._entries.items()
                    if (key[0], activity.profile.account_id) in accounts
                }
            for key in doomed:
                entry = self._entries.pop(key, None)
                if entry is not None:
                    self._forget_ids(key[0], key[1], entry[1])

    def clear(self) -> None:
        """Forget everyone."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._ids.clear()
            self._unknown.clear()

    @property
    def full(self) -> bool:
        """Whether as many persons are remembered as it may hold."""
        return len(self._entries) >= self._capacity

    @property
    def empty(self) -> bool:
        """Whether nobody is remembered (then loads need not say whom they changed)."""
        return not self._entries and not self._unknown
