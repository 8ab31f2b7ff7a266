"""The catalog check's report: every SKU problem at once, and the prices next to each other.

Plain frozen values, no I/O: :class:`CatalogReport` holds :class:`CatalogFinding` rows (a SKU
unmapped, unknown to Oracle's item master, not enabled in an organization, in another unit of
measure, or not looked up) and :class:`SkuPrice` rows (ShipStation's product price next to the
lowest and highest unit price the window's orders charged). Money is ``Decimal``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["CatalogFinding", "CatalogIssue", "CatalogReport", "SkuPrice"]


class CatalogIssue(enum.Enum):
    """What is wrong with a SKU (the values are stable: they appear in JSON and in the docs)."""

    UNMAPPED = "unmapped"
    """The mapping has no Oracle item for it (not in ``[items.map]``, identity mapping off)."""
    UNKNOWN = "unknown_in_oracle"
    """The organization's item master has no such item number."""
    NOT_ENABLED = "not_enabled"
    """The item is there but inactive, or a required flag is off in that organization."""
    UOM_MISMATCH = "uom_mismatch"
    """The mapping sends another unit of measure than the item's primary one."""
    LOOKUP_FAILED = "lookup_failed"
    """The item could not be looked up (Oracle refused the query, or the number cannot be
    written in one)."""


@attrs.frozen
class CatalogFinding:
    """One unresolved SKU in one organization.

    Attributes:
        issue: What is wrong.
        sku: The ShipStation SKU.
        item_number: The Oracle item number the mapping gives it (None when unmapped).
        organization: The inventory organization (None when the SKU is unmapped everywhere).
        detail: A sentence for people, with the evidence.
        sources: Where the SKU was seen: ``product`` (the V1 product list), ``orders``.
        expected_uom: The unit of measure the mapping sends.
        oracle_uom: The item's primary unit of measure in that organization.
        disabled_flags: Required item flags that are off there.
        status: The item's status there.
    """

    issue: CatalogIssue
    sku: str
    item_number: str | None
    organization: str | None
    detail: str
    sources: tuple[str, ...] = ()
    expected_uom: str | None = None
    oracle_uom: str | None = None
    disabled_flags: tuple[str, ...] = ()
    status: str | None = None

    def __str__(self) -> str:
        where = f" in {self.organization}" if self.organization else ""
        return f"{self.issue.value} {self.sku}{where}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the issue as its value)."""
        data = attrs.asdict(self, recurse=False)
        data["issue"] = self.issue.value
        data["sources"] = list(self.sources)
        data["disabled_flags"] = list(self.disabled_flags)
        return data


@attrs.frozen
class SkuPrice:
    """A SKU's price in ShipStation's catalog next to what the window's orders charged.

    Attributes:
        sku: The SKU.
        product_price: The V1 product's ``price`` (None: no product, or no price on it).
        order_min: The lowest unit price an order line of the window charged (None: no line).
        order_max: The highest.
        order_lines: How many order lines of the window carried the SKU with a price.
    """

    sku: str
    product_price: Decimal | None
    order_min: Decimal | None
    order_max: Decimal | None
    order_lines: int = 0

    @property
    def drift(self) -> bool:
        """An order charged something else than the product price."""
        if self.product_price is None or self.order_min is None or self.order_max is None:
            return False
        return self.order_min != self.product_price or self.order_max != self.product_price

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (Decimals stay Decimals; the CLI writes them as exact strings)."""
        return attrs.asdict(self) | {"drift": self.drift}


@attrs.frozen
class CatalogReport:
    """What the catalog check found. Nothing was written to either side.

    Attributes:
        window: The window whose orders were read (None: products only).
        organizations: The inventory organizations checked.
        skus: Distinct SKUs checked.
        products: V1 products read.
        orders: Orders of the window read.
        findings: Every unresolved SKU, per organization.
        prices: One row per SKU with a product price or an order price.
    """

    window: tuple[datetime, datetime] | None
    organizations: tuple[str, ...]
    skus: int
    products: int
    orders: int
    findings: tuple[CatalogFinding, ...]
    prices: tuple[SkuPrice, ...] = ()

    @property
    def ok(self) -> bool:
        """Nothing unresolved (price drift alone is not a problem: it is for finance to read)."""
        return not self.findings

    def by_issue(self) -> Mapping[CatalogIssue, int]:
        """How many findings of each issue."""
        counts: dict[CatalogIssue, int] = {}
        for finding in self.findings:
            counts[finding.issue] = counts.get(finding.issue, 0) + 1
        return counts

    def finding_for(self, sku: str, organization: str | None) -> CatalogFinding | None:
        """The first finding that would fail ``sku`` posted in ``organization``."""
        for finding in self.findings:
            if finding.sku == sku and finding.organization in (None, organization):
                return finding
        return None

    def drift(self) -> tuple[SkuPrice, ...]:
        """The SKUs whose orders charged something else than the product price."""
        return tuple(price for price in self.prices if price.drift)

    def describe(self, *, limit: int = 50) -> str:
        """A summary and one line per finding (at most ``limit``)."""
        counts = ", ".join(f"{n} {issue.value}" for issue, n in self.by_issue().items())
        head = (
            f"catalog: {self.skus} SKUs ({self.products} products, {self.orders} orders) "
            f"checked in {len(self.organizations)} organization"
            f"{'s' if len(self.organizations) != 1 else ''}"
            f" ({', '.join(self.organizations) or 'none'}): "
            + (f"{len(self.findings)} unresolved ({counts})" if self.findings else "all resolved")
        )
        lines = [head, *(f"  - {finding}" for finding in self.findings[:limit])]
        if len(self.findings) > limit:
            lines.append(f"  ... and {len(self.findings) - limit} more")
        drift = self.drift()
        if drift:
            lines.append(f"price drift on {len(drift)} SKU{'s' if len(drift) != 1 else ''}:")
            lines.extend(
                f"  {p.sku}: product {p.product_price}, orders {p.order_min}..{p.order_max}"
                f" ({p.order_lines} lines)"
                for p in drift[:limit]
            )
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole report."""
        return {
            "ok": self.ok,
            "window": None
            if self.window is None
            else {"start": self.window[0], "end": self.window[1]},
            "organizations": list(self.organizations),
            "skus": self.skus,
            "products": self.products,
            "orders": self.orders,
            "issues": {issue.value: n for issue, n in self.by_issue().items()},
            "findings": [finding.as_dict() for finding in self.findings],
            "prices": [price.as_dict() for price in self.prices],
        }
