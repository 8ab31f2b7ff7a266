"""The preflight lists the catalog check's findings: every SKU the item master would refuse."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ml_connector import ConfigurationError, OutageError
from ml_connector._errors import is_outage
from ml_connector.sync import AsyncShipmentSync, Outcome
from ml_connector.testing import BAD_SKU, FaultKind, FaultPlan, Faults

from ._env import DAY_END, DAY_START, Env, make_env
from .test_shipments import make_sync


def _break_the_catalog(env: Env) -> list[str]:
    skus = [product["sku"] for product in env.day.catalog]
    master = env.oracle_sim.item_master
    master.add_item(skus[0], "M2", enabled=False)
    master.add_item(skus[1], "M3", uom="Box")  # the mapping sends Each
    env.ss.data.products.add_sku("GHOST-1", name="Ghost", price=Decimal("9.99"))
    return skus


def test_preflight_lists_every_catalog_finding_at_once() -> None:
    env = make_env(orders=5, bad_sku_orders=0)
    skus = _break_the_catalog(env)
    report = make_sync(env).preflight()
    assert not report.ok
    catalog = {(p.kind, p.subject) for p in report.problems if p.kind == "catalog"}
    assert catalog == {
        ("catalog", f"{skus[0]} in M2"),
        ("catalog", f"{skus[1]} in M3"),
        ("catalog", "GHOST-1 in M1"),
        ("catalog", "GHOST-1 in M2"),
        ("catalog", "GHOST-1 in M3"),
    }
    assert report.catalog is not None and len(report.catalog.findings) == 5
    assert report.skus_checked == len(env.day.catalog) + 1
    text = report.describe()
    assert "not_enabled" in text and "uom_mismatch" in text and "unknown_in_oracle" in text
    assert f"{report.skus_checked} SKUs in the item master" in text
    assert env.oracle_posts() == [] and env.shipstation_methods() == {"GET"}


def test_a_clean_catalog_adds_no_problem() -> None:
    env = make_env(orders=5, bad_sku_orders=0)
    report = make_sync(env).preflight()
    assert report.ok, report.describe()
    assert report.skus_checked == len(env.day.catalog)


@pytest.mark.anyio
async def test_the_async_preflight_lists_the_same() -> None:
    env = make_env(orders=5, bad_sku_orders=0)
    _break_the_catalog(env)
    expected = make_sync(env).preflight().problems
    sync = AsyncShipmentSync(
        shipstation=env.async_shipstation(),
        oracle=env.async_oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
    )
    assert (await sync.preflight()).problems == expected


def test_an_item_master_outage_is_an_outage_not_a_catalog_problem() -> None:
    env = make_env(orders=5, bad_sku_orders=0)
    env.oracle_sim.faults = Faults(
        FaultPlan(
            rates={FaultKind.SERVER_ERROR: 1.0},
            path_prefixes=["/fscmRestApi/resources/11.13.18.05/itemsV2"],
        )
    )
    with pytest.raises(OutageError) as caught:
        make_sync(env).preflight()
    assert not isinstance(caught.value, ConfigurationError) and is_outage(caught.value)
    assert caught.value.system == "oracle"


def test_the_run_leaves_the_catalog_to_the_per_chunk_gate() -> None:
    # A product nobody ships does not stop the run; a shipped SKU Oracle lacks fails its record.
    env = make_env(orders=20, bad_sku_orders=1)
    env.ss.data.products.add_sku("GHOST-1", name="Ghost", price=Decimal("9.99"))
    summary = make_sync(env).run((DAY_START, DAY_END))
    failed = [r for r in summary.results if r.outcome is Outcome.FAILED]
    assert len(failed) == 1
    assert f"catalog: item {BAD_SKU}" in (failed[0].error or {})["message"]
    assert any(r.outcome is Outcome.POSTED for r in summary.results)
