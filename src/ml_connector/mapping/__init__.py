"""Pure mapping from ShipStation records to Oracle Fusion payloads.

No I/O, no clock reads, no globals, no float: functions of (ShipStation records, a
:class:`MappingConfig`) to Oracle payload models, each result explained step by step. The
only exception that leaves a mapping function is :class:`~ml_connector.MappingError`, naming
the field and the record.

Entry points for the sync job:

- :func:`match_customer` then :func:`map_shipment` -> :class:`ShipmentPlan` or :class:`Skip`;
- :func:`shipped_quantities` then :func:`plan_adjustments` -> :class:`InventoryAdjustmentPlan`;
- :func:`plan_customer_alignment` -> :class:`AlignmentPlan`.
"""

from ._items import item_number, unit_of_measure
from ._time import posting_date
from .accounts import AccountPurpose, SegmentTemplate, account_for
from .allocation import allocate, prorate, round_to_minor
from .config import (
    ConfigProblem,
    CustomerRules,
    DateSettings,
    InventorySettings,
    ItemSettings,
    MappingConfig,
    MappingConfigError,
    PostingKeyFormats,
    ReceivablesSettings,
    SkipRules,
    StoreMapping,
    WarehouseMapping,
    load_mapping_config,
)
from .customers import (
    AlignmentPlan,
    Ambiguous,
    CustomerDirectory,
    CustomerMatch,
    CustomerProposal,
    EmailEnrichment,
    Matched,
    MatchRule,
    ShipStationAnnotation,
    Unmatched,
    match_customer,
    normalise_email,
    plan_customer_alignment,
)
from .inventory import (
    InventoryAdjustment,
    InventoryAdjustmentPlan,
    InventorySnapshot,
    plan_adjustments,
    shipped_quantities,
)
from .invoices import map_shipment, reverse_invoice
from .plans import InventoryPosting, ShipmentPlan, Skip, SkipReason

__all__ = [
    "AccountPurpose",
    "AlignmentPlan",
    "Ambiguous",
    "ConfigProblem",
    "CustomerDirectory",
    "CustomerMatch",
    "CustomerProposal",
    "CustomerRules",
    "DateSettings",
    "EmailEnrichment",
    "InventoryAdjustment",
    "InventoryAdjustmentPlan",
    "InventoryPosting",
    "InventorySettings",
    "InventorySnapshot",
    "ItemSettings",
    "MappingConfig",
    "MappingConfigError",
    "MatchRule",
    "Matched",
    "PostingKeyFormats",
    "ReceivablesSettings",
    "SegmentTemplate",
    "ShipStationAnnotation",
    "ShipmentPlan",
    "Skip",
    "SkipReason",
    "SkipRules",
    "StoreMapping",
    "Unmatched",
    "WarehouseMapping",
    "account_for",
    "allocate",
    "item_number",
    "load_mapping_config",
    "map_shipment",
    "match_customer",
    "normalise_email",
    "plan_adjustments",
    "plan_customer_alignment",
    "posting_date",
    "prorate",
    "reverse_invoice",
    "round_to_minor",
    "shipped_quantities",
    "unit_of_measure",
]
