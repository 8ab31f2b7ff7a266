"""The simulated catalogs: Oracle's item master per organization and ShipStation V1 products."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from ml_connector import Secret
from ml_connector.oracle import BasicCredentials, OracleFusionClient, OracleFusionSettings
from ml_connector.shipstation import ShipStationV1Client, ShipStationV1Settings
from ml_connector.testing import (
    GeneratedDay,
    OracleFusionSimulator,
    ShipStationData,
    ShipStationV1Simulator,
    VirtualClock,
)
from ml_connector.testing._items import parse_items_q

POD = "https://sim-test.fa.us2.oraclecloud.com"
ITEMS = f"{POD}/fscmRestApi/resources/11.13.18.05/itemsV2"
V1 = "https://ssapi.shipstation.com"


@pytest.fixture
def oracle(clock: VirtualClock) -> OracleFusionSimulator:
    sim = OracleFusionSimulator(clock=clock, basic_users={"dev": "pw"})
    master = sim.item_master
    for number in ("A-1", "B-2", "C-3"):
        master.add_item(number, "M1")
    master.add_item("B-2", "M2", enabled=False, uom="Box", uom_code="BX")
    return sim


@pytest.fixture
def pod(oracle: OracleFusionSimulator) -> httpx.Client:
    return httpx.Client(
        transport=oracle.transport(), auth=("dev", "pw"), headers={"REST-Framework-Version": "4"}
    )


def test_or_queries_return_the_items_of_one_organization(pod: httpx.Client) -> None:
    q = "OrganizationCode='M1' and (ItemNumber='A-1' or ItemNumber='B-2' or ItemNumber='ZZ')"
    body = pod.get(ITEMS, params={"q": q, "onlyData": "true"}).json()
    assert sorted(i["ItemNumber"] for i in body["items"]) == ["A-1", "B-2"]
    assert {i["OrganizationCode"] for i in body["items"]} == {"M1"}
    assert body["hasMore"] is False and body["count"] == 2 and "links" not in body
    m2 = pod.get(ITEMS, params={"q": "OrganizationCode='M2' and ItemNumber='B-2'"}).json()
    (row,) = m2["items"]
    assert row["MaterialTransactionEnabledFlag"] is False and row["PrimaryUOMValue"] == "Box"
    assert row["links"][0]["rel"] == "self"
    v1 = {"REST-Framework-Version": "1"}
    legacy = pod.get(ITEMS, params={"q": "OrganizationCode=M1;ItemNumber=C-3"}, headers=v1)
    assert [i["ItemNumber"] for i in legacy.json()["items"]] == ["C-3"]
    # Framework 1 (also the default without the header) has no 'or'.
    refused = pod.get(ITEMS, params={"q": "(ItemNumber='A-1' or ItemNumber='B-2')"}, headers=v1)
    assert refused.status_code == 400


def test_fields_paging_and_refusals(pod: httpx.Client) -> None:
    page = pod.get(
        ITEMS, params={"fields": "ItemNumber,PrimaryUOMValue", "limit": "2", "totalResults": "true"}
    ).json()
    assert page["items"][0].keys() == {"ItemNumber", "PrimaryUOMValue", "links"}
    assert page["hasMore"] is True and page["totalResults"] == 4
    assert pod.get(ITEMS, params={"fields": "NoSuchAttribute"}).status_code == 400
    assert pod.get(ITEMS, params={"q": "(ItemNumber='A-1'"}).status_code == 400
    assert pod.get(ITEMS, params={"q": "ItemNumber='A-1"}).status_code == 400
    assert pod.get(ITEMS, params={"limit": "0"}).status_code == 400


def test_parse_items_q_groups_alternatives() -> None:
    groups = parse_items_q("A='1' and (B='2' or C='3');D='4'")
    assert [[c.attribute for c in group] for group in groups] == [["A"], ["B", "C"], ["D"]]
    assert [c.value for c in parse_items_q("(ItemNumber='x or y')")[0]] == ["x or y"]


def test_staged_transactions_fail_on_unknown_or_disabled_items(
    oracle: OracleFusionSimulator,
) -> None:
    master = oracle.item_master
    assert master.refusal({"ItemNumber": "A-1", "OrganizationName": "M1"}) is None
    unknown = master.refusal({"ItemNumber": "ZZ", "OrganizationCode": "M1"})
    assert unknown is not None and unknown[0] == "INV_INVALID_ITEM"
    disabled = master.refusal({"ItemNumber": "B-2", "OrganizationCode": "M2"})
    assert disabled is not None and disabled[0] == "INV_ITEM_NOT_TRANSACTABLE"
    # An organization the master has no rows for is not modelled: any item passes.
    assert master.refusal({"ItemNumber": "ZZ", "OrganizationCode": "ELSEWHERE"}) is None


def test_the_client_looks_items_up_in_bulk(oracle: OracleFusionSimulator) -> None:
    settings = OracleFusionSettings(
        pod_url=POD, auth=BasicCredentials(username="dev", password=Secret("pw"))
    )
    with OracleFusionClient(settings, transport=oracle.transport()) as client:
        found = client.find_items(["A-1", "B-2", "ZZ"], organization="M1")
        other = client.find_items(["B-2"], organization="M2")
    assert sorted(found) == ["A-1", "B-2"]
    assert oracle.item_master.requests == 2
    record = other["B-2"]
    assert record.disabled(("InventoryItemFlag", "StockEnabledFlag")) == (
        "InventoryItemFlag",
        "StockEnabledFlag",
    )
    assert record.uom_matches("Box") and not record.uom_matches("Each")
    assert record.organization == "M2" and record.primary_uom == "Box"


def test_generated_days_assign_every_known_item_to_every_organization(
    small_day: GeneratedDay, clock: VirtualClock
) -> None:
    sim = OracleFusionSimulator(clock=clock)
    sim.load(small_day)
    assert len(sim.item_master) == len(small_day.oracle_items) * len(small_day.organizations)


@pytest.fixture
def v1(small_day: GeneratedDay, clock: VirtualClock) -> httpx.Client:
    data = ShipStationData()
    data.load(small_day)
    data.products.add_sku("OLD-1", name="Retired widget", price=Decimal("5.00"), active=False)
    sim = ShipStationV1Simulator(data, clock=clock, rate_limit=None)
    return httpx.Client(transport=sim.transport(), base_url=V1, auth=("sim-key", "sim-secret"))


def test_products_list_as_documented(v1: httpx.Client, small_day: GeneratedDay) -> None:
    body = v1.get("/products", params={"pageSize": "10"}).json()
    assert body.keys() == {"products", "total", "page", "pages"}
    assert body["total"] == len(small_day.catalog)  # the inactive one is left out
    first = body["products"][0]
    assert {"productId", "sku", "name", "price", "active", "createDate"} <= first.keys()
    skus = [p["sku"] for p in body["products"]]
    assert skus == sorted(skus)
    everything = v1.get("/products", params={"showInactive": "true", "pageSize": "500"}).json()
    assert everything["total"] == len(small_day.catalog) + 1
    one = v1.get("/products", params={"sku": small_day.catalog[2]["sku"].lower()}).json()
    assert [p["sku"] for p in one["products"]] == [small_day.catalog[2]["sku"]]
    got = v1.get(f"/products/{first['productId']}").json()
    assert got == first
    assert v1.get("/products/1").status_code == 404
    assert v1.get("/products", params={"pageSize": "501"}).status_code == 400
    assert v1.get("/products", params={"sortBy": "Weight"}).status_code == 400
    newest = v1.get("/products", params={"sortBy": "Name", "sortDir": "DESC"}).json()
    names = [p["name"] for p in newest["products"]]
    assert names == sorted(names, reverse=True)


def test_the_v1_client_reads_products(small_day: GeneratedDay, clock: VirtualClock) -> None:
    data = ShipStationData()
    data.load(small_day)
    sim = ShipStationV1Simulator(data, clock=clock, rate_limit=None)
    settings = ShipStationV1Settings(api_key="sim-key", api_secret="sim-secret")
    with ShipStationV1Client(settings, transport=sim.transport(), clock=clock) as client:
        products = list(client.iter_products())
    assert [p.sku for p in products] == sorted(p["sku"] for p in small_day.catalog)
    assert all(isinstance(p.price, Decimal) for p in products)


def test_an_item_added_as_a_fix_is_assigned_everywhere(
    small_day: GeneratedDay, clock: VirtualClock
) -> None:
    sim = OracleFusionSimulator(clock=clock)
    sim.load(small_day)
    sim.items.add("NEW-1")
    assert all(sim.item_master.row(org, "NEW-1") for org in small_day.organizations.values())
