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
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

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
    if store_id is not None and store_id not in config.stores:
        store_id = None  # an unmapped store adds no layer
    memo = config._memo
    key = ("account", purpose, warehouse_id, store_id)
    found: str | None = memo.get(key)
    if found is None:
        # Only a combination that composes is kept: a failure raises again, naming its record.
        found = memo[key] = _compose(config, purpose, warehouse_id, store_id, record)
    return found


def _accounts_for(
    config: MappingConfig,
    purposes: tuple[AccountPurpose, ...],
    warehouse_id: str,
    store_id: str | None = None,
    *,
    record: str | None = None,
) -> tuple[str, ...]:
    """:func:`account_for` of each of ``purposes``, in order, looked up together.

    Raises:
        MappingError: as :func:`account_for` raises for the first purpose that fails.
    """
    memo = config._memo
    key = ("accounts", purposes, warehouse_id, store_id)
    found: tuple[str, ...] | None = memo.get(key)
    if found is None:
        # Kept only once every purpose composes (account_for keeps each one the same way).
        found = memo[key] = tuple(
            account_for(config, p, warehouse_id, store_id, record=record) for p in purposes
        )
    return found


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
