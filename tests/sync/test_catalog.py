"""The catalog check against the simulators: every SKU problem at once, prices side by side."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ml_connector.sync import (
    AsyncCatalogCheck,
    CatalogCheck,
    CatalogIssue,
    CatalogOptions,
    CatalogReport,
)
from ml_connector.testing import BAD_SKU

from ._env import DAY_END, DAY_START, Env, make_env, mapping_for

WINDOW = (DAY_START, DAY_END)


def check(env: Env, **options: object) -> CatalogReport:
    return CatalogCheck(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        options=CatalogOptions(**options),  # type: ignore[arg-type]
    ).run(WINDOW)


def issues(report: CatalogReport) -> set[tuple[str, str, str | None]]:
    return {(f.issue.value, f.sku, f.organization) for f in report.findings}


def orgs_of_bad_sku(env: Env) -> set[str]:
    """Organizations of the warehouses the bad SKU's orders ship from."""
    found = set()
    for bundle in env.day.iter_bundles():
        order = bundle.order
        if any(item.get("sku") == BAD_SKU for item in order["items"]):
            found.add(env.day.organizations[order["advancedOptions"]["warehouseId"]])
    return found


def test_a_clean_catalog_is_all_resolved_and_nothing_is_written() -> None:
    env = make_env(orders=30, bad_sku_orders=0)
    report = check(env)
    assert report.ok, report.describe()
    assert report.products == len(env.day.catalog)
    assert report.orders > 0
    assert report.organizations == ("M1", "M2", "M3")
    assert "all resolved" in report.describe()
    assert env.oracle_posts() == []
    assert env.shipstation_methods() == {"GET"}


def test_unknown_disabled_and_unit_mismatched_skus_are_reported_at_once() -> None:
    env = make_env(orders=40, bad_sku_orders=2)
    skus = [product["sku"] for product in env.day.catalog]
    master = env.oracle_sim.item_master
    master.add_item(skus[0], "M2", enabled=False)  # not transactable in M2
    master.add_item(skus[1], "M1", status="Inactive")
    master.add_item(skus[2], "M3", uom="Box")  # the mapping sends Each
    env.ss.data.products.add_sku("GHOST-1", name="Ghost", price=Decimal("9.99"))
    report = check(env)
    assert not report.ok
    found = issues(report)
    assert ("not_enabled", skus[0], "M2") in found
    assert ("not_enabled", skus[1], "M1") in found
    assert ("uom_mismatch", skus[2], "M3") in found
    # A product is checked in every organization; an order's SKU where the order ships from.
    assert {("unknown_in_oracle", "GHOST-1", org) for org in ("M1", "M2", "M3")} <= found
    bad = {f.organization for f in report.findings if f.sku == BAD_SKU}
    assert bad == orgs_of_bad_sku(env) and bad
    assert len(report.findings) == 6 + len(bad)
    disabled = next(f for f in report.findings if f.sku == skus[0])
    assert disabled.disabled_flags == (
        "InventoryItemFlag",
        "StockEnabledFlag",
        "MaterialTransactionEnabledFlag",
    )
    inactive = next(f for f in report.findings if f.sku == skus[1])
    assert inactive.status == "Inactive" and "status Inactive" in inactive.detail
    unit = next(f for f in report.findings if f.issue is CatalogIssue.UOM_MISMATCH)
    assert (unit.expected_uom, unit.oracle_uom) == ("Each", "Box")
    ghost = next(f for f in report.findings if f.sku == "GHOST-1")
    assert ghost.sources == ("product",)
    text = report.describe()
    assert "GHOST-1" in text and BAD_SKU in text and "uom_mismatch" in text
    assert env.oracle_posts() == []
    assert env.shipstation_methods() == {"GET"}


def test_item_master_is_read_in_bulk_per_organization() -> None:
    env = make_env(orders=30, skus=90, bad_sku_orders=0)
    report = check(env)
    assert report.ok
    # 90 products in 3 organizations at 40 a query: 3 queries each, not 270.
    assert env.oracle_sim.item_master.requests == 3 * 3
    # Framework 1 has no 'or': one query per item and organization.
    env.oracle_sim.item_master.requests = 0
    legacy = CatalogCheck(
        shipstation=env.shipstation(),
        oracle=env.oracle(framework_version="1"),
        mapping=env.mapping,
    ).run(WINDOW)
    assert legacy.findings == report.findings
    assert env.oracle_sim.item_master.requests == report.skus * 3


def test_unmapped_skus_come_from_the_mapping_rules() -> None:
    env = make_env(orders=20, bad_sku_orders=0)
    skus = [product["sku"] for product in env.day.catalog]
    env.mapping = mapping_for(
        env.day,
        items={"identity": False, "map": {sku: sku for sku in skus[1:]}, "uom_by_sku": {}},
    )
    report = check(env)
    assert issues(report) == {("unmapped", skus[0], None)}
    finding = report.findings[0]
    assert finding.item_number is None and "identity" in finding.detail
    assert report.finding_for(skus[0], "M1") is finding
    assert report.finding_for(skus[1], "M1") is None


def test_mapped_item_numbers_and_units_are_what_is_looked_up() -> None:
    env = make_env(orders=20, bad_sku_orders=0)
    sku = env.day.catalog[0]["sku"]
    for org in ("M1", "M2", "M3"):
        env.oracle_sim.item_master.add_item("ORA-42", org, uom="Box")
    env.mapping = mapping_for(env.day, items={"map": {sku: "ORA-42"}, "uom_by_sku": {sku: "Box"}})
    assert check(env).ok


def test_prices_show_product_price_next_to_what_orders_charged() -> None:
    env = make_env(orders=40, bad_sku_orders=0)
    charged: dict[str, list[Decimal]] = {}
    for bundle in env.day.iter_bundles():
        if bundle.order["orderStatus"] == "cancelled":
            continue
        for item in bundle.order["items"]:
            if item.get("sku") and not item.get("adjustment"):
                charged.setdefault(item["sku"], []).append(Decimal(str(item["unitPrice"])))
    sku = max(charged, key=lambda s: len(charged[s]))
    product = next(p for p in env.ss.data.products.values() if p["sku"] == sku)
    product["price"] = Decimal("1234.56")
    report = check(env)
    row = next(p for p in report.prices if p.sku == sku)
    assert row.product_price == Decimal("1234.56")
    assert (row.order_min, row.order_max) == (min(charged[sku]), max(charged[sku]))
    assert row.order_lines == len(charged[sku])
    assert row.drift and row in report.drift()
    assert report.ok  # drift is for finance to read, not a failure
    assert "price drift" in report.describe()
    assert isinstance(row.order_min, Decimal)


def test_inactive_products_are_left_out_unless_asked_for() -> None:
    env = make_env(orders=10, bad_sku_orders=0)
    env.ss.data.products.add_sku("RETIRED-1", active=False)
    assert check(env).ok
    report = check(env, include_inactive_products=True)
    assert {f.sku for f in report.findings} == {"RETIRED-1"}


def test_an_item_master_that_cannot_be_read_is_reported_not_raised() -> None:
    env = make_env(orders=10, bad_sku_orders=0)
    report = check(env, organization_attribute="NoSuchAttribute")
    assert report.findings
    assert {f.issue for f in report.findings} == {CatalogIssue.LOOKUP_FAILED}
    assert "could not be read" in report.findings[0].detail


def test_products_only_without_a_window() -> None:
    env = make_env(orders=10, bad_sku_orders=3)
    report = CatalogCheck(
        shipstation=env.shipstation(), oracle=env.oracle(), mapping=env.mapping
    ).run()
    assert report.ok and report.orders == 0 and report.window is None


def test_the_report_as_json_ready_data() -> None:
    env = make_env(orders=10, bad_sku_orders=1)
    data = check(env).as_dict()
    assert data["ok"] is False
    assert data["issues"] == {"unknown_in_oracle": len(data["findings"])}
    assert data["findings"][0]["sku"] == BAD_SKU
    assert data["window"] == {"start": DAY_START, "end": DAY_END}


@pytest.mark.anyio
async def test_the_async_twin_finds_the_same() -> None:
    env = make_env(orders=30, bad_sku_orders=2)
    env.oracle_sim.item_master.add_item(env.day.catalog[3]["sku"], "M1", uom="Case")
    blocking = check(env)
    async with env.async_shipstation() as v1, env.async_oracle() as oracle:
        report = await AsyncCatalogCheck(shipstation=v1, oracle=oracle, mapping=env.mapping).run(
            WINDOW
        )
    assert report == blocking
    assert not report.ok


def test_twins_expose_the_same_methods() -> None:
    public = {n for n in dir(CatalogCheck) if not n.startswith("_")}
    assert public == {n for n in dir(AsyncCatalogCheck) if not n.startswith("_")}


# -- the gate in dry runs and before posting --------------------------------------------------


def _records_with(env: Env, sku: str) -> set[str]:
    """ShipStation shipment ids whose items include ``sku`` (created labels, not voided)."""
    ids = set()
    for bundle in env.day.iter_bundles():
        for shipment in bundle.shipments:
            if any(i.get("sku") == sku for i in shipment.get("shipmentItems") or ()):
                ids.add(str(shipment["shipmentId"]))
    return ids


def test_a_dry_run_shows_a_record_whose_item_would_fail_as_failed() -> None:
    from ml_connector.sync import Outcome

    from .test_shipments import make_sync

    env = make_env(orders=40, bad_sku_orders=0)
    counts: dict[str, int] = {}
    for bundle in env.day.iter_bundles():
        for shipment in bundle.shipments:
            for item in shipment.get("shipmentItems") or ():
                counts[item["sku"]] = counts.get(item["sku"], 0) + 1
    sku = max(counts, key=lambda s: counts[s])
    for org in ("M1", "M2", "M3"):
        env.oracle_sim.item_master.add_item(sku, org, enabled=False)
    plan = make_sync(env).run(WINDOW, dry_run=True)
    failed = {r.record.id for r in plan.results if r.outcome is Outcome.FAILED}
    expected = _records_with(env, sku)
    assert expected and expected <= failed
    result = next(r for r in plan.results if r.record.id in expected)
    assert result.error is not None and "not enabled" in result.detail
    assert "ml-connector catalog" in result.detail
    assert all(
        r.outcome is Outcome.WOULD_POST
        for r in plan.results
        if r.record.id not in failed and r.outcome is not Outcome.SKIPPED
    )
    assert env.oracle_posts() == [] and len(env.audit) == 0


def test_before_posting_a_record_with_a_refused_item_posts_nothing() -> None:
    from ml_connector.sync import Outcome

    from .test_shipments import make_sync

    env = make_env(orders=40, bad_sku_orders=2)
    bad = _records_with(env, BAD_SKU)
    summary = make_sync(env).run(WINDOW)
    failed = {r.record.id: r for r in summary.results if r.outcome is Outcome.FAILED}
    assert bad and bad <= failed.keys()
    assert "not in the item master" in failed[next(iter(bad))].detail
    # Nothing of those records reached Oracle: no invoice, no refused inventory row.
    keys = {row["TransactionNumber"] for row in env.oracle_sim.invoices()}
    assert not any(f"SS{shipment_id}" in keys for shipment_id in bad)
    assert all(row["ItemNumber"] != BAD_SKU for row in env.oracle_sim.inventory_transactions())
    # Once finance creates the item, the replay posts them.
    env.oracle_sim.items.add(BAD_SKU)
    report = make_sync(env).replay()
    replayed = [item for item in report.items if item.failed.record.id in bad]
    assert replayed and report.posted > 0
    assert not any("catalog:" in str(item.error) for item in replayed if item.error)
    assert any(row["ItemNumber"] == BAD_SKU for row in env.oracle_sim.inventory_transactions())


def test_the_gate_is_off_without_the_preflight() -> None:
    from ml_connector.sync import Outcome

    from .test_shipments import make_sync

    env = make_env(orders=40, bad_sku_orders=2)
    summary = make_sync(env, preflight=False).run(WINDOW)
    assert any(r.outcome is Outcome.FAILED for r in summary.results)
    assert any(row["ItemNumber"] == BAD_SKU for row in env.oracle_sim.inventory_transactions())
