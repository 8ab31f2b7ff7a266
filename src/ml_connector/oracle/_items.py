"""Oracle's item master: the items of an inventory organization, looked up in bulk.

The resource is ``itemsV2`` (Product Lifecycle Management, "Items Version 2"):
``GET /fscmRestApi/resources/11.13.18.05/itemsV2``
(https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/26b/fasrp/op-itemsv2-get.html).
An item has one row per organization it is assigned to (the item table's key is the item and
the organization: https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/25d/oedsc/egpsystemitemsb-4742.html),
so its status, its enabled flags and its primary unit of measure are read per organization.
Real integrations filter it the same way, ``itemsV2?q=ItemNumber=...;OrganizationCode=...``.

Bulk look-up: at REST framework version 2 and later ``q`` takes expressions with ``and``, ``or``
and parentheses (https://docs.oracle.com/en/cloud/paas/integration-cloud/visual-developer/view-business-objects-endpoints.html;
"Version 2 interprets the q query parameter differently",
https://docs.oracle.com/en/cloud/saas/sales/faaps/Set_the_REST_Framework_Version.html), so one
request asks for many item numbers of one organization:
``OrganizationCode='M1' and (ItemNumber='A' or ItemNumber='B' ...)``. Framework 1 is
query-by-example with no ``or``: one request per item. Every answer is paged on ``hasMore``.

Only the attributes the check reads are asked for (``fields``): a full item row has hundreds.
The flag names are those of real ``itemsV2`` responses (``InventoryItemFlag``,
``StockEnabledFlag``, ``MaterialTransactionEnabledFlag``, ``InvoiceEnabledFlag``, ...); which
of them must be true is the caller's choice.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping, Sequence
from typing import Any, Protocol

import attrs
import httpx

from ml_connector._errors import MappingError
from ml_connector._http import Request

__all__ = [
    "DEFAULT_ITEM_FLAGS",
    "ITEMS",
    "ItemMasterRecord",
    "build_items_q",
    "item_batches",
    "item_number_queryable",
    "items_flow",
    "parse_item",
]

ITEMS = "itemsV2"
"""The item master resource."""

DEFAULT_ITEM_FLAGS = ("InventoryItemFlag", "StockEnabledFlag", "MaterialTransactionEnabledFlag")
"""What an inventory issue needs: an inventory item, stockable, transactable in the organization."""

DEFAULT_BATCH = 40
"""Item numbers per ``or`` query: keeps the URL short (a few KB) whatever the SKUs look like."""

_BASE_FIELDS = ("ItemId", "ItemNumber", "ItemDescription", "ItemStatusValue", "PrimaryUOMValue")


def _flag(value: Any) -> bool | None:
    # itemsV2 answers booleans; older payloads and some flags carry "Y"/"N" text.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip().upper() in ("Y", "YES", "TRUE")
    return None


@attrs.frozen
class ItemMasterRecord:
    """One item as one inventory organization sees it.

    Attributes:
        item_number: ``ItemNumber``.
        organization: The organization it was looked up in (the value of the organization
            attribute the query used).
        item_id: ``ItemId``.
        description: ``ItemDescription``.
        status: ``ItemStatusValue`` (``Active``, ``Inactive``... names the tenant defines).
        primary_uom: ``PrimaryUOMValue``, the primary unit of measure's name (``Each``).
        primary_uom_code: ``PrimaryUOMCode`` when the answer carries it.
        flags: Every ``...Flag`` attribute the answer carried, as booleans (``None``: unset).
    """

    item_number: str
    organization: str
    item_id: int | None = None
    description: str | None = None
    status: str | None = None
    primary_uom: str | None = None
    primary_uom_code: str | None = None
    flags: Mapping[str, bool | None] = attrs.field(factory=dict)

    def disabled(self, required: Iterable[str]) -> tuple[str, ...]:
        """The ``required`` flags that are not true here."""
        return tuple(name for name in required if self.flags.get(name) is not True)

    def uom_matches(self, uom: str) -> bool:
        """Whether ``uom`` is the primary unit of measure (by name or by code)."""
        return uom in (self.primary_uom, self.primary_uom_code)


def parse_item(data: Any, organization: str) -> ItemMasterRecord:
    """An ``itemsV2`` row as an :class:`ItemMasterRecord` (unknown attributes are ignored)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("ItemNumber"), str):
        raise MappingError("an itemsV2 row has no ItemNumber", field="ItemNumber")
    item_id = data.get("ItemId")
    return ItemMasterRecord(
        item_number=data["ItemNumber"],
        organization=organization,
        item_id=item_id if isinstance(item_id, int) and not isinstance(item_id, bool) else None,
        description=data.get("ItemDescription"),
        status=data.get("ItemStatusValue"),
        primary_uom=data.get("PrimaryUOMValue"),
        primary_uom_code=data.get("PrimaryUOMCode"),
        flags={k: _flag(v) for k, v in data.items() if k.endswith("Flag")},
    )


def item_number_queryable(number: str, *, framework_version: str) -> bool:
    """Whether ``number`` can be written in a ``q`` literal of that framework version.

    Framework 1 separates terms with ``;``; later ones quote literals with ``'``. A value that
    holds the separator is refused rather than escaped (the escape is not documented).
    """
    forbidden = ";" if framework_version == "1" else "'"
    return bool(number.strip()) and forbidden not in number


def build_items_q(
    organization_attribute: str,
    organization: str,
    numbers: Sequence[str],
    *,
    framework_version: str,
) -> str:
    """The ``q`` for ``numbers`` in one organization (one number at framework 1).

    Raises:
        MappingError: a value cannot be expressed in that framework's syntax.
    """
    for value, field in [(organization, organization_attribute)] + [
        (n, "ItemNumber") for n in numbers
    ]:
        if not item_number_queryable(value, framework_version=framework_version):
            raise MappingError(f"value {value!r} cannot be expressed in an Oracle q", field=field)
    if framework_version == "1":
        if len(numbers) != 1:
            raise MappingError("framework 1 has no 'or': one item number a query", field="q")
        return f"{organization_attribute}={organization};ItemNumber={numbers[0]}"
    terms = " or ".join(f"ItemNumber='{number}'" for number in numbers)
    return f"{organization_attribute}='{organization}' and ({terms})"


def item_batches(
    numbers: Iterable[str], *, framework_version: str, size: int = DEFAULT_BATCH
) -> list[tuple[str, ...]]:
    """Distinct ``numbers``, sorted, in groups of at most ``size`` (1 at framework 1)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    ordered = sorted(set(numbers))
    step = 1 if framework_version == "1" else size
    return [tuple(ordered[i : i + step]) for i in range(0, len(ordered), step)]


class _Owner(Protocol):
    """What the flow needs from the Oracle client's shared core."""

    fscm_root: str

    @property
    def settings(self) -> Any: ...

    def _find_all_flow(
        self, path: str, parse: Any, *, limit: int | None = None, **query: Any
    ) -> Generator[Request, httpx.Response, list[Any]]: ...


def items_flow(
    owner: _Owner,
    numbers: Iterable[str],
    organization: str,
    *,
    organization_attribute: str = "OrganizationCode",
    flags: Sequence[str] = DEFAULT_ITEM_FLAGS,
    batch: int = DEFAULT_BATCH,
) -> Generator[Request, httpx.Response, dict[str, ItemMasterRecord]]:
    """Look ``numbers`` up in ``organization``; returns the found ones by item number.

    A number missing from the result is not in the organization's item master.

    Raises:
        MappingError: a number or the organization cannot be written in a ``q``.
    """
    version = owner.settings.framework_version
    fields = list(dict.fromkeys([*_BASE_FIELDS, organization_attribute, *flags]))
    found: dict[str, ItemMasterRecord] = {}
    parse = lambda row: parse_item(row, organization)  # noqa: E731
    for group in item_batches(numbers, framework_version=version, size=batch):
        q = build_items_q(organization_attribute, organization, group, framework_version=version)
        rows: list[ItemMasterRecord] = yield from owner._find_all_flow(
            f"{owner.fscm_root}/{ITEMS}", parse, q=q, fields=fields
        )
        wanted = set(group)
        for record in rows:
            if record.item_number in wanted:
                found.setdefault(record.item_number, record)
    return found
