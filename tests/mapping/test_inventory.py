"""Shipments to inventory issues, voids to receipts, V2 snapshots to adjustments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import attrs
import pytest

from ml_connector import MappingError
from ml_connector.mapping import (
    InventorySnapshot,
    ShipmentPlan,
    map_shipment,
    plan_adjustments,
    shipped_quantities,
)
from ml_connector.shipstation.models import InventoryLevel

from ._builders import MATCH, item, order, retailer_config, shipment, utc

D = Decimal
CONFIG = retailer_config()
ORDER = order([item(11, "TENT-2P", 1, "199.00"), item(12, "MUG", 3, "3.33")], number="CO-77")


def _plan(config=CONFIG, **change):  # type: ignore[no-untyped-def]
    label = attrs.evolve(shipment(501, ORDER, [(11, 1), (12, 3)], warehouse_id=16081), **change)
    result = map_shipment(label, ORDER, MATCH, config)
    assert isinstance(result, ShipmentPlan)
    return result


def test_one_issue_per_shipped_item_with_warehouse_item_and_account() -> None:
    plan = _plan()
    assert [p.key for p in plan.inventory] == ["SS501-1", "SS501-2"]
    tent = plan.inventory[0].transaction
    assert (tent.item_number, tent.transaction_quantity, tent.transaction_unit_of_measure) == (
        "CO-TENT-0002",
        D(-1),
        "Each",
    )
    # inventory_organization = "ABE" is a code: sent as OrganizationCode, never as a name.
    assert (tent.organization_code, tent.organization_name) == ("ABE", None)
    assert tent.subinventory_code == "STORES"
    assert tent.transaction_type_name == "Miscellaneous Issue"
    assert (tent.source_code, tent.source_header_id, tent.source_line_id) == (
        "SHIPSTATION",
        "501",
        "11",
    )
    # The posting key, by default: the one key staged and completed transactions both expose.
    assert tent.transaction_reference == "SS501-1"
    assert tent.distribution_account == "02-1300-501000-000-00"
    assert tent.transaction_date == utc(2026, 3, 10, 18)
    mug = plan.inventory[1].transaction
    assert (mug.item_number, mug.transaction_quantity) == ("MUG", D(-3))  # identity mapping


def test_positive_sign_convention_and_order_number_reference() -> None:
    config = attrs.evolve(
        CONFIG,
        inventory=attrs.evolve(CONFIG.inventory, issue_sign="positive", reference="order_number"),
    )
    plan = _plan(config)
    assert [p.transaction.transaction_quantity for p in plan.inventory] == [D(1), D(3)]
    assert [p.transaction.transaction_reference for p in plan.inventory] == ["CO-77", "CO-77"]


def test_an_organization_given_by_name_is_sent_as_a_name() -> None:
    warehouses = {
        key: attrs.evolve(
            warehouse,
            inventory_organization="Allentown DC",
            inventory_organization_kind="name",
        )
        for key, warehouse in CONFIG.warehouses.items()
    }
    tent = _plan(attrs.evolve(CONFIG, warehouses=warehouses)).inventory[0].transaction
    assert (tent.organization_code, tent.organization_name) == (None, "Allentown DC")


def test_unmapped_sku_without_identity_mapping_is_an_error() -> None:
    config = attrs.evolve(CONFIG, items=attrs.evolve(CONFIG.items, identity=False))
    with pytest.raises(MappingError) as caught:
        _plan(config)
    assert caught.value.field == "shipment_items[1].sku"
    assert "MUG" in str(caught.value)


def test_void_receipts_put_back_exactly_what_was_issued() -> None:
    issued = _plan()
    reversed_ = _plan(voided=True, void_date=utc(2026, 3, 12, 9))
    assert [p.key for p in reversed_.inventory] == ["SS501-1V", "SS501-2V"]
    for issue, receipt in zip(issued.inventory, reversed_.inventory, strict=True):
        a, b = issue.transaction, receipt.transaction
        assert b.transaction_type_name == "Miscellaneous Receipt"
        assert b.transaction_quantity == -a.transaction_quantity
        assert (b.item_number, b.subinventory_code, b.distribution_account) == (
            a.item_number,
            a.subinventory_code,
            a.distribution_account,
        )
        assert (b.source_header_id, b.source_line_id) == (a.source_header_id, a.source_line_id)
        assert b.transaction_date == utc(2026, 3, 12, 9)


def _level(sku: str, on_hand: int, location: str) -> InventoryLevel:
    return InventoryLevel(
        sku=sku, on_hand=on_hand, allocated=0, available=on_hand, inventory_location_id=location
    )


T1 = utc(2026, 3, 31, 23)
T2 = T1 + timedelta(hours=24)


def test_adjustments_are_stock_changes_shipments_do_not_explain() -> None:
    previous = InventorySnapshot(
        T1,
        (
            _level("MUG", 100, "se-100"),
            _level("TENT-2P", 10, "se-100"),
            _level("MUG", 50, "se-200"),
            _level("LAMP", 5, "se-999"),
        ),
    )
    current = InventorySnapshot(
        T2,
        (
            _level("MUG", 95, "se-100"),
            _level("TENT-2P", 12, "se-100"),
            _level("MUG", 47, "se-200"),
            _level("LAMP", 4, "se-999"),
        ),
    )
    shipped = {("16079", "MUG"): D(3), ("16080", "MUG"): D(3)}
    plan = plan_adjustments(previous, current, shipped, CONFIG)
    rows = [
        (
            a.warehouse_id,
            a.sku,
            a.delta,
            a.posting.transaction.transaction_type_name,
            a.posting.transaction.transaction_quantity,
        )
        for a in plan.adjustments
    ]
    assert rows == [
        ("16079", "MUG", D(-2), "Miscellaneous Issue", D(-2)),
        ("16079", "TENT-2P", D(2), "Miscellaneous Receipt", D(2)),
    ]
    assert plan.unmapped == ("se-999",)
    assert any("explained by shipments" in line for line in plan.explanation)
    mug = plan.adjustments[0].posting
    assert mug.key.startswith("SA") and len(mug.key) == 14
    assert mug.transaction.distribution_account == "01-1100-515000-000-00"
    assert mug.transaction.item_number == "MUG"
    assert plan.adjustments[1].posting.transaction.item_number == "CO-TENT-0002"
    # Same snapshots, same keys.
    assert plan_adjustments(previous, current, shipped, CONFIG) == plan


def test_adjustments_refuse_snapshots_out_of_order() -> None:
    snap = InventorySnapshot(T1, ())
    with pytest.raises(MappingError) as caught:
        plan_adjustments(snap, snap, {}, CONFIG)
    assert caught.value.field == "taken_at"


def test_shipped_quantities_net_of_voids_in_the_window() -> None:
    o = order([item(11, "MUG", 5, "1.00")])
    inside = shipment(1, o, [(11, 2)], created=T1 + timedelta(hours=1))
    voided_inside = shipment(
        2,
        o,
        [(11, 1)],
        created=T1 - timedelta(hours=5),
        voided=True,
        void_date=T1 + timedelta(hours=2),
    )
    before = shipment(3, o, [(11, 4)], created=T1 - timedelta(hours=1))
    returned = shipment(4, o, [(11, 1)], created=T1 + timedelta(hours=1), is_return_label=True)
    other = shipment(5, o, [(11, 1)], created=T1 + timedelta(hours=3), warehouse_id=16080)
    totals = shipped_quantities(
        [inside, voided_inside, before, returned, other], after=T1, until=T2
    )
    assert totals == {("16079", "MUG"): D(1), ("16080", "MUG"): D(1)}


@pytest.mark.parametrize("template", ["LONG-INVENTORY-KEY-{shipment_id}-{line}", "K{0}-{line}"])
def test_an_inventory_key_that_cannot_be_made_fails_as_rendering_fails(template: str) -> None:
    # The shipment's keys are filled from one template read once; a key over the limit (or a
    # template str.format refuses) fails exactly as PostingKeyFormats.render fails.
    formats = attrs.evolve(CONFIG.posting_keys, inventory=template)
    config = attrs.evolve(CONFIG, posting_keys=formats)
    label = shipment(501, ORDER, [(11, 1), (12, 3)], warehouse_id=16081)
    values = {"shipment_id": 501, "order_id": label.order_id, "order_number": "CO-77", "line": 1}
    try:
        formats.render("inventory", record="shipment 501", **values)
    except (MappingError, IndexError) as exc:
        expected = (type(exc).__name__, str(exc), getattr(exc, "field", None))
    with pytest.raises(MappingError) as raised:
        map_shipment(label, ORDER, MATCH, config)
    error = raised.value
    if expected[0] == "MappingError":
        assert (str(error), error.field) == (expected[1], expected[2])
    else:  # mapping names the record and the unforeseen error
        assert f"{expected[0]}: {expected[1]}" in str(error)
