"""ShipStation V1 products for the simulator: ``GET /products`` and ``GET /products/{productId}``.

As documented (https://docs.shipstation.com/apis/shipstation-v1/openapi/products, "List
products"): filters ``sku``, ``name``, ``productCategoryId``, ``productTypeId``, ``tagId``,
``startDate``/``endDate`` (created between), ``showInactive`` (inactive products are left out
unless it is true), ``sortBy``/``sortDir`` and ``page``/``pageSize`` (at most 500); the answer is
``{"products": [...], "total", "page", "pages"}``, as every V1 list. Product fields follow the
V1 product model (https://docs.shipstation.com/apis/shipstation-v1/docs/models/product):
``productId, sku, name, price, defaultCost, ..., active, productCategory, productType, tags``.

The docs do not say how ``sku`` and ``name`` match; the simulator takes the stricter reading for
``sku`` (the whole SKU, ignoring case) and a substring for ``name``. ``sortBy`` takes ``SKU``
(the default order), ``ModifyDate``, ``CreateDate`` and ``Name``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

__all__ = ["ProductCatalog", "product_record"]

Record = dict[str, Any]
_CREATED = "2025-06-01T09:00:00.0000000"


def product_record(
    product_id: int,
    sku: str,
    *,
    name: str | None = None,
    price: Decimal | None = None,
    cost: Decimal | None = None,
    active: bool = True,
    create_date: str = _CREATED,
    modify_date: str | None = None,
) -> Record:
    """A V1 product as the API sends it (unset fields ``null``)."""
    return {
        "productId": product_id,
        "sku": sku,
        "name": name or sku,
        "price": price,
        "defaultCost": cost,
        "length": None,
        "width": None,
        "height": None,
        "weightOz": None,
        "internalNotes": None,
        "fulfillmentSku": None,
        "createDate": create_date,
        "modifyDate": modify_date or create_date,
        "active": active,
        "productCategory": None,
        "productType": None,
        "warehouseLocation": None,
        "defaultCarrierCode": None,
        "defaultServiceCode": None,
        "defaultPackageCode": None,
        "defaultIntlCarrierCode": None,
        "defaultIntlServiceCode": None,
        "defaultIntlPackageCode": None,
        "defaultConfirmation": None,
        "defaultIntlConfirmation": None,
        "customsDescription": None,
        "customsValue": None,
        "customsTariffNo": None,
        "customsCountryCode": None,
        "noCustoms": None,
        "tags": None,
    }


def _id_of(value: Any) -> int | None:
    return value.get("categoryId") if isinstance(value, Mapping) else None


class ProductCatalog(dict[int, Record]):
    """The account's products by ``productId``."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self._next = 40_000_000

    def add(self, product: Record) -> None:
        """Add or replace a product (a wire dict)."""
        with self.lock:
            self[product["productId"]] = dict(product)

    def add_sku(self, sku: str, **fields: Any) -> Record:
        """Add a product for ``sku`` with a new id (``fields`` as :func:`product_record`)."""
        with self.lock:
            self._next += 1
            product = product_record(self._next, sku, **fields)
            self[self._next] = product
            return dict(product)

    def load_catalog(self, catalog: Sequence[Mapping[str, Any]]) -> None:
        """The generator's catalog (``{"sku", "name", "price", "cost"}``) as products."""
        for entry in catalog:
            self.add_sku(entry["sku"], name=entry["name"], price=entry["price"], cost=entry["cost"])

    def listing(
        self,
        params: Mapping[str, str],
        *,
        paging: Callable[[Mapping[str, str]], tuple[int, int]],
        sort: Callable[[Mapping[str, str], Mapping[str, str]], tuple[str | None, bool]],
        bound: Callable[..., float | None],
        created: Callable[[Any], float | None],
    ) -> Record:
        """One page of ``GET /products`` (the V1 simulator passes its own parameter checks)."""
        with self.lock:
            products = list(self.values())
        if str(params.get("showInactive", "")).strip().lower() not in ("true", "1"):
            products = [p for p in products if p.get("active")]
        sku = (params.get("sku") or "").lower()
        if sku:
            products = [p for p in products if str(p.get("sku") or "").lower() == sku]
        name = (params.get("name") or "").lower()
        if name:
            products = [p for p in products if name in str(p.get("name") or "").lower()]
        for param, field in (
            ("productCategoryId", "productCategory"),
            ("productTypeId", "productType"),
        ):
            if params.get(param):
                products = [p for p in products if str(_id_of(p.get(field))) == params[param]]
        if params.get("tagId"):
            products = [
                p
                for p in products
                if any(str(t.get("tagId")) == params["tagId"] for t in p.get("tags") or ())
            ]
        low = bound(params, "startDate", end=False)
        high = bound(params, "endDate", end=True)
        if low is not None or high is not None:
            products = [
                p
                for p in products
                if (at := created(p.get("createDate"))) is not None
                and (low is None or at >= low)
                and (high is None or at <= high)
            ]
        sort_field, reverse = sort(
            params,
            {"sku": "sku", "modifydate": "modifyDate", "createdate": "createDate", "name": "name"},
        )
        key = sort_field or "sku"
        products.sort(key=lambda p: (str(p.get(key) or ""), p["productId"]), reverse=reverse)
        page, size = paging(params)
        return {
            "products": products[(page - 1) * size : page * size],
            "total": len(products),
            "page": page,
            "pages": math.ceil(len(products) / size),
        }
