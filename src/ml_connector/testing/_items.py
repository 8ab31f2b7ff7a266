"""Oracle's item master for the Fusion simulator: ``itemsV2``, one row per item and organization.

What it encodes, and where from:

- the resource and its attributes: ``GET /fscmRestApi/resources/11.13.18.05/itemsV2``
  (https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/26b/fasrp/op-itemsv2-get.html);
  flag and unit names as real ``itemsV2`` answers carry them (``ItemStatusValue``,
  ``PrimaryUOMValue``, ``InventoryItemFlag``, ``StockEnabledFlag``,
  ``MaterialTransactionEnabledFlag``, ``InvoiceEnabledFlag``...);
- an item is assigned per organization, each assignment with its own status, flags and units
  (the item table's key is item and organization:
  https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/25d/oedsc/egpsystemitemsb-4742.html);
- ``q`` at framework 2 and later: ``and``, ``or`` and parentheses
  (https://docs.oracle.com/en/cloud/paas/integration-cloud/visual-developer/view-business-objects-endpoints.html),
  e.g. ``OrganizationCode='M1' and (ItemNumber='A' or ItemNumber='B')``; framework 1
  query-by-example (``A=x;B=y``) too;
- the collection envelope, ``fields``, ``onlyData``, default page 25 and cap 500, as the rest of
  the simulator (https://docs.oracle.com/en/cloud/saas/human-resources/farws/Navigate_a_Collection.html).

The stricter readings, being simulator choices: a ``fields`` name the resource does not have is
refused with a 400 (a real pod refuses unknown attributes; the exact message is not documented);
a staged inventory transaction for an item the organization does not have, or has with a
transaction flag off, is reported as failed with the simulator's own codes ``INV_INVALID_ITEM``
and ``INV_ITEM_NOT_TRANSACTABLE`` (Online mode reports errors in a 2xx body, see the Oracle
simulator's docstring).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ._adf import Condition, QueryError, matches, parse_q

__all__ = ["ITEM_FLAGS", "ItemMaster", "KnownItems"]

ITEMS = "itemsV2"
DEFAULT_LIMIT = 25
MAX_LIMIT = 500

ITEM_FLAGS = (
    "InventoryItemFlag",
    "StockEnabledFlag",
    "MaterialTransactionEnabledFlag",
    "TransactionEnabledFlag",
    "CustomerOrderFlag",
    "CustomerOrderEnabledFlag",
    "ShippableFlag",
    "InvoiceEnabledFlag",
    "InvoicedFlag",
    "PurchasableFlag",
)
"""The flags every simulated row carries (true unless the seed says otherwise)."""

_INVENTORY_FLAGS = ("InventoryItemFlag", "StockEnabledFlag", "MaterialTransactionEnabledFlag")


def _split_top(text: str, word: str) -> list[str]:
    """Split on `` word `` (any case) and, for ``and``, on ``;``, outside quotes and parentheses."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    depth = 0
    token = f" {word} "
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == quote:
                if i + 1 < len(text) and text[i + 1] == quote:
                    current.append(ch)
                    i += 1
                else:
                    quote = None
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch == "(":
            depth += 1
            current.append(ch)
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise QueryError("unbalanced parentheses in q")
            current.append(ch)
        elif depth == 0 and word == "and" and ch == ";":
            parts.append("".join(current))
            current = []
        elif depth == 0 and text[i : i + len(token)].lower() == token:
            parts.append("".join(current))
            current = []
            i += len(token)
            continue
        else:
            current.append(ch)
        i += 1
    if quote:
        raise QueryError("unterminated string literal in q")
    if depth:
        raise QueryError("unbalanced parentheses in q")
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _unwrap(text: str) -> str:
    """``text`` without parentheses that enclose all of it."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        quote: str | None = None
        for i, ch in enumerate(text):
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0 and i != len(text) - 1:
                    return text
        text = text[1:-1].strip()
    return text


def parse_items_q(text: str) -> list[list[Condition]]:
    """``q`` as groups that must all hold, each a list of alternatives (one must hold)."""
    groups: list[list[Condition]] = []
    for term in _split_top(text, "and"):
        alternatives = _split_top(_unwrap(term), "or")
        conditions: list[Condition] = []
        for alternative in alternatives:
            parsed = parse_q(_unwrap(alternative))
            if len(parsed) != 1:
                raise QueryError(f"the query clause {alternative!r} is not valid")
            conditions.append(parsed[0])
        groups.append(conditions)
    return groups


class ItemMaster:
    """``itemsV2`` rows by (organization, item number); thread-safe.

    Seed it with :meth:`add_item`; the Oracle simulator serves it and consults it when an
    inventory transaction is staged.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self._by_number: dict[str, list[tuple[str, str]]] = {}
        self._ids = itertools.count(300_100_500_000_001)
        self._item_ids: dict[str, int] = {}
        self._organizations: set[str] = set()  # codes and names with rows
        self.requests = 0

    def __len__(self) -> int:
        return len(self.rows)

    def add_item(
        self,
        item_number: str,
        organization: str,
        *,
        uom: str = "Each",
        uom_code: str | None = None,
        status: str = "Active",
        enabled: bool = True,
        flags: Mapping[str, bool] | None = None,
        description: str | None = None,
        organization_name: str | None = None,
    ) -> dict[str, Any]:
        """Assign ``item_number`` to ``organization`` (replacing an earlier assignment).

        Args:
            item_number: ``ItemNumber``.
            organization: ``OrganizationCode``.
            uom: ``PrimaryUOMValue`` (the unit's name).
            uom_code: ``PrimaryUOMCode``.
            status: ``ItemStatusValue``.
            enabled: ``False`` turns the inventory flags off (not transactable there).
            flags: Single flags to set, over the defaults.
            description: ``ItemDescription``.
            organization_name: ``OrganizationName`` (default: the code).
        """
        with self._lock:
            item_id = self._item_ids.setdefault(item_number, next(self._ids))
            row: dict[str, Any] = {
                "ItemId": item_id,
                "ItemNumber": item_number,
                "ItemDescription": description or item_number,
                "OrganizationId": 300_000_000 + sum(map(ord, organization)),
                "OrganizationCode": organization,
                "OrganizationName": organization_name or organization,
                "ItemStatusValue": status,
                "PrimaryUOMValue": uom,
                "PrimaryUOMCode": uom_code or uom[:3].upper(),
            }
            row.update(dict.fromkeys(ITEM_FLAGS, True))
            if not enabled:
                row.update(dict.fromkeys(_INVENTORY_FLAGS, False))
            row.update(flags or {})
            key = (organization, item_number)
            self._organizations.update((organization, row["OrganizationName"]))
            if key not in self.rows:
                self._by_number.setdefault(item_number, []).append(key)
            self.rows[key] = row
            return dict(row)

    def add_items(self, item_numbers: Iterable[str], organizations: Iterable[str]) -> None:
        """Assign every item to every organization, enabled, in ``Each``."""
        organizations = list(organizations)
        for number in item_numbers:
            for organization in organizations:
                self.add_item(number, organization)

    def row(self, organization: str, item_number: str) -> dict[str, Any] | None:
        """A copy of one assignment, or ``None``."""
        with self._lock:
            found = self.rows.get((organization, item_number))
            return None if found is None else dict(found)

    def refusal(self, transaction: Mapping[str, Any]) -> tuple[str, str] | None:
        """Why a staged inventory transaction would fail on its item, or ``None``.

        Only for organizations the master holds rows of (any other organization accepts any
        item, as an empty master does).
        """
        with self._lock:
            number = str(transaction.get("ItemNumber"))
            organization = transaction.get("OrganizationCode") or transaction.get(
                "OrganizationName"
            )
            if organization not in self._organizations:
                return None
            keys = self._by_number.get(number, [])
            row = next(
                (
                    self.rows[key]
                    for key in keys
                    if organization in (key[0], self.rows[key]["OrganizationName"])
                ),
                None,
            )
            if row is None:
                return (
                    "INV_INVALID_ITEM",
                    f"The item {number} isn't valid in the organization {organization}.",
                )
            off = [flag for flag in _INVENTORY_FLAGS if row.get(flag) is not True]
            if off:
                return (
                    "INV_ITEM_NOT_TRANSACTABLE",
                    f"The item {number} isn't enabled for transactions in the organization "
                    f"{organization} ({', '.join(off)} off).",
                )
            return None

    def _candidates(self, groups: list[list[Condition]]) -> list[dict[str, Any]]:
        # A group of ItemNumber equalities narrows by the index; anything else scans.
        for group in groups:
            if all(c.attribute == "ItemNumber" and c.operator == "=" for c in group):
                keys = [k for c in group for k in self._by_number.get(str(c.value), [])]
                return [self.rows[k] for k in sorted(set(keys))]
        return [self.rows[k] for k in sorted(self.rows)]

    def collection(
        self, params: Mapping[str, str], base: str, *, framework: str | None = None
    ) -> dict[str, Any]:
        """The ``itemsV2`` collection answer for a GET's query parameters.

        ``framework`` is the request's ``REST-Framework-Version``; without one Oracle uses
        version 1 (https://docs.oracle.com/en/cloud/saas/sales/faaps/Set_the_REST_Framework_Version.html),
        whose query-by-example has no ``or``.

        Raises:
            QueryError: a ``q``, ``fields`` or paging value Oracle would refuse (a 400).
        """
        with self._lock:
            self.requests += 1
            groups = parse_items_q(params["q"]) if params.get("q") else []
            if any(len(group) > 1 for group in groups) and (framework or "1").strip() == "1":
                raise QueryError("'or' in q needs REST framework version 2 or later")
            rows = [
                row
                for row in self._candidates(groups)
                if all(any(matches(row, [c]) for c in group) for group in groups)
            ]
            fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()]
            known = {name for row in self.rows.values() for name in row}
            unknown = [f for f in fields if known and f not in known]
            if unknown:
                raise QueryError(f"the attribute {unknown[0]} is not in the resource {ITEMS}")
            try:
                limit = int(params.get("limit") or DEFAULT_LIMIT)
                offset = int(params.get("offset") or 0)
            except ValueError:
                raise QueryError("limit and offset must be integers") from None
            if limit < 1 or offset < 0:
                raise QueryError("limit must be positive and offset not negative")
            limit = min(limit, MAX_LIMIT)
            page = rows[offset : offset + limit]
            only_data = params.get("onlyData", "").lower() == "true"
            items = []
            for row in page:
                item = {f: row.get(f) for f in fields} if fields else dict(row)
                if not only_data:
                    href = f"{base}/{row['ItemId']}"
                    item["links"] = [{"rel": "self", "href": href, "name": ITEMS, "kind": "item"}]
                items.append(item)
            body: dict[str, Any] = {
                "items": items,
                "count": len(page),
                "hasMore": offset + len(page) < len(rows),
                "limit": limit,
                "offset": offset,
            }
            if params.get("totalResults", "").lower() == "true":
                body["totalResults"] = len(rows)
            if not only_data:
                body["links"] = [{"rel": "self", "href": base, "name": ITEMS, "kind": "collection"}]
            return body


class KnownItems(set[str]):
    """The Oracle simulator's set of known item numbers, kept in step with the item master.

    An item added here (``oracle.items.add(sku)``, as a finance fix does) is assigned to every
    organization of ``organizations`` that has no row for it yet.
    """

    def __init__(self, master: ItemMaster, organizations: set[str]) -> None:
        super().__init__()
        self._master = master
        self._organizations = organizations

    def add(self, item_number: str) -> None:
        super().add(item_number)
        for organization in sorted(self._organizations):
            if self._master.row(organization, item_number) is None:
                self._master.add_item(item_number, organization)

    def update(self, *others: Iterable[str]) -> None:
        for other in others:
            for item_number in other:
                self.add(item_number)
