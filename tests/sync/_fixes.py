"""What a person does in Oracle to fix the causes of a day's failures (test helpers)."""

from __future__ import annotations

from ml_connector.testing import BAD_SKU

from ._env import Env

MASKED = (".amazon.com", ".ebay.com")


def add_unmatched_customers(env: Env) -> int:
    """Create the Oracle party, account and bill-to site of every unmatched web customer."""
    day = env.day
    added = 0
    for j in range(day.customer_count):
        customer = day.customer(j)
        if day.customer_matched(j) or customer["email"].endswith(MASKED):
            continue
        party_id = 300_100_000_000 + j
        env.oracle_sim.add_party(
            {
                "PartyId": party_id,
                "PartyNumber": f"P{10_000 + j}",
                "PartyName": customer["name"],
                "EmailAddress": customer["email"],
            }
        )
        env.oracle_sim.add_customer_site(
            {
                "BillToSiteUseId": 300_200_000_000 + j,
                "BillToSiteNumber": f"{10_000 + j}-BILL",
                "AccountNumber": f"{10_000 + j}",
                "AccountId": 300_300_000_000 + j,
                "CustomerName": customer["name"],
                "CustomerId": party_id,
            }
        )
        added += 1
    return added


def fix_bad_sku(env: Env) -> int:
    """Add the item to Oracle and delete the interface rows that failed on it."""
    env.oracle_sim.items.add(BAD_SKU)
    rows = env.oracle_sim.resources["inventoryStagedTransactions"].items
    errored = [key for key, row in rows.items() if row.get("ErrorCode")]
    for key in errored:
        del rows[key]
    return len(errored)
