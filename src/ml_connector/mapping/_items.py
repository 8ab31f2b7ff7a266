"""SKU to Oracle item: the item number and the unit of measure the mapping sends for a SKU.

The ``[items]`` rules (:class:`~ml_connector.mapping.ItemSettings`) in one place: the shipment
and inventory mappings build their lines with them, and the catalog check
(:class:`~ml_connector.sync.CatalogCheck`) asks the same questions before anything posts.
"""

from __future__ import annotations

from ml_connector._errors import MappingError

from .config import MappingConfig

__all__ = ["item_number", "unit_of_measure"]


def item_number(
    sku: str | None, config: MappingConfig, *, field: str = "sku", record: str | None = None
) -> str:
    """The Oracle item number of ``sku``: ``[items.map]``, else the SKU itself when
    ``[items] identity`` is on.

    Args:
        sku: The ShipStation SKU.
        config: The mapping configuration.
        field: Where the SKU came from, for the error (``shipment_items[0].sku``).
        record: The record it belongs to, for the error.

    Raises:
        MappingError: the SKU is empty, or unmapped while identity mapping is off.
    """
    if not sku:
        raise MappingError("item has no SKU", field=field, record=record)
    mapped = config.items.map.get(sku)
    if mapped is not None:
        return mapped
    if config.items.identity:
        return sku
    raise MappingError(
        f"SKU {sku!r} is not in [items.map] and identity mapping is off",
        field=field,
        record=record,
    )


def unit_of_measure(sku: str | None, config: MappingConfig) -> str:
    """The unit of measure the mapping sends for ``sku``: ``[items.uom_by_sku]``, else
    ``[items] uom``."""
    if sku and sku in config.items.uom_by_sku:
        return config.items.uom_by_sku[sku]
    return config.items.uom
