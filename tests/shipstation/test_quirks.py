"""The V1 quirk table: each quirk is coerced as the table says, and nothing else is.

Payloads copy the shapes of captured real V1 answers kept in public client test data
(agritheory/shipstation-client, tests/api_data.py); values are our own.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ml_connector import ResponseDecodeError
from ml_connector.shipstation import (
    V1_QUIRKS,
    Customer,
    Decoder,
    Fulfillment,
    Order,
    Shipment,
    Store,
    Warehouse,
)


def test_every_quirk_names_its_source_and_what_it_becomes() -> None:
    names = [quirk.name for quirk in V1_QUIRKS]
    assert len(names) == len(set(names))
    for quirk in V1_QUIRKS:
        assert quirk.becomes and quirk.why and quirk.seen_in and quirk.wire


@pytest.mark.parametrize(
    ("quirk", "cls", "data", "check"),
    [
        (
            "empty-string-flag",
            Warehouse,
            {"warehouseId": 1, "returnAddress": {"residential": "", "name": ""}},
            lambda w: w.return_address.residential is None and w.return_address.name == "",
        ),
        (
            "empty-string-required-flag",
            Shipment,
            {"shipmentId": 1, "voided": "", "isReturnLabel": ""},
            lambda s: s.voided is False and s.is_return_label is False,
        ),
        (
            "null-required-flag",
            Fulfillment,
            {"fulfillmentId": 1, "voided": None},
            lambda f: f.voided is False,
        ),
        (
            "empty-string-list",
            Customer,
            {"customerId": 1, "tags": "", "marketplaceUsernames": ""},
            lambda c: c.tags == () and c.marketplace_usernames == (),
        ),
        (
            "null-list",
            Order,
            {
                "orderId": 1,
                "orderNumber": "1",
                "orderStatus": "shipped",
                "tagIds": None,
                "internationalOptions": {"customsItems": None},
            },
            lambda o: o.tag_ids == () and o.international_options.customs_items == (),
        ),
        (
            "empty-string-value",
            Order,
            {
                "orderId": 1,
                "orderNumber": "1",
                "orderStatus": "shipped",
                "orderTotal": "",
                "shipByDate": "",
                "modifyDate": "",
                "weight": "",
                "customerId": "",
            },
            lambda o: (
                (o.order_total, o.ship_by_date, o.modify_date, o.weight, o.customer_id)
                == (None, None, None, None, None)
            ),
        ),
        (
            "number-as-text",
            Shipment,
            {"shipmentId": 1, "batchNumber": 100002, "orderKey": "123456789"},
            lambda s: s.batch_number == "100002" and s.order_key == "123456789",
        ),
        (
            "text-as-number",
            Shipment,
            {"shipmentId": "7", "shipmentCost": "2.35"},
            lambda s: s.shipment_id == 7 and s.shipment_cost == Decimal("2.35"),
        ),
        (
            "date-with-time",
            Fulfillment,
            {"fulfillmentId": 1, "shipDate": "2020-06-24T10:32:33.6870000"},
            lambda f: f.ship_date == date(2020, 6, 24),
        ),
        (
            "seven-fraction-digits",
            Store,
            {"storeId": 1, "createDate": "2017-03-01T13:57:49.0330000", "statusMappings": ""},
            lambda s: s.create_date.microsecond == 33000,
        ),
    ],
)
def test_each_quirk_is_coerced_as_the_table_says(
    quirk: str, cls: type[Any], data: dict[str, Any], check: Any
) -> None:
    assert quirk in {q.name for q in V1_QUIRKS}
    assert check(Decoder("V1").one(cls, data))


@pytest.mark.parametrize(
    ("cls", "data", "field"),
    [
        # Text where a flag is due is not a quirk: refused, field named.
        (Shipment, {"shipmentId": 1, "voided": "no"}, "voided"),
        # A fractional quantity would corrupt stock: refused.
        (Shipment, {"shipmentId": 1, "shipmentItems": [{"quantity": "1.5"}]}, "shipment_items"),
        # An empty required id is no id.
        (Shipment, {"shipmentId": ""}, "shipment_id"),
        # An object is not a list, even an empty one.
        (Customer, {"customerId": 1, "tags": {}}, "tags"),
    ],
)
def test_what_is_not_a_quirk_still_fails_with_the_field_named(
    cls: type[Any], data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        Decoder("V1").one(cls, data)
    assert info.value.field is not None and info.value.field.startswith(field)


def test_one_bad_record_becomes_a_failed_record_and_the_page_goes_on() -> None:
    body = {
        "shipments": [
            {"shipmentId": 1, "shipTo": {"residential": ""}},
            {"shipmentId": 2, "shipmentCost": "two dollars"},
            "not an object",
            {"shipmentId": 4, "voided": None},
        ],
        "total": 4,
        "page": 1,
        "pages": 1,
    }
    page = Decoder("V1").page(body, "shipments", Shipment)
    assert [s.shipment_id for s in page.items] == [1, 4]
    first, second = page.failed
    assert (first.record_id, first.field, first.collection) == ("2", "shipment_cost", "shipments")
    assert first.raw == body["shipments"][1]
    assert (second.record_id, second.field) == (None, "shipments[2]")
    assert page.total == 4


def test_decoders_share_nothing() -> None:
    one, two = Decoder("V1"), Decoder("V1")
    assert one._fast is not two._fast
