"""Reading what Oracle knows about the customers of a set of orders (for customer matching).

Mapping does no I/O, so before matching the job reads, for the orders at hand only: the
customer accounts the configuration names (explicit mappings and store defaults), the accounts
orders carry in the configured order field, and for every real (not marketplace-masked) email
the Oracle parties with that email and the accounts of those parties.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ml_connector._errors import ConnectorError
from ml_connector.mapping import (
    CustomerDirectory,
    MappingConfig,
    Matched,
    MatchRule,
    match_customer,
    normalise_email,
)
from ml_connector.oracle import CustomerAccount, CustomerAccountSite, Party
from ml_connector.shipstation import Order

from ._flow import Call, Fanout, Flow

__all__ = ["accounts_from_sites", "directory_flow", "masked", "needed_lookups"]


def masked(email: str, config: MappingConfig) -> bool:
    """Whether ``email`` is a marketplace relay address that never identifies a customer."""
    domain = email.rpartition("@")[2]
    return any(
        domain == name or domain.endswith("." + name)
        for name in config.customers.ignore_email_domains
    )


def needed_lookups(orders: Iterable[Order], config: MappingConfig) -> tuple[set[str], set[str]]:
    """The account numbers and the emails to read from Oracle to match ``orders``."""
    rules = config.customers
    accounts = {account for account, _site in rules.by_customer_id.values()}
    accounts |= {account for account, _site in rules.by_username.values()}
    accounts |= {s.customer_account for s in config.stores.values() if s.customer_account}
    emails: set[str] = set()
    for order in orders:
        # Without a directory, the rules that need no Oracle data decide; only the rest needs
        # an email lookup.
        first = match_customer(order, config, None)
        if isinstance(first, Matched) and first.rule is not MatchRule.STORE_DEFAULT:
            if first.rule is MatchRule.ORDER_FIELD:
                accounts.add(first.account_number)
            continue
        email = normalise_email(order.customer_email)
        if email is not None and not masked(email, config):
            emails.add(email)
    return accounts, emails


def accounts_from_sites(sites: Iterable[CustomerAccountSite]) -> list[CustomerAccount]:
    """Customer accounts assembled from bill-to site rows."""
    grouped: dict[str, list[CustomerAccountSite]] = {}
    for site in sites:
        grouped.setdefault(site.account_number, []).append(site)
    return [
        CustomerAccount(
            account_number=number,
            account_id=rows[0].account_id,
            customer_name=rows[0].customer_name,
            customer_id=rows[0].customer_id,
            sites=tuple(rows),
        )
        for number, rows in sorted(grouped.items())
    ]


def _quiet(call: Call) -> Flow[Any]:
    # A lookup that fails leaves the customer unmatched for now: the record then fails with
    # "customer not matched" and replay retries it with a fresh directory.
    try:
        result = yield call
    except ConnectorError:
        return None
    return result


def directory_flow(orders: Iterable[Order], config: MappingConfig) -> Flow[CustomerDirectory]:
    """Read the Oracle customers needed to match ``orders``."""
    accounts_needed, emails = needed_lookups(orders, config)
    party_lists = yield Fanout(
        tuple(_quiet(Call("oracle", "find_parties_by_email", (email,))) for email in sorted(emails))
    )
    parties: list[Party] = [p for found in party_lists if found for p in found]
    names = sorted({p.party_name for p in parties if p.party_name})
    site_lists = yield Fanout(
        tuple(
            _quiet(Call("oracle", "list_customer_account_sites", (), {"CustomerName": name}))
            for name in names
        )
    )
    accounts = accounts_from_sites(s for found in site_lists if found for s in found)
    known = {account.account_number for account in accounts}
    missing = sorted(accounts_needed - known)
    fetched = yield Fanout(
        tuple(_quiet(Call("oracle", "get_customer_account", (number,))) for number in missing)
    )
    accounts += [account for account in fetched if account is not None]
    return CustomerDirectory.build(accounts, parties)
