"""``ml-connector catalog`` over the simulators: text and JSON, exit 1 when unresolved."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from ml_connector.testing import BAD_SKU

from .conftest import SECRETS, CliRunner, Sims

WINDOW = ["--since", "2026-01-15T08:00:00Z", "--until", "2026-01-17T08:00:00Z"]


def test_catalog_json_lists_every_unresolved_sku(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    first = sims.day.catalog[0]["sku"]
    sims.oracle.item_master.add_item(first, "M1", uom="Box")
    sims.shipstation.data.products.add_sku("GHOST-9", price=Decimal("3.50"))
    result = cli(["catalog", *WINDOW, "--json"], environ=env, transports=sims.transports())
    assert result.code == 1, result.err
    document = json.loads(result.out)
    assert document["command"] == "catalog" and document["ok"] is False
    found = {(f["issue"], f["sku"], f["organization"]) for f in document["findings"]}
    assert ("uom_mismatch", first, "M1") in found
    assert ("unknown_in_oracle", "GHOST-9", "M2") in found
    assert any(f["sku"] == BAD_SKU for f in document["findings"])
    ghost = next(p for p in document["prices"] if p["sku"] == "GHOST-9")
    assert ghost["product_price"] == "3.50"  # Decimal, exact
    assert not any(secret in result.out + result.err for secret in SECRETS)
    assert sims.oracle.invoices() == [] and sims.oracle.inventory_transactions() == []


def test_catalog_text_and_exit_zero_when_resolved(
    cli: CliRunner, sims: Sims, env: dict[str, str], config: Path
) -> None:
    products_only = cli(["catalog"], environ=env, transports=sims.transports())
    assert products_only.code == 0, products_only.out + products_only.err
    assert "all resolved" in products_only.out
    window = cli(["catalog", *WINDOW], environ=env, transports=sims.transports())
    if any(
        item.get("sku") == BAD_SKU for b in sims.day.iter_bundles() for item in b.order["items"]
    ):
        assert window.code == 1 and BAD_SKU in window.out
    sims.oracle.items.add(BAD_SKU)  # what finance does: the item is created in Oracle
    fixed = cli(["catalog", *WINDOW], environ=env, transports=sims.transports())
    assert fixed.code == 0, fixed.out
    assert fixed.out.startswith("catalog: ")
