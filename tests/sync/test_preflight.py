"""Preflight: every problem reported at once, and nothing posted when there is one."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from ml_connector import ConfigurationError, OutageError, ServerError, TransportError
from ml_connector._errors import is_outage
from ml_connector.sync import PreflightError
from ml_connector.testing import FaultKind, FaultPlan, Faults
from ml_connector.testing._oracle_meta import Attr

from ._env import DAY_END, DAY_START, make_env, mapping_for
from .test_shipments import make_sync


def test_preflight_passes_for_a_valid_configuration() -> None:
    env = make_env(orders=5)
    report = make_sync(env).preflight()
    assert report.ok, report.describe()
    assert report.accounts_checked > 0 and report.customers_checked == 2


def test_preflight_reports_every_problem_and_the_run_posts_nothing() -> None:
    env = make_env(orders=10)
    stores = {
        str(store["storeId"]): {"name": store["storeName"], "customer_account": "NOPE-1"}
        for store in env.day.stores[1:]
    }
    wrong = mapping_for(
        env.day,
        stores=stores,
        customers={"by_customer_id": {"1": {"account": "404040", "site": "X"}}},
    )
    # Disable one account combination in Oracle.
    combos = env.oracle_sim.resources["accountCombinationsLOV"].items
    first = next(iter(combos.values()))
    first["EnabledFlag"] = "N"
    env.mapping = wrong
    sync = make_sync(env)
    with pytest.raises(PreflightError) as caught:
        sync.run((DAY_START, DAY_END))
    problems = caught.value.report.problems
    kinds = {(p.kind, p.subject) for p in problems}
    assert ("customer_account", "NOPE-1") in kinds
    assert ("customer_account", "404040") in kinds
    assert ("account_combination", first["ConcatenatedSegments"]) in kinds
    assert "404040" in str(caught.value) and "NOPE-1" in str(caught.value)
    assert env.oracle_posts() == []
    assert len(env.audit) == 0


def _tenant_without(env: Any, resource: str, drop: str = "", not_queryable: str = "") -> None:
    """Make the simulated tenant differ from the documentation, as a real one may."""
    meta = env.oracle_sim.meta[resource]
    attributes = dict(meta.attributes)
    if drop:
        del attributes[drop]
    if not_queryable:
        attributes[not_queryable] = Attr(not_queryable, queryable=False)
    env.oracle_sim.meta[resource] = attrs.evolve(meta, attributes=attributes)


def test_preflight_reads_the_tenants_metadata_and_reports_every_problem_at_once() -> None:
    env = make_env(orders=5)
    _tenant_without(env, "inventoryCompletedTransactions", not_queryable="TransactionReference")
    _tenant_without(env, "inventoryStagedTransactions", drop="SourceLineId")
    _tenant_without(env, "receivablesInvoices", drop="InvoiceCurrencyCode")
    sync = make_sync(env)
    with pytest.raises(PreflightError) as caught:
        sync.run((DAY_START, DAY_END))
    found = {(p.kind, p.subject): p.message for p in caught.value.report.problems}
    assert (
        "not queryable"
        in found[("tenant_metadata", "inventoryCompletedTransactions.TransactionReference")]
    )
    # Queried and posted: refused both ways.
    assert "look-ups" in found[("tenant_metadata", "inventoryStagedTransactions.SourceLineId")]
    assert "create" in found[("tenant_metadata", "receivablesInvoices.InvoiceCurrencyCode")]
    assert caught.value.report.resources_described >= 7
    assert env.oracle_posts() == []


def test_preflight_passes_on_the_documented_tenant_and_says_what_it_read() -> None:
    env = make_env(orders=5)
    report = make_sync(env).preflight()
    assert report.ok, report.describe()
    assert "resources' metadata checked" in report.describe()
    described = [url for method, url in env.oracle_sim.requests if url.endswith("/describe")]
    assert any("/inventoryCompletedTransactions/describe" in url for url in described)
    assert any("/crmRestApi/" in url for url in described)


def test_inventory_looked_up_by_order_number_is_a_configuration_problem() -> None:
    env = make_env(orders=5)
    env.mapping = mapping_for(
        env.day, inventory={"source_code": "SHIPSTATION", "reference": "order_number"}
    )
    report = make_sync(env).preflight()
    assert [(p.kind, p.subject) for p in report.problems] == [
        ("configuration", "inventory.reference")
    ]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (FaultKind.SERVER_ERROR, ServerError),
        (FaultKind.TIMEOUT, TransportError),
        (FaultKind.CONNECTION_RESET, TransportError),
    ],
)
def test_an_outage_during_preflight_is_an_outage_not_a_configuration_problem(
    fault: FaultKind, error: type[Exception]
) -> None:
    env = make_env(orders=5)
    env.oracle_sim.faults = Faults(
        FaultPlan(rates={fault: 1.0}, path_prefixes=["/fscmRestApi", "/crmRestApi"])
    )
    with pytest.raises(OutageError) as caught:
        make_sync(env).preflight()
    assert isinstance(caught.value.cause, error)
    assert (caught.value.system, caught.value.step) == ("oracle", "preflight")
    assert not isinstance(caught.value, ConfigurationError) and is_outage(caught.value)
    with pytest.raises(OutageError):
        make_sync(env).run((DAY_START, DAY_END))  # a run stops the same way, posting nothing
    assert env.oracle_posts() == []
