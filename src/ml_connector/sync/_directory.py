"""Reading what Oracle knows about the customers of a set of orders (for customer matching).

Mapping does no I/O, so before matching the job reads, for the orders at hand only: the
customer accounts the configuration names (explicit mappings and store defaults), the accounts
orders carry in the configured order field, and for every real (not marketplace-masked) email
the Oracle parties with that email and the accounts of those parties.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import attrs

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
from ml_connector.oracle._query import UnexpressibleValueError
from ml_connector.shipstation import Order

from ._flow import Call, Fanout, Flow
from ._protocols import OracleWriter, oracle_call

__all__ = [
    "LookupCache",
    "accounts_from_sites",
    "directory_flow",
    "masked",
    "needed_lookups",
]

_MISSING = object()


class LookupCache:
    """Oracle customer look-ups remembered across the chunks of one run, least recently used
    out, so a customer who orders again later in the window is not looked up again.

    Failed look-ups are not remembered: a later chunk tries again.
    """

    def __init__(self, capacity: int = 5_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.accounts: dict[str, CustomerAccount] = {}
        """Accounts assembled from remembered site rows, by account number (see
        :func:`accounts_from_sites`); emptied when it holds more than ``capacity``."""

    def get(self, kind: str, key: str) -> Any:
        """The remembered answer, or ``_MISSING``."""
        value = self._entries.get((kind, key), _MISSING)
        if value is not _MISSING:
            self._entries.move_to_end((kind, key))
        return value

    def put(self, kind: str, key: str, value: Any) -> None:
        """Remember ``value`` (``None``, a failed look-up, is not remembered)."""
        if value is None:
            return
        self._entries[(kind, key)] = value
        self._entries.move_to_end((kind, key))
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)


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


def accounts_from_sites(
    sites: Iterable[CustomerAccountSite], made: dict[str, CustomerAccount] | None = None
) -> list[CustomerAccount]:
    """Customer accounts assembled from bill-to site rows.

    ``made``: accounts assembled before, by number; one whose sites are these rows (the same
    rows a chunk before, from the look-up cache) is reused, not assembled again.
    """
    grouped: dict[str, list[CustomerAccountSite]] = {}
    for site in sites:
        grouped.setdefault(site.account_number, []).append(site)
    accounts = []
    for number, rows in sorted(grouped.items()):
        sites_of = tuple(rows)
        known = None if made is None else made.get(number)
        if known is None or known.sites != sites_of:
            known = CustomerAccount(
                account_number=number,
                account_id=rows[0].account_id,
                customer_name=rows[0].customer_name,
                customer_id=rows[0].customer_id,
                sites=sites_of,
            )
            if made is not None:
                made[number] = known
        accounts.append(known)
    return accounts


_FAILED = object()


@attrs.frozen
class _Unexpressible:
    """A look-up never sent: Oracle's finder or q syntax cannot express the value."""

    reason: str


def _quiet(call: Call) -> Flow[Any]:
    # A look-up that fails (after every retry) is marked, not raised: the orders that depend on
    # it fail with CustomerLookupError and replay retries them with a fresh directory. A value
    # that cannot be written in Oracle's syntax is no failure: nothing was asked, and replaying
    # would not change that (see ml_connector.oracle._query).
    try:
        result = yield call
    except UnexpressibleValueError as exc:
        return _Unexpressible(
            f"{exc.value!r} cannot be expressed in an Oracle {exc.syntax}: {exc.reason}"
        )
    except ConnectorError:
        return _FAILED
    return result


def _cached_flow(
    cache: LookupCache | None,
    kind: str,
    keys: list[str],
    call: Any,
    failed: set[str],
    unexpressible: dict[str, str] | None = None,
) -> Flow[list[Any]]:
    """``call(key)`` for each key, through ``cache``: answers in the order of ``keys``.

    A key whose look-up failed answers ``None`` and is added to ``failed``; one that Oracle's
    syntax cannot express answers ``None`` and is in ``unexpressible`` with the reason.
    """
    answers: dict[str, Any] = {}
    todo: list[str] = []
    for key in keys:
        known = _MISSING if cache is None else cache.get(kind, key)
        if known is _MISSING:
            todo.append(key)
        else:
            answers[key] = known
    fetched = yield Fanout(tuple(_quiet(call(key)) for key in todo))
    for key, value in zip(todo, fetched, strict=True):
        if isinstance(value, _Unexpressible):
            if unexpressible is not None:
                unexpressible[key] = value.reason
            answers[key] = None
            continue
        if value is _FAILED:
            failed.add(key)
            answers[key] = None
            continue
        if isinstance(value, list) and not value:
            # Nothing found (most emails have no party): one shared empty answer, not an
            # empty list per key kept in the cache for the run.
            value = ()
        answers[key] = value
        if cache is not None:
            cache.put(kind, key, value)
    return [answers[key] for key in keys]


def directory_flow(
    orders: Iterable[Order], config: MappingConfig, cache: LookupCache | None = None
) -> Flow[CustomerDirectory]:
    """Read the Oracle customers needed to match ``orders`` (through ``cache``, when given).

    Look-ups that fail after every retry do not stop the flow: their emails and account
    numbers are the directory's ``unavailable`` set, so the orders that depend on them fail
    with :class:`~ml_connector.CustomerLookupError` instead of matching a weaker rule.
    """
    accounts_needed, emails = needed_lookups(orders, config)
    failed_emails: set[str] = set()
    unexpressible: dict[str, str] = {}
    party_lists = yield from _cached_flow(
        cache,
        "email",
        sorted(emails),
        lambda email: oracle_call(OracleWriter.find_parties_by_email, email),
        failed_emails,
        unexpressible,
    )
    parties: list[Party] = [p for found in party_lists if found for p in found]
    names = sorted({p.party_name for p in parties if p.party_name})
    failed_names: set[str] = set()
    unexpressible_names: dict[str, str] = {}
    site_lists = yield from _cached_flow(
        cache,
        "sites",
        names,
        lambda name: oracle_call(OracleWriter.list_customer_account_sites, CustomerName=name),
        failed_names,
        unexpressible_names,
    )
    # A party whose accounts could not be read leaves its email's candidates unknown.
    for party in parties:
        email = normalise_email(party.email_address)
        if email is not None and party.party_name in failed_names:
            failed_emails.add(email)
        elif email is not None and party.party_name in unexpressible_names:
            unexpressible.setdefault(
                email,
                f"the Oracle accounts of party {party.party_name!r} (email {email}) cannot be "
                f"read: {unexpressible_names[party.party_name]}",
            )
    made = None
    if cache is not None:
        made = cache.accounts
        if len(made) > cache.capacity:
            made.clear()
    accounts = accounts_from_sites((s for found in site_lists if found for s in found), made)
    known = {account.account_number for account in accounts}
    missing = sorted(accounts_needed - known)
    failed_accounts: set[str] = set()
    fetched = yield from _cached_flow(
        cache,
        "account",
        missing,
        lambda number: oracle_call(OracleWriter.get_customer_account, number),
        failed_accounts,
    )
    accounts += [account for account in fetched if account is not None]
    directory = CustomerDirectory.build(
        accounts, parties, unavailable=sorted(failed_emails | failed_accounts)
    )
    if not unexpressible:
        return directory
    return attrs.evolve(
        directory,
        unexpressible={
            email: f"Oracle was not asked about email {email}: {reason}"
            if not reason.startswith("the Oracle accounts")
            else reason
            for email, reason in unexpressible.items()
        },
    )
