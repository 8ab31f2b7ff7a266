"""Oracle Fusion simulator: tokens, ADF collections, q/finder, validation codes, batch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ml_connector._http import read_json
from ml_connector.testing import GeneratedDay, OracleFusionSimulator, VirtualClock

from .conftest import example, same_shape

POD = "https://sim-test.fa.us2.oraclecloud.com"
FSCM = f"{POD}/fscmRestApi/resources/11.13.18.05"
TOKEN_URL = "https://idcs-0c0ffee0c0ffee0c0ffee0c0ffee0c0f.identity.oraclecloud.com/oauth2/v1/token"


@pytest.fixture
def oracle(small_day: GeneratedDay, clock: VirtualClock) -> OracleFusionSimulator:
    sim = OracleFusionSimulator(clock=clock, business_units=["Vision Operations"])
    sim.load(small_day)
    return sim


def token(client: httpx.Client, secret: str = "sim-client-secret") -> httpx.Response:  # noqa: S107
    return client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "scope": "urn:opc:resource:consumer::all"},
        auth=("sim-client", secret),
    )


@pytest.fixture
def client(oracle: OracleFusionSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=oracle.transport()) as client:
        access = token(client).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {access}"
        yield client


def invoice(day: GeneratedDay, number: str = "SS-1001", **changes: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(example("ar_invoice_create_request.json")))
    site = next(day.iter_oracle_customer_sites())
    body.update(
        BillToCustomerNumber=site["AccountNumber"],
        ShipToCustomerNumber=site["AccountNumber"],
        TransactionNumber=number,
    )
    del body["ShipToSite"]
    body.update(changes)
    return body


def test_token_response_has_the_documented_shape(oracle: OracleFusionSimulator) -> None:
    with httpx.Client(transport=oracle.transport()) as client:
        response = token(client)
    assert response.status_code == 200
    assert same_shape(response.json(), example("oauth_token_response_idcs.json")) == []
    assert response.json()["expires_in"] == 3600
    assert oracle.token_requests == 1


def test_token_endpoint_refuses_a_wrong_secret_and_grant(oracle: OracleFusionSimulator) -> None:
    with httpx.Client(transport=oracle.transport()) as client:
        bad = token(client, secret="nope")
        grant = client.post(
            TOKEN_URL, data={"grant_type": "password"}, auth=("sim-client", "sim-client-secret")
        )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


def test_expired_token_gets_401_and_a_new_one_works(
    client: httpx.Client, oracle: OracleFusionSimulator, clock: VirtualClock
) -> None:
    url = f"{FSCM}/accountCombinationsLOV"
    assert client.get(url).status_code == 200
    clock.advance(3599)
    assert client.get(url).status_code == 200
    clock.advance(1)
    assert client.get(url).status_code == 401
    client.headers["Authorization"] = f"Bearer {token(client).json()['access_token']}"
    assert client.get(url).status_code == 200
    oracle.expire_tokens()
    assert client.get(url).status_code == 401


def test_no_credentials_and_basic_auth(small_day: GeneratedDay, clock: VirtualClock) -> None:
    sim = OracleFusionSimulator(clock=clock, basic_users={"integration.user": "pw"})
    with httpx.Client(transport=sim.transport()) as client:
        assert client.get(f"{FSCM}/receivablesInvoices").status_code == 401
        ok = client.get(f"{FSCM}/receivablesInvoices", auth=("integration.user", "pw"))
        assert ok.status_code == 200
        with pytest.raises(httpx.ConnectError):
            client.get("https://elsewhere.example.com/")


def test_collection_envelope_and_paging(client: httpx.Client, small_day: GeneratedDay) -> None:
    url = f"{FSCM}/receivablesCustomerAccountSiteActivities"
    first = client.get(url, params={"totalResults": "true"}).json()
    envelope = example("collection_envelope_example_hcm_workers_truncated.json")
    del envelope["items"]  # HCM workers in the documented example; the envelope is the point
    assert same_shape(first, envelope) == []
    assert set(first) == {*envelope, "items"}
    total = sum(1 for _ in small_day.iter_oracle_customer_sites())
    assert (first["count"], first["limit"], first["offset"]) == (25, 25, 0)
    assert first["hasMore"] is True and first["totalResults"] == total
    seen, offset = [], 0
    while True:
        page = client.get(url, params={"offset": offset, "limit": 40, "onlyData": "true"}).json()
        seen += [item["BillToSiteUseId"] for item in page["items"]]
        assert "links" not in page and all("links" not in item for item in page["items"])
        if not page["hasMore"]:
            break
        offset += page["count"]
    assert len(seen) == len(set(seen)) == total
    clamped = client.get(url, params={"limit": 5000}).json()
    assert clamped["limit"] == 500


def test_site_item_matches_the_documented_example(client: httpx.Client) -> None:
    documented = example("customer_account_sites_get_collection_response_truncated.json")
    body = client.get(f"{FSCM}/receivablesCustomerAccountSiteActivities").json()
    assert same_shape(body, documented) == []


def test_finder_q_and_fields(client: httpx.Client, small_day: GeneratedDay) -> None:
    site = next(small_day.iter_oracle_customer_sites())
    url = f"{FSCM}/receivablesCustomerAccountSiteActivities"
    finder = f"CustomerAccountSiteActivitiesFinder;AccountNumber={site['AccountNumber']}"
    found = client.get(url, params={"finder": finder, "onlyData": "true"}).json()["items"]
    assert [i["BillToSiteUseId"] for i in found] == [site["BillToSiteUseId"]]
    for q in (
        f"AccountNumber='{site['AccountNumber']}'",
        f"AccountNumber={site['AccountNumber']};CustomerName={site['CustomerName']}",
        f"AccountNumber='{site['AccountNumber']}' and CustomerId={site['CustomerId']}",
    ):
        items = client.get(url, params={"q": q}).json()["items"]
        assert [i["AccountNumber"] for i in items] == [site["AccountNumber"]], q
    projected = client.get(
        url, params={"q": f"AccountNumber='{site['AccountNumber']}'", "fields": "AccountNumber"}
    ).json()["items"][0]
    assert set(projected) == {"AccountNumber", "links"}
    assert client.get(url, params={"finder": "NoSuchFinder;X=1"}).status_code == 400
    assert client.get(url, params={"q": "A=1 or B=2"}).status_code == 400


def test_parties_by_email(client: httpx.Client, small_day: GeneratedDay) -> None:
    party = next(small_day.iter_oracle_parties())
    url = f"{POD}/crmRestApi/resources/11.13.18.05/hubPersons"
    items = client.get(url, params={"q": f"EmailAddress='{party['EmailAddress']}'"}).json()
    assert [i["PartyNumber"] for i in items["items"]] == [party["PartyNumber"]]
    masked = "abc@marketplace.amazon.com"
    assert client.get(url, params={"q": f"EmailAddress='{masked}'"}).json()["items"] == []
    created = client.post(
        url,
        json={"PersonFirstName": "New", "ContactPoint": [{"EmailAddress": "new@example.com"}]},
    )
    assert created.status_code == 201
    again = client.get(url, params={"q": "EmailAddress='new@example.com'"}).json()["items"]
    assert [i["PartyNumber"] for i in again] == [created.json()["PartyNumber"]]


def test_create_invoice_and_read_it_back(client: httpx.Client, small_day: GeneratedDay) -> None:
    response = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day))
    assert response.status_code == 201
    created = read_json(response)
    assert same_shape(created, example("ar_invoice_create_response_truncated.json")) == []
    assert created["EnteredAmount"] == Decimal("2") * Decimal("1299.99") + Decimal("2") * Decimal(
        "102.15"
    ) + Decimal("4") * Decimal("65.45")
    number = created["CustomerTransactionId"]
    one = client.get(f"{FSCM}/receivablesInvoices/{number}").json()
    completed = example("ar_invoice_patch_complete_response_truncated.json")["items"][0]
    assert same_shape(one, completed) == []
    assert one["TransactionNumber"] == "SS-1001"
    assert one["BillToSite"].endswith("-BILL")  # defaulted from the account's bill-to site
    assert "receivablesInvoiceLines" not in one  # children only with expand
    expanded = client.get(f"{FSCM}/receivablesInvoices/{number}", params={"expand": "all"}).json()
    assert len(expanded["receivablesInvoiceLines"]) == 3
    found = client.get(
        f"{FSCM}/receivablesInvoices", params={"q": "TransactionNumber='SS-1001'"}
    ).json()
    assert found["count"] == 1


def test_automatic_numbering_when_no_number_is_sent(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    body = invoice(small_day)
    del body["TransactionNumber"]
    created = client.post(f"{FSCM}/receivablesInvoices", json=body).json()
    assert created["TransactionNumber"].isdigit()


def test_duplicate_posting_key_is_a_text_plain_400(
    client: httpx.Client, small_day: GeneratedDay, oracle: OracleFusionSimulator
) -> None:
    assert client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day)).status_code == 201
    again = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day))
    assert again.status_code == 400
    assert again.headers["content-type"].startswith("text/plain")
    assert "SS-1001" in again.text and "AR_DUPLICATE_TRX_NUMBER" in again.text
    assert len(oracle.invoices()) == 1


def test_posting_key_attribute_is_configurable(
    small_day: GeneratedDay, clock: VirtualClock
) -> None:
    sim = OracleFusionSimulator(clock=clock, invoice_key="CrossReference")
    sim.load(small_day)
    with httpx.Client(transport=sim.transport(), auth=None) as client:
        client.headers["Authorization"] = f"Bearer {token(client).json()['access_token']}"
        one = invoice(small_day, "A-1", CrossReference="ship-1")
        two = invoice(small_day, "A-2", CrossReference="ship-1")
        assert client.post(f"{FSCM}/receivablesInvoices", json=one).status_code == 201
        assert client.post(f"{FSCM}/receivablesInvoices", json=two).status_code == 400


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"BillToCustomerNumber": "NO-SUCH-ACCOUNT"}, "AR_BILL_TO_CUST_NOT_FOUND"),
        ({"BillToSite": "NO-SUCH-SITE"}, "AR_BILL_TO_SITE_NOT_FOUND"),
        ({"BusinessUnit": "Elsewhere"}, "AR_BU_NOT_FOUND"),
        ({"InvoiceCurrencyCode": "EUR"}, "AR_FUNC_CURRENCY_REQ"),
        ({"receivablesInvoiceLines": [{"LineNumber": 1, "Quantity": 1}]}, "AR_LINE_ATTR_OPT_REQ"),
        (
            {"receivablesInvoiceLines": [{"LineNumber": 1, "ItemNumber": "NO-SUCH-SKU-404"}]},
            "AR_ITEM_NOT_FOUND",
        ),
        (
            {
                "receivablesInvoiceDistributions": [
                    {
                        "InvoiceLineNumber": 1,
                        "AccountClass": "Revenue",
                        "AccountCombination": "99-9-9",
                        "Percent": 100,
                    }
                ]
            },
            "AR_INVALID_ACCOUNT_COMBINATION",
        ),
    ],
)
def test_validation_errors_carry_oracle_codes(
    client: httpx.Client, small_day: GeneratedDay, changes: dict[str, Any], code: str
) -> None:
    response = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, **changes))
    assert response.status_code == 400
    assert response.text.endswith(f"({code})")


def test_structured_errors_on_request(client: httpx.Client, small_day: GeneratedDay) -> None:
    response = client.post(
        f"{FSCM}/receivablesInvoices",
        json=invoice(small_day, BillToCustomerNumber="NOPE"),
        headers={"Accept": "application/json, application/vnd.oracle.adf.error+json"},
    )
    body = response.json()
    assert body["o:errorDetails"][0]["o:errorCode"] == "AR_BILL_TO_CUST_NOT_FOUND"


def test_valid_distribution_and_patch_rules(client: httpx.Client, small_day: GeneratedDay) -> None:
    revenue = small_day.account_for("revenue")
    body = invoice(
        small_day,
        receivablesInvoiceDistributions=[
            {
                "InvoiceLineNumber": 1,
                "AccountClass": "Revenue",
                "AccountCombination": revenue,
                "Percent": 100,
            }
        ],
    )
    created = client.post(f"{FSCM}/receivablesInvoices", json=body).json()
    url = f"{FSCM}/receivablesInvoices/{created['CustomerTransactionId']}"
    assert client.patch(url, json={"InvoiceStatus": "Complete"}).json()["InvoiceStatus"] == (
        "Complete"
    )
    assert client.patch(url, json={"Comments": "no"}).status_code == 400


def test_inventory_transaction_errors_arrive_in_a_2xx_body(
    client: httpx.Client, small_day: GeneratedDay, oracle: OracleFusionSimulator
) -> None:
    template = example("inventory_staged_transaction_create_request_template.json")
    good = dict(
        template,
        ItemNumber=small_day.oracle_items[0],
        TransactionTypeName="Miscellaneous Issue",
        TransactionQuantity=-2,
        AccountCombination=small_day.account_for("cogs"),
        TransactionReference="ship-1-line-1",
        TransactionUnitOfMeasure="Each",
        SubinventoryCode="FG",
    )
    del good["TransactionInterfaceId"], good["TransactionHeaderId"]
    ok = client.post(f"{FSCM}/inventoryStagedTransactions", json=good)
    assert ok.status_code == 201 and ok.json()["ErrorCode"] is None
    bad = dict(good, ItemNumber=small_day.bad_sku, TransactionReference="ship-1-line-2")
    failed = client.post(f"{FSCM}/inventoryStagedTransactions", json=bad)
    assert failed.status_code == 201
    assert failed.json()["ErrorCode"] == "INV_INVALID_ITEM"
    assert failed.json()["ErrorExplanation"]
    # Oracle's interface table does not refuse a repeated source reference: a second post of
    # the same transaction stages a second row, which is what exactly-once tests must catch.
    duplicate = client.post(f"{FSCM}/inventoryStagedTransactions", json=good)
    assert duplicate.status_code == 201
    assert len(oracle.inventory_transactions()) == 3


def test_read_only_resources_and_wrong_paths(client: httpx.Client) -> None:
    assert client.post(f"{FSCM}/accountCombinationsLOV", json={}).status_code == 405
    wrong = client.get(f"{POD}/fscmRestApi/resources/11.1.0/receivablesInvoices")
    assert wrong.status_code == 404 and wrong.headers["content-type"].startswith("text/plain")
    assert client.get(f"{FSCM}/nothingHere").status_code == 404
    assert client.get(f"{FSCM}/receivablesInvoices/999").status_code == 404


def test_describe_lists_attributes_and_finders(client: httpx.Client) -> None:
    body = client.get(f"{FSCM}/receivablesCustomerAccountSiteActivities/describe").json()
    described = body["Resources"]["receivablesCustomerAccountSiteActivities"]
    finders = [f["name"] for f in described["collection"]["finders"]]
    assert "CustomerAccountSiteActivitiesFinder" in finders


def test_account_combinations_lov(client: httpx.Client, small_day: GeneratedDay) -> None:
    combination = small_day.account_for("receivable")
    items = client.get(
        f"{FSCM}/accountCombinationsLOV",
        params={"q": f"ConcatenatedSegments='{combination}'", "onlyData": "true"},
    ).json()["items"]
    assert len(items) == 1 and items[0]["EnabledFlag"] == "Y"
    assert items[0]["Segment2"] == "1210000"


def batch(client: httpx.Client, parts: list[dict[str, Any]]) -> httpx.Response:
    return client.post(
        FSCM,
        content=json.dumps({"parts": parts}).encode(),
        headers={"Content-Type": "application/vnd.oracle.adf.batch+json"},
    )


def test_batch_applies_every_part(
    client: httpx.Client, small_day: GeneratedDay, oracle: OracleFusionSimulator
) -> None:
    parts = [
        {
            "id": f"p{n}",
            "path": "/receivablesInvoices",
            "operation": "create",
            "payload": invoice(small_day, f"B-{n}"),
        }
        for n in range(3)
    ]
    response = batch(client, parts)
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["parts"]] == ["p0", "p1", "p2"]
    assert all(p["payload"]["CustomerTransactionId"] for p in response.json()["parts"])
    assert sorted(i["TransactionNumber"] for i in oracle.invoices()) == ["B-0", "B-1", "B-2"]


def test_batch_is_all_or_none_and_lists_only_failing_parts(
    client: httpx.Client, small_day: GeneratedDay, oracle: OracleFusionSimulator
) -> None:
    assert client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "B-9")).status_code
    before = oracle.invoices()
    parts = [
        {"id": "ok-1", "path": "/receivablesInvoices", "operation": "create",
         "payload": invoice(small_day, "B-1")},
        {"id": "dup", "path": "/receivablesInvoices", "operation": "create",
         "payload": invoice(small_day, "B-9")},
        {"id": "ok-2", "path": "/receivablesInvoices", "operation": "create",
         "payload": invoice(small_day, "B-2")},
        {"id": "bad-customer", "path": "/receivablesInvoices", "operation": "create",
         "payload": invoice(small_day, "B-3", BillToCustomerNumber="NOPE")},
    ]  # fmt: skip
    response = batch(client, parts)
    assert response.status_code == 400
    failed = response.json()["parts"]
    assert [p["id"] for p in failed] == ["dup", "bad-customer"]
    assert failed[1]["payload"]["o:errorCode"] == "AR_BILL_TO_CUST_NOT_FOUND"
    assert oracle.invoices() == before  # nothing from the batch was kept


def test_batch_needs_its_media_type(client: httpx.Client) -> None:
    response = client.post(FSCM, json={"parts": []})
    assert response.status_code == 415


@pytest.mark.anyio
async def test_async_transport_shares_state(
    oracle: OracleFusionSimulator, small_day: GeneratedDay
) -> None:
    async with httpx.AsyncClient(transport=oracle.async_transport()) as client:
        access = (
            await client.post(
                TOKEN_URL,
                data={"grant_type": "client_credentials"},
                auth=("sim-client", "sim-client-secret"),
            )
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {access}"
        created = await client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day))
    assert created.status_code == 201
    assert [i["TransactionNumber"] for i in oracle.invoices()] == ["SS-1001"]


def test_credit_memo_amount_is_the_sum_of_its_credit_lines(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    site = next(small_day.iter_oracle_customer_sites())
    source = example("ar_invoice_create_request.json")
    memo = {
        "BusinessUnit": source["BusinessUnit"],
        "TransactionSource": source["TransactionSource"],
        "TransactionType": "Credit Memo",
        "TransactionNumber": "SS-1001V",
        "TransactionDate": "2026-01-15",
        "BillToCustomerNumber": site["AccountNumber"],
        "CreditMemoCurrency": "USD",
        "receivablesCreditMemoLines": [
            {"LineNumber": 1, "LineDescription": "Widget", "LineAmountCredit": -12.5},
            {
                "LineNumber": 2,
                "LineDescription": "Freight",
                "LineQuantityCredit": -2,
                "UnitSellingPrice": 1.25,
            },
        ],
    }
    response = client.post(f"{FSCM}/receivablesCreditMemos", json=memo)
    assert response.status_code == 201, response.text
    assert Decimal(str(response.json()["EnteredAmount"])) == Decimal("-15.00")


def test_indexed_lookups_answer_like_a_scan_and_follow_rollbacks(
    client: httpx.Client, small_day: GeneratedDay, oracle: OracleFusionSimulator
) -> None:
    def find(q: str) -> list[Any]:
        response = client.get(f"{FSCM}/receivablesInvoices", params={"q": q})
        return [item["TransactionNumber"] for item in response.json()["items"]]

    assert client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day)).status_code == 201
    assert find("TransactionNumber='SS-1001'") == ["SS-1001"]
    assert find("TransactionNumber='ss-1001'") == []  # string equality is exact, as in a scan
    # A batch whose second part fails rolls back its first part, index entry included.
    parts = [
        {
            "id": "1",
            "path": "/receivablesInvoices",
            "operation": "create",
            "payload": invoice(small_day, "SS-2001"),
        },
        {
            "id": "2",
            "path": "/receivablesInvoices",
            "operation": "create",
            "payload": invoice(small_day, "SS-1001"),
        },  # duplicate key: refused
    ]
    response = client.post(
        FSCM,
        json={"parts": parts},
        headers={"Content-Type": "application/vnd.oracle.adf.batch+json"},
    )
    assert response.status_code >= 400
    assert find("TransactionNumber='SS-2001'") == []
    # Numbers compare numerically ('7' = 7.0), so an attribute holding numbers is scanned.
    stored = oracle.resources["receivablesInvoices"].items
    key, item = next(iter(stored.items()))
    stored[key] = {**item, "CrossReference": 7}
    assert find("CrossReference='7.0'") == ["SS-1001"]


def test_a_posting_key_is_free_again_after_its_item_is_deleted(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    created = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "SS-7"))
    assert created.status_code == 201
    key = created.json()["CustomerTransactionId"]
    assert (
        client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "SS-7")).status_code
        == 400
    )
    assert client.delete(f"{FSCM}/receivablesInvoices/{key}").status_code == 204
    again = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "SS-7"))
    assert again.status_code == 201, again.text


def test_a_posting_key_restored_by_a_rollback_is_a_duplicate_again(
    client: httpx.Client, small_day: GeneratedDay, oracle: OracleFusionSimulator
) -> None:
    created = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "SS-8"))
    key = created.json()["CustomerTransactionId"]
    # The delete is applied, then rolled back when the second part fails.
    parts = [
        {"id": "del", "path": f"/receivablesInvoices/{key}", "operation": "delete"},
        {"id": "bad", "path": "/receivablesInvoices", "operation": "create",
         "payload": invoice(small_day, "SS-9", BillToCustomerNumber="NOPE")},
    ]  # fmt: skip
    assert batch(client, parts).status_code == 400
    assert [i["TransactionNumber"] for i in oracle.invoices()] == ["SS-8"]
    again = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "SS-8"))
    assert again.status_code == 400 and "AR_DUPLICATE_TRX_NUMBER" in again.text
    # A create rolled back the same way leaves its key free.
    parts[0] = {"id": "new", "path": "/receivablesInvoices", "operation": "create",
                "payload": invoice(small_day, "SS-10")}  # fmt: skip
    assert batch(client, parts).status_code == 400
    fresh = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "SS-10"))
    assert fresh.status_code == 201, fresh.text


def test_a_changed_posting_key_frees_the_old_value_and_takes_the_new(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    # Credit memos take a PATCH of their number (invoices refuse it).
    memo = invoice(small_day, "CM-1")
    # Invoice-only attributes a strict pod refuses on a credit memo.
    for name in ("receivablesInvoiceLines", "receivablesInvoiceDistributions", "BillingDate"):
        memo.pop(name, None)
    for name in ("InvoiceCurrencyCode", "PaymentTerms", "DueDate", "ShipToCustomerNumber"):
        memo.pop(name, None)
    memo.pop("ShipToCustomerName", None)
    created = client.post(f"{FSCM}/receivablesCreditMemos", json=memo)
    assert created.status_code == 201, created.text
    key = created.json()["CustomerTransactionId"]
    patched = client.patch(
        f"{FSCM}/receivablesCreditMemos/{key}", json={"TransactionNumber": "CM-2"}
    )
    assert patched.status_code == 200
    assert client.post(f"{FSCM}/receivablesCreditMemos", json=memo).status_code == 201
    taken = client.post(
        f"{FSCM}/receivablesCreditMemos", json={**memo, "TransactionNumber": "CM-2"}
    )
    assert taken.status_code == 400 and "CM-2" in taken.text


def test_posting_keys_compare_as_a_scan_would(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    # Numbers compare by value (7 = 7.0) but never equal text ("7").
    assert client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, 7)).status_code == 201
    as_text = client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, "7"))
    assert as_text.status_code == 201
    as_decimal = client.post(
        f"{FSCM}/receivablesInvoices",
        content=json.dumps(invoice(small_day, "X")).replace('"X"', "7.0").encode(),
        headers={"Content-Type": "application/json"},
    )
    assert as_decimal.status_code == 400 and "AR_DUPLICATE_TRX_NUMBER" in as_decimal.text
    # A value that cannot be hashed is compared by a scan.
    assert (
        client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, ["L"])).status_code
        == 201
    )
    assert (
        client.post(f"{FSCM}/receivablesInvoices", json=invoice(small_day, ["L"])).status_code
        == 400
    )


def test_a_composite_inventory_key_follows_creates_and_deletes(
    small_day: GeneratedDay, clock: VirtualClock
) -> None:
    sim = OracleFusionSimulator(
        clock=clock, inventory_key=("TransactionReference", "TransactionTypeName")
    )
    sim.load(small_day)
    row = {
        "ItemNumber": small_day.oracle_items[0],
        "TransactionTypeName": "Miscellaneous Issue",
        "TransactionQuantity": -1,
        "TransactionReference": "ship-1",
    }
    url = f"{FSCM}/inventoryStagedTransactions"
    with httpx.Client(transport=sim.transport()) as client:
        client.headers["Authorization"] = f"Bearer {token(client).json()['access_token']}"
        first = client.post(url, json=row)
        assert first.status_code == 201
        assert client.post(url, json=row).status_code == 400
        # The same reference with another type is another transaction (a void's receipt).
        receipt = {**row, "TransactionTypeName": "Miscellaneous Receipt"}
        assert client.post(url, json=receipt).status_code == 201
        key = first.json()["TransactionInterfaceId"]
        assert client.delete(f"{url}/{key}").status_code == 204
        assert client.post(url, json=row).status_code == 201


def test_q_lists_in_creation_order_after_an_update(
    client: httpx.Client, small_day: GeneratedDay
) -> None:
    url = f"{FSCM}/receivablesInvoices"
    for number in ("Q-1", "Q-2", "Q-3"):
        body = invoice(small_day, number, CrossReference="ship-9")
        assert client.post(url, json=body).status_code == 201
    found = client.get(url, params={"q": "CrossReference='ship-9'"}).json()["items"]
    assert [i["TransactionNumber"] for i in found] == ["Q-1", "Q-2", "Q-3"]
    first = found[0]
    patch = {"InvoiceStatus": "Complete"}
    assert client.patch(f"{url}/{first['CustomerTransactionId']}", json=patch).status_code == 200
    found = client.get(url, params={"q": "CrossReference='ship-9'"}).json()["items"]
    assert [i["TransactionNumber"] for i in found] == ["Q-1", "Q-2", "Q-3"]
    assert found[0]["InvoiceStatus"] == "Complete"


def test_q_on_any_attribute_answers_like_a_scan(
    client: httpx.Client, small_day: GeneratedDay, oracle: OracleFusionSimulator
) -> None:
    url = f"{FSCM}/receivablesInvoices"

    def numbers(q: str) -> list[str]:
        return [i["TransactionNumber"] for i in client.get(url, params={"q": q}).json()["items"]]

    assert client.post(url, json=invoice(small_day, "P-1", PurchaseOrder="PO-5")).status_code == 201
    assert numbers("PurchaseOrder='PO-5'") == ["P-1"]  # the look-up is built now
    assert client.post(url, json=invoice(small_day, "P-2", PurchaseOrder="PO-5")).status_code == 201
    assert client.post(url, json=invoice(small_day, "P-3", PurchaseOrder=5)).status_code == 201
    assert numbers("PurchaseOrder='PO-5'") == ["P-1", "P-2"]
    assert numbers("PurchaseOrder='5.0'") == ["P-3"]  # a number equals its value as text
    assert numbers("PurchaseOrder='PO-5' and TransactionNumber='P-2'") == ["P-2"]
    assert numbers("PurchaseOrder='po-5'") == []
    stored = oracle.resources["receivablesInvoices"].items
    key = next(k for k, i in stored.items() if i["TransactionNumber"] == "P-1")
    del stored[key]
    assert numbers("PurchaseOrder='PO-5'") == ["P-2"]


def test_accounts_sites_and_combinations_follow_what_is_added(
    client: httpx.Client, small_day: GeneratedDay, oracle: OracleFusionSimulator
) -> None:
    url = f"{FSCM}/receivablesInvoices"
    site = dict(next(small_day.iter_oracle_customer_sites()))
    account = site["AccountNumber"]
    assert client.post(url, json=invoice(small_day, "A-1")).status_code == 201
    # The same site under a new account number: the old number is gone, the new one works.
    oracle.add_customer_site({**site, "AccountNumber": "NEW-1"})
    gone = client.post(url, json=invoice(small_day, "A-2"))
    assert gone.status_code == 400 and "AR_BILL_TO_CUST_NOT_FOUND" in gone.text
    moved = invoice(small_day, "A-3", BillToCustomerNumber="NEW-1", ShipToCustomerNumber="NEW-1")
    assert client.post(url, json=moved).status_code == 201
    finder = "CustomerAccountSiteActivitiesFinder;AccountNumber=NEW-1"
    sites = client.get(
        f"{FSCM}/receivablesCustomerAccountSiteActivities", params={"finder": finder}
    ).json()["items"]
    assert [s["BillToSiteUseId"] for s in sites] == [site["BillToSiteUseId"]]
    finder = f"CustomerAccountSiteActivitiesFinder;AccountNumber={account}"
    gone_sites = client.get(
        f"{FSCM}/receivablesCustomerAccountSiteActivities", params={"finder": finder}
    ).json()["items"]
    assert gone_sites == []
    # A combination added later is valid; one disabled in place is refused.
    combination = "01-4011999-00-0100-01-01-00"
    distribution = [
        {
            "InvoiceLineNumber": 1,
            "AccountClass": "Revenue",
            "AccountCombination": combination,
            "Percent": 100,
        }
    ]
    body = {**moved, "TransactionNumber": "A-4", "receivablesInvoiceDistributions": distribution}
    refused = client.post(url, json=body)
    assert refused.status_code == 400 and "AR_INVALID_ACCOUNT_COMBINATION" in refused.text
    oracle.add_account_combination(combination)
    assert client.post(url, json=body).status_code == 201
    combos = oracle.resources["accountCombinationsLOV"].items
    next(c for c in combos.values() if c["ConcatenatedSegments"] == combination)["EnabledFlag"] = (
        "N"
    )
    disabled = client.post(url, json={**body, "TransactionNumber": "A-5"})
    assert disabled.status_code == 400 and "AR_INVALID_ACCOUNT_COMBINATION" in disabled.text
