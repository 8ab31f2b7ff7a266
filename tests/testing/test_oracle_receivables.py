"""The Oracle simulator's receivables rules: transaction sources, strict bodies, tax and freight."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ml_connector._http import read_json
from ml_connector.testing import (
    GeneratedDay,
    OracleFusionSimulator,
    TransactionSourceSetup,
    VirtualClock,
)

from .test_oracle import FSCM, invoice, token


@pytest.fixture
def oracle(small_day: GeneratedDay, clock: VirtualClock) -> OracleFusionSimulator:
    sim = OracleFusionSimulator(clock=clock, business_units=["Vision Operations"])
    sim.load(small_day)
    sim.add_transaction_source("AUTO", automatic_numbering=True, next_number=864)
    sim.add_transaction_source("MANUAL")
    sim.add_transaction_source("MANUAL-DUPS", allow_duplicate_numbers=True)
    return sim


@pytest.fixture
def client(oracle: OracleFusionSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=oracle.transport()) as client:
        client.headers["Authorization"] = f"Bearer {token(client).json()['access_token']}"
        yield client


def _combination(oracle: OracleFusionSimulator) -> str:
    combination = "01-4011001-00-0100-01-01-00"
    oracle.add_account_combination(combination)
    return combination


def test_an_automatic_source_ignores_the_number_given_and_assigns_its_own(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    first = client.post(
        f"{FSCM}/receivablesInvoices", json=invoice(small_day, "SS-1", TransactionSource="AUTO")
    )
    second = client.post(
        f"{FSCM}/receivablesInvoices", json=invoice(small_day, "SS-1", TransactionSource="AUTO")
    )
    assert first.status_code == second.status_code == 201
    # Both kept: an automatic source numbers each document itself, so nothing is a duplicate.
    assert (read_json(first)["TransactionNumber"], read_json(second)["TransactionNumber"]) == (
        "864",
        "865",
    )


def test_a_manual_source_keeps_the_number_and_refuses_it_twice_in_the_source(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    url = f"{FSCM}/receivablesInvoices"
    kept = client.post(url, json=invoice(small_day, "SS-7", TransactionSource="MANUAL"))
    assert kept.status_code == 201 and read_json(kept)["TransactionNumber"] == "SS-7"
    again = client.post(url, json=invoice(small_day, "SS-7", TransactionSource="MANUAL"))
    assert again.status_code == 400
    assert "AR_DUPLICATE_TRX_NUMBER" in again.text and "MANUAL" in again.text
    # Another source numbers independently; a source that allows duplicates takes it twice.
    for _ in range(2):
        other = client.post(url, json=invoice(small_day, "SS-7", TransactionSource="MANUAL-DUPS"))
        assert other.status_code == 201
    body = invoice(small_day, "SS-8", TransactionSource="MANUAL")
    del body["TransactionNumber"]
    missing = client.post(url, json=body)
    assert missing.status_code == 400 and "AR_TRX_NUMBER_REQUIRED" in missing.text


def test_an_attribute_the_resource_does_not_have_is_refused_at_every_level(
    client: httpx.Client, oracle: OracleFusionSimulator, small_day: GeneratedDay
) -> None:
    url = f"{FSCM}/receivablesInvoices"
    header = client.post(url, json=invoice(small_day, "SS-20", Colour="blue"))
    assert header.status_code == 400 and "Colour" in header.text
    body = invoice(small_day, "SS-21")
    body["receivablesInvoiceLines"][0]["LineFreight"] = 1
    line = client.post(url, json=body)
    assert line.status_code == 400 and "LineFreight" in line.text
    # A tenant's own attribute is accepted once the pod knows it.
    oracle.extra_attributes = frozenset({"Colour"})
    assert client.post(url, json=invoice(small_day, "SS-22", Colour="blue")).status_code == 201


def _memo(small_day: GeneratedDay, number: str, distribution: dict[str, Any]) -> dict[str, Any]:
    site = next(small_day.iter_oracle_customer_sites())
    return {
        "BusinessUnit": "Vision Operations",
        "TransactionSource": "MANUAL",
        "TransactionType": "Credit Memo",
        "TransactionDate": "2026-01-15",
        "BillToCustomerNumber": site["AccountNumber"],
        "CreditMemoCurrency": "USD",
        "TransactionNumber": number,
        "receivablesCreditMemoLines": [
            {
                "LineNumber": 1,
                "LineDescription": "Tent",
                "LineQuantityCredit": 1,
                "UnitSellingPrice": -10,
            }
        ],
        "receivablesCreditMemoDistributions": [distribution],
    }


def test_credit_memo_distributions_take_credit_memo_line_number_not_invoice_line_number(
    client: httpx.Client, oracle: OracleFusionSimulator, small_day: GeneratedDay
) -> None:
    account = _combination(oracle)
    url = f"{FSCM}/receivablesCreditMemos"
    revenue = {"AccountClass": "Revenue", "AccountCombination": account, "Amount": -10}
    wrong = client.post(url, json=_memo(small_day, "CM-1", {**revenue, "InvoiceLineNumber": 1}))
    assert wrong.status_code == 400
    assert "InvoiceLineNumber" in wrong.text and "receivablesCreditMemoDistributions" in wrong.text
    right = client.post(url, json=_memo(small_day, "CM-1", {**revenue, "CreditMemoLineNumber": 1}))
    assert right.status_code == 201, right.text
    # The invoice's distributions, in turn, know no CreditMemoLineNumber.
    body = invoice(
        small_day,
        "SS-30",
        receivablesInvoiceDistributions=[{**revenue, "Amount": 10, "CreditMemoLineNumber": 1}],
    )
    assert client.post(f"{FSCM}/receivablesInvoices", json=body).status_code == 400


def _taxed(small_day: GeneratedDay, account: str, **tax_distribution: Any) -> dict[str, Any]:
    body = invoice(small_day, "SS-40")
    line = {
        "LineNumber": 1,
        "Description": "Tent",
        "Quantity": 1,
        "UnitSellingPrice": 100,
        "AllocatedFreightAmount": 9.99,
        "receivablesInvoiceLineTaxLines": [
            {"TaxAmount": 7.25, "TaxRegimeCode": "US SALES TAX", "TaxRateCode": "CA STD"}
        ],
    }
    body["receivablesInvoiceLines"] = [line]
    body["receivablesInvoiceDistributions"] = [
        {"InvoiceLineNumber": 1, "AccountClass": "Revenue", "AccountCombination": account},
        {"InvoiceLineNumber": 1, "AccountClass": "Freight", "AccountCombination": account},
        {"AccountClass": "Tax", "AccountCombination": account, **tax_distribution},
        {"AccountClass": "Receivable", "AccountCombination": account},
    ]
    return body


def test_tax_lines_are_named_by_detailed_tax_line_number_and_count_in_the_amount(
    client: httpx.Client, oracle: OracleFusionSimulator, small_day: GeneratedDay
) -> None:
    account = _combination(oracle)
    url = f"{FSCM}/receivablesInvoices"
    good = _taxed(small_day, account, InvoiceLineNumber=1, DetailedTaxLineNumber=1)
    created = client.post(url, json=good)
    assert created.status_code == 201, created.text
    item = read_json(created)
    # Lines, their tax lines and their allocated freight.
    assert Decimal(str(item["EnteredAmount"])) == Decimal("117.24")
    stored = oracle.invoices()[0]
    tax_line = stored["receivablesInvoiceLines"][0]["receivablesInvoiceLineTaxLines"][0]
    assert tax_line["CustomerTransactionLineId"]
    for wrong, word in (
        ({"InvoiceLineNumber": 1, "DetailedTaxLineNumber": 2}, "tax line 2"),
        ({"InvoiceLineNumber": 1}, "tax line None"),
        ({"InvoiceLineNumber": 3, "DetailedTaxLineNumber": 1}, "line 3"),
    ):
        body = _taxed(small_day, account, **wrong)
        body["TransactionNumber"] = "SS-41"
        refused = client.post(url, json=body)
        assert refused.status_code == 400 and word in refused.text, refused.text


def test_freight_distributions_name_a_line_that_carries_freight(
    client: httpx.Client, oracle: OracleFusionSimulator, small_day: GeneratedDay
) -> None:
    account = _combination(oracle)
    body = _taxed(small_day, account, InvoiceLineNumber=1, DetailedTaxLineNumber=1)
    del body["receivablesInvoiceLines"][0]["AllocatedFreightAmount"]
    refused = client.post(f"{FSCM}/receivablesInvoices", json=body)
    assert refused.status_code == 400 and "carries no freight" in refused.text


def test_a_batch_answer_without_part_payloads_carries_no_ids(
    oracle: OracleFusionSimulator, client: httpx.Client, small_day: GeneratedDay
) -> None:
    oracle.batch_part_payloads = False
    body = {
        "parts": [
            {
                "id": "p1",
                "path": "/receivablesInvoices",
                "operation": "create",
                "payload": invoice(small_day, "SS-50"),
            }
        ]
    }
    answer = client.post(
        FSCM, json=body, headers={"Content-Type": "application/vnd.oracle.adf.batch+json"}
    )
    assert answer.status_code == 200
    assert read_json(answer)["parts"] == [
        {"id": "p1", "path": "/receivablesInvoices", "operation": "create"}
    ]
    assert [i["TransactionNumber"] for i in oracle.invoices()] == ["SS-50"]


def test_transaction_sources_can_be_given_to_the_constructor(
    small_day: GeneratedDay, clock: VirtualClock
) -> None:
    sim = OracleFusionSimulator(
        clock=clock,
        transaction_source_setups=[
            TransactionSourceSetup("Manual-NES", automatic_numbering=True, next_number=7)
        ],
    )
    sim.load(small_day)
    with httpx.Client(transport=sim.transport()) as client:
        client.headers["Authorization"] = f"Bearer {token(client).json()['access_token']}"
        created = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "SS-9"))
    assert created.status_code == 201
    assert read_json(created)["TransactionNumber"] == "7"
