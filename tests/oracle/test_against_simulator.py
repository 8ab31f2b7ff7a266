"""The Oracle client against the project's stateful Oracle Fusion simulator (no mocks of ours)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ml_connector import ClientError, ConflictError, MappingError, Secret
from ml_connector.oracle import (
    AccountClass,
    AsyncOracleFusionClient,
    InventoryTransactionError,
    OAuthClientCredentials,
    OracleFusionClient,
    OracleFusionSettings,
    ReceivablesInvoiceDistribution,
)
from ml_connector.testing import FaultKind, FaultPlan, OracleFusionSimulator, VirtualClock

from .test_converter import documented_invoice, staged

POD = "https://sim-test.fa.us2.oraclecloud.com"
IDENTITY = "https://idcs-0c0ffee0c0ffee0c0ffee0c0ffee0c0f.identity.oraclecloud.com"
ACCOUNT = "01-4011001-00-0100-01-01-00"


def make_sim(clock: VirtualClock, **kwargs: Any) -> OracleFusionSimulator:
    sim = OracleFusionSimulator(clock=clock, **kwargs)
    sim.add_customer_site(
        {
            "BillToSiteUseId": 1,
            "BillToSiteNumber": "1042",
            "AccountNumber": "1008",
            "AccountId": 11,
            "CustomerName": "Total Internet",
            "CustomerId": 21,
        }
    )
    sim.add_account_combination(ACCOUNT)
    sim.add_party({"PartyId": 5, "PartyNumber": "P5", "PartyName": "Ada", "EmailAddress": "a@b.c"})
    return sim


def oracle_settings(**changes: Any) -> OracleFusionSettings:
    fields: dict[str, Any] = {
        "pod_url": POD,
        "auth": OAuthClientCredentials(
            token_url=f"{IDENTITY}/oauth2/v1/token",
            client_id="sim-client",
            client_secret=Secret("sim-client-secret"),
            scope="urn:opc:resource:fa:instanceid=1urn:opc:resource:consumer::all",
        ),
        "party_email_resources": ("hubPersons",),
    }
    fields.update(changes)
    return OracleFusionSettings(**fields)


def connect(sim: OracleFusionSimulator, clock: VirtualClock, **changes: Any) -> OracleFusionClient:
    return OracleFusionClient(oracle_settings(**changes), transport=sim.transport(), clock=clock)


def test_post_invoice_once_is_exactly_once(clock: VirtualClock) -> None:
    sim = make_sim(clock)
    oracle = connect(sim, clock)
    first = oracle.post_invoice_once(documented_invoice(), "SS-1001")
    again = oracle.post_invoice_once(documented_invoice(), "SS-1001")
    assert first.created
    assert not again.created
    assert again.record.customer_transaction_id == first.record.customer_transaction_id
    assert len(sim.invoices()) == 1
    assert sim.invoices()[0]["TransactionNumber"] == "SS-1001"
    assert sim.invoices()[0]["EnteredAmount"] == Decimal("3066.08")
    assert sim.token_requests == 1
    # A raw create of the same key is refused by the pod as a duplicate.
    with pytest.raises(ClientError, match="already exists"):
        oracle.create_invoice(documented_invoice(transaction_number="SS-1001"))


@pytest.mark.parametrize("lost_as", ["timeout", "server_error"])
def test_lost_create_response_recovered_without_duplicate(
    clock: VirtualClock, lost_as: str
) -> None:
    plan = FaultPlan(lost_as=lost_as, methods=["POST"], path_prefixes=["/fscmRestApi"])
    sim = make_sim(clock, faults=plan)
    sim.faults.inject(FaultKind.LOST_AFTER_COMMIT)
    result = connect(sim, clock).post_invoice_once(documented_invoice(), "SS-2002")
    assert result.created
    assert result.recovered
    assert len(sim.invoices()) == 1


def test_expired_token_refreshed_transparently(clock: VirtualClock) -> None:
    sim = make_sim(clock, token_ttl=600)
    oracle = connect(sim, clock)
    oracle.find_invoice("nothing")
    sim.expire_tokens()
    assert oracle.find_invoice("nothing") is None
    assert sim.token_requests == 2
    clock.advance(600)
    oracle.find_invoice("nothing")
    assert sim.token_requests == 3


def test_batch_with_one_bad_part_posts_the_others(clock: VirtualClock) -> None:
    sim = make_sim(clock)
    oracle = connect(sim, clock)
    good = [documented_invoice(transaction_number=f"SS-{n}") for n in range(4)]
    bad = documented_invoice(transaction_number="SS-BAD", bill_to_customer_number="9999")
    payloads = [*good[:2], bad, *good[2:]]
    parts = [oracle.batch_part(f"p{n}", model) for n, model in enumerate(payloads)]
    results = oracle.post_batch(parts)
    assert [r.ok for r in results] == [True, True, False, True, True]
    error = results[2].error
    assert error is not None
    assert error.code == "AR_BILL_TO_CUST_NOT_FOUND"
    assert sorted(i["TransactionNumber"] for i in sim.invoices()) == [
        "SS-0",
        "SS-1",
        "SS-2",
        "SS-3",
    ]
    assert results[0].payload is not None
    assert results[0].payload["TransactionNumber"] == "SS-0"


def test_distribution_accounts_and_combination_validation(clock: VirtualClock) -> None:
    sim = make_sim(clock)
    oracle = connect(sim, clock)
    combo = oracle.validate_account_combination(ACCOUNT)
    assert combo.segments == tuple(ACCOUNT.split("-"))
    with pytest.raises(MappingError):
        oracle.validate_account_combination("01-0000000-00-0100-01-01-00")
    dist = ReceivablesInvoiceDistribution(
        account_class=AccountClass.REVENUE,
        account_combination=ACCOUNT,
        amount=Decimal("1"),
        line_number=1,
    )
    result = oracle.post_invoice_once(documented_invoice(distributions=[dist]), "SS-D1")
    assert result.created


def test_inventory_error_code_and_post_once(clock: VirtualClock) -> None:
    sim = make_sim(clock)
    sim.items.add("AS54888")
    oracle = connect(sim, clock)
    first = oracle.post_staged_transaction_once(staged(distribution_account=ACCOUNT))
    again = oracle.post_staged_transaction_once(staged(distribution_account=ACCOUNT))
    assert first.created
    assert not again.created
    assert len(sim.inventory_transactions()) == 1
    with pytest.raises(InventoryTransactionError) as info:
        oracle.create_staged_transaction(
            staged(item_number="NOPE", transaction_reference="SS-X", source_line_id="9")
        )
    assert info.value.code == "INV_INVALID_ITEM"


def test_a_reversing_receipt_is_not_mistaken_for_the_issue_it_reverses(
    clock: VirtualClock,
) -> None:
    # A void's receipt carries the shipment's source reference and order number, like the issue.
    sim = make_sim(clock)
    sim.items.add("AS54888")
    oracle = connect(sim, clock)
    issue = staged(distribution_account=ACCOUNT)
    receipt = staged(
        distribution_account=ACCOUNT,
        transaction_type_name="Miscellaneous Receipt",
        transaction_quantity=Decimal("2"),
    )
    assert oracle.post_staged_transaction_once(issue).created
    assert oracle.post_staged_transaction_once(receipt).created
    assert not oracle.post_staged_transaction_once(receipt).created
    assert len(sim.inventory_transactions()) == 2


def test_inventory_timeout_is_looked_up_not_reposted(clock: VirtualClock) -> None:
    plan = FaultPlan(methods=["POST"], path_prefixes=["/fscmRestApi"])
    sim = make_sim(clock, faults=plan)
    sim.faults.inject(FaultKind.LOST_AFTER_COMMIT)
    result = connect(sim, clock).create_staged_transaction(staged(distribution_account=ACCOUNT))
    # Online mode processed the row during the lost POST: it is found completed, not staged.
    assert result.state == "posted" and result.recovered
    assert result.status.completed[0].transaction_reference == "SS-1001-2002"
    assert len(sim.inventory_transactions()) == 1


def test_customers_parties_paging_and_ping(clock: VirtualClock) -> None:
    sim = make_sim(clock)
    oracle = connect(sim, clock, page_size=2)
    account = oracle.get_customer_account("1008")
    assert account is not None
    assert account.sites[0].bill_to_site_number == "1042"
    (party,) = oracle.find_parties_by_email("a@b.c")
    assert party.party_number == "P5"
    for n in range(5):
        oracle.post_invoice_once(documented_invoice(), f"SS-P{n}")
    numbers = [r.transaction_number for r in oracle.iter_invoices()]
    assert sorted(n for n in numbers if n) == [f"SS-P{n}" for n in range(5)]
    assert oracle.ping()["resource"] == "receivablesInvoices"
    sim_dup = [i for i in sim.invoices() if i["TransactionNumber"] == "SS-P0"]
    sim.resources["receivablesInvoices"].items[1] = {**sim_dup[0], "CustomerTransactionId": 1}
    with pytest.raises(ConflictError):
        oracle.find_invoice("SS-P0", business_unit="Vision Operations")


@pytest.mark.anyio
async def test_async_twin_against_simulator(clock: VirtualClock) -> None:
    sim = make_sim(clock)
    async with AsyncOracleFusionClient(
        oracle_settings(), transport=sim.async_transport(), clock=clock
    ) as oracle:
        first = await oracle.post_invoice_once(documented_invoice(), "SS-A1")
        again = await oracle.post_invoice_once(documented_invoice(), "SS-A1")
        found = [r async for r in oracle.iter_invoices()]
    assert first.created
    assert not again.created
    assert len(found) == 1
    assert len(sim.invoices()) == 1
