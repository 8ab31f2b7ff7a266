"""The bounds of waiting in a window run (``_Carry``): by the listing's time, or by chunks,
and never more labels at once than its limit, whatever the day's volume."""

from __future__ import annotations

from datetime import timedelta

from ml_connector.shipstation import decode_shipment
from ml_connector.sync._labels import SHIPMENT, Label
from ml_connector.sync._window import _Carry, _LedgerCache


def _label(shipment_id: int, created: str) -> Label:
    shipment = decode_shipment(
        {"shipmentId": shipment_id, "orderId": shipment_id, "createDate": created}
    )
    return Label(SHIPMENT, shipment_id, shipment=shipment)


def _carry(**bounds: object) -> _Carry:
    return _Carry(_LedgerCache(100), **bounds)  # type: ignore[arg-type]


def test_a_label_waits_while_the_listing_is_within_the_wait_of_it() -> None:
    carry = _carry(max_age=2, max_wait=timedelta(hours=3))
    early = _label(1, "2026-01-15T08:00:00.0000000")
    carry.listed([early])
    carry.defer([early])
    # Many chunks later, but the listing has moved on less than three hours: it still waits.
    for n, stamp in enumerate(("09:00", "10:00", "10:59")):
        carry.take()
        carry.listed([_label(10 + n, f"2026-01-15T{stamp}:00.0000000")])
        assert carry.may_defer(early, final=False)
        carry.defer([early])
    carry.take()
    carry.listed([_label(20, "2026-01-15T11:00:00.0000000")])
    assert not carry.may_defer(early, final=False)
    assert not carry.may_defer(_label(21, "2026-01-15T11:00:00.0000000"), final=True)


def test_a_label_without_a_creation_date_waits_by_chunks_only() -> None:
    carry = _carry(max_age=2)
    undated = Label(SHIPMENT, 5, shipment=decode_shipment({"shipmentId": 5, "orderId": 5}))
    carry.listed([undated])
    carry.defer([undated])
    carry.take()
    carry.listed([_label(6, "2026-01-15T08:00:00.0000000")])
    assert carry.may_defer(undated, final=False)
    carry.defer([undated])
    carry.take()
    carry.listed([_label(7, "2026-01-15T08:00:01.0000000")])
    assert not carry.may_defer(undated, final=False)


def test_no_more_labels_wait_at_once_than_the_limit() -> None:
    carry = _carry(limit=3)
    labels = [_label(n, "2026-01-15T08:00:00.0000000") for n in range(5)]
    waiting = carry.listed(labels)
    assert waiting == labels
    allowed = []
    for label in labels:
        if carry.may_defer(label, final=False):
            carry.defer([label])
            allowed.append(label.id)
    assert allowed == [0, 1, 2]
    # The waiting labels come back with the next chunk, after its own labels.
    later = _label(9, "2026-01-15T08:01:00.0000000")
    assert [label.id for label in carry.listed([later])] == [9, 0, 1, 2]
    assert carry.deferred == []


def test_an_order_listed_past_its_modification_has_no_more_labels_to_wait_for() -> None:
    from ml_connector.shipstation import decode_order

    carry = _carry()
    order = decode_order(
        {
            "orderId": 1,
            "orderNumber": "A-1",
            "orderStatus": "shipped",
            "modifyDate": "2026-01-15T08:00:00.0000000",
        }
    )
    carry.listed([_label(1, "2026-01-15T08:00:00.0000000")])
    assert carry.may_list_more(order)  # a sibling created at the same time may come next
    carry.listed([_label(2, "2026-01-15T08:04:59.0000000")])
    assert carry.may_list_more(order)
    carry.listed([_label(3, "2026-01-15T08:05:00.0000000")])
    assert not carry.may_list_more(order)
    undated = decode_order({"orderId": 2, "orderNumber": "A-2", "orderStatus": "shipped"})
    assert carry.may_list_more(undated)
