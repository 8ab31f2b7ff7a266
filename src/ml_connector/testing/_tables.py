"""Record tables for the simulators: rows held as dicts, or as loaders that regenerate them.

A generated day of 100,000 shipments would take gigabytes as dicts. A lazily loaded row keeps
only a small index tuple (the fields filters and sorts need) and a loader that regenerates the
full record from its seed when a page is served. A row that is changed (a void, an update) is
materialised into a private dict first.

Filtered, sorted id lists are cached per query (keyed by the filter and the table's version), so
walking 200 pages of a 100,000-row result scans the table once, not 200 times. A query narrowed
to one value of a looked-up field (the shipments of one order, asked once per record) reads
only the rows holding that value, and leaves the cached listing alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

from ._lookup import Lookup, Positions

__all__ = ["Row", "Table"]

IndexT = TypeVar("IndexT")
Record = dict[str, Any]


class Row(Generic[IndexT]):
    """One record: its index tuple and the record itself (or a loader for it)."""

    __slots__ = ("_loader", "_record", "index")

    def __init__(
        self,
        index: IndexT,
        record: Record | None = None,
        loader: Callable[[], Record] | None = None,
    ) -> None:
        if (record is None) == (loader is None):
            raise ValueError("a row needs exactly one of record and loader")
        self.index = index
        self._record = record
        self._loader = loader

    def record(self) -> Record:
        """The record (regenerated for a lazy row; do not mutate it)."""
        if self._record is not None:
            return self._record
        assert self._loader is not None
        return self._loader()

    def materialise(self) -> Record:
        """The record as a private, mutable dict held by the row from now on."""
        if self._record is None:
            assert self._loader is not None
            self._record = copy.deepcopy(self._loader())
            self._loader = None
        return self._record


class Table(Generic[IndexT]):
    """Rows by id, in insertion order, with a cached query.

    Args:
        name: For error messages.
        key: Extracts the id from a record.
        index: Builds a row's index tuple from its record.
        lookups: Fields of the index tuple that :meth:`query` can narrow to one value, by
            name: ``{"order_id": lambda ix: ix.order_id}``.
    """

    def __init__(
        self,
        name: str,
        key: Callable[[Record], Hashable],
        index: Callable[[Record], IndexT],
        lookups: Mapping[str, Callable[[IndexT], Hashable]] | None = None,
    ) -> None:
        self.name = name
        self._key = key
        self._index = index
        self.rows: dict[Hashable, Row[IndexT]] = {}
        self.version = 0
        self._cache: tuple[Hashable, int, list[Row[IndexT]]] | None = None
        self._positions = Positions()
        self._fields = dict(lookups or {})
        self._lookups = {name: Lookup() for name in self._fields}

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row[IndexT]]:
        return iter(self.rows.values())

    def add(self, record: Record, loader: Callable[[], Record] | None = None) -> Hashable:
        """Add (or replace) a record; with ``loader`` only the index is kept."""
        key = self._key(record)
        index = self._index(record)
        row = Row(index, loader=loader) if loader is not None else Row(index, record=record)
        self.rows[key] = row
        self._indexed(key, index)
        self.version += 1
        return key

    def _indexed(self, key: Hashable, index: IndexT) -> None:
        self._positions.add(key)
        for name, lookup in self._lookups.items():
            lookup.add(key, self._fields[name](index))

    def reindex(self, key: Hashable) -> Record:
        """Materialise a row for mutation; call :meth:`touched` after changing it."""
        return self.rows[key].materialise()

    def touched(self, key: Hashable) -> None:
        """Rebuild the index of a row whose record was changed."""
        row = self.rows[key]
        row.index = self._index(row.record())
        self._indexed(key, row.index)
        self.version += 1

    def get(self, key: Hashable) -> Record | None:
        row = self.rows.get(key)
        return None if row is None else row.record()

    def query(
        self,
        cache_key: Hashable,
        predicates: Sequence[Callable[[IndexT], bool]],
        sort: Callable[[IndexT], Any] | None = None,
        *,
        reverse: bool = False,
        record_predicates: Sequence[Callable[[Record], bool]] = (),
        narrow: tuple[str, Hashable] | None = None,
    ) -> list[Row[IndexT]]:
        """Rows matching every predicate, sorted (stable, insertion order for ties).

        ``narrow`` (a looked-up field's name and a value) reads only the rows whose field
        equals the value; the predicates must still say so (the look-up only narrows). Such a
        query is not cached, so it does not evict the listing being paged through.
        """
        keys = None if narrow is None else self._lookups[narrow[0]].keys(narrow[1])
        if keys is not None:
            candidates = [self.rows[key] for key in self._positions.ordered(keys)]
            return self._filter(candidates, predicates, sort, reverse, record_predicates)
        if self._cache is not None and self._cache[:2] == (cache_key, self.version):
            return self._cache[2]
        rows = self._filter(self.rows.values(), predicates, sort, reverse, record_predicates)
        self._cache = (cache_key, self.version, rows)
        return rows

    @staticmethod
    def _filter(
        candidates: Iterable[Row[IndexT]],
        predicates: Sequence[Callable[[IndexT], bool]],
        sort: Callable[[IndexT], Any] | None,
        reverse: bool,
        record_predicates: Sequence[Callable[[Record], bool]],
    ) -> list[Row[IndexT]]:
        rows = [row for row in candidates if all(p(row.index) for p in predicates)]
        if record_predicates:
            rows = [row for row in rows if all(p(row.record()) for p in record_predicates)]
        if sort is not None:
            # None sorts first, like an SQL NULL under ASC.
            rows.sort(key=lambda row: _none_first(sort(row.index)), reverse=reverse)
        elif reverse:
            rows.reverse()
        return rows


def _none_first(value: Any) -> tuple[int, Any]:
    return (0, 0) if value is None else (1, value)
