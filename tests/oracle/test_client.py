"""Oracle Fusion client: paths, headers, queries and bodies against the documented examples."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from ml_connector import (
    AuthenticationError,
    ClientError,
    ConfigurationError,
    ConflictError,
    MappingError,
    NotFoundError,
    RetryPolicy,
    Secret,
    ServerError,
)
from ml_connector.oracle import (
    AsyncOracleFusionClient,
    BasicCredentials,
    BatchPart,
    InventoryTransactionError,
    NewParty,
    OAuthClientCredentials,
    OracleFusionClient,
    OracleFusionSettings,
    PartyType,
    ReceivablesCreditMemo,
    ReceivablesCreditMemoLine,
    ReceivablesInvoiceRecord,
)
from ml_connector.testing import VirtualClock

from .test_converter import documented_invoice, staged

POD = "https://ecga-test.fa.us2.oraclecloud.com"
ROOT = "/fscmRestApi/resources/11.13.18.05"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "oracle"

Handler = Callable[[httpx.Request], httpx.Response]


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content, parse_float=Decimal)


def collection(items: list[Any], *, has_more: bool = False, offset: int = 0) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "items": items,
            "count": len(items),
            "hasMore": has_more,
            "limit": 500,
            "offset": offset,
            "links": [],
        },
    )


class Pod:
    """Records requests and answers them with a per-test handler."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        return self(request)

    def posts(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST"]


def settings(**changes: Any) -> OracleFusionSettings:
    fields: dict[str, Any] = {
        "pod_url": POD,
        "auth": BasicCredentials("casey.brown", Secret("dev-password")),
        "retry": RetryPolicy(max_attempts=3, jitter=lambda d: d),
    }
    fields.update(changes)
    return OracleFusionSettings(**fields)


def client(pod: Pod, clock: VirtualClock, **changes: Any) -> OracleFusionClient:
    return OracleFusionClient(settings(**changes), transport=httpx.MockTransport(pod), clock=clock)


def aclient(pod: Pod, clock: VirtualClock, **changes: Any) -> AsyncOracleFusionClient:
    return AsyncOracleFusionClient(
        settings(**changes), transport=httpx.MockTransport(pod.ahandle), clock=clock
    )


INVOICE_ITEM = {
    "CustomerTransactionId": 300100170996427,
    "TransactionNumber": "SS-1001",
    "BusinessUnit": "Vision Operations",
    "TransactionDate": "2018-02-20",
    "InvoiceCurrencyCode": "USD",
}


# -- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://ecga-test.fa.us2.oraclecloud.com",
        "https://fa-etcj-test-saasfaprod1.fa.ocs.oraclecloud.com/",
        "https://pod.example.com:8443",
    ],
)
def test_pod_url_forms_accepted(url: str) -> None:
    assert settings(pod_url=url).pod_url == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://ecga-test.fa.us2.oraclecloud.com",
        "https://ecga-test.fa.us2.oraclecloud.com/fscmRestApi",
        "https://ecga-test.fa.us2.oraclecloud.com?x=1",
        "https://user:pw@ecga-test.fa.us2.oraclecloud.com",
    ],
)
def test_bad_pod_urls_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        settings(pod_url=url)
    assert info.value.setting == "pod_url"


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"rest_version": ""}, "rest_version"),
        ({"rest_version": "11.13.18.05/x"}, "rest_version"),
        ({"framework_version": "latest"}, "framework_version"),
        ({"invoice_key_attribute": " "}, "invoice_key_attribute"),
        ({"inventory_lookup_attributes": ()}, "inventory_lookup_attributes"),
        ({"party_email_resources": ("contacts",)}, "party_email_resources"),
        (
            {"credit_memo_reference_attribute": "TransactionNumber"},
            "credit_memo_reference_attribute",
        ),
    ],
)
def test_bad_settings_refused(changes: dict[str, Any], setting: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        settings(**changes)
    assert info.value.setting == setting


def test_settings_repr_hides_credentials() -> None:
    text = repr(settings())
    assert "dev-password" not in text


# -- receivables invoices -------------------------------------------------------------------------


def test_create_invoice_sends_documented_request(clock: VirtualClock) -> None:
    pod = Pod(lambda r: httpx.Response(201, json=INVOICE_ITEM))
    record = client(pod, clock).create_invoice(documented_invoice())
    (request,) = pod.requests
    assert request.method == "POST"
    assert request.url.path == f"{ROOT}/receivablesInvoices"
    assert request.url.query == b""
    assert request.headers["Content-Type"] == "application/vnd.oracle.adf.resourceitem+json"
    assert request.headers["REST-Framework-Version"] == "4"
    assert "application/vnd.oracle.adf.error+json" in request.headers["Accept"]
    assert request.headers["Authorization"].startswith("Basic ")
    sent = body_of(request)
    documented = load("ar_invoice_create_request.json")
    for line in sent["receivablesInvoiceLines"]:
        line.pop("LineAmount")
    assert sent == documented
    assert b"1299.99" in request.content  # exact digits, no float noise
    assert record.customer_transaction_id == 300100170996427


def test_get_invoice_path_and_not_found(clock: VirtualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/1"):
            return httpx.Response(200, json=INVOICE_ITEM)
        return httpx.Response(404, text="Not Found", headers={"content-type": "text/plain"})

    pod = Pod(handler)
    oracle = client(pod, clock)
    assert oracle.get_invoice(1).transaction_number == "SS-1001"
    assert pod.requests[0].url.path == f"{ROOT}/receivablesInvoices/1"
    assert pod.requests[0].url.params["onlyData"] == "true"
    with pytest.raises(NotFoundError, match="REST version"):
        oracle.get_invoice(2)


def test_find_invoice_query_framework_2_plus(clock: VirtualClock) -> None:
    pod = Pod(lambda r: collection([INVOICE_ITEM]))
    found = client(pod, clock).find_invoice("SS-1001", business_unit="Vision Operations")
    assert found is not None
    assert found.customer_transaction_id == 300100170996427
    params = pod.requests[0].url.params
    # The number first, then its echo (CrossReference): one request each, never an "or",
    # since this single look-up is the fallback when a bulk "or" read fails.
    assert params["q"] == "TransactionNumber='SS-1001' and BusinessUnit='Vision Operations'"
    assert params["onlyData"] == "true"
    assert params["offset"] == "0"
    assert len(pod.requests) == 1  # found by its number: the echo is not asked


def test_find_invoice_query_framework_1_and_cross_reference(clock: VirtualClock) -> None:
    pod = Pod(lambda r: collection([]))
    oracle = client(pod, clock, framework_version="1", invoice_key_attribute="CrossReference")
    assert oracle.find_invoice("SS-1001", business_unit="Vision Operations") is None
    assert (
        pod.requests[0].url.params["q"] == "CrossReference=SS-1001;BusinessUnit=Vision Operations"
    )
    assert pod.requests[0].headers["REST-Framework-Version"] == "1"


def test_find_invoice_refuses_unquotable_keys_and_duplicates(clock: VirtualClock) -> None:
    pod = Pod(lambda r: collection([INVOICE_ITEM, {**INVOICE_ITEM, "CustomerTransactionId": 2}]))
    oracle = client(pod, clock)
    with pytest.raises(MappingError) as info:
        # A key with both quote kinds has no documented q form (a lone ' is double-quoted).
        oracle.find_invoice('O\'Brien "1"')
    assert info.value.field == "TransactionNumber"
    assert pod.requests == []
    with pytest.raises(ConflictError, match="2 receivablesInvoices records"):
        oracle.find_invoice("SS-1001")


def test_post_invoice_once_skips_existing(clock: VirtualClock) -> None:
    pod = Pod(lambda r: collection([INVOICE_ITEM]))
    result = client(pod, clock).post_invoice_once(documented_invoice(), "SS-1001")
    assert not result.created
    assert result.record.transaction_number == "SS-1001"
    assert pod.posts() == []


def test_post_invoice_once_creates_with_key(clock: VirtualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return collection([])
        return httpx.Response(201, json=INVOICE_ITEM)

    pod = Pod(handler)
    result = client(pod, clock).post_invoice_once(documented_invoice(), "SS-1001")
    assert result.created
    assert not result.recovered
    (post,) = pod.posts()
    assert body_of(post)["TransactionNumber"] == "SS-1001"


def test_post_invoice_once_with_cross_reference_key(clock: VirtualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return collection([])
        return httpx.Response(201, json=INVOICE_ITEM)

    pod = Pod(handler)
    oracle = client(pod, clock, invoice_key_attribute="CrossReference")
    oracle.post_invoice_once(documented_invoice(), "SS-1001")
    sent = body_of(pod.posts()[0])
    assert sent["CrossReference"] == "SS-1001"
    assert "TransactionNumber" not in sent
    with pytest.raises(MappingError, match="posting key"):
        oracle.post_invoice_once(documented_invoice(cross_reference="other"), "SS-1001")


def test_lost_create_answer_is_resolved_by_lookup_not_repost(clock: VirtualClock) -> None:
    state = {"gets": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            state["gets"] += 1
            return collection([] if state["gets"] == 1 else [INVOICE_ITEM])
        return httpx.Response(504, text="Gateway Timeout")

    pod = Pod(handler)
    oracle = client(pod, clock, invoice_echo_attribute=None)
    result = oracle.post_invoice_once(documented_invoice(), "SS-1001")
    assert result.created
    assert result.recovered
    assert len(pod.posts()) == 1


def test_failed_create_not_found_after_raises_and_posts_once(clock: VirtualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return collection([])
        return httpx.Response(503, text="Service Unavailable")

    pod = Pod(handler)
    with pytest.raises(ServerError):
        client(pod, clock).post_invoice_once(documented_invoice(), "SS-1001")
    assert len(pod.posts()) == 1


def test_validation_errors_carry_the_ar_code(clock: VirtualClock) -> None:
    plain = "The bill-to customer isn't valid. (AR_BILL_TO_CUST_NOT_FOUND)"
    pod = Pod(lambda r: httpx.Response(400, text=plain, headers={"content-type": "text/plain"}))
    with pytest.raises(ClientError) as info:
        client(pod, clock).create_invoice(documented_invoice())
    assert info.value.code == "AR_BILL_TO_CUST_NOT_FOUND"
    assert "bill-to customer" in str(info.value)

    structured = {
        "title": "Bad Request",
        "status": "400",
        "o:errorDetails": [
            {
                "detail": "You can only create an invoice in the ledger currency.",
                "o:errorCode": "AR_FUNC_CURRENCY_REQ",
                "o:errorPath": "/receivablesInvoices",
            }
        ],
    }
    pod = Pod(lambda r: httpx.Response(400, json=structured))
    with pytest.raises(ClientError) as info:
        client(pod, clock).create_invoice(documented_invoice())
    assert info.value.code == "AR_FUNC_CURRENCY_REQ"
    assert info.value.message == "You can only create an invoice in the ledger currency."
    assert info.value.details[0]["path"] == "/receivablesInvoices"


def test_get_retries_429_with_retry_after_but_post_is_not_retried_on_503(
    clock: VirtualClock,
) -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "7"}), collection([])]
    pod = Pod(lambda r: answers.pop(0))
    assert client(pod, clock, invoice_echo_attribute=None).find_invoice("SS-1") is None
    assert clock.sleeps == [7.0]
    pod = Pod(lambda r: httpx.Response(503))
    with pytest.raises(ServerError):
        client(pod, clock).create_invoice(documented_invoice())
    assert len(pod.requests) == 1


def test_iter_invoices_pages_by_rows_received(clock: VirtualClock) -> None:
    rows = [{**INVOICE_ITEM, "CustomerTransactionId": n} for n in range(5)]

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        chunk = rows[offset : offset + 2]  # the server clamps whatever limit we asked
        return collection(chunk, has_more=offset + 2 < len(rows), offset=offset)

    pod = Pod(handler)
    ids = [r.customer_transaction_id for r in client(pod, clock).iter_invoices(q="X='1'")]
    assert ids == [0, 1, 2, 3, 4]
    assert [r.url.params["offset"] for r in pod.requests] == ["0", "2", "4"]
    assert {r.url.params["limit"] for r in pod.requests} == {"500"}
    assert {r.url.params["q"] for r in pod.requests} == {"X='1'"}


def test_list_invoices_one_page(clock: VirtualClock) -> None:
    pod = Pod(lambda r: collection([INVOICE_ITEM], has_more=True, offset=10))
    page = client(pod, clock).list_invoices(
        q={"InvoiceStatus": "Complete"}, fields=["CustomerTransactionId"], offset=10, limit=1
    )
    assert page.has_more
    assert page.offset == 10
    assert isinstance(page.items[0], ReceivablesInvoiceRecord)
    params = pod.requests[0].url.params
    assert params["q"] == "InvoiceStatus='Complete'"
    assert params["fields"] == "CustomerTransactionId"
    assert params["limit"] == "1"


# -- credit memos ---------------------------------------------------------------------------------


def test_post_credit_memo_once(clock: VirtualClock) -> None:
    memo = ReceivablesCreditMemo(
        business_unit="Vision Operations",
        transaction_source="Manual",
        transaction_type="Credit Memo",
        transaction_date=date(2021, 1, 1),
        bill_to_customer_number="1008",
        credit_memo_currency="USD",
        original_transaction_number="SS-1001",
        lines=[
            ReceivablesCreditMemoLine(
                line_number=1,
                description="Return",
                quantity=Decimal(1),
                unit_selling_price=Decimal("-5.00"),
                amount=Decimal("-5.00"),
            )
        ],
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return collection([])
        return httpx.Response(201, json={"CustomerTransactionId": 9, "TransactionNumber": "CM-1"})

    pod = Pod(handler)
    result = client(pod, clock).post_credit_memo_once(memo, "CM-1")
    assert result.created
    assert pod.requests[0].url.path == f"{ROOT}/receivablesCreditMemos"
    sent = body_of(pod.posts()[0])
    assert sent["TransactionNumber"] == "CM-1"
    assert sent["CrossReference"] == "SS-1001"
    positive = ReceivablesCreditMemoLine(
        line_number=1,
        description="x",
        quantity=Decimal(1),
        unit_selling_price=Decimal(5),
        amount=Decimal(5),
    )
    with pytest.raises(MappingError, match="negative"):
        client(pod, clock).create_credit_memo(attrs.evolve(memo, lines=[positive]))


# -- inventory ------------------------------------------------------------------------------------

STAGED_ITEM = {
    "TransactionInterfaceId": 4001,
    "ItemNumber": "AS54888",
    "SourceCode": "SHIPSTATION",
    "SourceHeaderId": "1001",
    "SourceLineId": "2002",
    "TransactionReference": "SS-1001-2002",
    "TransactionQuantity": -2,
    "ErrorCode": None,
    "ErrorExplanation": None,
}


def test_create_staged_transaction_path_and_body(clock: VirtualClock) -> None:
    pod = Pod(lambda r: httpx.Response(201, json=STAGED_ITEM))
    result = client(pod, clock).create_staged_transaction(staged(transaction_mode=None))
    (post,) = pod.requests
    assert post.url.path == f"{ROOT}/inventoryStagedTransactions"
    sent = body_of(post)
    assert sent["SubinventoryCode"] == "Stores"
    assert sent["TransactionQuantity"] == Decimal(-2)
    assert sent["TransactionUnitOfMeasure"] == "Each"
    assert result.record is not None and result.record.transaction_interface_id == 4001
    assert not result.record.failed
    # No TransactionMode sent: the tenant's default is not documented, so a 201 proves only
    # that the row is in the interface.
    assert result.state == "pending_in_oracle"
    assert result.oracle_id == "4001"


def test_an_online_create_without_error_is_posted(clock: VirtualClock) -> None:
    pod = Pod(lambda r: httpx.Response(201, json=STAGED_ITEM))
    result = client(pod, clock).create_staged_transaction(staged(transaction_mode="1"))
    assert result.state == "posted"


def test_error_code_in_2xx_is_a_failure(clock: VirtualClock) -> None:
    failed = {**STAGED_ITEM, "ErrorCode": "INV_INVALID_SUBINV", "ErrorExplanation": "Bad subinv"}
    pod = Pod(lambda r: httpx.Response(201, json=failed))
    with pytest.raises(InventoryTransactionError) as info:
        client(pod, clock).create_staged_transaction(staged())
    assert info.value.code == "INV_INVALID_SUBINV"
    assert "Bad subinv" in str(info.value)
    assert info.value.status == 201


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504, 200])
def test_timeout_means_maybe_staged_and_is_looked_up(clock: VirtualClock, status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            # A 200 with an HTML page is an unreadable answer: the row may be committed.
            return httpx.Response(status, text="<html>Request Timeout</html>")
        if request.url.path.endswith("/inventoryCompletedTransactions"):
            return collection([])
        return collection([STAGED_ITEM])

    pod = Pod(handler)
    result = client(pod, clock).create_staged_transaction(staged(transaction_mode="1"))
    assert result.record is not None and result.record.transaction_interface_id == 4001
    # Found waiting in the interface: pending, even in Online mode, never posted.
    assert result.state == "pending_in_oracle" and result.recovered
    assert len(pod.posts()) == 1
    q = pod.requests[1].url.params["q"]
    assert q == (
        "SourceCode='SHIPSTATION' and SourceHeaderId='1001' and SourceLineId='2002' "
        "and TransactionTypeName='Miscellaneous Issue' and TransactionReference='SS-1001-2002'"
    )
    completed = pod.requests[2]
    assert completed.url.path == f"{ROOT}/inventoryCompletedTransactions"
    assert completed.url.params["q"] == (
        "TransactionReference='SS-1001-2002' and TransactionTypeName='Miscellaneous Issue'"
    )


def test_timeout_not_found_raises_without_repost(clock: VirtualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(408, text="Request Timeout")
        return collection([])

    pod = Pod(handler)
    with pytest.raises(ClientError) as info:
        client(pod, clock).create_staged_transaction(staged())
    assert info.value.status == 408
    assert len(pod.posts()) == 1


def test_post_staged_once_finds_existing_with_configured_lookup(clock: VirtualClock) -> None:
    pod = Pod(lambda r: collection([STAGED_ITEM]))
    oracle = client(pod, clock, inventory_lookup_attributes=("TransactionReference",))
    result = oracle.post_staged_transaction_once(staged())
    assert not result.created
    assert pod.requests[0].url.params["q"] == "TransactionReference='SS-1001-2002'"
    assert pod.posts() == []


# -- customers ------------------------------------------------------------------------------------


def test_customer_account_sites_by_finder(clock: VirtualClock) -> None:
    documented = load("customer_account_sites_get_collection_response_truncated.json")["items"][0]
    second = {**documented, "BillToSiteUseId": 2, "BillToSiteNumber": "SITE-2"}
    pod = Pod(lambda r: collection([documented, second]))
    account = client(pod, clock).get_customer_account("PERF_ACCT_BAT10_1000")
    request = pod.requests[0]
    assert request.url.path == f"{ROOT}/receivablesCustomerAccountSiteActivities"
    assert request.url.params["finder"] == (
        "CustomerAccountSiteActivitiesFinder;AccountNumber=PERF_ACCT_BAT10_1000"
    )
    assert account is not None
    assert account.account_id == 100100148385906
    assert [s.bill_to_site_number for s in account.sites] == ["PERF_SITE_BAT10_1017", "SITE-2"]
    pod = Pod(lambda r: collection([]))
    assert client(pod, clock).get_customer_account("NOPE") is None


def test_parties_by_email_search_configured_resources(clock: VirtualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "hubOrganizations" in request.url.path:
            return collection([{"PartyNumber": "O1", "PartyId": 1, "OrganizationName": "Acme"}])
        return collection([{"PartyNumber": "P1", "PartyId": 2, "FirstName": "Ada"}])

    pod = Pod(handler)
    parties = client(pod, clock).find_parties_by_email("ada@acme.example")
    assert [(p.party_number, p.party_type) for p in parties] == [
        ("O1", PartyType.ORGANIZATION),
        ("P1", PartyType.PERSON),
    ]
    assert [r.url.path for r in pod.requests] == [
        "/crmRestApi/resources/11.13.18.05/hubOrganizations",
        "/crmRestApi/resources/11.13.18.05/hubPersons",
    ]
    assert pod.requests[0].url.params["q"] == "EmailAddress='ada@acme.example'"

    pod = Pod(handler)
    oracle = client(
        pod, clock, party_email_resources=("hubPersons",), party_email_attribute="PrimaryEmail"
    )
    oracle.find_parties_by_email("ada@acme.example")
    assert len(pod.requests) == 1
    assert pod.requests[0].url.params["q"] == "PrimaryEmail='ada@acme.example'"


def test_create_party_with_email_contact_point(clock: VirtualClock) -> None:
    pod = Pod(lambda r: httpx.Response(201, json={"PartyNumber": "O9", "PartyId": 9}))
    party = client(pod, clock).create_party(
        NewParty(party_type=PartyType.ORGANIZATION, organization_name="Acme", email_address="a@b.c")
    )
    assert party.party_number == "O9"
    (post,) = pod.requests
    assert post.url.path == "/crmRestApi/resources/11.13.18.05/hubOrganizations"
    assert body_of(post)["ContactPoint"] == [{"ContactPointType": "EMAIL", "EmailAddress": "a@b.c"}]


# -- account combinations -------------------------------------------------------------------------


def test_account_combination_lookup_is_cached_and_validated(clock: VirtualClock) -> None:
    combo = {
        "_CODE_COMBINATION_ID": 13001,
        "Segment1": "01",
        "Segment2": "4011001",
        "Segment3": "00",
        "EnabledFlag": "Y",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if "Segment2='4011001'" in request.url.params["q"]:
            return collection([combo])
        if "Segment2='9'" in request.url.params["q"]:
            return collection([{**combo, "Segment2": "9", "EnabledFlag": "N"}])
        return collection([])

    pod = Pod(handler)
    oracle = client(pod, clock, chart_of_accounts_id=101)
    found = oracle.validate_account_combination("01-4011001-00")
    assert found.code_combination_id == 13001
    request = pod.requests[0]
    assert request.url.path == f"{ROOT}/accountCombinationsLOV"
    assert request.url.params["q"] == (
        "Segment1='01' and Segment2='4011001' and Segment3='00' and _CHART_OF_ACCOUNTS_ID='101'"
    )
    assert oracle.get_account_combination("01-4011001-00") == found
    assert len(pod.requests) == 1  # cached
    with pytest.raises(MappingError) as info:
        oracle.validate_account_combination("01-0000000-00")
    assert info.value.field == "AccountCombination"
    assert info.value.record == "01-0000000-00"
    with pytest.raises(MappingError, match="disabled"):
        oracle.validate_account_combination("01-9-00")
    with pytest.raises(MappingError, match="segment string"):
        oracle.validate_account_combination("01--00")


# -- batch ----------------------------------------------------------------------------------------


def all_or_none_batch(bad_ids: set[str], *, name_parts: bool) -> Handler:
    """A batch endpoint with Oracle's documented all-or-none semantics."""

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Content-Type"] == "application/vnd.oracle.adf.batch+json"
        parts = body_of(request)["parts"]
        failing = [p for p in parts if p["id"] in bad_ids]
        if failing:
            if not name_parts:
                return httpx.Response(400, text="A batch part failed.")
            return httpx.Response(
                400,
                json={
                    "parts": [
                        {
                            "id": failing[0]["id"],
                            "path": failing[0]["path"],
                            "operation": "create",
                            "payload": {
                                "o:errorDetails": [
                                    {
                                        "detail": "Bill-to customer not found.",
                                        "o:errorCode": "AR_BILL_TO_CUST_NOT_FOUND",
                                    }
                                ]
                            },
                        }
                    ]
                },
            )
        return httpx.Response(
            200,
            json={
                "parts": [
                    {
                        **p,
                        "payload": {
                            "CustomerTransactionId": 7,
                            "TransactionNumber": p["payload"].get("TransactionNumber"),
                        },
                    }
                    for p in parts
                ]
            },
        )

    return handler


@pytest.mark.parametrize("name_parts", [True, False])
def test_batch_isolates_the_bad_part(clock: VirtualClock, name_parts: bool) -> None:
    pod = Pod(all_or_none_batch({"p3"}, name_parts=name_parts))
    oracle = client(pod, clock)
    parts = [
        oracle.batch_part(f"p{n}", documented_invoice(transaction_number=f"SS-{n}"))
        for n in range(1, 6)
    ]
    results = oracle.post_batch(parts)
    assert [r.id for r in results] == ["p1", "p2", "p3", "p4", "p5"]
    assert [r.ok for r in results] == [True, True, False, True, True]
    bad = results[2].error
    assert bad is not None
    assert "p3" in str(bad)
    if name_parts:
        assert bad.code == "AR_BILL_TO_CUST_NOT_FOUND"
        assert len(pod.requests) == 2
    ok = results[0].payload
    assert ok is not None
    assert ok["CustomerTransactionId"] == 7
    first = body_of(pod.requests[0])
    assert pod.requests[0].url.path == ROOT
    assert first["parts"][0]["path"] == "/receivablesInvoices"
    assert first["parts"][0]["operation"] == "create"
    assert first["parts"][0]["payload"]["TransactionNumber"] == "SS-1"
    # Every good part was created exactly once in the end.
    sent = [[p["id"] for p in body_of(r)["parts"]] for r in pod.requests]
    created = [part for ids in sent if "p3" not in ids for part in ids]
    assert sorted(created) == ["p1", "p2", "p4", "p5"]


def test_batch_server_error_is_raised_not_split(clock: VirtualClock) -> None:
    pod = Pod(lambda r: httpx.Response(500, text="Internal Server Error"))
    oracle = client(pod, clock)
    parts = [oracle.batch_part(f"p{n}", documented_invoice()) for n in range(3)]
    with pytest.raises(ServerError):
        oracle.post_batch(parts)
    assert len(pod.requests) == 1


def test_batch_refuses_duplicate_ids_and_unknown_models(clock: VirtualClock) -> None:
    oracle = client(Pod(lambda r: httpx.Response(200)), clock)
    part = BatchPart(id="p1", path="/receivablesInvoices", payload={})
    with pytest.raises(MappingError, match="unique"):
        oracle.post_batch([part, part])
    with pytest.raises(MappingError, match="cannot be batched"):
        oracle.batch_part("x", object())


# -- metadata -------------------------------------------------------------------------------------


def test_describe_and_ping(clock: VirtualClock) -> None:
    described = {"Resources": {"receivablesInvoices": {"attributes": [{"name": "A"}] * 3}}}
    pod = Pod(lambda r: httpx.Response(200, json=described))
    info = client(pod, clock).ping()
    assert pod.requests[0].url.path == f"{ROOT}/receivablesInvoices/describe"
    assert info["attributes"] == 3
    assert info["pod"] == "ecga-test.fa.us2.oraclecloud.com"


# -- OAuth through the client ----------------------------------------------------------------------

TOKEN_URL = "https://idcs-0123456789abcdef.identity.oraclecloud.com/oauth2/v1/token"


def test_oauth_client_end_to_end_keeps_canaries_secret(
    clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret, token = "canary-secret-91c2", "canary-token-4b7d"
    state = {"reject": False}

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return httpx.Response(
                200, json={"access_token": token, "token_type": "Bearer", "expires_in": 3600}
            )
        if state["reject"]:
            return httpx.Response(401, text=f"bad token {token}")
        assert request.headers["Authorization"] == f"Bearer {token}"
        return collection([INVOICE_ITEM])

    pod = Pod(handler)
    auth = OAuthClientCredentials(
        token_url=TOKEN_URL,
        client_id="ml-connector",
        client_secret=secret,
        scope="urn:opc:resource:fa:instanceid=1urn:opc:resource:consumer::all",
    )
    oracle = client(pod, clock, auth=auth)
    assert oracle.find_invoice("SS-1001") is not None
    assert oracle.find_invoice("SS-1002") is not None
    assert [str(r.url) for r in pod.requests].count(TOKEN_URL) == 1
    state["reject"] = True
    with pytest.raises(AuthenticationError, match="fresh OAuth token") as info:
        oracle.find_invoice("SS-1003")
    for text in (
        caplog.text,
        str(info.value),
        repr(info.value),
        json.dumps(info.value.evidence()),
        repr(oracle),
        repr(oracle.settings),
        repr(oracle.auth),
    ):
        assert secret not in text
        assert token not in text


# -- twins ----------------------------------------------------------------------------------------


def test_twins_expose_the_same_public_methods() -> None:
    def public(cls: type) -> set[str]:
        return {name for name in dir(cls) if not name.startswith("_")} - {"close", "aclose"}

    assert public(OracleFusionClient) == public(AsyncOracleFusionClient)


@pytest.mark.anyio
async def test_async_twin_posts_once_pages_and_batches(clock: VirtualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            offset = int(request.url.params["offset"])
            return collection(
                [{**INVOICE_ITEM, "CustomerTransactionId": offset}] if offset < 2 else [],
                has_more=offset < 1,
                offset=offset,
            )
        return httpx.Response(504, text="Gateway Timeout")

    pod = Pod(handler)
    async with aclient(pod, clock) as oracle:
        ids = [r.customer_transaction_id async for r in oracle.iter_invoices()]
    assert ids == [0, 1]

    gets = {"count": 0}

    def lost_answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(504, text="Gateway Timeout")
        gets["count"] += 1
        return collection([] if gets["count"] == 1 else [INVOICE_ITEM])

    pod = Pod(lost_answer)
    async with aclient(pod, clock, invoice_echo_attribute=None) as oracle:
        result = await oracle.post_invoice_once(documented_invoice(), "SS-1001")
    assert result.recovered
    assert len(pod.posts()) == 1

    pod = Pod(all_or_none_batch({"b"}, name_parts=True))
    async with aclient(pod, clock) as oracle:
        parts = [oracle.batch_part(i, documented_invoice()) for i in ("a", "b", "c")]
        results = await oracle.post_batch(parts)
    assert [r.ok for r in results] == [True, False, True]


@pytest.mark.anyio
async def test_async_inventory_timeout_lookup(clock: VirtualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(408)
        if request.url.path.endswith("/inventoryCompletedTransactions"):
            return collection([{"TransactionId": 9, "TransactionReference": "SS-1001-2002"}])
        return collection([])

    pod = Pod(handler)
    async with aclient(pod, clock) as oracle:
        result = await oracle.create_staged_transaction(staged())
    # Processed in the meantime: found as a completed movement, posted.
    assert result.state == "posted" and result.oracle_id == "9" and result.record is None
    assert len(pod.posts()) == 1
