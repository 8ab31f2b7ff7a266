"""Many posting keys in one Oracle read: the bulk half of find-before-create.

Find-before-create looks every document's posting key up before it is created (what makes a
lost answer harmless). One read per key made Oracle, not ShipStation, set the pace of a sync
on a real pod (hundreds of milliseconds a read). Here one read answers up to
``OracleFusionSettings.bulk_lookup_size`` keys: a ``q`` whose ``or`` groups are each key's own
filter, ``(TransactionNumber='SS-1' and BusinessUnit='US1') or (...)``.

Where the syntax comes from:

- ``or`` in ``q`` needs REST framework version 2 or later: version 1 is query-by-example
  ("Filtering resource collections using the q query parameter is limited to a
  query-by-example",
  https://docs.oracle.com/en/cloud/paas/app-builder-cloud/consume-rest/framework-versions.html);
  "Version 2 supports expanded query expression syntax ... interprets the q query parameter
  differently"
  (https://docs.oracle.com/en/cloud/saas/sales/faaps/Set_the_REST_Framework_Version.html); the
  expression syntax of the ``q`` parameter, ``and``/``or`` of comparisons with parentheses, is
  on https://docs.oracle.com/en/cloud/paas/app-builder-cloud/consume-rest/endpoints.html
  (third-party ADF BC guides list the same operators from version 2: ``and``, ``or``, ``like``).
  So a client pinned to framework 1 never sends ``or`` (:func:`bulk_enabled`), and the
  preflight reports the setting.
- Each group is the key's own filter, exactly as the single look-up sends it (values escaped by
  :mod:`ml_connector.oracle._query`), so what one read matches is the union of what the
  single reads would match. The answer is split back by key locally, on the same attributes.
- How long a ``q`` may be is not documented for Fusion: the number of keys a read is a setting
  (``bulk_lookup_size``, 40 by default at framework 2 and later: about 7 KB of URL for invoice
  keys, each looked for in its key and its echo attribute), and a read that fails for any reason (a
  400 for a long URL, a timeout) tells the caller nothing about its keys: they are looked up
  one by one, never created blind (the sync's ``lookup_flow``).

Inventory lines are read in the interface first and then among completed movements (the order
the single look-up uses: a row processed in between is seen in the second read, never in
neither; see ``oracle/_inventory.py``). The bulk read of the interface narrows on
``TransactionReference`` (our posting key) and ``TransactionTypeName`` when both are among the
look-up attributes: that matches every row the full look-up would, and perhaps more, which can
only make a key look taken, never free.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from ml_connector._http import Request

from ._converter import to_wire
from ._inventory import (
    COMPLETED,
    InventoryCompletedTransactionRecord,
    InventoryTransactionStatus,
    completed_filters,
    parse_completed,
)
from ._query import build_q
from .models import (
    InventoryStagedTransaction,
    InventoryStagedTransactionRecord,
    ReceivablesCreditMemoRecord,
    ReceivablesInvoiceRecord,
)

__all__ = [
    "AsyncBulkLookups",
    "BulkLookups",
    "bulk_enabled",
    "bulk_problem",
    "lookup_size",
    "or_q",
]

T = TypeVar("T")
Flow = Generator[Request, httpx.Response, T]

MIN_FRAMEWORK = 2
"""The REST framework version from which ``q`` accepts ``or`` (see the module docstring)."""

_STAGED = "inventoryStagedTransactions"
_NARROW = ("TransactionReference", "TransactionTypeName")


DEFAULT_SIZE = 40
"""Keys a read when ``bulk_lookup_size`` is not set and the framework allows ``or``: with an
invoice's two groups (key and echo attribute), about 7 KB of URL."""


def lookup_size(settings: Any) -> int:
    """Keys a bulk read asks for: the setting, else 50 at framework 2+ and 1 below."""
    size = getattr(settings, "bulk_lookup_size", None)
    if size is not None:
        return int(size)
    return DEFAULT_SIZE if int(settings.framework_version) >= MIN_FRAMEWORK else 1


def bulk_enabled(settings: Any) -> bool:
    """Whether the settings allow bulk look-ups (more than one key a read, framework 2+)."""
    return lookup_size(settings) > 1 and int(settings.framework_version) >= MIN_FRAMEWORK


def bulk_problem(settings: Any) -> str | None:
    """What the preflight reports about the bulk look-up settings, or None."""
    size = lookup_size(settings)
    if size > 1 and int(settings.framework_version) < MIN_FRAMEWORK:
        return (
            f"bulk_lookup_size is {size} but framework_version is {settings.framework_version}: "
            "'or' in q needs REST framework version 2 or later, so every posting key would be "
            "looked up on its own (one Oracle read per document); set framework_version to 2 "
            "or later, or bulk_lookup_size to 1"
        )
    return None


def or_q(groups: Sequence[Mapping[str, Any]], *, framework_version: str) -> str:
    """``(A='x' and B='y') or (A='z' and B='y')``: any of ``groups``, each matched exactly.

    Raises:
        UnexpressibleValueError: a value the syntax cannot express.
        ValueError: the framework version has no ``or`` (1), or there is no group.
    """
    if int(framework_version) < MIN_FRAMEWORK:
        raise ValueError("'or' in q needs REST framework version 2 or later")
    if not groups:
        raise ValueError("a bulk look-up needs at least one key")
    terms = [build_q(group, framework_version=framework_version) for group in groups]
    if len(terms) == 1:
        return terms[0]
    return " or ".join(f"({term})" for term in terms)


def _same(raw: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
    """Whether an item Oracle returned carries every value of ``filters``.

    An attribute the item does not show cannot be compared, so it counts as matching (Oracle
    matched the item on it): a bulk answer then errs towards "taken", never "free".
    """
    for name, value in filters.items():
        if name in raw and str(raw[name]) != str(value):
            return False
    return True


def _chunks(count: int, size: int) -> list[range]:
    return [range(n, min(n + size, count)) for n in range(0, count, size)]


def _split(items: Sequence[Any], groups: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """For each group, the items that carry its values."""
    return [[item for item in items if _same(item.raw, group)] for group in groups]


def _keyed_many_flow(
    client: Any, kind: Any, cls: type[Any], keys: Sequence[tuple[str, str | None]]
) -> Flow[list[list[Any]]]:
    """For each ``(posting key, business unit)``, the records the single find would weigh.

    The single find looks in the kind's key attribute and, when nothing is there, in its echo
    attribute (a source that renumbers keeps our key there; see ``oracle/client.py``). Here
    one read carries both groups of each key; the records are split back the same way: those
    carrying the key in the key attribute, else those carrying it in the echo attribute.
    """
    attributes = [kind.key_attribute]
    if kind.echo_attribute is not None:
        attributes.append(kind.echo_attribute)
    per_key = [
        [client._key_filters(attribute, key, unit) for attribute in attributes]
        for key, unit in keys
    ]
    parse = client._parser(cls, kind.resource)
    path = f"{client.fscm_root}/{kind.resource}"
    settings = client.settings
    found: list[list[Any]] = []
    for part in _chunks(len(keys), lookup_size(settings)):
        groups = [group for n in part for group in per_key[n]]
        q = or_q(groups, framework_version=settings.framework_version)
        items: list[Any] = yield from client._find_all_flow(path, parse, q=q)
        for n in part:
            matched: list[Any] = []
            for group in per_key[n]:
                matched = [item for item in items if _same(item.raw, group)]
                if matched:
                    break
            found.append(matched)
    return found


def invoices_flow(
    client: Any, keys: Sequence[tuple[str, str | None]]
) -> Flow[list[list[ReceivablesInvoiceRecord]]]:
    """For each ``(posting key, business unit)``, the invoices that carry the key."""
    return (
        yield from _keyed_many_flow(client, client.invoice_kind, ReceivablesInvoiceRecord, keys)
    )


def credit_memos_flow(
    client: Any, keys: Sequence[tuple[str, str | None]]
) -> Flow[list[list[ReceivablesCreditMemoRecord]]]:
    """For each ``(posting key, business unit)``, the credit memos that carry the key."""
    return (
        yield from _keyed_many_flow(
            client, client.credit_memo_kind, ReceivablesCreditMemoRecord, keys
        )
    )


def _staged_filters(
    client: Any, transaction: InventoryStagedTransaction, wire: Mapping[str, Any]
) -> dict[str, Any]:
    filters: dict[str, Any] = client._lookup_filters(transaction, wire)
    if "TransactionReference" in filters:
        return {name: filters[name] for name in _NARROW if name in filters}
    return filters


def inventory_flow(
    client: Any,
    transactions: Sequence[InventoryStagedTransaction],
    wires: Sequence[Mapping[str, Any]] | None = None,
) -> Flow[list[InventoryTransactionStatus]]:
    """For each transaction, what Oracle holds for it: the interface first, then completed.

    ``wires``: the transactions' wire forms, when the caller has made them already.
    """
    settings = client.settings
    # Each transaction's wire form made once, for both look-ups.
    if wires is None:
        wires = [to_wire(t, client.converter) for t in transactions]
    elif len(wires) != len(transactions):
        raise ValueError(f"{len(wires)} wire forms for {len(transactions)} transactions")
    pairs = list(zip(transactions, wires, strict=True))
    staged_groups = [_staged_filters(client, t, wire) for t, wire in pairs]
    attributes = settings.inventory_completed_lookup_attributes
    completed_groups = [completed_filters(t, wire, attributes) for t, wire in pairs]
    staged_parse = client._parser(InventoryStagedTransactionRecord, _STAGED)
    statuses: list[InventoryTransactionStatus] = []
    for part in _chunks(len(transactions), lookup_size(settings)):
        staged_chunk = [staged_groups[n] for n in part]
        completed_chunk = [completed_groups[n] for n in part]
        staged: list[InventoryStagedTransactionRecord] = yield from client._find_all_flow(
            f"{client.fscm_root}/{_STAGED}",
            staged_parse,
            q=or_q(staged_chunk, framework_version=settings.framework_version),
        )
        completed: list[InventoryCompletedTransactionRecord] = yield from client._find_all_flow(
            f"{client.fscm_root}/{COMPLETED}",
            parse_completed,
            q=or_q(completed_chunk, framework_version=settings.framework_version),
        )
        for rows, movements in zip(
            _split(staged, staged_chunk), _split(completed, completed_chunk), strict=True
        ):
            statuses.append(
                InventoryTransactionStatus(staged=tuple(rows), completed=tuple(movements))
            )
    return statuses


_Keys = Sequence[tuple[str, str | None]]


class BulkLookups:
    """The blocking client's bulk look-ups (mixed into ``OracleFusionClient``)."""

    def _run(self, flow: Flow[T]) -> T:  # pragma: no cover - the client's own
        raise NotImplementedError

    def find_invoices(self, keys: _Keys) -> list[list[ReceivablesInvoiceRecord]]:
        """For each ``(posting key, business unit)``, the invoices carrying the key, many keys
        a read (``bulk_lookup_size``; ``or`` in ``q``, REST framework 2 or later).

        Raises:
            ConnectorError: a read failed: nothing is known about the keys.
            ValueError: the framework version has no ``or``.
        """
        return self._run(invoices_flow(self, keys))

    def find_credit_memos(self, keys: _Keys) -> list[list[ReceivablesCreditMemoRecord]]:
        """The same as :meth:`find_invoices` for credit memos."""
        return self._run(credit_memos_flow(self, keys))

    def find_inventory_transactions(
        self,
        transactions: Sequence[InventoryStagedTransaction],
        *,
        wires: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[InventoryTransactionStatus]:
        """For each transaction, its interface rows and completed movements, many a read
        (``wires``: their wire forms, when the caller has made them already)."""
        return self._run(inventory_flow(self, transactions, wires))


class AsyncBulkLookups:
    """The async client's bulk look-ups (mixed into ``AsyncOracleFusionClient``)."""

    async def _run(self, flow: Flow[T]) -> T:  # pragma: no cover - the client's own
        raise NotImplementedError

    async def find_invoices(self, keys: _Keys) -> list[list[ReceivablesInvoiceRecord]]:
        """For each ``(posting key, business unit)``, the invoices carrying the key, many keys
        a read (``bulk_lookup_size``; ``or`` in ``q``, REST framework 2 or later).

        Raises:
            ConnectorError: a read failed: nothing is known about the keys.
            ValueError: the framework version has no ``or``.
        """
        return await self._run(invoices_flow(self, keys))

    async def find_credit_memos(self, keys: _Keys) -> list[list[ReceivablesCreditMemoRecord]]:
        """The same as :meth:`find_invoices` for credit memos."""
        return await self._run(credit_memos_flow(self, keys))

    async def find_inventory_transactions(
        self,
        transactions: Sequence[InventoryStagedTransaction],
        *,
        wires: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[InventoryTransactionStatus]:
        """For each transaction, its interface rows and completed movements, many a read
        (``wires``: their wire forms, when the caller has made them already)."""
        return await self._run(inventory_flow(self, transactions, wires))
