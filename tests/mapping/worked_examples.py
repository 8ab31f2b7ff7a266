"""Generates docs/worked-examples.md from real mapping runs, so every number there is true.

Regenerate after a change to the mapping: ``python -m tests.mapping.worked_examples``
(from the repository root). ``test_worked_examples.py`` fails when the file is out of date.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import attrs

from ml_connector._time import parse_pacific
from ml_connector.mapping import (
    CustomerDirectory,
    InventorySnapshot,
    ShipmentPlan,
    Skip,
    map_shipment,
    match_customer,
    plan_adjustments,
    shipped_quantities,
)
from ml_connector.oracle.models import CustomerAccount, CustomerAccountSite, Party, PartyType
from ml_connector.shipstation.models import Address, InventoryLevel, Order, Shipment

from ._builders import CONFIG_PATH, item, order, retailer_config, shipment

DOC = Path(__file__).resolve().parents[2] / "docs" / "worked-examples.md"
CONFIG = retailer_config()
D = Decimal

DIRECTORY = CustomerDirectory.build(
    accounts=[
        CustomerAccount(
            account_number="10050",
            customer_name="Summit Guides Co",
            customer_id=50,
            sites=[
                CustomerAccountSite(
                    bill_to_site_use_id=1, bill_to_site_number="10050-HQ", account_number="10050"
                )
            ],
        ),
        CustomerAccount(
            account_number="20001",
            customer_name="Pat Lee",
            customer_id=1,
            sites=[
                CustomerAccountSite(
                    bill_to_site_use_id=2, bill_to_site_number="20001-B", account_number="20001"
                )
            ],
        ),
    ],
    parties=[
        Party(
            party_number="P1",
            party_type=PartyType.PERSON,
            party_id=1,
            email_address="pat.lee@example.com",
        )
    ],
)


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _plan_section(plan: ShipmentPlan | Skip, lines: list[str]) -> None:
    if isinstance(plan, Skip):
        lines += [f"Skipped: {plan.reason.value}: {plan.detail}", ""]
        return
    document = plan.invoice or plan.credit_memo
    if document is not None:
        kind = "Invoice" if plan.invoice is not None else "Credit memo"
        lines += [
            f"**{kind} `{plan.posting_key}`** ({document.business_unit}, "
            f"bill-to {document.bill_to_customer_number}"
            f"{' / ' + document.bill_to_site if document.bill_to_site else ''}, "
            f"dated {document.transaction_date.isoformat()})",
            "",
            "| Line | Description | Qty | Unit price | Amount | Freight | Tax |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for line in document.lines:
            freight = getattr(line, "allocated_freight_amount", None)
            tax = sum((t.tax_amount for t in line.tax_lines), Decimal(0))
            lines.append(
                f"| {line.line_number} | {line.description} | {line.quantity} | "
                f"{_money(line.unit_selling_price)} | {_money(line.amount)} | "
                f"{_money(freight) if freight else ''} | {_money(tax) if line.tax_lines else ''} |"
            )
        lines += [
            f"| | **Total** | | | | | **{_money(document.total)}** |",
            "",
            "| Class | Account | Line | Tax line | Amount |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        for dist in document.distributions:
            line_number = "" if dist.line_number is None else str(dist.line_number)
            tax_number = dist.detailed_tax_line_number
            lines.append(
                f"| {dist.account_class} | `{dist.account_combination}` | {line_number} | "
                f"{'' if tax_number is None else tax_number} | {_money(dist.amount)} |"
            )
        lines.append("")
    if plan.inventory:
        lines += [
            "| Inventory key | Type | Item | Qty | Org / subinventory | Account | Reference |",
            "| --- | --- | --- | ---: | --- | --- | --- |",
        ]
        for posting in plan.inventory:
            t = posting.transaction
            lines.append(
                f"| `{posting.key}` | {t.transaction_type_name} | {t.item_number} | "
                f"{t.transaction_quantity} | "
                f"{t.organization_code or t.organization_name} / {t.subinventory_code} | "
                f"`{t.distribution_account}` | {t.transaction_reference} |"
            )
        lines.append("")
    lines.append("<details><summary>Explanation</summary>")
    lines.append("")
    lines += [f"- {step}" for step in plan.explanation]
    lines += ["", "</details>", ""]


def _scenario(
    title: str,
    intro: str,
    the_order: Order,
    labels: list[Shipment],
    lines: list[str],
) -> Decimal:
    match = match_customer(the_order, CONFIG, DIRECTORY)
    lines += [f"## {title}", "", intro, ""]
    lines.append(f"Customer: {getattr(match, 'detail', getattr(match, 'reason', ''))}.")
    lines.append("")
    net = D(0)
    for label in labels:
        plan = map_shipment(label, the_order, match, CONFIG, order_shipments=labels)
        where = CONFIG.warehouse(label.warehouse_id).label
        state = "voided label" if label.voided else "label"
        lines.append(f"### Shipment {label.shipment_id} ({state}, {where})")
        lines.append("")
        _plan_section(plan, lines)
        if isinstance(plan, ShipmentPlan):
            net += plan.total
    return net


def render() -> str:
    lines: list[str] = [
        "# Worked examples",
        "",
        "<!-- Generated by python -m tests.mapping.worked_examples from real mapping runs;"
        " do not edit. -->",
        "",
        "Cascade Outfitters sells outdoor gear through a web store (store 2001), Amazon (2002)",
        "and eBay (2003), and ships from three warehouses: Reno (16079, cost center 1100),",
        "Columbus (16080, cost center 1200) and Allentown (16081, cost center 1300, company 02,",
        "another business unit). Its mapping configuration is",
        f"`{CONFIG_PATH.relative_to(DOC.parents[1]).as_posix()}` in the repository; the chart of",
        "accounts is",
        "`company-cost_center-account-product-intercompany`. Every table below is produced by",
        "the mapping code itself.",
        "",
    ]

    # 1. Web order, one label printed on a month-end evening.
    web = order(
        [
            item(11, "TENT-2P", 1, "199.00", name="Two-person tent"),
            item(12, "MUG", 2, "12.50", name="Enamel camp mug"),
        ],
        order_id=1001,
        number="W-1001",
        tax="17.44",
        shipping="9.95",
        customer_id=5001,
        email="orders@summitguides.example",
        store_id=2001,
    )
    printed = parse_pacific("2026-03-31 17:30:00")
    label = shipment(90001, web, [(11, 1), (12, 2)], created=printed, warehouse_id=16079)
    net = _scenario(
        "1. A web order shipped in one label on 31 March at 17:30 Pacific",
        "The label is printed at 17:30 PDT on 31 March, which is 00:30 UTC on 1 April. With the "
        "default UTC basis the invoice and the stock issue post on **1 April**; with "
        '`[dates] basis = "zone"`, `zone = "America/Los_Angeles"` they would post on '
        "31 March.",
        web,
        [label],
        lines,
    )
    lines += [
        f"Check: items 199.00 + 25.00, tax 17.44, shipping 9.95 = **{_money(net)}**.",
        "",
    ]

    # 2. Amazon order split over two warehouses.
    amazon = order(
        [
            item(21, "LAMP-H", 3, "24.99", name="Headlamp"),
            item(22, "STOVE-1", 1, "89.00", name="Backpacking stove"),
        ],
        order_id=1002,
        number="113-5550101-7654321",
        tax="13.01",
        shipping="0",
        customer_id=None,
        email="x7k2p9q@marketplace.amazon.com",
        store_id=2002,
    )
    t0 = parse_pacific("2026-04-14 09:12:00")
    reno = shipment(90002, amazon, [(21, 2)], created=t0, warehouse_id=16079)
    columbus = shipment(
        90003, amazon, [(21, 1), (22, 1)], created=t0 + timedelta(hours=3), warehouse_id=16080
    )
    net = _scenario(
        "2. An Amazon order split between Reno and Columbus",
        "Amazon masks the buyer's email, so the store's default account bills it. The order's "
        "tax is spread over its items by value (largest remainder, to the cent), then each "
        "label invoices its cumulative share. Revenue and receivable use the warehouse's cost "
        "center and Amazon's product segment 200.",
        amazon,
        [reno, columbus],
        lines,
    )
    lines += [
        f"Check: both invoices add up to 3 x 24.99 + 89.00 + 13.01 = **{_money(net)}**, "
        "to the cent.",
        "",
    ]

    # 3. eBay order, one mug at a time, with a discount.
    ebay = order(
        [
            item(31, "MUG", 3, "3.33", name="Enamel camp mug"),
            item(39, "", 1, "-1.00", name="Coupon", adjustment=True),
        ],
        order_id=1003,
        number="24-11111-22222",
        tax="0.80",
        shipping="5.00",
        customer_id=None,
        email="buyer123@members.ebay.com",
        store_id=2003,
    )
    start = parse_pacific("2026-05-04 10:00:00")
    split = [
        shipment(90004 + n, ebay, [(31, 1)], created=start + timedelta(days=n), warehouse_id=16081)
        for n in range(3)
    ]
    net = _scenario(
        "3. An eBay order shipped one unit at a time from Allentown",
        "Three labels of one mug each. Shipping 5.00, tax 0.80 and the coupon -1.00 do not "
        "divide by three; each label invoices `round(total x shipped so far / 3)` minus what "
        "is already invoiced, so the cents land on the labels and the three invoices add up "
        "exactly. Allentown is company 02 in another business unit; eBay books revenue to "
        "401300 with product 300.",
        ebay,
        split,
        lines,
    )
    lines += [
        f"Check: 9.99 - 1.00 + 5.00 + 0.80 = **{_money(net)}**.",
        "",
    ]

    # 4. The web label voided the next morning.
    voided = attrs.evolve(label, voided=True, void_date=parse_pacific("2026-04-01 08:05:00"))
    net = _scenario(
        "4. The web label voided the next morning",
        "Voiding the label of example 1 maps to a credit memo that reverses exactly what the "
        "invoice posted (the same lines and accounts, negated), keyed from the original "
        "(`SS90001` -> `SS90001V`), dated at the void, and to receipts putting the stock back.",
        web,
        [voided],
        lines,
    )
    lines += [f"Check: the credit memo totals **{_money(net)}**.", ""]

    # 5. Inventory adjustments between two V2 snapshots.
    before = InventorySnapshot(
        parse_pacific("2026-04-30 21:00:00"),
        (
            InventoryLevel(
                sku="MUG", on_hand=120, allocated=4, available=116, inventory_location_id="se-100"
            ),
            InventoryLevel(
                sku="LAMP-H", on_hand=40, allocated=0, available=40, inventory_location_id="se-100"
            ),
            InventoryLevel(
                sku="MUG", on_hand=60, allocated=0, available=60, inventory_location_id="se-200"
            ),
        ),
    )
    after = InventorySnapshot(
        before.taken_at + timedelta(days=1),
        (
            InventoryLevel(
                sku="MUG", on_hand=113, allocated=0, available=113, inventory_location_id="se-100"
            ),
            InventoryLevel(
                sku="LAMP-H", on_hand=46, allocated=0, available=46, inventory_location_id="se-100"
            ),
            InventoryLevel(
                sku="MUG", on_hand=57, allocated=0, available=57, inventory_location_id="se-200"
            ),
        ),
    )
    day = order([item(41, "MUG", 8, "12.50")], order_id=1004, number="W-1004")
    moved = [
        shipment(
            90010, day, [(41, 5)], created=before.taken_at + timedelta(hours=2), warehouse_id=16079
        ),
        shipment(
            90011, day, [(41, 3)], created=before.taken_at + timedelta(hours=5), warehouse_id=16080
        ),
    ]
    shipped = shipped_quantities(moved, after=before.taken_at, until=after.taken_at)
    adjustments = plan_adjustments(before, after, shipped, CONFIG)
    lines += [
        "## 5. Stock counts that shipments do not explain",
        "",
        "Two ShipStation V2 inventory snapshots a day apart, and the labels printed in between "
        "(5 mugs from Reno, 3 from Columbus). Only what the labels do not explain becomes an "
        "adjustment on the warehouse's adjustment account.",
        "",
        "| Warehouse | SKU | Before | After | Shipped | Unexplained | Key | Type | Qty sent |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for adj in adjustments.adjustments:
        t = adj.posting.transaction
        lines.append(
            f"| {CONFIG.warehouse(adj.warehouse_id).label} | {adj.sku} | {adj.previous_on_hand} "
            f"| {adj.current_on_hand} | {adj.shipped} | {adj.delta:+} | `{adj.posting.key}` | "
            f"{t.transaction_type_name} | {t.transaction_quantity} |"
        )
    lines += ["", "<details><summary>Explanation</summary>", ""]
    lines += [f"- {step}" for step in adjustments.explanation]
    lines += ["", "</details>", ""]

    # 6. Customer matching.
    lines += [
        "## 6. Which rule bills whom",
        "",
        "| Order | Customer data | Result |",
        "| --- | --- | --- |",
    ]
    cases = [
        ("W-2001", order([], customer_id=5001, email="orders@summitguides.example")),
        ("W-2002", order([], customer_id=77, custom_field1="20001", email="a@b.example")),
        ("W-2003", order([], customer_id=78, email=" Pat.Lee@Example.com ")),
        ("113-2004", order([], customer_id=None, email="q1@marketplace.amazon.com", store_id=2002)),
        (
            "W-2005",
            order(
                [],
                customer_id=79,
                email="new.buyer@example.com",
                bill_to=Address(name="Sam Rivera"),
            ),
        ),
    ]
    for number, the_order in cases:
        result = match_customer(the_order, CONFIG, DIRECTORY)
        described = (
            f"customerId {the_order.customer_id}, email `{the_order.customer_email}`"
            + (
                f", customField1 `{the_order.advanced_options.custom_field1}`"
                if the_order.advanced_options and the_order.advanced_options.custom_field1
                else ""
            )
            + f", store {the_order.store_id}"
        )
        outcome = type(result).__name__
        detail = getattr(result, "detail", None) or getattr(result, "reason", "")
        lines.append(f"| {number} | {described} | **{outcome}**: {detail} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC.name}")
