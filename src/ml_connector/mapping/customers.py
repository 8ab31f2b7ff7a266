"""Match a ShipStation order's customer to an Oracle customer account, and plan alignment.

Rules, in order; the first that decides wins, and nothing is guessed silently:

1. **Explicit mapping table**: ``[customers.by_customer_id]`` then ``[customers.by_username]``.
2. **Account number carried on the order**: the configured field (``customer_username`` or an
   advanced-options custom field) when its value fully matches ``account_number_pattern``.
   When an Oracle directory is given, the account must exist in it, else the result is
   Unmatched (the order names an account that Oracle does not know).
3. **Normalised email** (trimmed, case-folded) against the emails of Oracle customers.
   Masked marketplace domains (``ignore_email_domains``) never match. Several accounts with the
   email are narrowed by the bill-to company or name; if that does not leave exactly one, the
   result is Ambiguous with the candidates.
4. **Per-store default account** (``[stores.N] customer_account``): marketplace orders (Amazon,
   eBay) carry masked emails, so each marketplace usually bills one Oracle account.

Otherwise the result is Unmatched, saying what was tried. Oracle's ``BillToCustomerNumber`` is
the customer ACCOUNT number, not the party number
(https://docs.oracle.com/en/cloud/saas/financials/24d/farfa/op-receivablesinvoices-post.html).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence

import attrs

from ml_connector.oracle.models import CustomerAccount, NewParty, Party, PartyType
from ml_connector.shipstation.models import Address, Order

from .config import MappingConfig

__all__ = [
    "AlignmentPlan",
    "Ambiguous",
    "CustomerDirectory",
    "CustomerMatch",
    "CustomerProposal",
    "EmailEnrichment",
    "MatchRule",
    "Matched",
    "ShipStationAnnotation",
    "Unmatched",
    "match_customer",
    "normalise_email",
    "plan_customer_alignment",
]


class MatchRule(enum.Enum):
    """Which rule matched (or found the candidates)."""

    EXPLICIT_CUSTOMER_ID = "explicit customerId mapping"
    EXPLICIT_USERNAME = "explicit customerUsername mapping"
    ORDER_FIELD = "account number on the order"
    EMAIL = "customer email"
    STORE_DEFAULT = "store default account"


@attrs.frozen
class Matched:
    """The order's customer is this Oracle account.

    Attributes:
        account_number: Sent as ``BillToCustomerNumber``.
        bill_to_site: Sent as ``BillToSite``; None lets Oracle use the account's primary site.
        rule: The rule that matched.
        detail: Why, for people.
    """

    account_number: str
    bill_to_site: str | None
    rule: MatchRule
    detail: str


@attrs.frozen
class Ambiguous:
    """Several Oracle accounts fit; a person must choose (add an explicit mapping)."""

    candidates: tuple[str, ...]
    rule: MatchRule
    detail: str


@attrs.frozen
class Unmatched:
    """No rule matched; ``reason`` says what was tried.

    ``lookup_failed``: Oracle could not be asked about the order's email or account number, so
    the customer may well exist; the order must wait (replay), not fall back to a store default
    or become a new Oracle customer.
    """

    reason: str
    lookup_failed: bool = False


CustomerMatch = Matched | Ambiguous | Unmatched
"""The result of :func:`match_customer`."""


def normalise_email(value: str | None) -> str | None:
    """Trim and case-fold an email; None for empty or non-address values."""
    if value is None:
        return None
    text = value.strip().casefold()
    # A text without white space is exactly one that split() keeps whole (same definition).
    return text if "@" in text and text.split() == [text] else None


def _normalise_name(value: str | None) -> str:
    return " ".join((value or "").casefold().split())


@attrs.frozen
class CustomerDirectory:
    """What Oracle knows about customers, read beforehand (mapping does no I/O).

    Attributes:
        accounts: Customer accounts with their bill-to sites.
        emails: Normalised email -> account numbers having it.
        unavailable: Normalised emails and account numbers Oracle could not be asked about
            (the look-up failed after every retry). An order that depends on one of them is
            Unmatched with ``lookup_failed`` set, never matched by a weaker rule.
        unexpressible: Normalised email -> why Oracle could not be asked about it at all (a
            value its finder or ``q`` syntax cannot express). The email rule says so and the
            other match rules still apply.
    """

    accounts: Mapping[str, CustomerAccount] = attrs.field(factory=dict)
    emails: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    unavailable: frozenset[str] = frozenset()
    unexpressible: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def build(
        cls,
        accounts: Iterable[CustomerAccount],
        parties: Iterable[Party] = (),
        emails: Mapping[str, Iterable[str]] | None = None,
        unavailable: Iterable[str] = (),
    ) -> CustomerDirectory:
        """Index accounts by number and by email.

        An account gets a party's email when its ``customer_id`` is the party's ``party_id``
        (the party is the account's customer). ``emails`` adds email -> account numbers pairs
        read by other means. ``unavailable`` lists the emails and account numbers whose
        look-up failed.
        """
        by_number = {a.account_number: a for a in accounts}
        index: dict[str, set[str]] = {}
        by_party: dict[int, list[str]] = {}
        for account in by_number.values():
            if account.customer_id is not None:
                by_party.setdefault(account.customer_id, []).append(account.account_number)
        for party in parties:
            email = normalise_email(party.email_address)
            if email and party.party_id is not None:
                index.setdefault(email, set()).update(by_party.get(party.party_id, ()))
        for raw, numbers in (emails or {}).items():
            email = normalise_email(raw)
            if email:
                index.setdefault(email, set()).update(numbers)
        failed = {normalise_email(key) or key for key in unavailable}
        return cls(
            accounts=by_number,
            emails={k: tuple(sorted(v)) for k, v in sorted(index.items()) if v},
            unavailable=frozenset(failed),
        )

    def site_for(self, account_number: str) -> tuple[str | None, str]:
        """The bill-to site to send for an account, with the reason."""
        account = self.accounts.get(account_number)
        if account is None or not account.sites:
            return None, "Oracle defaults the bill-to site"
        if len(account.sites) == 1:
            site = account.sites[0].bill_to_site_number
            return site, f"its only bill-to site {site}"
        return None, f"{len(account.sites)} bill-to sites: Oracle defaults the primary one"


def _order_field(order: Order, field: str) -> str | None:
    if field == "customer_username":
        return order.customer_username
    options = order.advanced_options
    if options is None:
        return None
    value = getattr(options, field, None)
    return value if isinstance(value, str) else None


def _masked(email: str, config: MappingConfig) -> bool:
    # "." + domain ends with "." + masked exactly when domain is masked or one of its
    # subdomains: one C call over the suffixes, made once per configuration.
    memo = config._memo
    suffixes: tuple[str, ...] | None = memo.get("masked suffixes")
    if suffixes is None:
        suffixes = memo["masked suffixes"] = tuple(
            "." + masked for masked in config.customers.ignore_email_domains
        )
    return ("." + email.rpartition("@")[2]).endswith(suffixes)


def _site(
    directory: CustomerDirectory | None, account: str, explicit: str | None
) -> tuple[str | None, str]:
    """The bill-to site to send for ``account`` (``explicit`` when configured), with why."""
    if explicit is not None:
        return explicit, f"bill-to site {explicit} from the configuration"
    if directory is None:
        return None, "Oracle defaults the bill-to site"
    return directory.site_for(account)


def match_customer(
    order: Order, config: MappingConfig, directory: CustomerDirectory | None = None
) -> CustomerMatch:
    """Match ``order``'s customer to an Oracle account (rules in the module docstring).

    ``directory`` is what Oracle knows; without it the email rule cannot match and an account
    number carried on the order is trusted as is.
    """
    rules = config.customers
    tried: list[str] = []

    # 1. explicit mapping table
    if order.customer_id is not None:
        found = rules.by_customer_id.get(str(order.customer_id))
        if found is not None:
            chosen, why = _site(directory, found[0], found[1])
            return Matched(
                found[0],
                chosen,
                MatchRule.EXPLICIT_CUSTOMER_ID,
                f"customerId {order.customer_id} is mapped to account {found[0]}; {why}",
            )
    if order.customer_username:
        found = rules.by_username.get(order.customer_username)
        if found is not None:
            chosen, why = _site(directory, found[0], found[1])
            return Matched(
                found[0],
                chosen,
                MatchRule.EXPLICIT_USERNAME,
                f"customerUsername {order.customer_username!r} is mapped to account "
                f"{found[0]}; {why}",
            )
    tried.append("no explicit mapping")

    # 2. account number carried on the order
    if rules.account_number_field is not None:
        raw = _order_field(order, rules.account_number_field)
        value = raw.strip() if raw else ""
        if value and re.fullmatch(rules.account_number_pattern, value):
            if directory is not None and value in directory.unavailable:
                return Unmatched(
                    f"order field {rules.account_number_field} names account {value}, and "
                    "Oracle could not be asked about it (the look-up failed)",
                    lookup_failed=True,
                )
            if directory is not None and value not in directory.accounts:
                return Unmatched(
                    f"order field {rules.account_number_field} names account {value}, "
                    "which Oracle does not have"
                )
            chosen, why = _site(directory, value, None)
            return Matched(
                value,
                chosen,
                MatchRule.ORDER_FIELD,
                f"order field {rules.account_number_field} carries account {value}; {why}",
            )
        tried.append(f"no account number in {rules.account_number_field}")

    # 3. normalised email
    not_asked: str | None = None  # why Oracle could not be asked about the email at all
    email = normalise_email(order.customer_email)
    if email is None:
        tried.append("no customer email")
    elif _masked(email, config):
        tried.append(f"email domain {email.rpartition('@')[2]} is a masked marketplace domain")
    elif directory is None:
        tried.append("no Oracle customer directory to match the email against")
    elif email in directory.unexpressible:
        tried.append(directory.unexpressible[email])
        not_asked = directory.unexpressible[email]
    elif email in directory.unavailable:
        # The customer may be in Oracle under this email: no store default, no new customer.
        return Unmatched(
            "; ".join(
                [*tried, f"Oracle could not be asked about email {email} (the look-up failed)"]
            ),
            lookup_failed=True,
        )
    else:
        candidates = directory.emails.get(email, ())
        if len(candidates) == 1:
            chosen, why = _site(directory, candidates[0], None)
            return Matched(
                candidates[0],
                chosen,
                MatchRule.EMAIL,
                f"email {email} belongs to account {candidates[0]} only; {why}",
            )
        if len(candidates) > 1:
            narrowed = _narrow_by_name(candidates, order.bill_to, directory)
            if len(narrowed) == 1:
                chosen, why = _site(directory, narrowed[0], None)
                return Matched(
                    narrowed[0],
                    chosen,
                    MatchRule.EMAIL,
                    f"email {email} belongs to accounts {', '.join(candidates)}; only "
                    f"{narrowed[0]} has the bill-to name; {why}",
                )
            return Ambiguous(
                candidates,
                MatchRule.EMAIL,
                f"email {email} belongs to {len(candidates)} accounts and the bill-to name "
                "does not single one out; add an explicit mapping",
            )
        tried.append(f"no Oracle account has email {email}")

    # 4. per-store default account
    store_id = order.store_id
    store = config.stores.get(str(store_id)) if store_id is not None else None
    if store is not None and store.customer_account is not None:
        chosen, why = _site(directory, store.customer_account, store.customer_site)
        label = f"{store.name} ({store_id})" if store.name else str(store_id)
        return Matched(
            store.customer_account,
            chosen,
            MatchRule.STORE_DEFAULT,
            f"store {label} bills account {store.customer_account}; {why}"
            + (f" (email rule not applied: {not_asked})" if not_asked else ""),
        )
    tried.append(f"store {store_id} has no default account" if store_id is not None else "no store")
    return Unmatched("; ".join(tried))


def _narrow_by_name(
    candidates: Sequence[str], bill_to: Address | None, directory: CustomerDirectory
) -> list[str]:
    if bill_to is None:
        return []
    names = {_normalise_name(bill_to.company), _normalise_name(bill_to.name)} - {""}
    result = []
    for number in candidates:
        account = directory.accounts.get(number)
        if account is not None and _normalise_name(account.customer_name) in names:
            result.append(number)
    return result


# -- alignment ------------------------------------------------------------------------------------


@attrs.frozen
class CustomerProposal:
    """An Oracle customer to create for an unmatched ShipStation customer.

    ``party`` is the TCA party payload; the customer account and bill-to site must then be
    created in Oracle (SOAP service or import: REST creates parties only), and the account
    number recorded back (see :class:`ShipStationAnnotation`).
    """

    party: NewParty
    customer_id: int | None
    order_numbers: tuple[str, ...]
    bill_to: Address | None


@attrs.frozen
class EmailEnrichment:
    """An email to add to an Oracle account, so the email rule finds it next time."""

    account_number: str
    email: str
    order_number: str


@attrs.frozen
class ShipStationAnnotation:
    """The Oracle account number to record on a ShipStation order (non-financial).

    Attributes:
        order_id: The ShipStation order.
        customer_id: Its customer, for the explicit mapping table.
        field: The order field to write (``custom_field1..3``), or None when no annotation field
            is configured (then add ``customer_id`` to ``[customers.by_customer_id]``).
        account_number: The value to record.
    """

    order_id: int
    customer_id: int | None
    field: str | None
    account_number: str


@attrs.frozen
class AlignmentPlan:
    """What to change, in both systems, so that every customer matches explicitly.

    Attributes:
        create: Oracle customers to create for unmatched ShipStation customers.
        enrich: Emails to add to Oracle accounts matched by other rules.
        annotate: Account numbers to record on ShipStation orders matched by email.
        ambiguous: Orders whose customer needs a person's decision, with the candidates.
        needs_store_default: Store ids whose unmatched orders carry only masked emails.
        lookup_failed: Orders whose customer could not be looked up in Oracle (nothing is
            proposed for them: run again when Oracle answers), with the reason.
    """

    create: tuple[CustomerProposal, ...] = ()
    enrich: tuple[EmailEnrichment, ...] = ()
    annotate: tuple[ShipStationAnnotation, ...] = ()
    ambiguous: tuple[tuple[str, Ambiguous], ...] = ()
    needs_store_default: tuple[int, ...] = ()
    lookup_failed: tuple[tuple[str, Unmatched], ...] = ()


def _new_party(order: Order, email: str) -> NewParty:
    bill_to = order.bill_to or Address()
    company = (bill_to.company or "").strip()
    if company:
        return NewParty(
            party_type=PartyType.ORGANIZATION, email_address=email, organization_name=company
        )
    name = (bill_to.name or order.customer_username or email).strip()
    first, _, last = name.rpartition(" ")
    return NewParty(
        party_type=PartyType.PERSON,
        email_address=email,
        first_name=first or None,
        last_name=last or name,
    )


def plan_customer_alignment(
    matches: Iterable[tuple[Order, CustomerMatch]],
    config: MappingConfig,
    directory: CustomerDirectory | None = None,
) -> AlignmentPlan:
    """Plan customer alignment from orders and their match results.

    - Unmatched with a real email: propose an Oracle customer (one per ShipStation customer,
      keyed by customerId, else email).
    - Unmatched with only a masked email: the store needs a default account.
    - Matched by email: record the account on the ShipStation order (and so, next time, the
      match is explicit).
    - Matched explicitly or by the order field, with a real email Oracle lacks: add the email.
    - Ambiguous: listed for a person.
    - Unmatched because a look-up failed: listed, nothing proposed (the customer may exist).
    """
    proposals: dict[str, tuple[NewParty, int | None, list[str], Address | None]] = {}
    enrich: dict[tuple[str, str], EmailEnrichment] = {}
    annotate: list[ShipStationAnnotation] = []
    ambiguous: list[tuple[str, Ambiguous]] = []
    stores: set[int] = set()
    failed: list[tuple[str, Unmatched]] = []
    unavailable = directory.unavailable if directory is not None else frozenset()
    for order, match in sorted(matches, key=lambda pair: pair[0].order_id):
        email = normalise_email(order.customer_email)
        real_email = email if email and not _masked(email, config) else None
        if isinstance(match, Unmatched) and match.lookup_failed:
            failed.append((order.order_number, match))
        elif isinstance(match, Unmatched):
            if real_email is None:
                if order.store_id is not None:
                    stores.add(order.store_id)
                continue
            key = f"id:{order.customer_id}" if order.customer_id is not None else real_email
            if key not in proposals:
                proposals[key] = (
                    _new_party(order, real_email),
                    order.customer_id,
                    [],
                    order.bill_to,
                )
            proposals[key][2].append(order.order_number)
        elif isinstance(match, Ambiguous):
            ambiguous.append((order.order_number, match))
        elif match.rule is MatchRule.EMAIL:
            field = config.customers.annotation_field
            current = _order_field(order, field) if field else None
            if current != match.account_number:
                annotate.append(
                    ShipStationAnnotation(
                        order_id=order.order_id,
                        customer_id=order.customer_id,
                        field=field,
                        account_number=match.account_number,
                    )
                )
        elif (
            match.rule is not MatchRule.STORE_DEFAULT
            and real_email is not None
            and real_email not in unavailable
        ):
            known = directory.emails.get(real_email, ()) if directory is not None else ()
            if match.account_number not in known:
                enrich.setdefault(
                    (match.account_number, real_email),
                    EmailEnrichment(match.account_number, real_email, order.order_number),
                )
    return AlignmentPlan(
        create=tuple(
            CustomerProposal(party, customer_id, tuple(numbers), bill_to)
            for party, customer_id, numbers, bill_to in proposals.values()
        ),
        enrich=tuple(enrich.values()),
        annotate=tuple(annotate),
        ambiguous=tuple(ambiguous),
        needs_store_default=tuple(sorted(stores)),
        lookup_failed=tuple(failed),
    )
