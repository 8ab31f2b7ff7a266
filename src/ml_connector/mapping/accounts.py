"""GL account combinations built from a segment template.

Oracle Fusion takes an account combination as one delimited string of segment values, e.g.
``"01-4011001-00-0177-01-01-00"`` on ``receivablesInvoiceDistributions.AccountCombination`` and
on ``inventoryStagedTransactions.AccountCombination``
(https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/Create_Receivables_Invoices.html).
Nobody types those strings here: a :class:`SegmentTemplate` names the segments in chart-of-
accounts order, one of them is the cost center, and each combination is composed from layered
segment values (defaults, then the purpose's natural account, then warehouse and store
overrides, then the cost center of the warehouse or store).
"""

from __future__ import annotations

import enum
import functools
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ml_connector._errors import MappingError

if TYPE_CHECKING:
    from .config import MappingConfig

__all__ = ["AccountPurpose", "SegmentTemplate", "account_for", "compose_segments"]


class AccountPurpose(enum.Enum):
    """What an account combination is used for. The value is the configuration key."""

    REVENUE = "revenue"
    RECEIVABLE = "receivable"
    FREIGHT = "freight"
    TAX = "tax"
    DISCOUNT = "discount"
    INVENTORY_ISSUE = "inventory_issue"
    INVENTORY_ADJUSTMENT = "inventory_adjustment"

    # Members are singletons compared by identity; the identity hash is the C one, much cheaper
    # than Enum's hash of the name in the dictionaries mapping builds per shipment.
    __hash__ = object.__hash__


REQUIRED_PURPOSES: tuple[AccountPurpose, ...] = (
    AccountPurpose.REVENUE,
    AccountPurpose.RECEIVABLE,
    AccountPurpose.FREIGHT,
    AccountPurpose.TAX,
    AccountPurpose.INVENTORY_ISSUE,
    AccountPurpose.INVENTORY_ADJUSTMENT,
)
"""Purposes every configuration must define. ``discount`` falls back to ``revenue``."""


@attrs.frozen
class SegmentTemplate:
    """The shape of the chart of accounts.

    Attributes:
        names: Segment names in the order Oracle expects them.
        delimiter: The character between segment values (the chart's delimiter, often ``-``).
        cost_center: Which of ``names`` is the cost-center segment.
        lengths: Optional exact length per segment name; a value of another length is refused.
    """

    names: tuple[str, ...]
    delimiter: str = "-"
    cost_center: str = "cost_center"
    lengths: Mapping[str, int] = attrs.field(factory=dict)

    def problems(self, values: Mapping[str, str]) -> list[tuple[str, str]]:
        """``(segment, problem)`` pairs for a complete set of segment values; empty if valid."""
        found: list[tuple[str, str]] = []
        delimiter = self.delimiter
        lengths = self.lengths
        for name in self.names:
            value = values.get(name)
            if value is None or value == "":
                found.append((name, "has no value"))
                continue
            if delimiter in value:
                found.append((name, f"value {value!r} contains the delimiter {delimiter!r}"))
            elif value.split() != [value]:
                # A non-empty value without white space is exactly the one that split() keeps
                # whole (split() and isspace() share Unicode's definition of white space).
                found.append((name, f"value {value!r} contains white space"))
            expected = lengths.get(name)
            if expected is not None and len(value) != expected:
                found.append((name, f"value {value!r} must be {expected} characters long"))
        return found

    def render(self, values: Mapping[str, str]) -> str:
        """Join the segment values in template order.

        Raises:
            MappingError: a segment is missing or malformed.
        """
        found = self.problems(values)
        if found:
            name, problem = found[0]
            raise MappingError(f"account segment {name} {problem}", field=f"segments.{name}")
        return self.delimiter.join(values[name] for name in self.names)


def compose_segments(
    layers: Iterable[Mapping[str, str]], cost_center: str | None, template: SegmentTemplate
) -> dict[str, str]:
    """Merge segment-value layers (later wins), then set the cost-center segment."""
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer)
    if cost_center is not None:
        merged[template.cost_center] = cost_center
    return merged


def account_for(
    config: MappingConfig,
    purpose: AccountPurpose,
    warehouse_id: str,
    store_id: str | None = None,
    *,
    record: str | None = None,
) -> str:
    """The account combination for ``purpose`` at a ShipStation warehouse (and store).

    Layers, later winning: template defaults; the purpose's segments (``discount`` falls back to
    ``revenue``); the warehouse's segments and its per-purpose segments; the store's segments
    and its per-purpose segments; finally the cost center of the store, else the warehouse.

    Raises:
        MappingError: the warehouse is not mapped, or the combination is incomplete.
    """
    known = _cache_for(config, warehouse_id, store_id)
    if known is not None:
        combination = known.single.get((purpose, warehouse_id, store_id))
        if combination is not None:
            return combination
    combination = _compose(config, purpose, warehouse_id, store_id, record)
    if known is not None:
        known.single[(purpose, warehouse_id, store_id)] = combination
    return combination


def _accounts_for(
    config: MappingConfig,
    purposes: tuple[AccountPurpose, ...],
    warehouse_id: str,
    store_id: str | None = None,
    *,
    record: str | None = None,
) -> tuple[str, ...]:
    """:func:`account_for` of each of ``purposes``, in order, looked up together (cached).

    Raises:
        MappingError: as :func:`account_for` raises for the first purpose that fails.
    """
    known = _cache_for(config, warehouse_id, store_id)
    if known is None:
        return tuple(
            account_for(config, p, warehouse_id, store_id, record=record) for p in purposes
        )
    key = (purposes, warehouse_id, store_id)
    combinations = known.bundles.get(key)
    if combinations is None:
        combinations = known.bundles[key] = tuple(
            account_for(config, p, warehouse_id, store_id, record=record) for p in purposes
        )
    return combinations


class _Tables:
    """The combinations already composed for one configuration."""

    __slots__ = ("bundles", "single")

    def __init__(self) -> None:
        self.single: dict[tuple[AccountPurpose, str, str | None], str] = {}
        self.bundles: dict[tuple[tuple[AccountPurpose, ...], str, str | None], tuple[str, ...]] = {}


# id(config) -> (weak reference to the config, its composed combinations). Entries go when
# their configuration is garbage collected, so a recycled id never sees another's entries.
_COMPOSED: dict[int, tuple[weakref.ref[MappingConfig], _Tables]] = {}


def _cache_for(config: MappingConfig, warehouse_id: Any, store_id: Any) -> _Tables | None:
    """The cache of ``config``'s composed combinations, when these keys can index it."""
    # A configuration is frozen, so a combination it composed once is the same every time;
    # keys of any other type go the uncached way (and raise there if they are wrong).
    if type(warehouse_id) is str and (store_id is None or type(store_id) is str):
        return _tables(config)
    return None


def _tables(config: MappingConfig) -> _Tables | None:
    """The combinations already composed for ``config`` (None if it cannot be tracked)."""
    key = id(config)
    entry = _COMPOSED.get(key)
    if entry is not None and entry[0]() is config:
        return entry[1]
    try:
        ref = weakref.ref(config, functools.partial(_forget, key))
    except TypeError:
        return None
    tables = _Tables()
    _COMPOSED[key] = (ref, tables)
    return tables


def _forget(key: int, ref: weakref.ref[MappingConfig]) -> None:
    entry = _COMPOSED.get(key)
    if entry is not None and entry[0] is ref:
        del _COMPOSED[key]


def _compose(
    config: MappingConfig,
    purpose: AccountPurpose,
    warehouse_id: str,
    store_id: str | None,
    record: str | None,
) -> str:
    warehouse = config.warehouse(warehouse_id, record=record)
    store = config.stores.get(store_id) if store_id is not None else None
    key = purpose
    if purpose is AccountPurpose.DISCOUNT and purpose not in config.accounts:
        key = AccountPurpose.REVENUE
    layers: list[Mapping[str, str]] = [
        config.segments_defaults,
        config.accounts.get(key, {}),
        warehouse.segments,
        warehouse.accounts.get(key, {}),
    ]
    cost_center = warehouse.cost_center
    if store is not None:
        layers += [store.segments, store.accounts.get(key, {})]
        cost_center = store.cost_center or cost_center
    values = compose_segments(layers, cost_center, config.segment_template)
    found = config.segment_template.problems(values)
    if found:
        name, problem = found[0]
        raise MappingError(
            f"{purpose.value} account for warehouse {warehouse_id}: segment {name} {problem}",
            field=f"accounts.{purpose.value}.{name}",
            record=record,
        )
    return config.segment_template.delimiter.join(
        values[name] for name in config.segment_template.names
    )
