"""A stateful in-process simulator of Oracle Fusion Cloud ERP REST and its OAuth token endpoint.

What it serves (facts and URLs in the module docstrings of the Oracle client and the reference):

- an OCI IAM identity domain at a separate host: ``POST /oauth2/v1/token`` with client
  credentials (Basic or form), answering ``{"access_token", "token_type": "Bearer",
  "expires_in"}``; tokens expire on the simulator's clock and a pod request with an expired or
  unknown token gets a 401 (https://docs.oracle.com/en/cloud/saas/financials/26d/farfa/configure_oauth.html);
- ADF collections ``{items, count, hasMore, limit, offset, links}`` (``totalResults`` on request)
  with ``q``, ``finder``, ``fields``, ``onlyData``, ``orderBy``, ``expand``, default page size
  25 and a cap of 500
  (https://docs.oracle.com/en/cloud/saas/human-resources/farws/Navigate_a_Collection.html);
- ``receivablesInvoices`` and ``receivablesCreditMemos`` (create with Oracle's validation codes,
  e.g. ``AR_BILL_TO_CUST_NOT_FOUND``; duplicate posting keys refused with a ``text/plain`` 400;
  PATCH limited to InvoiceStatus, PaymentTerms and TransactionDate),
  ``inventoryStagedTransactions`` (rows processed by their ``TransactionMode``: Online during
  the POST, Concurrent ``concurrent_delay`` seconds later on the simulator's clock, Background
  when :meth:`OracleFusionSimulator.run_transaction_manager` runs; processed rows leave the
  interface for ``inventoryCompletedTransactions``, failed rows stay with ``ErrorCode`` /
  ``ErrorExplanation``), ``receivablesCustomerAccountSiteActivities`` (with the
  ``CustomerAccountSiteActivitiesFinder``), parties with emails (``hubPersons`` by default),
  ``accountCombinationsLOV``, and ``describe``;
- batch requests: ``POST`` to the version root with ``application/vnd.oracle.adf.batch+json``;
  all or none, and on failure only the failing parts are listed
  (https://docs.oracle.com/en/cloud/saas/procurement/24c/fapra/Batch_Actions.html).

Strict by default (``strict=True``), from the attribute tables in
:mod:`ml_connector.testing._oracle_meta`: an attribute a resource does not have, a read-only or
non-updatable attribute, or a string over its documented maximum length is a 400; ``q`` on an
attribute that is not queryable is a 400; ``or`` in ``q`` needs ``REST-Framework-Version`` 2 or
later; ``/describe`` lists each attribute's queryable and updatable flags.

Error bodies are ``text/plain`` "message (CODE)" by default, Oracle's usual style; a client that
sends ``Accept: application/vnd.oracle.adf.error+json`` gets JSON with ``o:errorDetails``.
Several details are UNCERTAIN in the reference (the batch failure body, the duplicate-number
code, the account-combination error code); they are simulator choices, listed in
``docs/testing.md``, and configurable where a real pod may differ.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import httpx

from ml_connector._clock import Clock

from ._adf import Condition, QueryError, matches_any, parse_finder, parse_q_groups
from ._base import Latency, SimulatorBase
from ._faults import FaultKind, FaultPlan, Faults
from ._generator import GeneratedDay
from ._items import ITEMS, ItemMaster, KnownItems  # the item master (catalog check)
from ._lookup import Lookup, Positions
from ._oracle_meta import Attr, ResourceMeta, resource_meta
from ._receivables import TransactionSourceSetup, check_distributions, document_amount
from ._wire import json_response, text_response

__all__ = ["OracleFusionSimulator"]

DEFAULT_POD_URL = "https://sim-test.fa.us2.oraclecloud.com"
DEFAULT_IDENTITY_URL = "https://idcs-0c0ffee0c0ffee0c0ffee0c0ffee0c0f.identity.oraclecloud.com"
REST_VERSION = "11.13.18.05"
BATCH_MEDIA_TYPE = "application/vnd.oracle.adf.batch+json"
ERROR_MEDIA_TYPE = "application/vnd.oracle.adf.error+json"
ITEM_MEDIA_TYPE = "application/vnd.oracle.adf.resourceitem+json"
COLLECTION_MEDIA_TYPE = "application/vnd.oracle.adf.resourcecollection+json"
DESCRIBE_MEDIA_TYPE = "application/vnd.oracle.adf.description+json"
DEFAULT_LIMIT = 25
MAX_LIMIT = 500
STAGED = "inventoryStagedTransactions"
COMPLETED = "inventoryCompletedTransactions"

# TransactionMode: "This parameter accepts a value of Online, Concurrent, or Background"
# (https://docs.oracle.com/en/cloud/saas/readiness/scm/24a/inv24a/24A-inventory-wn-f30338.htm).
# The codes are UNCERTAIN: "1" (Online) is what real integration code sends; "2" and "3" are the
# usual reading for the other two. The simulator takes the codes and the names; anything else
# is a 400 (the stricter reading).
_MODES = {
    "1": "online",
    "2": "concurrent",
    "3": "background",
    "online": "online",
    "concurrent": "concurrent",
    "background": "background",
}
# ProcessStatus / PROCESS_FLAG of the interface row: 1 ready (pending), 3 error.
_PENDING = "1"
_ERROR = "3"
# The completed movement keeps these attributes of the interface row (see _oracle_meta).
_COMPLETED_COPY = (
    "TransactionHeaderId",
    "ItemNumber",
    "InventoryItemId",
    "OrganizationId",
    "OrganizationCode",
    "OrganizationName",
    "SubinventoryCode",
    "LocatorName",
    "TransactionQuantity",
    "TransactionUnitOfMeasure",
    "TransactionDate",
    "TransactionTypeName",
    "SourceCode",
    "SourceLineId",
    "TransactionReference",
)


class OracleError(Exception):
    """An error the simulated pod answers with (status, message, Oracle code)."""

    def __init__(
        self, status: int, message: str, code: str | None = None, path: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.path = path

    def text(self) -> str:
        return f"{self.message} ({self.code})" if self.code else self.message


_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
}


_TRANSACTION_ATTRIBUTES = (
    "DueDate",
    "ConversionDate",
    "ConversionRate",
    "ConversionRateType",
    "SpecialInstructions",
    "CrossReference",
    "DocumentNumber",
    "TransactionNumber",
    "TransactionDate",
    "AccountingDate",
    "TransactionType",
    "TransactionSource",
    "BillToCustomerNumber",
    "BillToSite",
    "BillToContact",
    "Comments",
    "InternalNotes",
    "PaymentTerms",
    "LegalEntityIdentifier",
    "PurchaseOrder",
    "PurchaseOrderDate",
    "PurchaseOrderRevision",
)


_OTHER = object()
"""Stands for any value that is neither a string nor ``None`` in a ``q`` equality look-up."""


def _text_or_other(value: Any) -> Any:
    # q equality on a string is exact; on a number, a boolean or a list it is numeric or
    # case-blind ('1001' = 1001.0): every such item stays a candidate under one marker.
    return value if value is None or isinstance(value, str) else _OTHER


def _as_text(values: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


_Spec = tuple[str, tuple[str, ...]]
"""A look-up's kind (``"equal"``, ``"text"`` or ``"q"``) and the attributes it reads."""


class _IndexedItems(dict[Any, dict[str, Any]]):
    """A resource's items by key, with equality look-ups on the attributes searched per request.

    Posting keys, accounts, sites, account combinations and ``q`` equalities are looked up once
    or more per document; scanning every stored item for each would make a long simulated run
    quadratic. Each look-up is built on first use from every item, then kept up to date on
    every put and removal (a batch's rollback included). Look-ups only narrow (see
    :class:`~ml_connector.testing._lookup.Lookup`): candidates come back in the items' order
    and are still checked with the exact rule. Items are replaced through ``__setitem__``; an
    attribute a look-up reads must not be changed in place in a stored item.
    """

    def __init__(self) -> None:
        super().__init__()
        self._positions = Positions()
        self._lookups: dict[_Spec, Lookup] = {}

    @staticmethod
    def _value(spec: _Spec, item: Mapping[str, Any]) -> Any:
        kind, names = spec
        if kind == "q":
            return _text_or_other(item.get(names[0]))
        values = tuple(item.get(name) for name in names)
        return _as_text(values) if kind == "text" else values

    def _lookup(self, spec: _Spec) -> Lookup:
        lookup = self._lookups.get(spec)
        if lookup is None:
            lookup = Lookup.build((key, self._value(spec, item)) for key, item in self.items())
            self._lookups[spec] = lookup
        return lookup

    def _forget(self, key: Any) -> None:
        self._positions.discard(key)
        for lookup in self._lookups.values():
            lookup.discard(key)

    def __setitem__(self, key: Any, item: dict[str, Any]) -> None:
        super().__setitem__(key, item)
        self._positions.add(key)
        for spec, lookup in self._lookups.items():
            lookup.add(key, self._value(spec, item))

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._forget(key)

    def pop(self, key: Any, *default: Any) -> Any:
        if key in self:
            self._forget(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[Any, dict[str, Any]]:
        key, item = super().popitem()
        self._forget(key)
        return key, item

    def clear(self) -> None:
        super().clear()
        self._positions.clear()
        for lookup in self._lookups.values():
            lookup.clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, item in dict(*args, **kwargs).items():
            self[key] = item

    def __ior__(self, other: Any) -> _IndexedItems:  # type: ignore[override,misc]
        self.update(other)
        return self

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def _found(self, keys: list[Any] | None) -> list[dict[str, Any]]:
        if keys is None:  # the wanted value cannot be hashed: scan
            return list(self.values())
        return [self[key] for key in self._positions.ordered(keys)]

    def find(self, names: Sequence[str], values: Sequence[Any]) -> list[dict[str, Any]]:
        """Items whose ``names`` may equal ``values`` (``==``, as a scan compares them)."""
        return self._found(self._lookup(("equal", tuple(names))).keys(tuple(values)))

    def find_text(self, names: Sequence[str], values: Sequence[str]) -> list[dict[str, Any]]:
        """Items whose ``names``, as text (``str``), may equal ``values``, as a finder compares."""
        return self._found(self._lookup(("text", tuple(names))).keys(tuple(values)))

    def candidates(self, conditions: Sequence[Condition]) -> list[dict[str, Any]]:
        """Items that may match the ``q`` ``conditions``: narrowed by their most selective
        equality on a string literal, if they have one."""
        best: tuple[int, Lookup, str] | None = None
        for condition in conditions:
            if condition.operator != "=" or condition.value is None:
                continue
            lookup = self._lookup(("q", (condition.attribute,)))
            # Every value in a q look-up is hashable (a string, None or the marker).
            count = (lookup.count(condition.value) or 0) + (lookup.count(_OTHER) or 0)
            if best is None or count < best[0]:
                best = (count, lookup, condition.value)
        if best is None:
            return list(self.values())
        _, lookup, value = best
        keys = lookup.keys(value) or []
        keys.extend(lookup.keys(_OTHER) or ())
        return self._found(keys)


class _Resource:
    """One REST resource: items by key, finders, and an optional create hook."""

    def __init__(
        self,
        name: str,
        root: str,
        key: str,
        *,
        finders: Mapping[str, Mapping[str, str]] | None = None,
        writable: bool = True,
    ) -> None:
        self.name = name
        self.root = root
        self.key = key
        self.items = _IndexedItems()
        # finder name -> {finder variable: attribute}
        self.finders: dict[str, Mapping[str, str]] = {"PrimaryKey": {key: key}}
        self.finders.update(finders or {})
        self.writable = writable


class OracleFusionSimulator(SimulatorBase):
    """Oracle Fusion Cloud ERP REST (a pod) and its identity domain, in process.

    Args:
        pod_url: The pod's base URL (scheme and host).
        identity_url: The identity domain's base URL (a separate host).
        client_id: OAuth client id the token endpoint accepts.
        client_secret: Its secret.
        scope: The scope it insists on, verbatim (``None``: any scope).
        token_ttl: Token lifetime in seconds (``expires_in``; Oracle's default is 3600).
        basic_users: ``{user: password}`` accepted with Basic auth on the pod (dev pods).
        version: The REST version in paths.
        ledger_currency: Invoices in another currency need conversion info
            (``AR_FUNC_CURRENCY_REQ``).
        business_units: Accepted ``BusinessUnit`` values (``None``: any).
        transaction_sources: Accepted ``TransactionSource`` values (``None``: any).
        invoice_key: The invoice attribute that carries the posting key; a second invoice with
            the same value is refused (TransactionNumber by default; CrossReference is the
            usual alternative).
        credit_memo_key: The same for credit memos.
        inventory_key: The attribute (or attributes, together) that a second staged inventory
            transaction may not repeat. ``None`` (the default): none, as in Oracle, whose
            interface table does not refuse a repeated source reference; so a test that posts
            twice sees two rows and can count the duplicate.
        duplicate_error_code: The code in the duplicate-key message (UNCERTAIN; a choice).
        transaction_source_setups: Receivables transaction sources with their numbering
            (see :meth:`add_transaction_source`); a source not listed keeps the number it is
            given, or assigns one when none is given.
        extra_attributes: Attribute names the pod knows beyond the documented ones (a
            tenant's additions, such as a descriptive flexfield segment), accepted at any level
            of a create body by the strict checks.
        batch_part_payloads: Whether a successful batch answer carries each part's created
            item. ``False`` models an answer whose parts carry no payload (and so no id).
        party_resources: The party resources searchable by email, as ``root/resource``;
            seeded parties go to the first.
        party_email_attribute: The attribute holding the email on it.
        account_attribute: The ``accountCombinationsLOV`` attribute with the segment string.
        strict: Refuse what Oracle's documentation says a resource does not take (see the module
            docstring); ``False`` accepts any attribute, as the simulator did before.
        default_transaction_mode: How a staged inventory row without ``TransactionMode`` is
            processed (``"online"``, ``"concurrent"`` or ``"background"``). Oracle's pages do
            not say; ``"online"`` (the row leaves the interface at once) is the stricter reading
            for anyone who looks a row up afterwards. ``"mixed"`` (a test aid) gives such rows
            the three modes in turn.
        concurrent_delay: Seconds on the simulator's clock after which a Concurrent-mode row is
            processed ("immediately processed using the Create Inventory Transaction process",
            i.e. by a job, soon after the POST).
        clock: The time source (a :class:`VirtualClock` in tests).
        latency: Simulated latency per response, as for the ShipStation simulators.
        faults: The fault plan, as for the ShipStation simulators.
    """

    supported_faults = frozenset(FaultKind)

    def __init__(
        self,
        *,
        pod_url: str = DEFAULT_POD_URL,
        identity_url: str = DEFAULT_IDENTITY_URL,
        client_id: str = "sim-client",
        client_secret: str = "sim-client-secret",  # noqa: S107 (the simulator's own test credential)
        scope: str | None = None,
        token_ttl: int = 3600,
        basic_users: Mapping[str, str] | None = None,
        version: str = REST_VERSION,
        ledger_currency: str = "USD",
        business_units: Iterable[str] | None = None,
        transaction_sources: Iterable[str] | None = None,
        invoice_key: str = "TransactionNumber",
        credit_memo_key: str = "TransactionNumber",
        inventory_key: str | Sequence[str] | None = None,
        duplicate_error_code: str = "AR_DUPLICATE_TRX_NUMBER",
        transaction_source_setups: Iterable[TransactionSourceSetup] = (),
        extra_attributes: Iterable[str] = (),
        batch_part_payloads: bool = True,
        party_resources: Sequence[str] = ("crmRestApi/hubPersons", "crmRestApi/hubOrganizations"),
        party_email_attribute: str = "EmailAddress",
        account_attribute: str = "ConcatenatedSegments",
        strict: bool = True,
        default_transaction_mode: str = "online",
        concurrent_delay: float = 5.0,
        clock: Clock | None = None,
        latency: Latency = 0.0,
        faults: FaultPlan | Faults | None = None,
    ) -> None:
        super().__init__(clock=clock, latency=latency, faults=faults)
        self.pod_host = urlsplit(pod_url).hostname
        self.pod_url = pod_url.rstrip("/")
        self.identity_host = urlsplit(identity_url).hostname
        self.identity_url = identity_url.rstrip("/")
        self._client = (client_id, client_secret)
        self.scope = scope
        self.token_ttl = token_ttl
        self.basic_users = dict(basic_users or {})
        self.version = version
        self.ledger_currency = ledger_currency
        self.business_units = None if business_units is None else frozenset(business_units)
        self.sources = None if transaction_sources is None else frozenset(transaction_sources)
        self.invoice_key = invoice_key
        self.credit_memo_key = credit_memo_key
        self.inventory_key = inventory_key
        self.duplicate_error_code = duplicate_error_code
        self.transaction_source_setups = {s.name: s for s in transaction_source_setups}
        self.extra_attributes = frozenset(extra_attributes)
        self.batch_part_payloads = batch_part_payloads
        self.party_email_attribute = party_email_attribute
        self.account_attribute = account_attribute
        self.strict = strict
        wanted = default_transaction_mode.lower()
        if wanted not in _MODES and wanted != "mixed":
            raise ValueError(f"unknown transaction mode {default_transaction_mode!r}")
        self.default_transaction_mode = _MODES.get(wanted, wanted)
        self.concurrent_delay = concurrent_delay
        self.items: set[str] = set()  # ItemNumbers the pod knows (empty: accept any)
        self.organizations: set[str] = set()  # OrganizationCode values (empty: accept any)
        self.organization_names: set[str] = set()  # OrganizationName values (empty: any)
        self._due: dict[Any, float] = {}  # Concurrent-mode rows: interface id -> due time
        self._online_timeout = False
        self._batch_timed_out = False
        self._framework = 1
        self._mixed = itertools.count()
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.created: dict[str, int] = {}
        # itemsV2 per organization (testing/_items.py); an item added to `items` later (a
        # finance fix) is assigned to every organization there too.
        self.item_master = ItemMaster()
        self.items = KnownItems(self.item_master, self.organizations)
        self._ids = itertools.count(300_100_180_000_001)
        self._numbers = itertools.count(1001)
        self._journal: list[Callable[[], None]] | None = None
        self.resources: dict[str, _Resource] = {}
        for resource in (
            _Resource("receivablesInvoices", "fscmRestApi", "CustomerTransactionId"),
            _Resource("receivablesCreditMemos", "fscmRestApi", "CustomerTransactionId"),
            _Resource(STAGED, "fscmRestApi", "TransactionInterfaceId"),
            _Resource(COMPLETED, "fscmRestApi", "TransactionId", writable=False),
            _Resource(
                "receivablesCustomerAccountSiteActivities",
                "fscmRestApi",
                "BillToSiteUseId",
                finders={
                    "CustomerAccountSiteActivitiesFinder": {
                        name: name
                        for name in (
                            "AccountNumber",
                            "BillToSiteNumber",
                            "CustomerName",
                            "TaxRegistrationNumber",
                            "TaxpayerIdentificationNumber",
                        )
                    }
                },
                writable=False,
            ),
            _Resource(
                "accountCombinationsLOV", "fscmRestApi", "_CODE_COMBINATION_ID", writable=False
            ),
        ):
            self.resources[resource.name] = resource
        if not party_resources:
            raise ValueError("at least one party resource is needed")
        for spec in party_resources:
            party_root, _, party_name = spec.partition("/")
            self.resources[party_name] = _Resource(party_name, party_root, "PartyNumber")
        self.party_resource = self.resources[party_resources[0].partition("/")[2]]
        self.meta = self._metadata()

    def __repr__(self) -> str:
        counts = {name: len(r.items) for name, r in self.resources.items()}
        return f"OracleFusionSimulator(pod={self.pod_url!r}, items={counts})"

    def _metadata(self) -> dict[str, ResourceMeta]:
        """The attribute tables of the served resources, with this pod's configured names."""
        tables: dict[str, ResourceMeta] = {}
        for name in self.resources:
            meta = resource_meta(name)
            if meta is None:
                continue
            extra: list[Attr] = []
            if name == "accountCombinationsLOV":
                extra.append(Attr(self.account_attribute, creatable=False, updatable=False))
            elif name in ("hubPersons", "hubOrganizations"):
                extra.append(Attr(self.party_email_attribute))
            if extra:
                attributes = dict(meta.attributes)
                attributes.update({a.name: a for a in extra if a.name not in attributes})
                meta = attrs.evolve(meta, attributes=attributes)
            tables[name] = meta
        return tables

    # -- seeding and inspection ------------------------------------------------------------------

    def load(self, day: GeneratedDay) -> None:
        """Load the Oracle side of a generated day: customer sites, parties, account
        combinations, items and inventory organizations."""
        with self._lock:
            for site in day.iter_oracle_customer_sites():
                self.add_customer_site(site)
            for party in day.iter_oracle_parties():
                self.add_party(party)
            for combination in day.account_combinations:
                self.add_account_combination(combination)
            self.items.update(day.oracle_items)
            self.organizations.update(day.organizations.values())
            self.item_master.add_items(day.oracle_items, day.organizations.values())

    def add_customer_site(self, site: Mapping[str, Any]) -> None:
        """Add a ``receivablesCustomerAccountSiteActivities`` item (account and bill-to site)."""
        with self._lock:
            resource = self.resources["receivablesCustomerAccountSiteActivities"]
            resource.items[site["BillToSiteUseId"]] = dict(site)

    def add_party(self, party: Mapping[str, Any], *, resource: str | None = None) -> None:
        """Add a party (``PartyId``, ``PartyNumber``, ``PartyName`` and the email attribute)
        to ``resource`` (default: the first party resource, ``hubPersons``)."""
        with self._lock:
            target = self.party_resource if resource is None else self.resources[resource]
            target.items[party["PartyNumber"]] = dict(party)

    def add_account_combination(self, segments: str, *, enabled: bool = True) -> None:
        """Add a valid account combination such as ``01-4011001-00-0100-01-01-00``."""
        with self._lock:
            resource = self.resources["accountCombinationsLOV"]
            ccid = 10_000 + len(resource.items)
            item: dict[str, Any] = {
                "_CODE_COMBINATION_ID": ccid,
                "_CHART_OF_ACCOUNTS_ID": 101,
                self.account_attribute: segments,
                "EnabledFlag": "Y" if enabled else "N",
                "AccountType": "R",
                "StartDateActive": None,
                "EndDateActive": None,
            }
            for n, segment in enumerate(segments.split("-"), start=1):
                item[f"Segment{n}"] = segment
            resource.items[ccid] = item

    def add_transaction_source(
        self,
        name: str,
        *,
        automatic_numbering: bool = False,
        allow_duplicate_numbers: bool = False,
        next_number: int = 1001,
    ) -> TransactionSourceSetup:
        """Set up receivables transaction source ``name``.

        An automatically numbered source assigns ``TransactionNumber`` itself and ignores one
        in the request; a manual source keeps it, requires it, and refuses a number already
        used in the source unless ``allow_duplicate_numbers``
        (https://docs.oracle.com/en/cloud/saas/financials/25c/oadsr/TransactionBatchSourceExtractPVO.html).
        """
        setup = TransactionSourceSetup(
            name,
            automatic_numbering=automatic_numbering,
            allow_duplicate_numbers=allow_duplicate_numbers,
            next_number=next_number,
        )
        with self._lock:
            self.transaction_source_setups[name] = setup
        return setup

    def expire_tokens(self) -> None:
        """Every token issued so far is expired from now on."""
        with self._lock:
            now = self.clock.monotonic()
            self.tokens = dict.fromkeys(self.tokens, now)

    def collection(self, resource: str) -> list[dict[str, Any]]:
        """A copy of every item of ``resource`` (``"receivablesInvoices"``, ...)."""
        with self._lock:
            return copy.deepcopy(list(self.resources[resource].items.values()))

    def invoices(self) -> list[dict[str, Any]]:
        """Every receivables invoice created so far."""
        return self.collection("receivablesInvoices")

    def credit_memos(self) -> list[dict[str, Any]]:
        """Every credit memo created so far."""
        return self.collection("receivablesCreditMemos")

    def inventory_transactions(self) -> list[dict[str, Any]]:
        """Every inventory transaction posted so far: the rows still in the interface
        (pending or failed), then the processed ones (as ``inventoryCompletedTransactions``
        items). Count duplicates across both with this."""
        with self._lock:
            self._process_due()
            return self.collection(STAGED) + self.collection(COMPLETED)

    def staged_transactions(self) -> list[dict[str, Any]]:
        """The rows still in ``inventoryStagedTransactions`` (pending or failed)."""
        with self._lock:
            self._process_due()
            return self.collection(STAGED)

    def completed_transactions(self) -> list[dict[str, Any]]:
        """The processed movements (``inventoryCompletedTransactions``)."""
        with self._lock:
            self._process_due()
            return self.collection(COMPLETED)

    def run_transaction_manager(self, *, retry_errors: bool = False) -> int:
        """Run "Manage Inventory Transactions": process every pending interface row (any
        mode; Background rows wait for this), and with ``retry_errors`` the failed ones too
        (as resubmitting them from Manage Pending Transactions does). Returns how many rows
        were processed successfully.

        https://docs.oracle.com/en/cloud/saas/readiness/scm/24a/inv24a/24A-inventory-wn-f30338.htm
        """
        with self._lock:
            staged = self.resources[STAGED].items
            done = 0
            for key in list(staged):
                row = staged[key]
                if row.get("ProcessStatus") == _ERROR and not retry_errors:
                    continue
                self._due.pop(key, None)
                done += self._process(key)
            return done

    def online_timeout(self, request: httpx.Request) -> httpx.Response:
        # An Online staged-transaction POST that runs too long keeps the row in the interface,
        # unprocessed, and answers 408 (see _after_staging); any other request is served.
        self._online_timeout = True
        try:
            return self.handle(request)
        finally:
            self._online_timeout = False

    # -- transport entry ---------------------------------------------------------------------

    def fault_response(self, kind: FaultKind, request: httpx.Request) -> httpx.Response:
        if kind is FaultKind.RATE_LIMIT:
            return text_response(429, "Too Many Requests", headers={"Retry-After": "30"})
        status = self.faults.plan.server_error_status
        return text_response(status, "The server is temporarily unavailable.")

    def handle(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == self.identity_host:
            return self._token(request)
        if host != self.pod_host:
            raise httpx.ConnectError(f"simulated: cannot resolve host {host!r}", request=request)
        if not self._authorised(request):
            return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer realm="oracle"'})
        wants_json = ERROR_MEDIA_TYPE in request.headers.get("Accept", "")
        self._process_due()
        try:
            version = request.headers.get("REST-Framework-Version", "1").strip() or "1"
            if not version.isdigit():
                raise OracleError(400, f"The REST framework version {version} isn't valid.")
            # "Fusion Applications REST APIs use framework version 1 by default."
            # https://docs.oracle.com/en/cloud/saas/sales/faaps/Set_the_REST_Framework_Version.html
            self._framework = int(version)
            return self._route(request)
        except OracleError as exc:
            return self._error_response(exc, wants_json)

    def _error_response(self, exc: OracleError, wants_json: bool) -> httpx.Response:
        if wants_json:
            # Structured errors for "Accept: application/vnd.oracle.adf.error+json": title,
            # status and o:errorDetails (detail, o:errorCode, o:errorPath when known); the
            # media type is listed on https://docs.oracle.com/en/cloud/saas/sales/faaps/Media_Types.html
            detail: dict[str, Any] = {
                "detail": exc.message,
                "o:errorCode": exc.code or str(exc.status),
            }
            if exc.path:
                detail["o:errorPath"] = exc.path
            body = {
                "title": _REASONS.get(exc.status, "Error"),
                "status": str(exc.status),
                "o:errorDetails": [detail],
            }
            return json_response(exc.status, body, content_type=ERROR_MEDIA_TYPE)
        return text_response(exc.status, exc.text())

    # -- identity domain ---------------------------------------------------------------------

    def _token(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or request.url.path != "/oauth2/v1/token":
            return text_response(404, "Not Found")
        form = {k: v[0] for k, v in parse_qs(request.content.decode("utf-8", "replace")).items()}
        client = _basic(request.headers.get("Authorization"))
        if client is None and "client_id" in form:
            client = (form["client_id"], form.get("client_secret", ""))
        if client != self._client:
            return json_response(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed."},
            )
        if form.get("grant_type") != "client_credentials":
            return json_response(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "The grant type is not supported.",
                },
            )
        if self.scope is not None and form.get("scope") != self.scope:
            return json_response(
                400,
                {
                    "error": "invalid_scope",
                    "error_description": "The requested scope is invalid, unknown, or malformed.",
                },
            )
        self.token_requests += 1
        token = f"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.sim-{self.token_requests:06d}.signature"
        self.tokens[token] = self.clock.monotonic() + self.token_ttl
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}
        return json_response(200, body, headers={"Cache-Control": "no-store"})

    def _authorised(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            expiry = self.tokens.get(header[7:].strip())
            return expiry is not None and self.clock.monotonic() < expiry
        user = _basic(header)
        return user is not None and self.basic_users.get(user[0]) == user[1]

    # -- routing -----------------------------------------------------------------------------

    def _route(self, request: httpx.Request) -> httpx.Response:
        parts = [p for p in request.url.path.split("/") if p]
        if (
            len(parts) < 3
            or parts[1] != "resources"
            or parts[0]
            not in (
                "fscmRestApi",
                "crmRestApi",
            )
        ):
            raise OracleError(404, "The requested URL was not found on this server.")
        root, version, rest = parts[0], parts[2], parts[3:]
        if version not in (self.version, "latest"):
            raise OracleError(404, f"The REST version {version} is not supported.")
        method = request.method.upper()
        if not rest:
            if method == "POST":
                ctype = request.headers.get("Content-Type", "")
                if BATCH_MEDIA_TYPE not in ctype:
                    raise OracleError(415, f"Unsupported media type {ctype!r} for a batch request.")
                return self._batch(root, _json(request))
            raise OracleError(405, f"{method} is not supported on the version root.")
        name = rest[0]
        if name == ITEMS and root == "fscmRestApi" and method == "GET" and len(rest) == 1:
            # The item master answers q with 'or' (testing/_items.py).
            base = f"{self.pod_url}/{root}/resources/{self.version}/{name}"
            try:
                body = self.item_master.collection(
                    dict(request.url.params.items()),
                    base,
                    framework=request.headers.get("REST-Framework-Version"),
                )
            except QueryError as exc:
                raise OracleError(400, f"The URL parameter is not valid: {exc}") from None
            return json_response(200, body, content_type=COLLECTION_MEDIA_TYPE)
        if name == "describe" and method == "GET":
            return json_response(
                200,
                self._describe([r for r in self.resources.values() if r.root == root]),
                content_type=DESCRIBE_MEDIA_TYPE,
            )
        resource = self.resources.get(name)
        if resource is None or resource.root != root:
            raise OracleError(404, f"The resource {name} was not found.")
        params = dict(request.url.params.items())
        path = "/" + "/".join(rest)
        status, body = self._operate(resource, method, rest[1:], params, request, path)
        if status == 204:
            return httpx.Response(204)
        ctype = COLLECTION_MEDIA_TYPE if len(rest) == 1 and method == "GET" else ITEM_MEDIA_TYPE
        return json_response(status, body, content_type=ctype)

    def _operate(
        self,
        resource: _Resource,
        method: str,
        rest: Sequence[str],
        params: Mapping[str, str],
        request: httpx.Request | None,
        path: str,
        payload: Any = None,
    ) -> tuple[int, Any]:
        """One operation on a resource; shared by direct requests and batch parts."""
        base = f"{self.pod_url}/{resource.root}/resources/{self.version}/{resource.name}"
        if rest and rest[0] == "describe" and method == "GET":
            return 200, self._describe([resource])
        if not rest:
            if method == "GET":
                return 200, self._list(resource, params, base)
            if method == "POST":
                if not resource.writable:
                    raise OracleError(405, f"POST is not supported on {resource.name}.")
                body = payload if payload is not None else _json(request)
                return 201, self._item(resource, self._create(resource, body), base, params)
            raise OracleError(405, f"{method} is not supported on {resource.name}.")
        key = _key(resource, rest[0])
        item = resource.items.get(key)
        if item is None:
            raise OracleError(404, f"The requested {resource.name} item {rest[0]} was not found.")
        if method == "GET":
            return 200, self._item(resource, item, base, params)
        if not resource.writable:
            raise OracleError(405, f"{method} is not supported on {resource.name}.")
        if method == "PATCH":
            body = payload if payload is not None else _json(request)
            return 200, self._item(resource, self._update(resource, key, body), base, params)
        if method == "DELETE":
            self._remove(resource, key)
            return 204, None
        raise OracleError(405, f"{method} is not supported on {resource.name} items.")

    # -- reading -----------------------------------------------------------------------------

    def _queryable(self, resource: _Resource, groups: list[list[Condition]]) -> None:
        """A ``q`` on an attribute the resource lacks, or one that is not queryable, is a 400
        (describe's ``queryable`` flag: https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/Use_Metadata_Catalog.html).
        The message is the simulator's own (UNCERTAIN: Oracle's wording was not found)."""
        meta = self.meta.get(resource.name) if self.strict else None
        if meta is None:
            return
        for conditions in groups:
            for condition in conditions:
                attribute = meta.attributes.get(condition.attribute)
                if attribute is None and condition.attribute in self.extra_attributes:
                    continue  # a tenant's own attribute (extra_attributes), queryable
                if attribute is None:
                    raise OracleError(
                        400,
                        f"The attribute {condition.attribute} isn't valid for the resource "
                        f"{resource.name}.",
                        "FND_REST_INVALID_ATTRIBUTE",
                        condition.attribute,
                    )
                if not attribute.queryable:
                    raise OracleError(
                        400,
                        f"The attribute {condition.attribute} of the resource {resource.name} "
                        "isn't queryable.",
                        "FND_REST_ATTRIBUTE_NOT_QUERYABLE",
                        condition.attribute,
                    )

    def _list(self, resource: _Resource, params: Mapping[str, str], base: str) -> dict[str, Any]:
        try:
            groups = (
                parse_q_groups(params["q"], allow_or=self._framework >= 2)
                if params.get("q")
                else []
            )
            self._queryable(resource, groups)
            conditions = groups[0] if len(groups) == 1 else []
            if params.get("finder"):
                name, bindings = parse_finder(params["finder"])
                variables = resource.finders.get(name)
                if variables is None:
                    raise OracleError(400, f"The finder {name} isn't defined for {resource.name}.")
                unknown = set(bindings) - set(variables)
                if unknown or not bindings:
                    raise OracleError(
                        400, f"The finder {name} needs one of {sorted(variables)} as variables."
                    )
                items = resource.items.find_text(
                    [variables[k] for k in bindings], list(bindings.values())
                )
                items = [
                    i
                    for i in items
                    if all(str(i.get(variables[k])) == v for k, v in bindings.items())
                ]
            elif len(groups) > 1:
                # Each ``or`` group narrowed on its own index, then joined (in first-seen
                # order, each item once): a bulk look-up of many keys stays cheap to serve.
                seen: dict[int, dict[str, Any]] = {}
                for group in groups:
                    for item in resource.items.candidates(group):
                        seen.setdefault(id(item), item)
                items = list(seen.values())
            else:
                items = resource.items.candidates(conditions)
            if groups:
                items = [i for i in items if matches_any(i, groups)]
            if params.get("orderBy"):
                for spec in reversed(params["orderBy"].split(",")):
                    attribute, _, direction = spec.partition(":")
                    items.sort(
                        key=_order_key(attribute.strip()),
                        reverse=direction.strip().lower() == "desc",
                    )
            limit = int(params.get("limit") or DEFAULT_LIMIT)
            offset = int(params.get("offset") or 0)
        except (QueryError, ValueError) as exc:
            raise OracleError(400, f"The URL parameter is not valid: {exc}") from None
        if limit < 1 or offset < 0:
            raise OracleError(400, "limit must be positive and offset not negative.")
        limit = min(limit, MAX_LIMIT)  # the server clamps; clients must page on hasMore
        page = items[offset : offset + limit]
        body: dict[str, Any] = {
            "items": [self._item(resource, i, base, params) for i in page],
            "count": len(page),
            "hasMore": offset + len(page) < len(items),
            "limit": limit,
            "offset": offset,
        }
        if params.get("totalResults", "").lower() == "true":
            body["totalResults"] = len(items)
        if not _only_data(params):
            body["links"] = [
                {"rel": "self", "href": base, "name": resource.name, "kind": "collection"}
            ]
        return body

    def _item(
        self,
        resource: _Resource,
        item: Mapping[str, Any],
        base: str,
        params: Mapping[str, str],
    ) -> dict[str, Any]:
        fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()]
        expand = {e.strip() for e in params.get("expand", "").split(",") if e.strip()}
        children = [k for k, v in item.items() if isinstance(v, list) and k != "links"]
        if fields:
            # "fields ... cannot be combined with expand ... only fields will be considered."
            out = {f: item.get(f) for f in fields}
        else:
            out = {
                k: copy.deepcopy(v)
                for k, v in item.items()
                if k not in children or "all" in expand or k in expand
            }
        if not _only_data(params):
            href = f"{base}/{item[resource.key]}"
            links = [
                {"rel": "self", "href": href, "name": resource.name, "kind": "item"},
                {"rel": "canonical", "href": href, "name": resource.name, "kind": "item"},
            ]
            links += [
                {"rel": "child", "href": f"{href}/child/{c}", "name": c, "kind": "collection"}
                for c in children
            ]
            out["links"] = links
        return out

    def _describe(self, resources: Sequence[_Resource]) -> dict[str, Any]:
        # "The metadata also includes attribute properties such as name, type, mandatory,
        # updatable, queryable" (https://docs.oracle.com/en/cloud/saas/financials/23d/farfa/Use_Metadata_Catalog.html).
        described = {}
        for resource in resources:
            meta = self.meta.get(resource.name)
            if meta is not None:
                listed: list[dict[str, Any]] = list(meta.describe())
                children = [
                    {"name": child, "kind": "collection"} for child in sorted(meta.children)
                ]
            else:
                names = sorted(
                    {k for item in resource.items.values() for k in item} | {resource.key}
                )
                listed = [{"name": a, "queryable": True, "updatable": True} for a in names]
                children = []
            described[resource.name] = {
                "title": resource.name,
                "attributes": listed,
                "children": children,
                "collection": {
                    "rangeSize": DEFAULT_LIMIT,
                    "finders": [
                        {"name": n, "attributes": [{"name": v} for v in vs]}
                        for n, vs in resource.finders.items()
                    ],
                },
                "item": {"key": resource.key},
            }
        return {"Resources": described}

    # -- writing (journalled so a batch can roll back) ---------------------------------------

    def _put(self, resource: _Resource, key: Any, item: dict[str, Any]) -> None:
        previous = resource.items.get(key)
        resource.items[key] = item
        if self._journal is not None:
            self._journal.append(partial(_restore, resource.items, key, previous))

    def _remove(self, resource: _Resource, key: Any) -> None:
        previous = resource.items.pop(key)
        if self._journal is not None:
            self._journal.append(partial(_restore, resource.items, key, previous))

    def _now(self) -> str:
        return self.clock.now().astimezone(UTC).isoformat(timespec="milliseconds")

    def _duplicate(
        self, resource: _Resource, attribute: str | Sequence[str], body: Mapping[str, Any]
    ) -> None:
        names = (attribute,) if isinstance(attribute, str) else tuple(attribute)
        values = tuple(body.get(name) for name in names)
        if any(value in (None, "") for value in values):
            return
        if any(
            tuple(item.get(name) for name in names) == values
            for item in resource.items.find(names, values)
        ):
            shown = ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=True))
            raise OracleError(
                400,
                f"A {resource.name} record with {shown} already exists. Enter a unique value.",
                self.duplicate_error_code,
            )

    def _account(self, number: Any, field: str, code: str) -> dict[str, Any]:
        sites = self.resources["receivablesCustomerAccountSiteActivities"].items
        wanted = str(number)
        for site in sites.find(("AccountNumber",), (wanted,)):
            if site.get("AccountNumber") == wanted:
                return site
        raise OracleError(400, f"The {field} {number} isn't valid.", code)

    def _check_combination(self, value: Any, where: str, code: str) -> None:
        # Found by segments, then checked: EnabledFlag may be changed in place (a test does).
        combos = self.resources["accountCombinationsLOV"].items.find(
            (self.account_attribute,), (value,)
        )
        if not any(
            c.get(self.account_attribute) == value and c.get("EnabledFlag") == "Y" for c in combos
        ):
            raise OracleError(
                400, f"The account combination {value} for {where} isn't valid.", code
            )

    def _check_body(
        self, meta: ResourceMeta, body: Mapping[str, Any], *, update: bool, where: str
    ) -> None:
        """Refuse an attribute the resource does not have, a read-only (or, in a PATCH,
        non-updatable) one, and a string over its maximum length: the attribute tables and
        lengths are the create and update operation pages' schemas (see _oracle_meta). The
        messages are the simulator's own (UNCERTAIN: Oracle's wording was not found)."""
        for name, value in body.items():
            if name == "links":
                continue
            if name in meta.children:
                child = meta.children[name]
                if child is None or update:
                    continue
                if not isinstance(value, list):
                    raise OracleError(400, f"The child {name} must be an array.", None, name)
                for n, entry in enumerate(value):
                    if not isinstance(entry, dict):
                        raise OracleError(400, f"{name}[{n}] must be an object.", None, name)
                    self._check_body(child, entry, update=False, where=f"{where}.{name}")
                continue
            attribute = meta.attributes.get(name)
            if attribute is None and name in self.extra_attributes:
                continue  # a tenant's own attribute (extra_attributes)
            if attribute is None:
                raise OracleError(
                    400,
                    f"The attribute {name} isn't valid for the resource {where}.",
                    "FND_REST_INVALID_ATTRIBUTE",
                    name,
                )
            if not (attribute.updatable if update else attribute.creatable):
                raise OracleError(
                    400,
                    f"The attribute {name} of the resource {where} can't be "
                    f"{'updated' if update else 'set'}.",
                    "FND_REST_READ_ONLY_ATTRIBUTE",
                    name,
                )
            if (
                attribute.max_length is not None
                and isinstance(value, str)
                and len(value) > attribute.max_length
            ):
                raise OracleError(
                    400,
                    f"The value of {name} is {len(value)} characters long; the maximum length "
                    f"is {attribute.max_length}.",
                    "FND_REST_VALUE_TOO_LONG",
                    name,
                )

    def _create(self, resource: _Resource, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise OracleError(400, "The request body must be a JSON object.")
        meta = self.meta.get(resource.name) if self.strict else None
        if meta is not None:
            self._check_body(meta, body, update=False, where=resource.name)
        item = copy.deepcopy(body)
        now = self._now()
        if resource.name == "receivablesInvoices":
            self._create_transaction(resource, item, self.invoice_key, invoice=True)
        elif resource.name == "receivablesCreditMemos":
            self._create_transaction(resource, item, self.credit_memo_key, invoice=False)
        elif resource.name == "inventoryStagedTransactions":
            self._create_inventory(resource, item)
        else:
            item.setdefault("PartyId", next(self._ids))
            item.setdefault("PartyNumber", f"P{item['PartyId']}")
            contacts = item.get("ContactPoint")
            if self.party_email_attribute not in item and isinstance(contacts, list):
                emails = [c.get("EmailAddress") for c in contacts if isinstance(c, dict)]
                item[self.party_email_attribute] = next((e for e in emails if e), None)
        item.setdefault("CreationDate", now)
        item["LastUpdateDate"] = now
        self._put(resource, item[resource.key], item)
        self.created[resource.name] = self.created.get(resource.name, 0) + 1
        if resource.name == STAGED:
            answer = copy.deepcopy(item)
            self._after_staging(item[resource.key], answer)
            return answer
        return item

    def _create_transaction(
        self, resource: _Resource, item: dict[str, Any], key: str, *, invoice: bool
    ) -> None:
        # Codes from https://docs.oracle.com/en/cloud/saas/financials/25c/farfa/Error_Messages_for_Receivables_Invoices.html
        setup = self.transaction_source_setups.get(str(item.get("TransactionSource")))
        self._number(resource, item, setup)
        if not (setup is not None and key == "TransactionNumber"):
            self._duplicate(resource, key, item)
        unit = item.get("BusinessUnit")
        if not unit or (self.business_units is not None and unit not in self.business_units):
            raise OracleError(400, f"The business unit {unit} isn't valid.", "AR_BU_NOT_FOUND")
        source = item.get("TransactionSource")
        if self.sources is not None and source not in self.sources:
            raise OracleError(
                400, f"The transaction source {source} isn't valid.", "AR_BATCH_SOURCE_NOT_FOUND"
            )
        account = self._account(
            item.get("BillToCustomerNumber"),
            "bill-to customer account number",
            "AR_BILL_TO_CUST_NOT_FOUND",
        )
        site = item.get("BillToSite")
        sites = self.resources["receivablesCustomerAccountSiteActivities"].items.find(
            ("AccountNumber", "BillToSiteNumber"), (account["AccountNumber"], site)
        )
        if site and not any(
            s.get("AccountNumber") == account["AccountNumber"] and s.get("BillToSiteNumber") == site
            for s in sites
        ):
            raise OracleError(
                400, f"The bill-to site {site} isn't valid.", "AR_BILL_TO_SITE_NOT_FOUND"
            )
        currency = item.get("InvoiceCurrencyCode" if invoice else "CreditMemoCurrency")
        if currency and currency != self.ledger_currency and not item.get("ConversionRateType"):
            raise OracleError(
                400,
                "You can only create an invoice in the ledger currency.",
                "AR_FUNC_CURRENCY_REQ",
            )
        lines_name = "receivablesInvoiceLines" if invoice else "receivablesCreditMemoLines"
        for n, line in enumerate(item.get(lines_name) or [], start=1):
            number = line.get("LineNumber", n)
            # Invoice lines say Description; credit memo lines say LineDescription.
            described = line.get("Description") or line.get("LineDescription")
            if not (described or line.get("ItemNumber") or line.get("MemoLine")):
                raise OracleError(
                    400,
                    f"Enter a value for item, memo line, or description for line {number}.",
                    "AR_LINE_ATTR_OPT_REQ",
                )
            item_number = line.get("ItemNumber")
            if item_number and self.items and item_number not in self.items:
                raise OracleError(400, f"The item {item_number} isn't valid.", "AR_ITEM_NOT_FOUND")
            # Invoice lines say LineAmount/Quantity; credit memo lines say
            # LineAmountCredit/LineQuantityCredit.
            amount_name = "LineAmount" if invoice else "LineAmountCredit"
            quantity = line.get("Quantity" if invoice else "LineQuantityCredit")
            amount = line.get(amount_name)
            if amount is None and quantity is not None:
                amount = Decimal(str(quantity)) * Decimal(str(line.get("UnitSellingPrice") or 0))
                line[amount_name] = amount
            line.setdefault("CustomerTransactionLineId", next(self._ids))
        dists_name = (
            "receivablesInvoiceDistributions" if invoice else "receivablesCreditMemoDistributions"
        )
        tax_lines_name = (
            "receivablesInvoiceLineTaxLines" if invoice else "receivablesCreditMemoLineTaxLines"
        )
        lines = item.get(lines_name) or []
        dists = item.get(dists_name) or []
        if dists:
            problem = check_distributions(
                lines,
                dists,
                line_attribute="InvoiceLineNumber" if invoice else "CreditMemoLineNumber",
                tax_lines_name=tax_lines_name,
            )
            if problem is not None:
                raise OracleError(400, f"The distributions aren't valid: {problem}.")
        total = document_amount(
            lines, amount="LineAmount" if invoice else "LineAmountCredit", tax_lines=tax_lines_name
        )
        for dist in dists:
            if dist.get("AccountCombination") is not None:
                self._check_combination(
                    dist["AccountCombination"],
                    f"the {dist.get('AccountClass', 'distribution')} distribution",
                    "AR_INVALID_ACCOUNT_COMBINATION",
                )
            dist.setdefault("DistributionId", next(self._ids))
        item["CustomerTransactionId"] = next(self._ids)
        # A real pod answers with every attribute, null when unset.
        for attribute in _TRANSACTION_ATTRIBUTES:
            item.setdefault(attribute, None)
        if not item.get("TransactionNumber"):
            # A source with automatic numbering assigns the number (the doc shows "864").
            item["TransactionNumber"] = str(next(self._numbers))
        for line in lines:
            for tax in line.get(tax_lines_name) or []:
                tax.setdefault("CustomerTransactionLineId", next(self._ids))
        item["BillToSite"] = item.get("BillToSite") or account["BillToSiteNumber"]
        item["BillToCustomerName"] = item.get("BillToCustomerName") or account["CustomerName"]
        item["BillToPartyId"] = account["CustomerId"]
        item.setdefault("InvoiceStatus" if invoice else "CreditMemoStatus", "Incomplete")
        item["EnteredAmount"] = total
        if invoice:
            item["InvoiceBalanceAmount"] = total

    def _number(
        self, resource: _Resource, item: dict[str, Any], setup: TransactionSourceSetup | None
    ) -> None:
        """Apply the transaction source's numbering to ``item`` (see _receivables)."""
        if setup is None:
            return
        if setup.automatic_numbering:
            # An automatic source ignores the number given and assigns its own.
            item["TransactionNumber"] = setup.assign()
            return
        number = item.get("TransactionNumber")
        if number in (None, ""):
            raise OracleError(
                400,
                f"Enter a transaction number: the transaction source {setup.name} uses manual "
                "numbering.",
                "AR_TRX_NUMBER_REQUIRED",
            )
        if setup.allow_duplicate_numbers:
            return
        others = resource.items.find(("TransactionNumber",), (str(number),))
        if any(
            other.get("TransactionNumber") == str(number)
            and other.get("TransactionSource") == setup.name
            for other in others
        ):
            raise OracleError(
                400,
                f"The transaction number {number} already exists in transaction source "
                f"{setup.name}. Enter a unique value.",
                self.duplicate_error_code,
            )

    def _create_inventory(self, resource: _Resource, item: dict[str, Any]) -> None:
        if self.inventory_key is not None:
            self._duplicate(resource, self.inventory_key, item)
        for required in ("ItemNumber", "TransactionTypeName", "TransactionQuantity"):
            if item.get(required) in (None, ""):
                raise OracleError(
                    400,
                    f"You must provide a value for the attribute {required}.",
                    "FND_CMN_REQ_ATTRIB_API_SERV",
                    required,
                )
        mode = item.get("TransactionMode")
        if mode is not None and str(mode).strip().lower() not in _MODES:
            raise OracleError(
                400,
                f"The transaction mode {mode} isn't valid. Use Online, Concurrent or Background.",
                "INV_INVALID_TRANSACTION_MODE",
                "TransactionMode",
            )
        item["TransactionInterfaceId"] = next(self._ids)
        item.setdefault("TransactionHeaderId", next(self._ids))
        # A new interface row is pending until processed (PROCESS_FLAG 1); processing moves it
        # out of the interface or marks it failed (see _process).
        item["ErrorCode"] = None
        item["ErrorExplanation"] = None
        item["ProcessStatus"] = _PENDING

    def _mode(self, row: Mapping[str, Any]) -> str:
        mode = row.get("TransactionMode")
        if mode is not None:
            return _MODES[str(mode).strip().lower()]
        if self.default_transaction_mode == "mixed":
            return ("online", "concurrent", "background")[next(self._mixed) % 3]
        return self.default_transaction_mode

    def _after_staging(self, key: Any, answer: dict[str, Any]) -> None:
        """Process a new interface row as its ``TransactionMode`` says.

        Online: "processed synchronously"; Concurrent: "immediately processed using the Create
        Inventory Transaction process" (here ``concurrent_delay`` seconds later); Background:
        "not processed until the Manage Inventory Transaction process is run"
        (https://docs.oracle.com/en/cloud/saas/readiness/scm/24a/inv24a/24A-inventory-wn-f30338.htm).
        """
        mode = self._mode(answer)
        if mode == "concurrent":
            self._due[key] = self.clock.monotonic() + self.concurrent_delay
        elif mode == "online":
            if self._online_timeout:
                # Ran too long: the row stays in the interface and the POST answers 408. In a
                # batch the other parts are applied and the whole answer is the 408 (the
                # stricter reading: the client learns nothing of any part).
                self._online_timeout = False
                if self._journal is not None:
                    self._batch_timed_out = True
                    return
                raise OracleError(
                    408,
                    "The request timed out. The transaction is saved in the interface; run the "
                    "Manage Inventory Transactions process to complete it.",
                    "INV_ONLINE_TIMEOUT",
                )
            self._process(key)
            # Online mode reports a processing error in the 2xx answer itself (ErrorCode /
            # ErrorExplanation; see the reference notes, inventory section).
            row = self.resources[STAGED].items.get(key)
            if row is not None:
                for name in ("ErrorCode", "ErrorExplanation", "ProcessStatus"):
                    answer[name] = row.get(name)

    def _inventory_error(self, row: Mapping[str, Any]) -> tuple[str, str] | None:
        """Why processing would fail (codes are the simulator's own)."""
        code = row.get("OrganizationCode")
        name = row.get("OrganizationName")
        if code is None and name is None:
            return ("INV_ORGANIZATION_REQUIRED", "Enter an inventory organization.")
        if self.organizations and code is not None and code not in self.organizations:
            return ("INV_INVALID_ORGANIZATION", f"The organization {code} isn't valid.")
        if self.organization_names and name is not None and name not in self.organization_names:
            return ("INV_INVALID_ORGANIZATION", f"The organization {name} isn't valid.")
        if self.items and row["ItemNumber"] not in self.items:
            return (
                "INV_INVALID_ITEM",
                f"The item {row['ItemNumber']} isn't valid in this organization.",
            )
        if (refused := self.item_master.refusal(row)) is not None:
            return refused  # unknown in the organization, or not transactable there
        wanted = row.get("AccountCombination")
        if wanted is not None:
            combos = self.resources["accountCombinationsLOV"].items.find(
                (self.account_attribute,), (wanted,)
            )
            if not any(c.get(self.account_attribute) == wanted for c in combos):
                return ("INV_INVALID_DIST_ACCOUNT", f"The account {wanted} isn't valid.")
        return None

    def _process(self, key: Any) -> int:
        """Process one interface row: a failure stays in the interface with ``ErrorCode`` and
        ``ErrorExplanation``; a success leaves it for ``inventoryCompletedTransactions``
        (the interface "transfers records out" once processed; the completed resource is GET
        only: https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/23d/fasrp/op-inventorycompletedtransactions-get.html).
        Returns 1 for a success."""
        staged = self.resources[STAGED]
        row = staged.items.get(key)
        if row is None:
            return 0
        error = self._inventory_error(row)
        now = self._now()
        if error is not None:
            failed = copy.deepcopy(row)
            failed.update(
                ErrorCode=error[0],
                ErrorExplanation=error[1],
                ProcessStatus=_ERROR,
                LastUpdateDate=now,
            )
            self._put(staged, key, failed)
            return 0
        completed = self.resources[COMPLETED]
        movement: dict[str, Any] = {"TransactionId": next(self._ids)}
        movement.update({name: copy.deepcopy(row.get(name)) for name in _COMPLETED_COPY})
        movement["TransactionSourceTypeName"] = "Inventory"
        movement["CreationDate"] = now
        self._put(completed, movement["TransactionId"], movement)
        self._remove(staged, key)
        return 1

    def _process_due(self) -> None:
        """Process the Concurrent-mode rows whose time has come on the simulator's clock."""
        if not self._due:
            return
        now = self.clock.monotonic()
        for key, due in sorted(self._due.items(), key=lambda pair: pair[1]):
            if due <= now:
                del self._due[key]
                self._process(key)

    def _update(self, resource: _Resource, key: Any, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise OracleError(400, "The request body must be a JSON object.")
        meta = self.meta.get(resource.name) if self.strict else None
        if meta is not None:
            self._check_body(meta, body, update=True, where=resource.name)
        if resource.name == "receivablesInvoices":
            # "You can update only the InvoiceStatus, PaymentTerms, and TransactionDate attributes."
            allowed = {"InvoiceStatus", "PaymentTerms", "TransactionDate"}
            other = sorted(set(body) - allowed)
            if other:
                raise OracleError(
                    400,
                    f"You can update only the InvoiceStatus, PaymentTerms, and TransactionDate "
                    f"attributes, not {', '.join(other)}.",
                )
        item = copy.deepcopy(resource.items[key])
        item.update(copy.deepcopy(body))
        item["LastUpdateDate"] = self._now()
        self._put(resource, key, item)
        return item

    # -- batch -------------------------------------------------------------------------------

    def _batch(self, root: str, body: Any) -> httpx.Response:
        parts = body.get("parts") if isinstance(body, dict) else None
        if not isinstance(parts, list) or not parts:
            raise OracleError(400, "A batch request needs a non-empty parts array.")
        self._journal = []
        results: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        status = 400
        try:
            for part in parts:
                try:
                    results.append(self._part(root, part))
                except OracleError as exc:
                    if not failures:
                        status = exc.status
                    failures.append(
                        {
                            "id": part.get("id") if isinstance(part, dict) else None,
                            "path": part.get("path") if isinstance(part, dict) else None,
                            "operation": part.get("operation") if isinstance(part, dict) else None,
                            "payload": {
                                "title": _REASONS.get(exc.status, "Error"),
                                "status": str(exc.status),
                                "detail": exc.text(),
                                "o:errorCode": exc.code,
                                "o:errorDetails": [
                                    {"detail": exc.message, "o:errorCode": exc.code}
                                ],
                            },
                        }
                    )
            if failures:
                # All or none: undo every part that was applied, report only failing parts.
                for undo in reversed(self._journal):
                    undo()
                return json_response(status, {"parts": failures}, content_type=BATCH_MEDIA_TYPE)
        finally:
            self._journal = None
            timed_out, self._batch_timed_out = self._batch_timed_out, False
        if timed_out:
            raise OracleError(
                408,
                "The request timed out. The transactions are saved in the interface; run the "
                "Manage Inventory Transactions process to complete them.",
                "INV_ONLINE_TIMEOUT",
            )
        return json_response(200, {"parts": results}, content_type=BATCH_MEDIA_TYPE)

    def _part(self, root: str, part: Any) -> dict[str, Any]:
        if not isinstance(part, dict) or not part.get("id") or not part.get("path"):
            raise OracleError(400, "Each batch part needs an id, a path and an operation.")
        operations = {
            "get": "GET",
            "create": "POST",
            "update": "PATCH",
            "replace": "PATCH",
            "delete": "DELETE",
        }
        method = operations.get(str(part.get("operation", "")).lower())
        if method is None:
            raise OracleError(400, f"The batch operation {part.get('operation')!r} isn't valid.")
        url = urlsplit(str(part["path"]))
        segments = [p for p in url.path.split("/") if p]
        # A part path is relative to the version root ("/receivablesInvoices") or absolute.
        if "resources" in segments:
            segments = segments[segments.index("resources") + 2 :]
        if not segments or segments[0] not in self.resources:
            raise OracleError(404, f"The resource in path {part['path']} was not found.")
        resource = self.resources[segments[0]]
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        _status, body = self._operate(
            resource, method, segments[1:], params, None, url.path, payload=part.get("payload")
        )
        result = {"id": part["id"], "path": part["path"], "operation": part["operation"]}
        if body is not None and self.batch_part_payloads:
            result["payload"] = body
        return result


def _order_key(attribute: str) -> Callable[[Mapping[str, Any]], tuple[int, int, Any]]:
    def key(item: Mapping[str, Any]) -> tuple[int, int, Any]:
        value = item.get(attribute)
        if value is None:
            return (0, 0, 0)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return (1, 0, value)
        return (1, 1, str(value))

    return key


def _restore(items: dict[Any, dict[str, Any]], key: Any, previous: dict[str, Any] | None) -> None:
    if previous is None:
        items.pop(key, None)
    else:
        items[key] = previous


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except ValueError:
        return None
    return user, password


def _json(request: httpx.Request | None) -> Any:
    if request is None:
        return None
    try:
        return json.loads(request.content, parse_float=Decimal)
    except ValueError:
        raise OracleError(400, "The request body isn't valid JSON.") from None


def _key(resource: _Resource, text: str) -> Any:
    sample = next(iter(resource.items), None)
    if isinstance(sample, int):
        try:
            return int(text)
        except ValueError:
            return text
    return text


def _only_data(params: Mapping[str, str]) -> bool:
    return params.get("onlyData", "").lower() == "true"
