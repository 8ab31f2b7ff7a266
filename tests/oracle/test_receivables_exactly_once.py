"""Exactly once on receivables: posting keys Oracle keeps (or not), lost answers, batches."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ml_connector import ConfigurationError, ResponseDecodeError
from ml_connector.oracle import (
    OracleFusionClient,
    PostingKeyNotKeptError,
    ReceivablesCreditMemo,
    ReceivablesCreditMemoLine,
    ReceivablesInvoiceDistribution,
    ReceivablesInvoiceLine,
    ReceivablesTaxLine,
    to_wire,
)
from ml_connector.testing import FaultKind, FaultPlan, VirtualClock

from .test_against_simulator import ACCOUNT, connect, make_sim
from .test_client import POD, Pod, collection
from .test_client import client as mock_client
from .test_converter import documented_invoice


def test_an_automatically_numbered_source_stops_the_job_and_the_invoice_is_found_again(
    clock: VirtualClock,
) -> None:
    sim = make_sim(clock)
    sim.add_transaction_source("Manual-NES", automatic_numbering=True, next_number=864)
    oracle = connect(sim, clock)
    with pytest.raises(PostingKeyNotKeptError) as raised:
        oracle.post_invoice_once(documented_invoice(), "SS-1001")
    error = raised.value
    assert isinstance(error, ConfigurationError)
    assert error.setting == "receivables.transaction_source"
    assert "Manual-NES" in error.message and "Automatic transaction numbering" in error.message
    # The invoice is posted, under Oracle's number, and carries our key in its echo.
    assert error.result.created and not error.result.key_kept
    assert error.result.number == "864"
    (stored,) = sim.invoices()
    assert (stored["TransactionNumber"], stored["CrossReference"]) == ("864", "SS-1001")
    # Next time find-before-create finds it by the echo: never posted again.
    again = oracle.post_invoice_once(documented_invoice(), "SS-1001")
    assert (again.created, again.key_kept, again.number) == (False, False, "864")
    assert oracle.find_invoice("SS-1001") is not None
    assert len(sim.invoices()) == 1


@pytest.mark.parametrize("lost_as", ["timeout", "server_error"])
def test_a_lost_answer_from_an_automatic_source_is_recovered_by_the_echo(
    clock: VirtualClock, lost_as: str
) -> None:
    plan = FaultPlan(lost_as=lost_as, methods=["POST"], path_prefixes=["/fscmRestApi"])
    sim = make_sim(clock, faults=plan)
    sim.add_transaction_source("Manual-NES", automatic_numbering=True)
    sim.faults.inject(FaultKind.LOST_AFTER_COMMIT)
    oracle = connect(sim, clock)
    with pytest.raises(PostingKeyNotKeptError) as raised:
        oracle.post_invoice_once(documented_invoice(), "SS-2002")
    assert raised.value.result.recovered
    # Replays after the lost answer post nothing.
    for _ in range(3):
        assert not oracle.post_invoice_once(documented_invoice(), "SS-2002").created
    assert len(sim.invoices()) == 1


def test_a_manual_source_keeps_the_key_and_refuses_a_second_post_of_it(
    clock: VirtualClock,
) -> None:
    sim = make_sim(clock)
    sim.add_transaction_source("Manual-NES")
    oracle = connect(sim, clock)
    result = oracle.post_invoice_once(documented_invoice(), "SS-3003")
    assert (result.created, result.key_kept, result.number) == (True, True, "SS-3003")
    # A raw create of the same number in the source is refused by the pod itself.
    with pytest.raises(Exception, match="already exists in transaction source Manual-NES"):
        oracle.create_invoice(documented_invoice(transaction_number="SS-3003"))
    assert len(sim.invoices()) == 1


def _memo(**changes: Any) -> ReceivablesCreditMemo:
    fields: dict[str, Any] = {
        "business_unit": "Vision Operations",
        "transaction_source": "Manual-NES",
        "transaction_type": "Credit Memo",
        "transaction_date": date(2018, 3, 1),
        "bill_to_customer_number": "1008",
        "credit_memo_currency": "USD",
        "original_transaction_number": "SS-1001",
        "lines": [
            ReceivablesCreditMemoLine(
                line_number=1,
                description="Laptop",
                quantity=Decimal(1),
                unit_selling_price=Decimal("-100.00"),
                amount=Decimal("-100.00"),
                tax_lines=[ReceivablesTaxLine(tax_amount=Decimal("-7.25"))],
            )
        ],
        # Given as invoice distributions (as a reversed invoice has them): sent with
        # CreditMemoLineNumber all the same.
        "distributions": [
            ReceivablesInvoiceDistribution(
                account_class="Revenue",
                account_combination=ACCOUNT,
                amount=Decimal("-100.00"),
                line_number=1,
            ),
            ReceivablesInvoiceDistribution(
                account_class="Tax",
                account_combination=ACCOUNT,
                amount=Decimal("-7.25"),
                line_number=1,
                detailed_tax_line_number=1,
            ),
            ReceivablesInvoiceDistribution(
                account_class="Receivable", account_combination=ACCOUNT, amount=Decimal("-107.25")
            ),
        ],
    }
    fields.update(changes)
    return ReceivablesCreditMemo(**fields)


def test_credit_memos_pass_a_strict_pod_and_an_automatic_source_stops_them_too(
    clock: VirtualClock,
) -> None:
    sim = make_sim(clock)
    oracle = connect(sim, clock)
    wire = to_wire(_memo())
    assert [d.get("CreditMemoLineNumber") for d in wire["receivablesCreditMemoDistributions"]] == [
        1,
        1,
        None,
    ]
    assert all("InvoiceLineNumber" not in d for d in wire["receivablesCreditMemoDistributions"])
    created = oracle.post_credit_memo_once(_memo(), "SS-1001V")
    assert created.created and created.key_kept
    assert sim.credit_memos()[0]["EnteredAmount"] == Decimal("-107.25")

    # Credit memos of an automatically numbered source: the echo is a setting (the memo's
    # CrossReference names the invoice), so it is a DFF-like attribute the pod must know.
    sim.add_transaction_source("AUTO-CM", automatic_numbering=True)
    sim.extra_attributes = frozenset({"ShipStationKey"})
    echoing = connect(sim, clock, credit_memo_echo_attribute="ShipStationKey")
    with pytest.raises(PostingKeyNotKeptError) as raised:
        echoing.post_credit_memo_once(_memo(transaction_source="AUTO-CM"), "SS-2002V")
    assert raised.value.setting == "receivables.credit_memo_transaction_source"
    again = echoing.post_credit_memo_once(_memo(transaction_source="AUTO-CM"), "SS-2002V")
    assert not again.created and not again.key_kept
    assert len(sim.credit_memos()) == 2


def test_a_batch_part_without_an_id_is_looked_up_not_assumed_created(clock: VirtualClock) -> None:
    sim = make_sim(clock, batch_part_payloads=False)
    oracle = connect(sim, clock)
    part = oracle.batch_part("p1", documented_invoice(transaction_number="SS-4004"))
    # The batch part carries the key's echo, as post_invoice_once sends it.
    assert part.payload is not None and part.payload["CrossReference"] == "SS-4004"
    (result,) = oracle.post_batch([part])
    assert result.ok and result.looked_up
    assert result.payload is not None
    assert result.payload["CustomerTransactionId"] == sim.invoices()[0]["CustomerTransactionId"]


def test_a_batch_part_without_an_id_and_not_in_oracle_is_a_failed_part(
    clock: VirtualClock,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            # A 2xx whose part echoes nothing of a created item.
            return httpx.Response(
                200, json={"parts": [{"id": "p1", "path": "/receivablesInvoices"}]}
            )
        return collection([])

    pod = Pod(handler)
    oracle: OracleFusionClient = mock_client(pod, clock)
    part = oracle.batch_part("p1", documented_invoice(transaction_number="SS-5005"))
    (result,) = oracle.post_batch([part])
    assert not result.ok
    assert isinstance(result.error, ResponseDecodeError)
    assert "not in Oracle" in result.error.message
    looked = [r for r in pod.requests if r.method == "GET"]
    assert [r.url.params["q"] for r in looked] == [
        "TransactionNumber='SS-5005' and BusinessUnit='Vision Operations'",
        "CrossReference='SS-5005' and BusinessUnit='Vision Operations'",
    ]
    assert str(looked[0].url).startswith(POD)


def test_invoice_with_tax_lines_and_line_freight_posts_against_the_strict_pod(
    clock: VirtualClock,
) -> None:
    sim = make_sim(clock)
    line = ReceivablesInvoiceLine(
        line_number=1,
        description="Tent",
        quantity=Decimal(1),
        unit_selling_price=Decimal("100.00"),
        amount=Decimal("100.00"),
        allocated_freight_amount=Decimal("9.99"),
        tax_lines=[ReceivablesTaxLine(tax_amount=Decimal("7.25"), tax_rate_code="CA STD")],
    )
    dist = [
        ReceivablesInvoiceDistribution(
            account_class=klass,
            account_combination=ACCOUNT,
            amount=Decimal(amount),
            line_number=number,
            detailed_tax_line_number=tax,
        )
        for klass, amount, number, tax in (
            ("Revenue", "100.00", 1, None),
            ("Freight", "9.99", 1, None),
            ("Tax", "7.25", 1, 1),
            ("Receivable", "117.24", None, None),
        )
    ]
    invoice = documented_invoice(lines=[line], distributions=dist)
    assert invoice.total == Decimal("117.24")
    result = connect(sim, clock).post_invoice_once(invoice, "SS-6006")
    assert result.created
    assert sim.invoices()[0]["EnteredAmount"] == Decimal("117.24")
