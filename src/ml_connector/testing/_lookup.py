"""Equality look-ups for the simulators' stores: the keys whose value equals a wanted one.

A simulated day of 100,000 orders makes about as many look-ups (a posting key, an account, the
shipments of an order) as it stores records, so a look-up that scanned every record would make
a long run quadratic. A :class:`Lookup` maps each value to the keys holding it; the stores keep
it up to date on every put and removal.

A look-up only narrows: the caller still checks each candidate with the exact rule it would
have used in a scan, so the answer is the scan's answer. Hashing agrees with ``==`` for the
values JSON gives (strings, numbers, booleans, ``None`` and tuples of them: ``1 == 1.0`` and
their hashes are equal). A value that cannot be hashed (a list, a dict) is kept aside and is a
candidate for every look-up.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

__all__ = ["Lookup", "Positions"]

_ABSENT = object()


class Lookup:
    """Keys by value. The value a key was added with is recorded, so removing the key is exact
    even if its record was since changed in place."""

    __slots__ = ("_buckets", "_odd", "_values")

    def __init__(self) -> None:
        self._buckets: dict[Any, dict[Hashable, None]] = {}
        self._odd: dict[Hashable, None] = {}  # keys whose value cannot be hashed
        self._values: dict[Hashable, Any] = {}

    def __len__(self) -> int:
        return len(self._values)

    def add(self, key: Hashable, value: Any) -> None:
        """Record ``key`` under ``value`` (replacing what it was recorded under before)."""
        self.discard(key)
        try:
            self._buckets.setdefault(value, {})[key] = None
        except TypeError:  # unhashable (or a signalling NaN): a candidate for every look-up
            self._odd[key] = None
        self._values[key] = value

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (nothing happens if it is not recorded)."""
        value = self._values.pop(key, _ABSENT)
        if value is _ABSENT:
            return
        if self._odd.pop(key, _ABSENT) is not _ABSENT:
            return
        bucket = self._buckets[value]
        del bucket[key]
        if not bucket:
            del self._buckets[value]

    def clear(self) -> None:
        self._buckets.clear()
        self._odd.clear()
        self._values.clear()

    def count(self, value: Any) -> int | None:
        """How many keys :meth:`keys` would give; ``None`` if ``value`` cannot be hashed."""
        try:
            bucket = self._buckets.get(value)
        except TypeError:
            return None
        return (0 if bucket is None else len(bucket)) + len(self._odd)

    def keys(self, value: Any) -> list[Hashable] | None:
        """The keys that may hold ``value`` (in no particular order); ``None`` if ``value``
        cannot be hashed, when the caller must scan."""
        try:
            bucket = self._buckets.get(value)
        except TypeError:
            return None
        found = [] if bucket is None else list(bucket)
        found.extend(self._odd)
        return found

    @classmethod
    def build(cls, pairs: Iterable[tuple[Hashable, Any]]) -> Lookup:
        """A look-up of ``(key, value)`` pairs."""
        lookup = cls()
        for key, value in pairs:
            lookup.add(key, value)
        return lookup


class Positions:
    """The insertion rank of each key of an insertion-ordered dict, so candidates from a
    :class:`Lookup` come back in the order a scan of the dict would meet them.

    A replaced key keeps its rank (as it keeps its place in the dict); a removed and re-added
    key goes last (as in the dict).
    """

    __slots__ = ("_next", "_ranks")

    def __init__(self) -> None:
        self._ranks: dict[Hashable, int] = {}
        self._next = 0

    def add(self, key: Hashable) -> None:
        if key not in self._ranks:
            self._ranks[key] = self._next
            self._next += 1

    def discard(self, key: Hashable) -> None:
        self._ranks.pop(key, None)

    def clear(self) -> None:
        self._ranks.clear()

    def ordered(self, keys: Iterable[Hashable]) -> list[Hashable]:
        """``keys`` in insertion order."""
        rank: Callable[[Hashable], int] = self._ranks.__getitem__
        return sorted(keys, key=rank)
