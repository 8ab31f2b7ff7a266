"""The Oracle simulator as strict as Oracle's documentation: attributes, q, describe, and
inventory rows processed by their TransactionMode."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ml_connector.testing import FaultKind, FaultPlan, OracleFusionSimulator, VirtualClock

POD = "https://sim-test.fa.us2.oraclecloud.com"
FSCM = f"{POD}/fscmRestApi/resources/11.13.18.05"
STAGED = f"{FSCM}/inventoryStagedTransactions"
COMPLETED = f"{FSCM}/inventoryCompletedTransactions"


def make(clock: VirtualClock, **options: Any) -> OracleFusionSimulator:
    sim = OracleFusionSimulator(clock=clock, basic_users={"u": "p"}, **options)
    sim.add_account_combination("01-100-5000")
    return sim


@pytest.fixture
def sim(clock: VirtualClock) -> OracleFusionSimulator:
    return make(clock, concurrent_delay=30)


@pytest.fixture
def http(sim: OracleFusionSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=sim.transport(), auth=("u", "p")) as client:
        yield client


def row(reference: str = "SS1-1", mode: str | None = "1", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "OrganizationCode": "RNO",
        "ItemNumber": "MUG",
        "SubinventoryCode": "FG",
        "TransactionQuantity": -1,
        "TransactionUnitOfMeasure": "Each",
        "TransactionDate": "2026-01-15T17:00:00+00:00",
        "TransactionTypeName": "Miscellaneous Issue",
        "SourceCode": "SHIPSTATION",
        "SourceHeaderId": "1",
        "SourceLineId": "1",
        "TransactionReference": reference,
        "AccountCombination": "01-100-5000",
    }
    if mode is not None:
        body["TransactionMode"] = mode
    body.update(changes)
    return body


def where(http: httpx.Client, url: str, reference: str = "SS1-1") -> list[dict[str, Any]]:
    items = http.get(url, params={"q": f"TransactionReference='{reference}'"}).json()["items"]
    return list(items)


# -- processing by TransactionMode ----------------------------------------------------------------


def test_online_rows_leave_the_interface_for_completed_transactions(
    http: httpx.Client, sim: OracleFusionSimulator
) -> None:
    answer = http.post(STAGED, json=row(), headers={"REST-Framework-Version": "2"})
    assert answer.status_code == 201 and answer.json()["ErrorCode"] is None
    assert where(http, STAGED) == []
    (done,) = where(http, COMPLETED)
    assert done["ItemNumber"] == "MUG" and done["TransactionQuantity"] == -1
    assert isinstance(done["TransactionId"], int)
    assert "TransactionInterfaceId" not in done and "SourceHeaderId" not in done
    one = http.get(f"{COMPLETED}/{done['TransactionId']}").json()
    assert one["TransactionReference"] == "SS1-1"
    assert http.get(f"{STAGED}/{answer.json()['TransactionInterfaceId']}").status_code == 404


@pytest.mark.parametrize("mode", ["2", "Concurrent", "CONCURRENT"])
def test_concurrent_rows_are_processed_later_on_the_clock(
    http: httpx.Client, clock: VirtualClock, mode: str
) -> None:
    assert http.post(STAGED, json=row(mode=mode)).json()["ProcessStatus"] == "1"
    clock.advance(29)
    assert len(where(http, STAGED)) == 1 and where(http, COMPLETED) == []
    clock.advance(2)
    assert where(http, STAGED) == [] and len(where(http, COMPLETED)) == 1


def test_background_rows_wait_for_the_transaction_manager(
    http: httpx.Client, clock: VirtualClock, sim: OracleFusionSimulator
) -> None:
    http.post(STAGED, json=row(mode="3"))
    clock.advance(86_400)
    assert len(where(http, STAGED)) == 1
    assert sim.run_transaction_manager() == 1
    assert where(http, STAGED) == [] and len(where(http, COMPLETED)) == 1


def test_failed_rows_stay_in_the_interface_with_oracles_error(
    http: httpx.Client, sim: OracleFusionSimulator, clock: VirtualClock
) -> None:
    sim.items.add("MUG")
    online = http.post(STAGED, json=row(ItemNumber="LAMP")).json()
    assert online["ErrorCode"] == "INV_INVALID_ITEM" and online["ProcessStatus"] == "3"
    http.post(STAGED, json=row("SS2-1", mode="2", ItemNumber="LAMP"))
    clock.advance(31)
    (later,) = where(http, STAGED, "SS2-1")
    assert later["ErrorCode"] == "INV_INVALID_ITEM" and later["ErrorExplanation"]
    assert sim.run_transaction_manager() == 0  # errors are not retried unless asked
    sim.items.add("LAMP")
    assert sim.run_transaction_manager(retry_errors=True) == 2
    assert len(sim.completed_transactions()) == 2 and sim.staged_transactions() == []


def test_an_online_post_can_time_out_with_408_and_keep_the_row_pending(clock: VirtualClock) -> None:
    sim = make(clock, faults=FaultPlan(methods=["POST"]))
    sim.faults.inject(FaultKind.ONLINE_TIMEOUT)
    with httpx.Client(transport=sim.transport(), auth=("u", "p")) as http:
        answer = http.post(STAGED, json=row())
        assert answer.status_code == 408
        (pending,) = where(http, STAGED)
        assert pending["ProcessStatus"] == "1" and pending["ErrorCode"] is None
        assert where(http, COMPLETED) == []
    assert sim.faults.counts[FaultKind.ONLINE_TIMEOUT] == 1


def test_a_mode_oracle_does_not_know_is_refused(http: httpx.Client) -> None:
    refused = http.post(STAGED, json=row(mode="Sometimes"))
    assert refused.status_code == 400 and "transaction mode" in refused.text


def test_mixed_default_mode_gives_rows_without_a_mode_the_three_modes(
    clock: VirtualClock,
) -> None:
    sim = make(clock, default_transaction_mode="mixed")
    with httpx.Client(transport=sim.transport(), auth=("u", "p")) as http:
        for n in range(6):
            assert http.post(STAGED, json=row(f"R{n}", mode=None)).status_code == 201
    assert len(sim.completed_transactions()) == 2  # the Online third
    assert len(sim.inventory_transactions()) == 6  # staged and completed together


def test_completed_transactions_are_read_only(http: httpx.Client) -> None:
    assert http.post(COMPLETED, json={"TransactionReference": "x"}).status_code == 405


# -- strict bodies, q and describe ---------------------------------------------------------------


def test_an_attribute_the_resource_does_not_have_is_a_400(http: httpx.Client) -> None:
    plain = http.post(STAGED, json=row(InvoiceLineNumber=1))
    assert plain.status_code == 400
    assert plain.headers["content-type"].startswith("text/plain")
    assert "InvoiceLineNumber" in plain.text
    structured = http.post(
        STAGED,
        json=row(InvoiceLineNumber=1),
        headers={"Accept": "application/json, application/vnd.oracle.adf.error+json"},
    )
    detail = structured.json()["o:errorDetails"][0]
    assert detail["o:errorPath"] == "InvoiceLineNumber" and "InvoiceLineNumber" in detail["detail"]


def test_read_only_and_too_long_values_are_refused(
    http: httpx.Client, sim: OracleFusionSimulator
) -> None:
    assert http.post(STAGED, json=row(ErrorCode="X")).status_code == 400
    long = http.post(STAGED, json=row(TransactionReference="R" * 241))
    assert long.status_code == 400 and "maximum length is 240" in long.text
    pending = http.post(STAGED, json=row("P1", mode="3")).json()
    url = f"{STAGED}/{pending['TransactionInterfaceId']}"
    assert http.patch(url, json={"TransactionInterfaceId": 5}).status_code == 400
    assert http.patch(url, json={"TransactionQuantity": -2}).status_code == 200


def test_strict_false_accepts_any_attribute(clock: VirtualClock) -> None:
    sim = make(clock, strict=False)
    with httpx.Client(transport=sim.transport(), auth=("u", "p")) as http:
        assert http.post(STAGED, json=row(Anything="goes")).status_code == 201


def test_q_on_an_unknown_or_non_queryable_attribute_is_a_400(
    http: httpx.Client, sim: OracleFusionSimulator
) -> None:
    unknown = http.get(STAGED, params={"q": "NoSuchThing='1'"})
    assert unknown.status_code == 400 and "NoSuchThing" in unknown.text
    assert http.get(COMPLETED, params={"q": "SourceHeaderId='1'"}).status_code == 400
    import attrs

    from ml_connector.testing._oracle_meta import Attr

    meta = sim.meta["inventoryStagedTransactions"]
    attributes = {**meta.attributes, "SourceCode": Attr("SourceCode", queryable=False)}
    sim.meta["inventoryStagedTransactions"] = attrs.evolve(meta, attributes=attributes)
    refused = http.get(STAGED, params={"q": "SourceCode='SHIPSTATION'"})
    assert refused.status_code == 400 and "queryable" in refused.text


def test_or_in_q_needs_framework_version_2(http: httpx.Client) -> None:
    http.post(STAGED, json=row("A", mode="3"))
    http.post(STAGED, json=row("B", mode="3"))
    http.post(STAGED, json=row("C", mode="3"))
    q = {"q": "TransactionReference='A' or TransactionReference='B'"}
    assert http.get(STAGED, params=q).status_code == 400  # version 1 is query-by-example
    both = http.get(STAGED, params=q, headers={"REST-Framework-Version": "2"}).json()["items"]
    assert sorted(i["TransactionReference"] for i in both) == ["A", "B"]
    grouped = {
        "q": "(TransactionReference='A' and SourceCode='SHIPSTATION') or TransactionReference='C'"
    }
    found = http.get(STAGED, params=grouped, headers={"REST-Framework-Version": "4"}).json()
    assert sorted(i["TransactionReference"] for i in found["items"]) == ["A", "C"]


def test_describe_lists_attributes_with_queryable_and_updatable_flags(
    http: httpx.Client,
) -> None:
    answer = http.get(f"{STAGED}/describe")
    assert answer.headers["content-type"].startswith("application/")
    described = answer.json()["Resources"]["inventoryStagedTransactions"]
    attributes = {a["name"]: a for a in described["attributes"]}
    assert attributes["TransactionReference"]["queryable"] is True
    assert attributes["TransactionReference"]["precision"] == 240
    assert attributes["TransactionInterfaceId"]["updatable"] is False
    assert {"name": "lots", "kind": "collection"} in described["children"]
    completed = http.get(f"{COMPLETED}/describe").json()["Resources"]
    names = {a["name"] for a in completed["inventoryCompletedTransactions"]["attributes"]}
    assert {"TransactionId", "TransactionReference", "TransactionTypeName"} <= names
    assert "SourceHeaderId" not in names


def test_an_online_timeout_in_a_batch_applies_the_parts_and_answers_408(
    clock: VirtualClock,
) -> None:
    sim = make(clock, faults=FaultPlan(methods=["POST"]))
    sim.faults.inject(FaultKind.ONLINE_TIMEOUT)
    parts = [
        {
            "id": f"p{n}",
            "path": "/inventoryStagedTransactions",
            "operation": "create",
            "payload": row(f"B{n}"),
        }
        for n in range(2)
    ]
    with httpx.Client(transport=sim.transport(), auth=("u", "p")) as http:
        answer = http.post(
            FSCM,
            json={"parts": parts},
            headers={"Content-Type": "application/vnd.oracle.adf.batch+json"},
        )
    assert answer.status_code == 408
    # The first part ran out of time and waits in the interface; the second was processed.
    assert [r["TransactionReference"] for r in sim.staged_transactions()] == ["B0"]
    assert [r["TransactionReference"] for r in sim.completed_transactions()] == ["B1"]
