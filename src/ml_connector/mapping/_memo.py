"""What mapping works out once per order (or per configuration) instead of once per shipment.

An order's item keys, its per-item basis and the check of its amounts depend on the order and
the configuration only, yet every shipment of the order needs them. They are kept on the
configuration (:attr:`MappingConfig._memo`, which a copy made with ``attrs.evolve`` does not
share), per order object: a bounded table keyed by the order's identity that holds the order
itself, so an entry can never answer for another order. Only results are kept; a computation
that raises raises again for the next shipment, naming that shipment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ml_connector.shipstation.models import Order

from .config import MappingConfig

__all__ = ["ORDERS_KEPT", "per_order"]

T = TypeVar("T")

ORDERS_KEPT = 1024
"""Orders whose derived values are kept per kind; the table starts over when full (a sync
maps an order's shipments close together, so older orders are rarely asked for again)."""


def per_order(config: MappingConfig, order: Order, kind: str, compute: Callable[[], T]) -> T:
    """``compute()`` for ``order``, worked out once per order and configuration."""
    memo = config._memo
    table: dict[int, tuple[Order, Any]] | None = memo.get(kind)
    if table is None:
        table = memo[kind] = {}
    entry = table.get(id(order))
    if entry is not None and entry[0] is order:
        found: T = entry[1]
        return found
    value = compute()
    if len(table) >= ORDERS_KEPT:
        table.clear()
    table[id(order)] = (order, value)
    return value
