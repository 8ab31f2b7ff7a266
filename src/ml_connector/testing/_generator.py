"""A seeded generator of realistic ShipStation days, with the matching Oracle Fusion side.

``generate_day(seed, orders=N, warehouses=M, stores=[...])`` returns a :class:`GeneratedDay`.
Nothing is built up front except the small reference data (stores, warehouses, the SKU catalog,
inventory, the Oracle customers and account combinations): every order is generated on demand
from its own random stream (seeded by ``seed`` and the order's position), together with its
shipments and fulfillments. Iterating a day of 100,000 orders therefore holds one order at a
time, and the same seed always gives the same records, in any order of access.

Records are plain wire dicts exactly as the APIs send them (V1 camelCase with Pacific wall-clock
timestamps, V2 snake_case, Oracle PascalCase), with money as :class:`~decimal.Decimal`, which is
what :func:`ml_connector._http.read_json` decodes a real response into.

The mix, per order (rates are configurable):

- most orders ship in one labelled shipment; some are **split** over two shipments;
- some are **partial**: only part of the items shipped, the order still awaiting shipment;
- some shipments are **voided** and re-shipped under a new shipment id;
- some orders are marked shipped outside ShipStation and appear only as **fulfillments**;
- some are still awaiting shipment or cancelled;
- marketplace customers (Amazon, eBay) carry **masked emails**; some web customers' emails are
  **unmatched** (no Oracle party); a few orders carry a **bad SKU** unknown to Oracle;
- every order's totals add up: sum(quantity x unitPrice) + taxAmount + shippingAmount.

With ``realism`` (a :class:`Realism`, e.g. :data:`REALISTIC`) the day behaves like a real
account rather than a tidy one: labels are printed on the day for orders created hours to days
before; ids grow with creation time (auto-increment); split orders ship hours apart; records
carry the quirks captured from real V1 answers; some fulfillments are voided days after they
were created; some V2 inventory levels have no cost. Each rule cites its source at the code.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from ._wire import local_timestamp

__all__ = ["REALISTIC", "GeneratedDay", "OrderBundle", "Realism", "generate_day"]

_CENT = Decimal("0.01")

_FIRST = (
    "Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Isla", "Jamal", "Kira",
    "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe",
)  # fmt: skip
_LAST = (
    "Anders", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Huang", "Ito", "Jones",
    "Khan", "Lopez", "Meyer", "Novak", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka",
)  # fmt: skip
_CITIES = (
    ("Portland", "OR", "97205"), ("Austin", "TX", "78703"), ("Denver", "CO", "80202"),
    ("Madison", "WI", "53703"), ("Raleigh", "NC", "27601"), ("Boise", "ID", "83702"),
    ("Tucson", "AZ", "85701"), ("Albany", "NY", "12207"),
)  # fmt: skip
_TAX_RATE = {"OR": "0", "TX": "0.0825", "CO": "0.029", "WI": "0.05", "NC": "0.0475",
             "ID": "0.06", "AZ": "0.056", "NY": "0.08"}  # fmt: skip
_PRODUCTS = (
    "Trail Mug", "Canvas Tote", "Wool Beanie", "Enamel Pin", "Water Bottle", "Notebook",
    "Desk Lamp", "Camp Blanket", "Phone Case", "Coffee Beans", "Tea Sampler", "Sticker Pack",
)  # fmt: skip
_CARRIERS = (
    ("ups", "ups_ground", "1Z"), ("usps", "usps_priority_mail", "9400"),
    ("fedex", "fedex_home_delivery", "7712"),
)  # fmt: skip
_WAREHOUSE_CITIES = (
    ("Reno DC", "Reno", "NV", "89502"), ("Columbus DC", "Columbus", "OH", "43215"),
    ("Allentown DC", "Allentown", "PA", "18101"), ("Dallas DC", "Dallas", "TX", "75201"),
)  # fmt: skip
_MARKETPLACES = {
    "web": (36, "WooCommerce"),
    "amazon": (2, "Amazon"),
    "ebay": (3, "eBay"),
    "etsy": (24, "Etsy"),
    "shopify": (26, "Shopify"),
}
_MASKED_DOMAINS = {"amazon": "marketplace.amazon.com", "ebay": "members.ebay.com"}
BAD_SKU = "NO-SUCH-SKU-404"
"""The SKU the generator puts on "bad SKU" orders: ShipStation has it, Oracle does not."""

_ORDER_ID0 = 100_000_000
_SHIPMENT_ID0 = 300_000_000
_FULFILLMENT_ID0 = 400_000_000
_ORDER_ITEM_ID0 = 500_000_000
_CUSTOMER_ID0 = 60_000_000
_STORE_ID0 = 200_000
_WAREHOUSE_ID0 = 10_000


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _address(name: str, rng: random.Random, *, company: str | None = None) -> dict[str, Any]:
    city, state, postal = rng.choice(_CITIES)
    return {
        "name": name,
        "company": company,
        "street1": f"{rng.randint(10, 9999)} {rng.choice(_LAST)} St",
        "street2": None,
        "street3": None,
        "city": city,
        "state": state,
        "postalCode": postal,
        "country": "US",
        "phone": f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        "residential": True,
        "addressVerified": "Address validated successfully",
    }


@attrs.frozen
class OrderBundle:
    """One order with everything that happened to it that day.

    Attributes:
        index: The order's position in the day (0-based).
        order: The V1 order.
        shipments: Its V1 shipments (with ``shipmentItems``), voided ones included.
        fulfillments: Its V1 fulfillments (orders marked shipped outside ShipStation).
        customer_index: Which customer of the day placed it.
        kind: ``"single"``, ``"split"``, ``"partial"``, ``"void"``, ``"fulfillment"``,
            ``"awaiting"`` or ``"cancelled"``.
        bad_sku: Whether one of its lines carries :data:`BAD_SKU`.
    """

    index: int
    order: dict[str, Any]
    shipments: tuple[dict[str, Any], ...]
    fulfillments: tuple[dict[str, Any], ...]
    customer_index: int
    kind: str
    bad_sku: bool


@attrs.frozen(kw_only=True)
class Realism:
    """How a generated day departs from the tidy default to look like a real account.

    Attributes:
        lead_hours: An order is created this many hours (low, high) before its first label.
            Real orders wait for payment, picking and packing; labels are then printed on the
            day being synced.
        split_gap_hours: Hours (low, high) between the two labels of a split order.
        quirk_rate: Share of records that carry each quirk captured from real V1 answers
            (see ``_quirks``); per generated day.
        late_fulfillment_void_rate: Share of fulfillments voided days after their creation.
        late_void_days: Days (low, high) between a fulfillment's creation and its void.
        undecodable_shipments: Shipments whose ``shipmentCost`` no quirk rule can read (a
            record the connector must keep as a failed record, not a stopped page).
        missing_cost_rate: Share of V2 inventory levels with ``average_cost.amount`` null.
        undecodable_inventory_levels: V2 inventory levels whose ``on_hand`` no decoder can read
            (a record the inventory job must keep as a failed record and whose SKU it must not
            compare, never a stopped snapshot or an adjustment to zero).
        punctuated_customer_rate: Share of web customers that are companies named with
            punctuation (``Acme, Inc.``, ``A=B Ltd``, ``O'Brien & Sons``, ``Smith; Jones LLC``)
            and whose emails carry an apostrophe and a plus sign; each such name and email is
            one Oracle's finder and ``q`` syntax can express once escaped.
    """

    lead_hours: tuple[float, float] = (2.0, 72.0)
    split_gap_hours: tuple[float, float] = (1.0, 6.0)
    quirk_rate: float = 0.2
    late_fulfillment_void_rate: float = 0.2
    late_void_days: tuple[int, int] = (1, 6)
    undecodable_shipments: int = 0
    missing_cost_rate: float = 0.1
    undecodable_inventory_levels: int = 0
    punctuated_customer_rate: float = 0.2


_PUNCTUATED = ("Acme, Inc.", "A=B Ltd", "O'Brien & Sons", "Smith; Jones LLC")

REALISTIC = Realism()
"""The realistic mode's default settings."""

# Ids in realistic mode: real ShipStation ids are auto-increment, so they grow with creation
# time. Ours: seconds since a week before the day, times the slots a second has (four per
# order), plus the order's slot, so ids are unique and ordered by creation time to the second.
_EPOCH_DAYS_BEFORE = 7


@attrs.frozen
class _Config:
    seed: int
    orders: int
    warehouses: int
    stores: tuple[str, ...]
    day: date
    skus: int
    customers: int
    split_rate: float
    partial_rate: float
    void_rate: float
    fulfillment_rate: float
    awaiting_rate: float
    cancelled_rate: float
    unmatched_email_rate: float
    bad_sku_orders: int
    realism: Realism | None = None


class GeneratedDay:
    """A reproducible day of ShipStation activity and the Oracle setup that matches it.

    Reference data is held as lists (small); orders, shipments and fulfillments are generated
    lazily by :meth:`bundle` and the ``iter_*`` methods.

    Attributes:
        seed: The seed.
        day: The Pacific calendar day the orders were placed on.
        stores: V1 stores (``GET /stores``).
        warehouses: V1 warehouses (ship-from locations, ``GET /warehouses``).
        catalog: The SKU catalog: ``{"sku", "name", "price", "cost"}``.
        inventory_warehouses: V2 inventory warehouses, one per V1 warehouse.
        inventory_locations: V2 inventory locations, one per inventory warehouse.
        inventory: V2 inventory levels, one per SKU and location.
        bad_sku: The SKU that Oracle does not know.
        marketplace_accounts: Store name -> Oracle account number for marketplace orders.
        account_combinations: Valid account combination strings (Oracle segment strings),
            per warehouse cost center: revenue, receivable, freight, tax, inventory, COGS.
        oracle_items: ``ItemNumber`` values Oracle knows (the catalog, without the bad SKU).
        organizations: Inventory organization code per V1 warehouse id.
    """

    def __init__(self, config: _Config) -> None:
        self._config = config
        self.seed = config.seed
        self.day = config.day
        rng = random.Random(f"{config.seed}/reference")
        self.stores = [self._store(k, name) for k, name in enumerate(config.stores)]
        self.warehouses = [self._warehouse(w, rng) for w in range(config.warehouses)]
        self.catalog = [self._product(k, rng) for k in range(config.skus)]
        self.bad_sku = BAD_SKU
        self.inventory_warehouses = [
            {
                "inventory_warehouse_id": f"se-{700000 + w}",
                "name": wh["warehouseName"],
                "created_at": "2025-06-01T16:00:00Z",
                "updated_at": "2025-06-01T16:00:00Z",
            }
            for w, wh in enumerate(self.warehouses)
        ]
        self.inventory_locations = [
            {
                "inventory_location_id": f"se-{800000 + w}",
                "name": f"{iw['name']} / Main",
                "inventory_warehouse_id": iw["inventory_warehouse_id"],
                "created_at": "2025-06-01T16:00:00Z",
                "updated_at": "2025-06-01T16:00:00Z",
            }
            for w, iw in enumerate(self.inventory_warehouses)
        ]
        self.inventory = [
            self._level(product, loc, rng)
            for loc in self.inventory_locations
            for product in self.catalog
        ]
        if config.realism is not None:
            self._realistic_reference(config.realism)
        self.organizations = {
            wh["warehouseId"]: f"M{w + 1}" for w, wh in enumerate(self.warehouses)
        }
        self.oracle_items = [product["sku"] for product in self.catalog]
        self.account_combinations = self._account_combinations()
        bad_rng = random.Random(f"{config.seed}/bad-sku")
        self._bad_orders = frozenset(
            bad_rng.sample(range(config.orders), min(config.bad_sku_orders, config.orders))
        )
        broken = config.realism.undecodable_shipments if config.realism else 0
        self._undecodable = frozenset(
            random.Random(f"{config.seed}/undecodable").sample(
                range(config.orders), min(broken, config.orders)
            )
        )
        self.marketplace_accounts = {
            store["storeName"]: f"MKT-{name.upper()}"
            for store, name in zip(self.stores, config.stores, strict=True)
            if name in _MASKED_DOMAINS
        }
        self.bundle = functools.lru_cache(maxsize=1024)(self._bundle)
        self.customer = functools.lru_cache(maxsize=1024)(self._customer)

    def __repr__(self) -> str:
        c = self._config
        return (
            f"GeneratedDay(seed={c.seed}, day={c.day.isoformat()}, orders={c.orders}, "
            f"warehouses={c.warehouses}, stores={list(c.stores)})"
        )

    @property
    def realism(self) -> Realism | None:
        """How the day departs from the tidy default (None: it does not)."""
        return self._config.realism

    def _realistic_reference(self, realism: Realism) -> None:
        rng = random.Random(f"{self.seed}/realism/reference")
        # Captured real answers (agritheory/shipstation-client tests/api_data.py,
        # LIST_WAREHOUSES and LIST_STORES): a return address with "residential": "" and stores
        # with "statusMappings": "".
        self.warehouses[0]["returnAddress"]["residential"] = ""
        for store in self.stores:
            store["statusMappings"] = ""
        # V2 spec (https://docs.shipstation.com/openapi/inventory/getinventorylevels): no field
        # of a level is required; a SKU without a cost answers a null amount.
        for level in self.inventory:
            if rng.random() < realism.missing_cost_rate:
                level["average_cost"] = {"amount": None, "currency": "usd"}
        # Not a captured quirk: the V2 spec types ``on_hand`` as an integer
        # (https://docs.shipstation.com/openapi/inventory/getinventorylevels), so a level with
        # text there is one no quirk rule may read. The knob exists to exercise that failure
        # path (issue "ShipStation as it really is": a record that still cannot decode becomes
        # a failed record of its own); its own random stream leaves every other value as it was.
        broken = random.Random(f"{self.seed}/undecodable-inventory").sample(
            range(len(self.inventory)),
            min(realism.undecodable_inventory_levels, len(self.inventory)),
        )
        for index in broken:
            self.inventory[index]["on_hand"] = "n/a"

    def _time_id(self, base: int, at: datetime, i: int, k: int) -> int:
        """An id that grows with creation time, unique per order slot (see _EPOCH_DAYS_BEFORE)."""
        epoch = datetime.combine(self.day - timedelta(days=_EPOCH_DAYS_BEFORE), time())
        seconds = max(0, int((at - epoch).total_seconds()))
        return base + (seconds * self._config.orders + i) * 4 + k

    @property
    def order_count(self) -> int:
        """How many orders the day has."""
        return self._config.orders

    @property
    def customer_count(self) -> int:
        """How many distinct customers placed them."""
        return self._config.customers

    # -- reference data -----------------------------------------------------------------------

    def _store(self, k: int, name: str) -> dict[str, Any]:
        marketplace_id, marketplace = _MARKETPLACES.get(name, (0, "ShipStation"))
        return {
            "storeId": _STORE_ID0 + k,
            "storeName": f"{name.title()} Store" if name not in _MASKED_DOMAINS else marketplace,
            "marketplaceId": marketplace_id,
            "marketplaceName": marketplace,
            "accountName": None,
            "email": None,
            "integrationUrl": None,
            "active": True,
            "companyName": "",
            "phone": "",
            "publicEmail": "",
            "website": "",
            "refreshDate": "2025-12-01T07:00:00.000",
            "lastRefreshAttempt": "2025-12-01T07:00:00.000",
            "createDate": "2025-01-10T09:30:00.0000000",
            "modifyDate": "2025-01-10T09:30:00.0000000",
            "autoRefresh": True,
        }

    def _warehouse(self, w: int, rng: random.Random) -> dict[str, Any]:
        name, city, state, postal = _WAREHOUSE_CITIES[w % len(_WAREHOUSE_CITIES)]
        if w >= len(_WAREHOUSE_CITIES):
            name = f"{name} {w // len(_WAREHOUSE_CITIES) + 1}"
        address = {
            "name": name,
            "company": "Example Goods Co",
            "street1": f"{rng.randint(100, 9999)} Commerce Way",
            "street2": None,
            "street3": None,
            "city": city,
            "state": state,
            "postalCode": postal,
            "country": "US",
            "phone": "555-010-0100",
            "residential": False,
            "addressVerified": None,
        }
        return {
            "warehouseId": _WAREHOUSE_ID0 + w,
            "warehouseName": name,
            "originAddress": address,
            "returnAddress": dict(address),
            "createDate": "2025-01-10T09:30:00.0000000",
            "isDefault": w == 0,
        }

    def _product(self, k: int, rng: random.Random) -> dict[str, Any]:
        base = _PRODUCTS[k % len(_PRODUCTS)]
        variant = k // len(_PRODUCTS)
        price = _money(Decimal(rng.randint(499, 8999)) / 100)
        return {
            "sku": f"SKU-{k + 1:05d}",
            "name": base if variant == 0 else f"{base} v{variant + 1}",
            "price": price,
            "cost": _money(price * Decimal("0.45")),
        }

    def _level(
        self, product: dict[str, Any], loc: dict[str, Any], rng: random.Random
    ) -> dict[str, Any]:
        on_hand = rng.randint(0, 400)
        allocated = rng.randint(0, min(on_hand, 20))
        return {
            "sku": product["sku"],
            "on_hand": on_hand,
            "allocated": allocated,
            "available": on_hand - allocated,
            "average_cost": {"amount": product["cost"], "currency": "USD"},
            "inventory_warehouse_id": loc["inventory_warehouse_id"],
            "inventory_location_id": loc["inventory_location_id"],
        }

    def _account_combinations(self) -> list[str]:
        combos = []
        for w in range(len(self.warehouses)):
            center = f"{(w + 1) * 100:04d}"
            for natural in ("4011001", "1210000", "4040000", "2210000", "1410000", "5011001"):
                combos.append(f"01-{natural}-00-{center}-01-01-00")
        return combos

    def account_for(self, purpose: str, warehouse_id: int | None = None) -> str:
        """The generated account combination for a purpose (``revenue``, ``receivable``,
        ``freight``, ``tax``, ``inventory``, ``cogs``) at a warehouse (default: the first)."""
        naturals = {
            "revenue": "4011001",
            "receivable": "1210000",
            "freight": "4040000",
            "tax": "2210000",
            "inventory": "1410000",
            "cogs": "5011001",
        }
        w = 0 if warehouse_id is None else warehouse_id - _WAREHOUSE_ID0
        return f"01-{naturals[purpose]}-00-{(w + 1) * 100:04d}-01-01-00"

    # -- customers ----------------------------------------------------------------------------

    def _customer_store(self, j: int) -> int:
        # Spread customers over stores, web-heavy when "web" is first: 50% / rest evenly.
        stores = len(self._config.stores)
        if stores == 1:
            return 0
        rng = random.Random(f"{self.seed}/customer-store/{j}")
        return 0 if rng.random() < 0.5 else rng.randrange(1, stores)

    def customer_matched(self, j: int) -> bool:
        """Whether customer ``j`` has an Oracle party and account (emails that match)."""
        store_name = self._config.stores[self._customer_store(j)]
        if store_name in _MASKED_DOMAINS:
            return False
        rng = random.Random(f"{self.seed}/matched/{j}")
        return rng.random() >= self._config.unmatched_email_rate

    def _customer(self, j: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}/customer/{j}")
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        store_k = self._customer_store(j)
        store_name = self._config.stores[store_k]
        store = self.stores[store_k]
        if store_name in _MASKED_DOMAINS:
            token = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(14))
            email = f"{token}@{_MASKED_DOMAINS[store_name]}"
        else:
            email = f"{first.lower()}.{last.lower()}{j}@example.com"
        name = f"{first} {last}"
        realism = self._config.realism
        punctuated = random.Random(f"{self.seed}/realism/punctuated/{j}")
        if (
            realism is not None
            and store_name not in _MASKED_DOMAINS
            and punctuated.random() < realism.punctuated_customer_rate
        ):
            # Real company names and addresses carry punctuation; none of it is syntax.
            name = f"{_PUNCTUATED[j % len(_PUNCTUATED)]} {j}"
            email = f"{first.lower()}.o'{last.lower()}+shop{j}@example.com"
        address = _address(name, rng)
        created = local_timestamp(datetime(2025, 3, 1, 9) + timedelta(minutes=7 * j))
        customer_id = _CUSTOMER_ID0 + j
        return {
            "customerId": customer_id,
            "createDate": created,
            "modifyDate": created,
            "name": name,
            "company": None,
            "street1": address["street1"],
            "street2": "",
            "city": address["city"],
            "state": address["state"],
            "postalCode": address["postalCode"],
            "countryCode": "US",
            "phone": address["phone"],
            "email": email,
            "addressVerified": "Verified",
            "marketplaceUsernames": [
                {
                    "customerUserId": 90_000_000 + j,
                    "customerId": customer_id,
                    "createDate": created,
                    "modifyDate": created,
                    "marketplaceId": store["marketplaceId"],
                    "marketplace": store["marketplaceName"],
                    "username": email,
                }
            ],
            "tags": self._customer_tags(j),
        }

    def _customer_tags(self, j: int) -> Any:
        realism = self._config.realism
        # Captured: customers with "tags": "" (agritheory/shipstation-client tests/api_data.py,
        # LIST_CUSTOMERS).
        rng = random.Random(f"{self.seed}/realism/customer/{j}")
        if realism is not None and rng.random() < realism.quirk_rate:
            return ""
        return []

    def iter_customers(self) -> Iterator[dict[str, Any]]:
        """V1 customers, one per customer index."""
        for j in range(self._config.customers):
            yield self._customer(j)

    def _party(self, j: int, customer: dict[str, Any]) -> dict[str, Any]:
        return {
            "PartyId": 300_100_000_000 + j,
            "PartyNumber": f"P{10_000 + j}",
            "PartyName": customer["name"],
            "EmailAddress": customer["email"],
        }

    @staticmethod
    def _site(j: int, account: str, name: str, address: str, party_id: int) -> dict[str, Any]:
        return {
            "BillToSiteUseId": 300_200_000_000 + j,
            "BillToSiteNumber": f"{account}-BILL",
            "BillToSiteAddress": address,
            "AccountNumber": account,
            "AccountId": 300_300_000_000 + j,
            "CustomerName": name,
            "CustomerId": party_id,
            "TaxRegistrationNumber": None,
            "TaxpayerIdentificationNumber": None,
            "TotalOpenReceivablesForSite": Decimal("0"),
            "TotalTransactionsDueForSite": Decimal("0"),
            "CreatedBy": "FUSION_APPS_CRM_SOA_APPID",
            "CreationDate": "2025-03-01T17:00:00+00:00",
            "LastUpdateDate": "2025-03-01T17:00:00+00:00",
        }

    def oracle_account_number(self, j: int) -> str | None:
        """The Oracle customer account number of customer ``j``, or ``None`` if unmatched."""
        return f"{10_000 + j}" if self.customer_matched(j) else None

    def account_numbers_by_email(self) -> dict[str, list[str]]:
        """What Oracle knows of the day's customers, by email: the account numbers of the
        matched ones (``CustomerDirectory.build((), emails=...)`` takes it as it is)."""
        emails: dict[str, list[str]] = {}
        for j, customer in enumerate(self.iter_customers()):
            account = self.oracle_account_number(j)
            if account is not None:
                emails.setdefault(customer["email"], []).append(account)
        return emails

    def iter_oracle_parties(self) -> Iterator[dict[str, Any]]:
        """Oracle parties (``PartyId``, ``PartyNumber``, ``PartyName``, ``EmailAddress``) of the
        customers whose email is matched."""
        for j in range(self._config.customers):
            if self.customer_matched(j):
                yield self._party(j, self.customer(j))

    def iter_oracle_customer_sites(self) -> Iterator[dict[str, Any]]:
        """Oracle ``receivablesCustomerAccountSiteActivities`` items: one bill-to site per
        matched customer, then one account per marketplace store."""
        for j in range(self._config.customers):
            if self.customer_matched(j):
                customer = self.customer(j)
                address = f"{customer['street1']}, {customer['city']}"
                party_id = 300_100_000_000 + j
                yield self._site(j, f"{10_000 + j}", customer["name"], address, party_id)
        for k, (store_name, account) in enumerate(sorted(self.marketplace_accounts.items())):
            j = 90_000_000 + k
            name = f"{store_name} Marketplace Customers"
            yield self._site(j, account, name, f"{store_name} marketplace", 300_190_000_000 + k)

    # -- orders -------------------------------------------------------------------------------

    def _kind(self, rng: random.Random, lines: int, units: int) -> str:
        c = self._config
        point = rng.random()
        for kind, rate in (
            ("split", c.split_rate),
            ("partial", c.partial_rate),
            ("void", c.void_rate),
            ("fulfillment", c.fulfillment_rate),
            ("awaiting", c.awaiting_rate),
            ("cancelled", c.cancelled_rate),
        ):
            if point < rate:
                if kind in ("split", "partial") and units < 2:
                    return "single"
                return kind
            point -= rate
        return "single"

    def _bundle(self, i: int) -> OrderBundle:
        if not 0 <= i < self._config.orders:
            raise IndexError(f"order index {i} out of range")
        c = self._config
        rng = random.Random(f"{c.seed}/order/{i}")
        j = rng.randrange(c.customers)
        customer = self.customer(j)
        store_k = self._customer_store(j)
        store_name = c.stores[store_k]
        store = self.stores[store_k]
        order_id = _ORDER_ID0 + i
        # Orders arrive between 00:00 and 20:00 Pacific on the day (wall-clock, as on the wire).
        placed = datetime.combine(c.day, time()) + timedelta(
            seconds=rng.randrange(0, 20 * 3600), microseconds=rng.randrange(0, 1000) * 1000
        )
        created = placed + timedelta(seconds=rng.randint(30, 900))
        realism = c.realism
        # Realistic values come from their own stream, so the tidy day's records are unchanged.
        rr = random.Random(f"{c.seed}/realism/order/{i}")
        first_label = placed
        if realism is not None:
            # Labels are printed on the day, 06:00-20:00; the order was created hours to days
            # before (it waited for payment and picking), and its id is from that time.
            first_label = datetime.combine(c.day, time()) + timedelta(
                seconds=rr.randrange(6 * 3600, 20 * 3600), microseconds=placed.microsecond
            )
            created = first_label - timedelta(hours=rr.uniform(*realism.lead_hours))
            placed = created - timedelta(seconds=rr.randint(30, 900))
            order_id = self._time_id(_ORDER_ID0, created, i, 0)
        if store_name == "amazon":
            number = f"11{rng.randint(1, 4)}-{i:07d}-{rng.randint(0, 9_999_999):07d}"
        elif store_name == "ebay":
            number = f"{rng.randint(10, 27)}-{i:05d}-{rng.randint(0, 99_999):05d}"
        else:
            number = f"{store_name.upper()[:3]}-{c.day:%y%m%d}-{i:06d}"

        items: list[dict[str, Any]] = []
        for line in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            product = self.catalog[rng.randrange(len(self.catalog))]
            items.append(self._item(order_id, line, product, rng.choice((1, 1, 1, 2, 3)), placed))
        bad = i in self._bad_orders
        if bad:
            bad_product = {"sku": BAD_SKU, "name": "Discontinued Gadget", "price": Decimal("19.99")}
            items.append(self._item(order_id, len(items), bad_product, 1, placed))
        subtotal = sum((item["unitPrice"] * item["quantity"] for item in items), Decimal(0))
        ship_to = _address(customer["name"], rng)
        tax = _money(subtotal * Decimal(_TAX_RATE[ship_to["state"]]))
        shipping = rng.choice((Decimal("0.00"), Decimal("4.99"), Decimal("7.95"), Decimal("12.50")))
        if realism is not None and rr.random() < realism.quirk_rate:
            # Captured: "residential": "" in an address (agritheory/shipstation-client
            # tests/api_data.py, LIST_WAREHOUSES returnAddress).
            ship_to = dict(ship_to, residential="")
        total = subtotal + tax + shipping
        units = sum(item["quantity"] for item in items)
        kind = self._kind(rng, len(items), units)
        warehouse = self.warehouses[rng.randrange(len(self.warehouses))]

        shipments: list[dict[str, Any]] = []
        fulfillments: list[dict[str, Any]] = []
        events = [created]
        shipped_at = created + timedelta(minutes=rng.randint(30, 360))
        if realism is not None:
            shipped_at = first_label
        status = "shipped"

        def label(
            k: int, part: Sequence[dict[str, Any]], where: dict[str, Any], at: datetime
        ) -> Any:
            shipment_id = (
                _SHIPMENT_ID0 + i * 4 + k
                if realism is None
                else self._time_id(_SHIPMENT_ID0, at, i, k)
            )
            made = self._shipment(i, k, part, ship_to, where, at, rng, order_id, shipment_id)
            if realism is not None and rr.random() < realism.quirk_rate:
                # Captured: numeric codes as text ("batchNumber": "100002", LIST_SHIPMENTS in
                # agritheory/shipstation-client tests/api_data.py).
                made["batchNumber"] = str(rr.randint(100_000, 999_999))
            if i in self._undecodable and k == 0:
                made["shipmentCost"] = "n/a"  # no quirk rule reads this: a failed record
            return made

        if kind in ("single", "void"):
            shipments.append(label(0, items, warehouse, shipped_at))
            events.append(shipped_at)
            if kind == "void":
                void_at = shipped_at + timedelta(minutes=rng.randint(5, 90))
                shipments[0]["voided"] = True
                shipments[0]["voidDate"] = local_timestamp(void_at)
                reship_at = void_at + timedelta(minutes=rng.randint(5, 60))
                shipments.append(label(1, items, warehouse, reship_at))
                events += [void_at, reship_at]
        elif kind in ("split", "partial"):
            first, second = self._split(items, rng)
            shipments.append(label(0, first, warehouse, shipped_at))
            events.append(shipped_at)
            if kind == "split":
                later = shipped_at + timedelta(minutes=rng.randint(20, 240))
                if realism is not None:
                    # Split orders ship from two places, hours apart.
                    later = shipped_at + timedelta(hours=rr.uniform(*realism.split_gap_hours))
                other = self.warehouses[rng.randrange(len(self.warehouses))]
                shipments.append(label(1, second, other, later))
                events.append(later)
            else:
                status = "awaiting_shipment"
        elif kind == "fulfillment":
            fulfillment = self._fulfillment(i, customer, ship_to, shipped_at, rng, order_id)
            fulfillments.append(fulfillment)
            fulfillment["orderNumber"] = number
            if realism is not None:
                self._realistic_fulfillment(fulfillment, i, shipped_at, realism, rr)
            events.append(shipped_at)
        elif kind == "awaiting":
            status = "awaiting_shipment"
        else:
            status = "cancelled"
        for shipment in shipments:
            shipment["customerEmail"] = customer["email"]
            shipment["orderNumber"] = number
            shipment["orderKey"] = f"key-{order_id}"
            shipment["advancedOptions"]["storeId"] = store["storeId"]
        last_event = max(events)
        order = {
            "orderId": order_id,
            "orderNumber": number,
            "orderKey": f"key-{order_id}",
            "orderDate": local_timestamp(placed),
            "createDate": local_timestamp(created),
            "modifyDate": local_timestamp(last_event),
            "paymentDate": local_timestamp(placed),
            "shipByDate": f"{(placed + timedelta(days=3)):%Y-%m-%d}T00:00:00.0000000",
            "orderStatus": status,
            "customerId": customer["customerId"],
            "customerUsername": customer["email"],
            "customerEmail": customer["email"],
            "billTo": dict(ship_to, addressVerified=None),
            "shipTo": ship_to,
            "items": items,
            "orderTotal": total,
            "amountPaid": total if status != "cancelled" else Decimal("0.00"),
            "taxAmount": tax,
            "shippingAmount": shipping,
            "customerNotes": None,
            "internalNotes": None,
            "gift": False,
            "giftMessage": None,
            "paymentMethod": "Credit Card",
            "requestedShippingService": "Standard",
            "carrierCode": shipments[0]["carrierCode"] if shipments else None,
            "serviceCode": shipments[0]["serviceCode"] if shipments else None,
            "packageCode": "package",
            "confirmation": "none",
            "shipDate": shipments[-1]["shipDate"] if shipments else None,
            "holdUntilDate": None,
            "weight": {"value": Decimal(8 * units), "units": "ounces", "WeightUnits": 1},
            "dimensions": None,
            "insuranceOptions": {"provider": None, "insureShipment": False, "insuredValue": 0},
            "internationalOptions": {"contents": None, "customsItems": None, "nonDelivery": None},
            "advancedOptions": {
                "warehouseId": warehouse["warehouseId"],
                "nonMachinable": False,
                "saturdayDelivery": False,
                "containsAlcohol": False,
                "mergedOrSplit": kind == "split",
                "mergedIds": [],
                "parentId": None,
                "storeId": store["storeId"],
                "customField1": None,
                "customField2": None,
                "customField3": None,
                "source": store_name,
                "billToParty": None,
                "billToAccount": None,
                "billToPostalCode": None,
                "billToCountryCode": None,
                "billToMyOtherAccount": None,
            },
            "tagIds": None,
            "userId": None,
            "externallyFulfilled": False,
            "externallyFulfilledBy": None,
            "externallyFulfilledById": None,
            "externallyFulfilledByName": None,
        }
        return OrderBundle(
            index=i,
            order=order,
            shipments=tuple(shipments),
            fulfillments=tuple(fulfillments),
            customer_index=j,
            kind=kind,
            bad_sku=bad,
        )

    def _realistic_fulfillment(
        self,
        fulfillment: dict[str, Any],
        i: int,
        at: datetime,
        realism: Realism,
        rr: random.Random,
    ) -> None:
        fulfillment["fulfillmentId"] = self._time_id(_FULFILLMENT_ID0, at, i, 0)
        # Captured (agritheory/shipstation-client tests/api_data.py, LIST_FULFILLMENTS): a
        # shipDate that carries the time of day, and an empty tracking number with a null carrier.
        fulfillment["shipDate"] = local_timestamp(at)
        if rr.random() < realism.quirk_rate:
            fulfillment["trackingNumber"] = ""
            fulfillment["carrierCode"] = None
        if rr.random() < realism.late_fulfillment_void_rate:
            # Fulfillments carry voided/voidRequested/voidDate (same capture); a void comes days
            # later, and /fulfillments filters by creation and ship date only
            # (https://docs.shipstation.com/apis/shipstation-v1/openapi/fulfillments), so a
            # creation window never sees it. The simulator shows the void once its clock passes
            # voidDate.
            void_at = at + timedelta(
                days=rr.randint(*realism.late_void_days), minutes=rr.randint(0, 600)
            )
            fulfillment["voided"] = True
            fulfillment["voidRequested"] = True
            fulfillment["voidDate"] = local_timestamp(void_at)

    def _item(
        self,
        order_id: int,
        line: int,
        product: dict[str, Any],
        quantity: int,
        placed: datetime,
    ) -> dict[str, Any]:
        stamp = local_timestamp(placed)
        return {
            "orderItemId": _ORDER_ITEM_ID0 + (order_id - _ORDER_ID0) * 8 + line,
            "lineItemKey": f"line-{order_id}-{line + 1}",
            "sku": product["sku"],
            "name": product["name"],
            "imageUrl": None,
            "weight": {"value": Decimal(8), "units": "ounces", "WeightUnits": 1},
            "quantity": quantity,
            "unitPrice": product["price"],
            "taxAmount": None,
            "shippingAmount": None,
            "warehouseLocation": None,
            "options": [],
            "productId": None,
            "fulfillmentSku": None,
            "adjustment": False,
            "upc": None,
            "createDate": stamp,
            "modifyDate": stamp,
        }

    @staticmethod
    def _split(
        items: Sequence[dict[str, Any]], rng: random.Random
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Divide items in two non-empty parts (by line, or by quantity for a single line)."""
        if len(items) >= 2:
            cut = rng.randrange(1, len(items))
            return list(items[:cut]), list(items[cut:])
        only = items[0]
        first_qty = rng.randrange(1, only["quantity"])
        return (
            [dict(only, quantity=first_qty)],
            [dict(only, quantity=only["quantity"] - first_qty)],
        )

    def _shipment(
        self,
        i: int,
        k: int,
        items: Sequence[dict[str, Any]],
        ship_to: dict[str, Any],
        warehouse: dict[str, Any],
        at: datetime,
        rng: random.Random,
        order_id: int,
        shipment_id: int,
    ) -> dict[str, Any]:
        carrier, service, prefix = rng.choice(_CARRIERS)
        units = sum(item["quantity"] for item in items)
        shipment_items = [
            {
                "orderItemId": item["orderItemId"],
                "lineItemKey": item["lineItemKey"],
                "sku": item["sku"],
                "name": item["name"],
                "imageUrl": None,
                "weight": item["weight"],
                "quantity": item["quantity"],
                "unitPrice": item["unitPrice"],
                "taxAmount": None,
                "shippingAmount": None,
                "warehouseLocation": None,
                "options": [],
                "productId": None,
                "fulfillmentSku": None,
                "adjustment": False,
                "upc": None,
            }
            for item in items
        ]
        return {
            "shipmentId": shipment_id,
            "orderId": order_id,
            "orderKey": None,
            "userId": None,
            "customerEmail": None,
            "orderNumber": None,
            "createDate": local_timestamp(at),
            "shipDate": f"{at:%Y-%m-%d}",
            "shipmentCost": _money(Decimal(rng.randint(450, 2400)) / 100),
            "insuranceCost": Decimal("0.00"),
            "trackingNumber": f"{prefix}{rng.randint(10**11, 10**12 - 1)}{i:06d}{k}",
            "isReturnLabel": False,
            "batchNumber": None,
            "carrierCode": carrier,
            "serviceCode": service,
            "packageCode": "package",
            "confirmation": "none",
            "warehouseId": warehouse["warehouseId"],
            "voided": False,
            "voidDate": None,
            "marketplaceNotified": True,
            "notifyErrorMessage": None,
            "shipTo": ship_to,
            "weight": {"value": Decimal(8 * units), "units": "ounces", "WeightUnits": 1},
            "dimensions": {"units": "inches", "length": 10, "width": 8, "height": 4},
            "insuranceOptions": {"provider": None, "insureShipment": False, "insuredValue": 0},
            "advancedOptions": {"billToParty": None, "storeId": None},
            "shipmentItems": shipment_items,
            "labelData": None,
            "formData": None,
        }

    def _fulfillment(
        self,
        i: int,
        customer: dict[str, Any],
        ship_to: dict[str, Any],
        at: datetime,
        rng: random.Random,
        order_id: int,
    ) -> dict[str, Any]:
        carrier, service, prefix = rng.choice(_CARRIERS)
        return {
            "fulfillmentId": _FULFILLMENT_ID0 + i,
            "orderId": order_id,
            "orderNumber": None,
            "userId": None,
            "customerEmail": customer["email"],
            "trackingNumber": f"{prefix}{rng.randint(10**11, 10**12 - 1)}{i:06d}F",
            "createDate": local_timestamp(at),
            "shipDate": f"{at:%Y-%m-%d}T00:00:00.0000000",
            "voidDate": None,
            "deliveryDate": None,
            "carrierCode": carrier,
            "sellerFillProviderId": None,
            "sellerFillProviderName": None,
            "fulfillmentProviderCode": None,
            "fulfillmentServiceCode": service,
            "fulfillmentFee": Decimal("0.00"),
            "voidRequested": False,
            "voided": False,
            "marketplaceNotified": True,
            "notifyErrorMessage": None,
            "shipTo": ship_to,
        }

    def iter_bundles(self) -> Iterator[OrderBundle]:
        """Every order with its shipments and fulfillments, generated one at a time."""
        for i in range(self._config.orders):
            yield self._bundle(i)

    def iter_orders(self) -> Iterator[dict[str, Any]]:
        """V1 orders."""
        for bundle in self.iter_bundles():
            yield bundle.order

    def iter_shipments(self) -> Iterator[dict[str, Any]]:
        """V1 shipments (with ``shipmentItems``), voided ones included."""
        for bundle in self.iter_bundles():
            yield from bundle.shipments

    def iter_fulfillments(self) -> Iterator[dict[str, Any]]:
        """V1 fulfillments."""
        for bundle in self.iter_bundles():
            yield from bundle.fulfillments

    def stats(self) -> dict[str, int]:
        """Counts of what the day holds (walks every order once; O(1) memory)."""
        counts = {
            "orders": 0,
            "shipments": 0,
            "voided_shipments": 0,
            "fulfillments": 0,
            "bad_sku_orders": 0,
            "customers": self._config.customers,
            "matched_customers": sum(1 for _ in self.iter_oracle_parties()),
        }
        for bundle in self.iter_bundles():
            counts["orders"] += 1
            counts[f"kind_{bundle.kind}"] = counts.get(f"kind_{bundle.kind}", 0) + 1
            counts["shipments"] += len(bundle.shipments)
            counts["voided_shipments"] += sum(1 for s in bundle.shipments if s["voided"])
            counts["fulfillments"] += len(bundle.fulfillments)
            counts["voided_fulfillments"] = counts.get("voided_fulfillments", 0) + sum(
                1 for f in bundle.fulfillments if f["voided"]
            )
            counts["bad_sku_orders"] += bundle.bad_sku
        return counts


def generate_day(
    seed: int = 0,
    *,
    orders: int = 100,
    warehouses: int = 2,
    stores: Sequence[str] = ("web", "amazon", "ebay"),
    day: date = date(2026, 1, 15),
    skus: int = 40,
    customers: int | None = None,
    split_rate: float = 0.08,
    partial_rate: float = 0.04,
    void_rate: float = 0.03,
    fulfillment_rate: float = 0.05,
    awaiting_rate: float = 0.04,
    cancelled_rate: float = 0.01,
    unmatched_email_rate: float = 0.1,
    bad_sku_orders: int = 1,
    realism: Realism | None = None,
) -> GeneratedDay:
    """Generate a reproducible day of ShipStation orders and the Oracle setup to post them.

    Args:
        seed: The same seed gives the same day, record for record.
        orders: Orders placed that day.
        warehouses: Ship-from warehouses (each is also an inventory warehouse and an Oracle
            inventory organization with its own cost center).
        stores: Store names; ``amazon`` and ``ebay`` are marketplaces with masked emails, the
            first store gets about half of the customers.
        day: The Pacific calendar day.
        skus: Size of the SKU catalog.
        customers: Distinct customers (default: a third of the orders, at least one).
        split_rate: Share of orders shipped in two shipments.
        partial_rate: Share of orders with only part of their items shipped.
        void_rate: Share of orders whose first label was voided and re-shipped.
        fulfillment_rate: Share of orders marked shipped outside ShipStation (fulfillments).
        awaiting_rate: Share of orders not shipped yet.
        cancelled_rate: Share of cancelled orders.
        unmatched_email_rate: Share of web customers with no Oracle party or account.
        bad_sku_orders: Orders that carry the SKU Oracle does not know.
        realism: Make the day behave like a real account (:data:`REALISTIC` for the
            defaults): creation-time ids, orders created before the day, split labels hours
            apart, captured quirks, late fulfillment voids, V2 levels without cost.

    Raises:
        ValueError: a count is not positive, the rates add up to more than 1, or no store.
    """
    if orders < 1 or warehouses < 1 or skus < 1:
        raise ValueError("orders, warehouses and skus must be at least 1")
    if not stores:
        raise ValueError("at least one store is needed")
    rates = (split_rate, partial_rate, void_rate, fulfillment_rate, awaiting_rate, cancelled_rate)
    if any(rate < 0 for rate in rates) or sum(rates) > 1:
        raise ValueError("order mix rates must be non-negative and add up to at most 1")
    config = _Config(
        seed=seed,
        orders=orders,
        warehouses=warehouses,
        stores=tuple(stores),
        day=day,
        skus=skus,
        customers=customers if customers is not None else max(1, orders // 3),
        split_rate=split_rate,
        partial_rate=partial_rate,
        void_rate=void_rate,
        fulfillment_rate=fulfillment_rate,
        awaiting_rate=awaiting_rate,
        cancelled_rate=cancelled_rate,
        unmatched_email_rate=unmatched_email_rate,
        bad_sku_orders=bad_sku_orders,
        realism=realism,
    )
    return GeneratedDay(config)
