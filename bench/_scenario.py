"""Shared set-up for the benchmarks: a generated day, the simulators and a matching mapping.

The mapping configuration is derived from the generated day's reference data (warehouses,
stores, marketplace accounts, account combinations), so every shipment the generator makes can
be mapped, and the Oracle simulator accepts every account combination the mapping composes.
"""

from __future__ import annotations

from typing import Any

from ml_connector.mapping import CustomerDirectory, MappingConfig
from ml_connector.testing import GeneratedDay

# The generator's chart of accounts: 01-<natural>-00-<cost center>-01-01-00.
_NATURALS = {
    "revenue": "4011001",
    "receivable": "1210000",
    "freight": "4040000",
    "tax": "2210000",
    "inventory_issue": "5011001",
    "inventory_adjustment": "1410000",
}


def mapping_for(day: GeneratedDay) -> MappingConfig:
    """A mapping configuration under which every record of ``day`` maps."""
    data: dict[str, Any] = {
        "segments": {
            "names": ["company", "natural", "sub", "cost_center", "product", "ic", "future"],
            "delimiter": "-",
            "cost_center": "cost_center",
            "lengths": {
                "company": 2,
                "natural": 7,
                "sub": 2,
                "cost_center": 4,
                "product": 2,
                "ic": 2,
                "future": 2,
            },
            "defaults": {"company": "01", "sub": "00", "product": "01", "ic": "01", "future": "00"},
        },
        "accounts": {purpose: {"natural": natural} for purpose, natural in _NATURALS.items()},
        "warehouses": {
            str(wh["warehouseId"]): {
                "name": wh["warehouseName"],
                "business_unit": "US1 Business Unit",
                "inventory_organization": day.organizations[wh["warehouseId"]],
                "subinventory": "FG",
                "cost_center": f"{(w + 1) * 100:04d}",
            }
            for w, wh in enumerate(day.warehouses)
        },
        "stores": {
            str(store["storeId"]): (
                {"name": store["storeName"]}
                | (
                    {"customer_account": day.marketplace_accounts[store["storeName"]]}
                    if store["storeName"] in day.marketplace_accounts
                    else {}
                )
            )
            for store in day.stores
        },
        "receivables": {
            "transaction_source": "SHIPSTATION",
            "transaction_type": "Invoice",
            "credit_memo_transaction_type": "Credit Memo",
            "payment_terms": "IMMEDIATE",
            "currency": "USD",
        },
        "inventory": {"source_code": "SHIPSTATION"},
        "items": {"identity": True, "uom": "Each"},
        "customers": {
            "ignore_email_domains": ["marketplace.amazon.com", "members.ebay.com"],
        },
    }
    return MappingConfig.from_dict(data)


def directory_for(day: GeneratedDay) -> CustomerDirectory:
    """What Oracle knows about the day's customers (email -> account), as the sync reads it."""
    emails: dict[str, list[str]] = {}
    for j, customer in enumerate(day.iter_customers()):
        account = day.oracle_account_number(j)
        if account is not None:
            emails.setdefault(customer["email"], []).append(account)
    return CustomerDirectory.build((), emails=emails)
