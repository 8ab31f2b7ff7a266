"""A customer look-up that fails must never decide the customer.

When Oracle cannot be asked about an order's email (after every retry), the customer may well
exist in Oracle. Before this was handled, the order fell through to its store's default account
(billing the wrong customer) or was proposed as a new Oracle customer (a duplicate party). Now
the record fails with CustomerLookupError, reconcile says ``lookup_failed``, and replay posts it
to the right account once Oracle answers.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ml_connector import CustomerLookupError
from ml_connector.audit import ReplayOutcome
from ml_connector.mapping import Unmatched
from ml_connector.sync import CustomerSync, Outcome, ReasonCode, ShipmentSync
from ml_connector.testing import FaultKind, FaultPlan, Faults

from ._env import DAY_END, DAY_START, Env, make_env, mapping_for

WEB_DEFAULT = "MKT-AMAZON"
"""An account Oracle has, configured as the web store's default for these tests."""


def _env() -> Env:
    env = make_env(orders=40, unmatched_email_rate=0.0, bad_sku_orders=0)
    stores: dict[str, Any] = {}
    for store in env.day.stores:
        name = store["storeName"]
        account = env.day.marketplace_accounts.get(name, WEB_DEFAULT)
        stores[str(store["storeId"])] = {"name": name, "customer_account": account}
    env.mapping = mapping_for(env.day, stores=stores)
    return env


def _email_lookups_fail(env: Env) -> None:
    env.oracle_sim.faults = Faults(
        FaultPlan(
            rates={FaultKind.SERVER_ERROR: 1.0},
            methods=["GET"],
            path_prefixes=["/crmRestApi/resources/11.13.18.05/hubPersons"],
        )
    )


def _sync(env: Env) -> ShipmentSync:
    return ShipmentSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        checkpoints=env.checkpoints,
        clock=env.clock,
        # The preflight reads hubPersons' /describe; with hubPersons down (these tests' outage)
        # it would stop the run as the outage it is. These tests are about the look-ups.
        preflight=False,
    )


def _billed(env: Env) -> dict[str, set[str]]:
    """Order number -> the accounts its invoices bill (the comment names the order)."""
    billed: dict[str, set[str]] = {}
    for invoice in env.oracle_sim.invoices():
        number = str(invoice["Comments"]).split("order ", 1)[1].split(",", 1)[0]
        billed.setdefault(number, set()).add(str(invoice["BillToCustomerNumber"]))
    return billed


def _web_orders_with_email(env: Env) -> set[str]:
    web = next(s["storeId"] for s in env.day.stores if s["storeName"] == "Web Store")
    return {
        order["orderNumber"]
        for order in env.day.iter_orders()
        if order["advancedOptions"]["storeId"] == web and "@example.com" in order["customerEmail"]
    }


def test_failed_email_lookup_fails_the_record_instead_of_billing_the_store_default() -> None:
    env = _env()
    _email_lookups_fail(env)
    sync = _sync(env)
    summary = sync.run((DAY_START, DAY_END))

    web_orders = _web_orders_with_email(env)
    assert web_orders
    failed = summary.failures()
    assert failed
    assert {r.order_number for r in failed} <= web_orders
    assert all(r.error is not None and r.error["type"] == "CustomerLookupError" for r in failed)
    assert all("could not be asked about email" in r.error["message"] for r in failed if r.error)
    # Nothing was billed to the web store's default account on the strength of a failed look-up.
    billed = _billed(env)
    assert not {number for number in web_orders if WEB_DEFAULT in billed.get(number, set())}

    # While Oracle still cannot answer, reconcile says so instead of "customer unmatched".
    report = sync.reconcile((DAY_START, DAY_END))
    assert report.count(ReasonCode.CUSTOMER_UNMATCHED) == 0
    lookups = [r for r in report.rows if r.reason is ReasonCode.LOOKUP_FAILED]
    assert {r.order_number for r in lookups} == {r.order_number for r in failed}

    # Oracle answers again: reconcile says the records await replay, replay posts them to the
    # accounts their emails belong to, and the window reconciles clean.
    env.oracle_sim.faults = Faults()
    waiting = sync.reconcile((DAY_START, DAY_END))
    assert waiting.count(ReasonCode.FAILED_AWAITING_REPLAY) == len(lookups)
    assert waiting.count(ReasonCode.CUSTOMER_UNMATCHED) == 0
    replayed = sync.replay()
    assert replayed.count(ReplayOutcome.FAILED) == 0
    assert replayed.posted == len(failed)
    billed = _billed(env)
    retried = {r.order_number for r in failed if r.order_number}
    assert retried <= set(billed)
    assert not {number for number in retried if WEB_DEFAULT in billed[number]}
    final = sync.reconcile((DAY_START, DAY_END))
    assert set(Counter(r.reason for r in final.rows)) == {ReasonCode.OK}


def test_customer_sync_proposes_no_new_customer_when_the_lookup_failed() -> None:
    env = _env()
    _email_lookups_fail(env)
    summary = CustomerSync(
        shipstation=env.shipstation(),
        oracle=env.oracle(),
        mapping=env.mapping,
        audit=env.audit,
        clock=env.clock,
        create_parties=True,
    ).run((DAY_START, DAY_END))
    assert summary.plan.create == ()
    assert not summary.complete
    numbers = {number for number, _match in summary.lookup_failed}
    assert numbers
    assert numbers <= _web_orders_with_email(env)
    assert all(isinstance(m, Unmatched) and m.lookup_failed for _n, m in summary.lookup_failed)
    assert env.oracle_posts() == []
    assert not [a for a in summary.actions if a.outcome is Outcome.POSTED]


def test_the_error_is_a_mapping_error_naming_the_customer_field_and_record() -> None:
    env = _env()
    _email_lookups_fail(env)
    summary = _sync(env).run((DAY_START, DAY_END))
    error = summary.failures()[0].error
    assert error is not None
    assert error["field"] == "customer"
    assert error["record"].startswith("shipment ")
    assert issubclass(CustomerLookupError, Exception)
