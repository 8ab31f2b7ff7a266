"""Oracle Fusion Cloud ERP REST clients: :class:`OracleFusionClient` and its async twin.

Everything that is not I/O lives in :class:`_OracleFusionBase`: URLs, query strings, request
bodies, response parsing, and every multi-step decision (find-before-create, the "maybe staged"
lookup after an inventory timeout, batch isolation). Multi-step operations are written once as
*flows*: generators that yield a :class:`~ml_connector._http.Request` and receive the response
(or have the send error thrown in). The sync client drives a flow with ``SyncSender``, the async
client with ``AsyncSender``; that is all the twins do, so their public methods are the same.

Creates are never retried blindly. ``post_invoice_once`` and friends look the posting key up
first, create only when it is missing, and after a lost or unreadable answer look it up again
instead of posting twice.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Generic, TypeVar

import attrs
import httpx

from ml_connector._clock import Clock
from ml_connector._errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    MappingError,
    NotFoundError,
    PermissionDeniedError,
    ResponseDecodeError,
    TransportError,
)
from ml_connector._flow import adrive, drive
from ml_connector._http import (
    AsyncClientMixin,
    AsyncSender,
    Request,
    SyncClientMixin,
    SyncSender,
    read_json,
)
from ml_connector._network import check_proxy, proxy_repr
from ml_connector._pagination import OffsetPaginator, PageRequest
from ml_connector._ratelimit import RateLimiter
from ml_connector._redact import redact_url
from ml_connector._retry import RetryPolicy
from ml_connector._settings import (
    DEFAULT_USER_AGENT,
    HttpSettings,
    flag,
    header_text,
    integer,
    of_type,
    seconds,
    validate_https_url,
)

from ._auth import BasicCredentials, OAuthClientCredentials, make_auth
from ._batch import BATCH_CONTENT_TYPE, BatchPart, BatchPartResult, BatchPlanner
from ._bulk import AsyncBulkLookups, BulkLookups
from ._converter import (
    DEFAULT_CREDIT_MEMO_REFERENCE_ATTRIBUTE,
    WIRE_NAMES,
    dumps_wire,
    from_wire,
    make_converter,
    party_from_wire,
    to_wire,
)
from ._describe import (
    AttributeNeeds,
    TenantReport,
    check_described,
    merge_needs,
    problem_for_status,
    sorted_problems,
)
from ._documents import (
    DocumentKind,
    PostingKeyNotKeptError,
    PostResult,
    find_or_create_flow,
    post_keyed_flow,
)
from ._error_parser import oracle_error_parser
from ._inventory import (
    COMPLETED,
    InventoryCompletedTransactionRecord,
    InventoryPostResult,
    InventoryState,
    InventoryTransactionStatus,
    completed_filters,
    is_online,
    maybe_staged,
    parse_completed,
)
from ._items import DEFAULT_ITEM_FLAGS, ItemMasterRecord, items_flow  # catalog (issue 20)
from ._query import build_finder, build_q
from .models import (
    AccountCombination,
    CustomerAccount,
    CustomerAccountSite,
    InventoryStagedTransaction,
    InventoryStagedTransactionRecord,
    NewParty,
    Party,
    PartyType,
    ReceivablesCreditMemo,
    ReceivablesCreditMemoRecord,
    ReceivablesInvoice,
    ReceivablesInvoiceRecord,
)

__all__ = [
    "AsyncOracleFusionClient",
    "InventoryTransactionError",
    "OracleFusionClient",
    "OracleFusionSettings",
    "Page",
    "PostResult",
    "PostingKeyNotKeptError",
]

T = TypeVar("T")
R = TypeVar("R")
Flow = Generator[Request, httpx.Response, T]
"""A multi-step operation: yields requests, receives responses, returns a result."""

ITEM_TYPE = "application/vnd.oracle.adf.resourceitem+json"
DEFAULT_REST_VERSION = "11.13.18.05"
DEFAULT_FRAMEWORK_VERSION = "4"
DEFAULT_ACCEPT = "application/json, application/vnd.oracle.adf.error+json"
INVOICES = "receivablesInvoices"
CREDIT_MEMOS = "receivablesCreditMemos"
STAGED = "inventoryStagedTransactions"
SITE_ACTIVITIES = "receivablesCustomerAccountSiteActivities"
ACCOUNT_COMBINATIONS = "accountCombinationsLOV"


class InventoryTransactionError(ApiError):
    """Oracle accepted the request but reported ``ErrorCode``/``ErrorExplanation`` for it."""


# -- settings -------------------------------------------------------------------------------------


MAX_PAGE_SIZE = 500
"""The most rows Fusion returns for one collection request (see ``page_size``)."""


def _check_pod_url(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    validate_https_url(value, setting="pod_url", allow_http=instance.allow_http)


def _strip_url(value: Any) -> Any:
    return value.strip().rstrip("/") if isinstance(value, str) else value


def _non_empty(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("must not be empty", setting=attribute.name)


def _path_segment(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _non_empty(instance, attribute, value)
    if any(ch in value for ch in "/?#;&= "):
        raise ConfigurationError(f"{value!r} is not a plain path segment", setting=attribute.name)


def _names(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple):
        raise ConfigurationError(
            f"must be a list of attribute names, not {type(value).__name__}",
            setting=attribute.name,
        )
    if not value:
        raise ConfigurationError("must name at least one attribute", setting=attribute.name)
    for name in value:
        if not isinstance(name, str) or not name.strip() or any(c in name for c in "=;,'\" "):
            raise ConfigurationError(f"{name!r} is not an attribute name", setting=attribute.name)


def _str_tuple(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(value)
    return value  # refused by the validator, which names the setting


@attrs.frozen
class OracleFusionSettings:
    """How to reach one Fusion pod, and the customer-specific choices the reference leaves open.

    Attributes:
        pod_url: ``https://<pod>.fa.<dc>.oraclecloud.com`` or ``https://<x>.fa.ocs.oraclecloud.com``
            (scheme and host only).
        auth: OAuth client credentials (production) or Basic credentials (development pods).
        rest_version: The REST version in every path (``11.13.18.05``).
        framework_version: ``REST-Framework-Version`` header, pinned because versions are
            backward incompatible (the ``q`` syntax changes at 2). Default ``4`` (UNCERTAIN
            which is best; the reference suggests pinning one and testing).
        accept: ``Accept`` header; asks for structured JSON errors as well as JSON.
        metadata_context: ``Metadata-Context`` header value (a sandbox), when needed.
        invoice_key_attribute: The invoice attribute that carries our posting key
            (``TransactionNumber`` needs a manually numbered transaction source;
            ``CrossReference`` is the alternative, UNCERTAIN whether it is queryable).
        credit_memo_key_attribute: The same for credit memos.
        invoice_echo_attribute: A second invoice attribute that also carries the posting key
            and that Oracle keeps whatever the source's numbering (``CrossReference``, a
            documented ``receivablesInvoices`` create attribute,
            https://docs.oracle.com/en/cloud/saas/financials/25d/farfa/op-receivablesinvoices-post.html;
            numbering applies to ``TransactionNumber`` only; preflight checks that it is
            queryable). Searched when the key attribute finds nothing, so an invoice that an
            automatically numbered source renumbered is found and never posted again.
            ``None``, or the key attribute itself: no echo.
        credit_memo_echo_attribute: The same for credit memos. ``None`` by default: the
            credit memo's ``CrossReference`` names the reversed invoice
            (``credit_memo_reference_attribute``); set a queryable attribute (a descriptive
            flexfield) to protect credit memos of an automatically numbered source too.
        credit_memo_reference_attribute: Where a credit memo names the invoice it reverses.
        scope_key_by_business_unit: Look posting keys up within the payload's business unit.
        inventory_lookup_attributes: Attributes that identify one of our staged transactions
            when it is looked up (before posting, and after a 408/504).
        inventory_completed_lookup_attributes: The same in ``inventoryCompletedTransactions``,
            where processed rows go; only attributes a completed movement exposes
            (``TransactionReference`` carries the posting key; see ``oracle/_inventory.py``).
        party_root: The REST root of the party resources (``crmRestApi``).
        party_email_resources: Resources searched for parties by email (UNCERTAIN finder).
        party_email_attribute: The queryable email attribute of those resources.
        account_segment_delimiter: Delimiter of account combination segment strings.
        chart_of_accounts_id: Restricts account combination lookups to one chart of accounts.
        page_size: ``limit`` asked for on collection reads (Oracle's maximum is 500).
        batch_size: Largest number of parts per batch request.
        bulk_lookup_size: Posting keys looked up in one read (a ``q`` of ``or`` groups, REST
            framework 2 or later; see ``oracle/_bulk.py``); 1 looks every key up alone. Default
            (``None``): 40 at framework 2 and later, 1 at framework 1. A size above 1 at
            framework 1 is reported by the preflight.
        timeout: Seconds per request.
        retry: Retry policy for safe requests (GETs; 429 always).
        user_agent: ``User-Agent`` header.
        allow_http: Permit ``http://`` pod URLs (local simulators only).
        proxy: Proxy URL for every request, token requests included (see ``HttpSettings``).
        ca_bundle: PEM file of CA certificates to trust (see ``HttpSettings``).
    """

    pod_url: str = attrs.field(converter=_strip_url, validator=_check_pod_url)
    auth: OAuthClientCredentials | BasicCredentials = attrs.field(
        validator=of_type(
            (OAuthClientCredentials, BasicCredentials),
            "OAuthClientCredentials or BasicCredentials (a dict is not read)",
        )
    )
    rest_version: str = attrs.field(default=DEFAULT_REST_VERSION, validator=_path_segment)
    framework_version: str = attrs.field(default=DEFAULT_FRAMEWORK_VERSION, validator=_non_empty)
    accept: str = attrs.field(default=DEFAULT_ACCEPT, validator=header_text)
    metadata_context: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(header_text)
    )
    invoice_key_attribute: str = attrs.field(default="TransactionNumber", validator=_non_empty)
    credit_memo_key_attribute: str = attrs.field(default="TransactionNumber", validator=_non_empty)
    credit_memo_reference_attribute: str = attrs.field(
        default=DEFAULT_CREDIT_MEMO_REFERENCE_ATTRIBUTE, validator=_non_empty
    )
    invoice_echo_attribute: str | None = "CrossReference"
    credit_memo_echo_attribute: str | None = None
    scope_key_by_business_unit: bool = attrs.field(default=True, validator=flag)
    inventory_lookup_attributes: tuple[str, ...] = attrs.field(
        # TransactionTypeName tells a void's reversing receipt from the issue it reverses:
        # both carry the shipment's source reference (and, by default, its order number).
        default=(
            "SourceCode",
            "SourceHeaderId",
            "SourceLineId",
            "TransactionTypeName",
            "TransactionReference",
        ),
        converter=_str_tuple,
        validator=_names,
    )
    inventory_completed_lookup_attributes: tuple[str, ...] = attrs.field(
        default=("TransactionReference", "TransactionTypeName"),
        converter=_str_tuple,
        validator=_names,
    )
    party_root: str = attrs.field(default="crmRestApi", validator=_path_segment)
    party_email_resources: tuple[str, ...] = attrs.field(
        default=("hubOrganizations", "hubPersons"), converter=_str_tuple, validator=_names
    )
    party_email_attribute: str = attrs.field(default="EmailAddress", validator=_non_empty)
    account_segment_delimiter: str = attrs.field(default="-", validator=_non_empty)
    chart_of_accounts_id: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(integer(1))
    )
    # Fusion returns at most 500 rows a request: "the predefined query limit to retrieve the
    # records is set by default to 500 rows"
    # (https://docs.oracle.com/en/cloud/saas/sales/fasqa/what-s-the-size-limitation-for-custom-objects-in-application-composer.html);
    # asking for more is refused here rather than silently clamped by the server.
    page_size: int = attrs.field(
        default=500, validator=integer(1, MAX_PAGE_SIZE, why=" (Oracle returns at most 500)")
    )
    batch_size: int = attrs.field(default=50, validator=integer(1))
    bulk_lookup_size: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(integer(1))
    )
    timeout: float = attrs.field(default=60.0, validator=seconds)
    retry: RetryPolicy = attrs.field(
        factory=RetryPolicy, validator=of_type(RetryPolicy, "a RetryPolicy")
    )
    user_agent: str = attrs.field(default=DEFAULT_USER_AGENT, validator=header_text)
    allow_http: bool = attrs.field(default=False, kw_only=True, validator=flag)
    proxy: str | None = attrs.field(
        default=None, kw_only=True, repr=proxy_repr, validator=lambda _i, _a, v: check_proxy(v)
    )
    ca_bundle: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not self.framework_version.isdigit():
            raise ConfigurationError(
                f"{self.framework_version!r} is not a framework version number",
                setting="framework_version",
            )
        for party_resource in self.party_email_resources:
            if party_resource not in ("hubOrganizations", "hubPersons"):
                raise ConfigurationError(
                    f"{party_resource!r}: only hubOrganizations and hubPersons are supported",
                    setting="party_email_resources",
                )
        if self.credit_memo_reference_attribute == self.credit_memo_key_attribute:
            raise ConfigurationError(
                "must differ from the credit memo posting-key attribute",
                setting="credit_memo_reference_attribute",
            )
        for name in ("invoice_echo_attribute", "credit_memo_echo_attribute"):
            value = getattr(self, name)
            if value is not None and (not value.strip() or any(c in value for c in "=;,'\" ")):
                raise ConfigurationError(f"{value!r} is not an attribute name", setting=name)
        if self.credit_memo_echo_attribute == self.credit_memo_reference_attribute:
            raise ConfigurationError(
                "must differ from credit_memo_reference_attribute (which names the invoice)",
                setting="credit_memo_echo_attribute",
            )

    def http_settings(self) -> HttpSettings:
        """The core HTTP settings for this pod."""
        return HttpSettings(
            base_url=self.pod_url,
            timeout=self.timeout,
            retry=self.retry,
            user_agent=self.user_agent,
            allow_http=self.allow_http,
            proxy=self.proxy,
            ca_bundle=self.ca_bundle,
        )


# -- results --------------------------------------------------------------------------------------


@attrs.frozen
class Page(Generic[T]):
    """One page of a collection.

    Attributes:
        items: The parsed items.
        has_more: Oracle's ``hasMore``.
        offset: The offset this page started at.
        limit: The page size the server says it used (it may clamp what we asked for).
    """

    items: tuple[T, ...]
    has_more: bool
    offset: int
    limit: int | None = None


# -- the I/O-free core ----------------------------------------------------------------------------


def _invert(cls: type[Any]) -> dict[str, str]:
    return {wire: field for field, wire in WIRE_NAMES[cls].items()}


def _with_attribute(
    payload: Mapping[str, Any], order: Mapping[str, int], attribute: str, value: str
) -> dict[str, Any]:
    """A copy of ``payload`` with ``attribute`` set to ``value`` where writing the keyed model
    out again would put it: in its place when present; a field's attribute among the fields in
    field order (``order``); an attribute no field writes (``extra``) after everything."""
    if attribute in payload or attribute not in order:
        copy = dict(payload)
        copy[attribute] = value
        return copy
    rank = order[attribute]
    out: dict[str, Any] = {}
    for name, item in payload.items():
        if attribute not in out and order.get(name, len(order)) > rank:
            out[attribute] = value
        out[name] = item
    out.setdefault(attribute, value)
    return out


def _echo(echo: str | None, key_attribute: str) -> str | None:
    """The echo attribute, unless it is the key attribute itself (nothing to echo then)."""
    return None if echo is None or echo == key_attribute else echo


class _OracleFusionBase:
    """Everything the twins share: building requests, parsing answers, multi-step flows."""

    def __init__(self, settings: OracleFusionSettings) -> None:
        self.settings = settings
        self._wire_orders: dict[type[Any], dict[str, int]] = {}
        self.converter = make_converter(
            credit_memo_reference_attribute=settings.credit_memo_reference_attribute
        )
        self.fscm_root = f"/fscmRestApi/resources/{settings.rest_version}"
        self.party_root = f"/{settings.party_root}/resources/{settings.rest_version}"
        self._account_cache: dict[str, AccountCombination | None] = {}
        self._cache_lock = threading.Lock()
        self.invoice_kind = DocumentKind(
            name="invoice",
            resource=INVOICES,
            id_attribute="CustomerTransactionId",
            key_attribute=settings.invoice_key_attribute,
            number_attribute="TransactionNumber",
            echo_attribute=_echo(settings.invoice_echo_attribute, settings.invoice_key_attribute),
            setting="invoice_key_attribute",
        )
        self.credit_memo_kind = DocumentKind(
            name="credit memo",
            resource=CREDIT_MEMOS,
            id_attribute="CustomerTransactionId",
            key_attribute=settings.credit_memo_key_attribute,
            number_attribute="TransactionNumber",
            echo_attribute=_echo(
                settings.credit_memo_echo_attribute, settings.credit_memo_key_attribute
            ),
            setting="credit_memo_key_attribute",
            source_setting="receivables.credit_memo_transaction_source",
        )
        # A staged row is found by several attributes together and carries no number of
        # Oracle's; its create flow resolves a 408/504 itself, so no create error is uncertain.
        self.inventory_kind = DocumentKind(
            name="staged inventory transaction",
            resource=STAGED,
            id_attribute="TransactionInterfaceId",
            uncertain=(),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(pod_url={self.settings.pod_url!r})"

    def _default_headers(self) -> dict[str, str]:
        headers = {
            "REST-Framework-Version": self.settings.framework_version,
            "Accept": self.settings.accept,
        }
        if self.settings.metadata_context:
            headers["Metadata-Context"] = self.settings.metadata_context
        return headers

    # -- query syntax -----------------------------------------------------------------------------

    def build_q(self, filters: Mapping[str, Any]) -> str:
        """A ``q`` filter matching every attribute exactly, in the pinned framework's syntax.

        Values are escaped as :mod:`ml_connector.oracle._query` documents.

        Raises:
            UnexpressibleValueError: a value the syntax cannot express (a MappingError).
        """
        return build_q(filters, framework_version=self.settings.framework_version)

    @staticmethod
    def build_finder(name: str, variables: Mapping[str, Any]) -> str:
        """``<Finder>;Var1=Val1,Var2="Val, 2"``, values escaped (see ``oracle._query``)."""
        return build_finder(name, variables)

    # -- requests ---------------------------------------------------------------------------------

    def _collection_request(
        self,
        path: str,
        *,
        q: str | Mapping[str, Any] | None = None,
        finder: str | None = None,
        fields: Sequence[str] | None = None,
        order_by: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Request:
        if isinstance(q, Mapping):
            q = self.build_q(q)
        params: dict[str, Any] = {
            "onlyData": True,
            "q": q,
            "finder": finder,
            "fields": ",".join(fields) if fields else None,
            "orderBy": order_by,
            "offset": offset,
            "limit": limit if limit is not None else self.settings.page_size,
        }
        return Request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def _create_request(self, path: str, payload: Mapping[str, Any]) -> Request:
        return Request(
            "POST",
            path,
            content=dumps_wire(payload),
            headers={"Content-Type": ITEM_TYPE},
            retry_safe=False,
        )

    def _item_request(self, path: str) -> Request:
        return Request("GET", path, params={"onlyData": True})

    # -- parsing ----------------------------------------------------------------------------------

    def _page(self, response: httpx.Response, parse: Any, offset: int) -> tuple[Any, Page[Any]]:
        body = read_json(response)
        if not isinstance(body, Mapping) or not isinstance(body.get("items"), list):
            raise ResponseDecodeError(
                "expected an Oracle collection with items[]",
                field="items",
                method=response.request.method,
                url=redact_url(str(response.request.url)),
                status=response.status_code,
            )
        items = tuple(parse(item) for item in body["items"])
        limit = body.get("limit")
        page = Page(
            items=items,
            has_more=body.get("hasMore") is True,
            offset=offset,
            limit=limit if isinstance(limit, int) else None,
        )
        return body, page

    def _one(self, response: httpx.Response, cls: type[T], context: str) -> T:
        body = read_json(response)
        # Some answers wrap the item in items[] (the documented PATCH example does).
        if isinstance(body, Mapping) and "items" in body and isinstance(body["items"], list):
            if len(body["items"]) != 1:
                raise ResponseDecodeError(
                    f"{context}: expected one item, got {len(body['items'])}", field="items"
                )
            body = body["items"][0]
        return from_wire(cls, body, self.converter, context=context)

    def _parser(self, cls: type[T], context: str) -> Any:
        return lambda item: from_wire(cls, item, self.converter, context=context)

    # -- generic flows ----------------------------------------------------------------------------

    def _list_flow(self, path: str, cls: type[T], context: str, **query: Any) -> Flow[Page[T]]:
        offset = query.pop("offset", 0)
        response = yield self._collection_request(path, offset=offset, **query)
        return self._page(response, self._parser(cls, context), offset)[1]

    def _find_all_flow(
        self, path: str, parse: Any, *, limit: int | None = None, **query: Any
    ) -> Flow[list[Any]]:
        """Every item of a (small) query, across pages."""
        paginator = OffsetPaginator(limit if limit is not None else self.settings.page_size)
        found: list[Any] = []
        page_request: PageRequest | None = paginator.first()
        while page_request is not None:
            params = dict(page_request.params)
            response = yield self._collection_request(
                path, offset=params["offset"], limit=params["limit"], **query
            )
            body, page = self._page(response, parse, params["offset"])
            found.extend(page.items)
            page_request = paginator.next(body)
        return found

    def _find_one_flow(
        self, path: str, cls: type[T], context: str, filters: Mapping[str, Any], what: str
    ) -> Flow[T | None]:
        found = yield from self._find_all_flow(
            path, self._parser(cls, context), limit=10, q=filters
        )
        if len(found) > 1:
            raise ConflictError(f"{len(found)} {context} records carry {what}")
        return found[0] if found else None

    # -- receivables ------------------------------------------------------------------------------

    def _keyed(
        self, model: T, cls: type[Any], attribute: str, key: str, wire: Mapping[str, Any]
    ) -> T:
        """``model`` (whose wire form is ``wire``) with ``key`` in the configured attribute (a
        field, or ``extra``)."""
        current = self._keyed_check(wire, attribute, key)
        if type(current) is str and current == key:
            return model  # it carries the key already: the same wire form either way
        field = _invert(cls).get(attribute)
        if field is not None and attribute not in getattr(model, "extra", {}):
            return attrs.evolve(model, **{field: key})  # type: ignore[misc]
        extra = dict(getattr(model, "extra", {}))
        extra[attribute] = key
        return attrs.evolve(model, extra=extra)  # type: ignore[misc]

    @staticmethod
    def _keyed_check(wire: Mapping[str, Any], attribute: str, key: str) -> Any:
        """``wire``'s value of ``attribute``, which must be empty or ``key``."""
        current = wire.get(attribute)
        if current is not None and str(current) != key:
            raise MappingError(
                f"payload already carries {current!r} in {attribute}, not the posting key",
                field=attribute,
                record=key,
            )
        return current

    def _keyed_for(
        self,
        model: T,
        cls: type[Any],
        kind: DocumentKind,
        key: str,
        wire: Mapping[str, Any] | None = None,
    ) -> T:
        """``model`` with ``key`` in the kind's key attribute and in its echo attribute
        (``wire``: the model's wire form, when the caller has it already)."""
        assert kind.key_attribute is not None
        if wire is None:
            wire = to_wire(model, self.converter)
        model = self._keyed(model, cls, kind.key_attribute, key, wire)
        echo = kind.echo_attribute
        if echo is not None:
            # Only the key attribute changed: the echo attribute is read from the same form.
            keyed = {**wire, kind.key_attribute: key} if echo == kind.key_attribute else wire
            model = self._keyed(model, cls, echo, key, keyed)
        return model

    def _key_filters(self, attribute: str, key: str, business_unit: str | None) -> dict[str, str]:
        if not key or not key.strip():
            raise MappingError("the posting key is empty", field=attribute)
        filters = {attribute: key}
        if business_unit is not None and self.settings.scope_key_by_business_unit:
            filters["BusinessUnit"] = business_unit
        return filters

    def _find_keyed_flow(
        self, kind: DocumentKind, cls: type[T], key: str, business_unit: str | None
    ) -> Flow[T | None]:
        """The record carrying ``key`` in the kind's key attribute, else in its echo attribute.

        The echo finds a document that an automatically numbered source renumbered (its key
        attribute then holds Oracle's number, not ours).
        """
        assert kind.key_attribute is not None
        path = f"{self.fscm_root}/{kind.resource}"
        attributes = [kind.key_attribute]
        if kind.echo_attribute is not None:
            attributes.append(kind.echo_attribute)
        # One request per attribute, never an "or": this single look-up is also the fallback
        # when a bulk read (oracle/_bulk.py, which asks for both in one "or" read) fails.
        for attribute in attributes:
            filters = self._key_filters(attribute, key, business_unit)
            found = yield from self._find_one_flow(
                path, cls, kind.resource, filters, f"posting key {key!r} in {attribute}"
            )
            if found is not None:
                return found
        return None

    def _find_invoice_flow(
        self, key: str, business_unit: str | None
    ) -> Flow[ReceivablesInvoiceRecord | None]:
        return (
            yield from self._find_keyed_flow(
                self.invoice_kind, ReceivablesInvoiceRecord, key, business_unit
            )
        )

    def _create_invoice_flow(self, invoice: ReceivablesInvoice) -> Flow[ReceivablesInvoiceRecord]:
        if not invoice.lines:
            raise MappingError("an invoice needs at least one line", field="lines")
        response = yield self._create_request(
            f"{self.fscm_root}/{INVOICES}", to_wire(invoice, self.converter)
        )
        return self._one(response, ReceivablesInvoiceRecord, INVOICES)

    def _post_invoice_once_flow(
        self, invoice: ReceivablesInvoice, key: str
    ) -> Flow[PostResult[ReceivablesInvoiceRecord]]:
        kind = self.invoice_kind
        invoice = self._keyed_for(invoice, ReceivablesInvoice, kind, key)
        unit = invoice.business_unit
        return (
            yield from post_keyed_flow(
                kind,
                key,
                lambda: self._find_invoice_flow(key, unit),
                lambda: self._create_invoice_flow(invoice),
                transaction_source=invoice.transaction_source,
            )
        )

    def _find_credit_memo_flow(
        self, key: str, business_unit: str | None
    ) -> Flow[ReceivablesCreditMemoRecord | None]:
        return (
            yield from self._find_keyed_flow(
                self.credit_memo_kind, ReceivablesCreditMemoRecord, key, business_unit
            )
        )

    def _create_credit_memo_flow(
        self, memo: ReceivablesCreditMemo
    ) -> Flow[ReceivablesCreditMemoRecord]:
        if not memo.lines:
            raise MappingError("a credit memo needs at least one line", field="lines")
        for line in memo.lines:
            if line.amount > 0 or line.unit_selling_price > 0:
                raise MappingError(
                    "credit memo amounts must be negative",
                    field=f"lines[{line.line_number}].amount",
                    record=memo.original_transaction_number,
                )
        response = yield self._create_request(
            f"{self.fscm_root}/{CREDIT_MEMOS}", to_wire(memo, self.converter)
        )
        return self._one(response, ReceivablesCreditMemoRecord, CREDIT_MEMOS)

    def _post_credit_memo_once_flow(
        self, memo: ReceivablesCreditMemo, key: str
    ) -> Flow[PostResult[ReceivablesCreditMemoRecord]]:
        kind = self.credit_memo_kind
        memo = self._keyed_for(memo, ReceivablesCreditMemo, kind, key)
        unit = memo.business_unit
        return (
            yield from post_keyed_flow(
                kind,
                key,
                lambda: self._find_credit_memo_flow(key, unit),
                lambda: self._create_credit_memo_flow(memo),
                transaction_source=memo.transaction_source,
            )
        )

    # -- inventory --------------------------------------------------------------------------------

    def _lookup_filters(
        self, transaction: InventoryStagedTransaction, wire: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The interface look-up's filters (``wire``: the transaction's wire form, if made)."""
        if wire is None:
            wire = to_wire(transaction, self.converter)
        return self._wire_lookup_filters(wire, transaction.transaction_reference)

    def _find_staged_flow(
        self, filters: Mapping[str, Any]
    ) -> Flow[list[InventoryStagedTransactionRecord]]:
        parse = self._parser(InventoryStagedTransactionRecord, STAGED)
        found: list[InventoryStagedTransactionRecord] = yield from self._find_all_flow(
            f"{self.fscm_root}/{STAGED}", parse, q=filters
        )
        return found

    def _find_completed_flow(
        self, filters: Mapping[str, Any]
    ) -> Flow[list[InventoryCompletedTransactionRecord]]:
        found: list[InventoryCompletedTransactionRecord] = yield from self._find_all_flow(
            f"{self.fscm_root}/{COMPLETED}", parse_completed, q=filters
        )
        return found

    def _inventory_status_flow(
        self, transaction: InventoryStagedTransaction
    ) -> Flow[InventoryTransactionStatus]:
        """Look the transaction up in the interface, then in completed movements (that
        order: a row processed in between is seen in the second read, never in neither)."""
        wire = to_wire(transaction, self.converter)
        staged = yield from self._find_staged_flow(self._lookup_filters(transaction, wire))
        filters = completed_filters(
            transaction, wire, self.settings.inventory_completed_lookup_attributes
        )
        completed = yield from self._find_completed_flow(filters)
        return InventoryTransactionStatus(staged=tuple(staged), completed=tuple(completed))

    @staticmethod
    def _failure(
        reference: str,
        code: str | None,
        explanation: str | None,
        response: httpx.Response | None,
    ) -> InventoryTransactionError:
        message = explanation or code or "error"
        return InventoryTransactionError(
            f"inventory transaction {reference} failed in Oracle: {message}",
            method=None if response is None else response.request.method,
            url=None if response is None else redact_url(str(response.request.url)),
            status=None if response is None else response.status_code,
            code=code,
            details=({"ErrorCode": code, "ErrorExplanation": message},),
        )

    def _checked(
        self, result: InventoryPostResult, response: httpx.Response | None
    ) -> InventoryPostResult:
        """Raise Oracle's error when the transaction failed (even inside a 2xx)."""
        if result.state is not InventoryState.FAILED:
            return result
        reference = str(
            (result.record.transaction_reference if result.record else None) or "(unknown)"
        )
        if result.answer is not None and result.answer.failed:
            code, explanation = result.answer.error_code, result.answer.error_explanation
        else:
            code, explanation = result.status.error_code, result.status.error_explanation
        raise self._failure(reference, code, explanation, response)

    def _create_staged_flow(
        self, transaction: InventoryStagedTransaction
    ) -> Flow[InventoryPostResult]:
        request = self._create_request(
            f"{self.fscm_root}/{STAGED}", to_wire(transaction, self.converter)
        )
        online = is_online(transaction.transaction_mode)
        try:
            response = yield request
            record = self._one(response, InventoryStagedTransactionRecord, STAGED)
        except (ApiError, TransportError, ResponseDecodeError) as exc:
            if not maybe_staged(exc):
                raise
            # Online mode can time out (408 since 24A, or a gateway 504) with the row kept in
            # the interface, and any 5xx or unreadable answer may follow a commit; posting
            # again would stage it twice, so look it up instead, in both resources. A row found
            # waiting is pending, not posted.
            # https://docs.oracle.com/en/cloud/saas/readiness/scm/24a/inv24a/24A-inventory-wn-f30338.htm
            status = yield from self._inventory_status_flow(transaction)
            if not status.found:
                raise exc from None
            result = InventoryPostResult(status=status, created=True, recovered=True)
            return self._checked(result, None)
        result = InventoryPostResult(
            status=InventoryTransactionStatus(), created=True, answer=record, online=online
        )
        return self._checked(result, response)

    def _post_staged_once_flow(
        self, transaction: InventoryStagedTransaction
    ) -> Flow[InventoryPostResult]:
        # The inventory kind plugs its own look-up into the shared path: staged and completed
        # transactions; its create resolves a 408/504 itself (the kind has no uncertain error).
        def find() -> Flow[InventoryPostResult | None]:
            status = yield from self._inventory_status_flow(transaction)
            if not status.found:
                return None
            return self._checked(InventoryPostResult(status=status, created=False), None)

        return (
            yield from find_or_create_flow(
                self.inventory_kind,
                find,
                lambda: self._create_staged_flow(transaction),
                on_found=lambda result: result,
                on_created=lambda result, _recovered: result,
            )
        )

    # -- customers --------------------------------------------------------------------------------

    def _sites_flow(self, variables: Mapping[str, Any]) -> Flow[list[CustomerAccountSite]]:
        finder = self.build_finder("CustomerAccountSiteActivitiesFinder", variables)
        parse = self._parser(CustomerAccountSite, SITE_ACTIVITIES)
        sites: list[CustomerAccountSite] = yield from self._find_all_flow(
            f"{self.fscm_root}/{SITE_ACTIVITIES}", parse, finder=finder
        )
        return sites

    def _customer_account_flow(self, account_number: str) -> Flow[CustomerAccount | None]:
        sites = yield from self._sites_flow({"AccountNumber": account_number})
        sites = [site for site in sites if site.account_number == account_number]
        if not sites:
            return None
        first = sites[0]
        return CustomerAccount(
            account_number=account_number,
            account_id=first.account_id,
            customer_name=first.customer_name,
            customer_id=first.customer_id,
            sites=tuple(sites),
        )

    def _parties_by_email_flow(self, email: str) -> Flow[list[Party]]:
        attribute = self.settings.party_email_attribute
        parties: list[Party] = []
        for resource in self.settings.party_email_resources:
            party_type = (
                PartyType.ORGANIZATION if resource == "hubOrganizations" else PartyType.PERSON
            )

            def parse(item: Any, party_type: PartyType = party_type) -> Party:
                return party_from_wire(item, party_type, email_attribute=attribute)

            found = yield from self._find_all_flow(
                f"{self.party_root}/{resource}", parse, limit=25, q={attribute: email}
            )
            parties.extend(found)
        return parties

    def _create_party_flow(self, party: NewParty) -> Flow[Party]:
        resource = (
            "hubOrganizations" if party.party_type is PartyType.ORGANIZATION else "hubPersons"
        )
        response = yield self._create_request(f"{self.party_root}/{resource}", to_wire(party))
        return party_from_wire(
            read_json(response),
            party.party_type,
            email_attribute=self.settings.party_email_attribute,
        )

    # -- account combinations ---------------------------------------------------------------------

    def _segments(self, combination: str) -> list[str]:
        segments = combination.split(self.settings.account_segment_delimiter)
        if not combination.strip() or any(not s.strip() for s in segments):
            raise MappingError(
                "not a delimited segment string", field="AccountCombination", record=combination
            )
        return segments

    def _account_flow(self, combination: str) -> Flow[AccountCombination | None]:
        with self._cache_lock:
            if combination in self._account_cache:
                return self._account_cache[combination]
        segments = self._segments(combination)
        filters: dict[str, Any] = {f"Segment{i}": s for i, s in enumerate(segments, start=1)}
        if self.settings.chart_of_accounts_id is not None:
            filters["_CHART_OF_ACCOUNTS_ID"] = self.settings.chart_of_accounts_id
        parse = self._parser(AccountCombination, ACCOUNT_COMBINATIONS)
        found: list[AccountCombination] = yield from self._find_all_flow(
            f"{self.fscm_root}/{ACCOUNT_COMBINATIONS}", parse, limit=10, q=filters
        )
        # Guard against a server that ignored part of the filter.
        exact = [combo for combo in found if list(combo.segments) == segments]
        result = exact[0] if exact else None
        with self._cache_lock:
            self._account_cache[combination] = result
        return result

    def _validate_account_flow(self, combination: str, on: date | None) -> Flow[AccountCombination]:
        found = yield from self._account_flow(combination)
        if found is None:
            raise MappingError(
                "account combination does not exist in Oracle",
                field="AccountCombination",
                record=combination,
            )
        if on is not None and not found.active_on(on):
            raise MappingError(
                f"account combination is disabled or not active on {on.isoformat()}",
                field="AccountCombination",
                record=combination,
            )
        if on is None and found.enabled is False:
            raise MappingError(
                "account combination is disabled", field="AccountCombination", record=combination
            )
        return found

    def clear_account_cache(self) -> None:
        """Forget cached account combination lookups (after changes in Oracle)."""
        with self._cache_lock:
            self._account_cache.clear()

    # -- batch ------------------------------------------------------------------------------------

    _RESOURCES: tuple[tuple[type[Any], str], ...] = (
        (ReceivablesInvoice, INVOICES),
        (ReceivablesCreditMemo, CREDIT_MEMOS),
        (InventoryStagedTransaction, STAGED),
    )

    def batch_part(
        self, part_id: str, model: Any, *, wire: Mapping[str, Any] | None = None
    ) -> BatchPart:
        """A ``create`` batch part for an invoice, credit memo or staged transaction.

        An AR payload that carries its posting key gets it in the kind's echo attribute too,
        as ``post_*_once`` does. ``wire`` is ``model``'s wire form (:func:`to_wire` with this
        client's converter) when the caller has made it already; it is not changed (a part
        that changes nothing in it is sent with it as it is; else with a changed copy).
        """
        for cls, resource in self._RESOURCES:
            if isinstance(model, cls):
                kind = self._kind_of(resource)
                source = to_wire(model, self.converter) if wire is None else wire
                key = source.get(kind.key_attribute) if kind.key_attribute else None
                echo = kind.echo_attribute
                payload: Mapping[str, Any] = source
                if key is not None and echo is not None:
                    # What ``_keyed`` checks, on the wire form: the echo attribute is empty or
                    # holds the key already. Setting it is the one change keying makes there
                    # (tests/oracle/test_batch_part_keys.py holds this against the model).
                    text = str(key)
                    current = self._keyed_check(source, echo, text)
                    if type(current) is not str:  # else it holds the key's text already
                        payload = _with_attribute(source, self._wire_order(cls), echo, text)
                return BatchPart(
                    id=part_id, path=f"/{resource}", operation="create", payload=payload
                )
        raise MappingError(f"{type(model).__name__} cannot be batched", record=part_id)

    def _wire_order(self, cls: type[Any]) -> dict[str, int]:
        """The wire attributes of ``cls``'s fields, in field order (the order the converter
        writes them in)."""
        orders = self._wire_orders
        order = orders.get(cls)
        if order is None:
            names = dict(WIRE_NAMES[cls])
            if cls is ReceivablesCreditMemo:
                names["original_transaction_number"] = self.settings.credit_memo_reference_attribute
            order = orders[cls] = {
                names.get(field.name, field.name): rank
                for rank, field in enumerate(attrs.fields(cls))
            }
        return order

    def _kind_of(self, resource: str) -> DocumentKind:
        return {
            INVOICES: self.invoice_kind,
            CREDIT_MEMOS: self.credit_memo_kind,
            STAGED: self.inventory_kind,
        }[resource]

    def _batch_flow(self, parts: Sequence[BatchPart]) -> Flow[list[BatchPartResult]]:
        planner = BatchPlanner(parts, self.settings.batch_size)
        group = planner.next_group()
        while group is not None:
            body = {"parts": [part.to_wire() for part in group]}
            request = Request(
                "POST",
                self.fscm_root,
                content=dumps_wire(body),
                headers={"Content-Type": BATCH_CONTENT_TYPE},
                retry_safe=False,
            )
            try:
                response = yield request
            except ApiError as exc:
                planner.failed(exc)
            else:
                planner.succeeded(read_json(response))
            group = planner.next_group()
        results = planner.results()
        by_id = {part.id: part for part in parts}
        checked = []
        for result in results:
            if result.ok:
                result = yield from self._confirm_part(by_id[result.id], result)
            checked.append(result)
        return checked

    def _confirm_part(self, part: BatchPart, result: BatchPartResult) -> Flow[BatchPartResult]:
        """A 2xx part is created only if it carries the new record's id; otherwise look it up.

        Oracle's batch answer echoes each part with the created item as its payload
        (https://docs.oracle.com/en/cloud/saas/sales/faaps/Perform_Batch_Actions.html); a part
        that comes back without the item's id proves nothing, so the document is looked up
        by its key, and a document that is not there is a failed part, never a created one.
        """
        resource = part.path.strip("/").split("/")[-1]
        if resource not in (INVOICES, CREDIT_MEMOS, STAGED):
            return result
        kind = self._kind_of(resource)
        payload = result.payload or {}
        if payload.get(kind.id_attribute) is not None:
            return result
        wire = dict(part.payload or {})
        record: Any
        if resource == STAGED:
            filters = self._wire_lookup_filters(wire, part.id)
            rows = yield from self._find_staged_flow(filters)
            good = [row for row in rows if not row.failed]
            record = (good or rows)[0] if rows else None
        else:
            assert kind.key_attribute is not None
            key = wire.get(kind.key_attribute)
            if key is None:
                record = None
            else:
                cls = ReceivablesInvoiceRecord if resource == INVOICES else _Memo
                record = yield from self._find_keyed_flow(
                    kind, cls, str(key), wire.get("BusinessUnit")
                )
        if record is None:
            return attrs.evolve(
                result,
                ok=False,
                payload=None,
                error=ResponseDecodeError(
                    f"batch part {part.id} ({part.path}) came back without "
                    f"{kind.id_attribute} and the {kind.name} is not in Oracle",
                    field=kind.id_attribute,
                ),
            )
        return attrs.evolve(result, payload=dict(record.raw), looked_up=True)

    def _wire_lookup_filters(self, wire: Mapping[str, Any], record: str) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        for name in self.settings.inventory_lookup_attributes:
            value = wire.get(name)
            if value is None:
                raise MappingError(
                    "the transaction has no value for a configured lookup attribute",
                    field=name,
                    record=record,
                )
            filters[name] = value
        return filters

    # -- metadata ---------------------------------------------------------------------------------

    def _describe_flow(self, resource: str) -> Flow[Mapping[str, Any]]:
        if any(ch in resource for ch in "/?#") or not resource:
            raise ConfigurationError(f"{resource!r} is not a resource name", setting="resource")
        response = yield Request("GET", f"{self.fscm_root}/{resource}/describe")
        body = read_json(response)
        if not isinstance(body, Mapping):
            raise ResponseDecodeError("describe did not return a JSON object", field="Resources")
        return body

    def tenant_needs(
        self,
        posted: Mapping[str, Sequence[str]] | None = None,
        *,
        combinations: Sequence[str] = (),
    ) -> tuple[AttributeNeeds, ...]:
        """What this client queries (from its settings) plus what the caller posts.

        Args:
            posted: Attributes posted, per resource name.
            combinations: Account combinations that will be looked up (their segment count
                says which ``SegmentN`` attributes are queried).
        """
        s = self.settings
        segments = max((len(c.split(s.account_segment_delimiter)) for c in combinations), default=1)
        by_unit = ("BusinessUnit",) if s.scope_key_by_business_unit else ()
        chart = ("_CHART_OF_ACCOUNTS_ID",) if s.chart_of_accounts_id is not None else ()
        posted = posted or {}
        needs = [
            # -- inventory: the interface and where processed rows go (oracle/_inventory.py)
            AttributeNeeds(
                STAGED,
                posted=tuple(posted.get(STAGED, ())),
                queried=s.inventory_lookup_attributes,
                why="inventory posting and look-ups",
            ),
            AttributeNeeds(
                COMPLETED,
                queried=s.inventory_completed_lookup_attributes,
                why="finding processed inventory",
            ),
            # -- receivables
            AttributeNeeds(
                INVOICES,
                posted=tuple(posted.get(INVOICES, ())),
                # The key's echo is queried too (after a source renumbered a document).
                queried=(s.invoice_key_attribute, *self._echoes(self.invoice_kind), *by_unit),
                why="invoices",
            ),
            AttributeNeeds(
                CREDIT_MEMOS,
                posted=tuple(posted.get(CREDIT_MEMOS, ())),
                queried=(
                    s.credit_memo_key_attribute,
                    *self._echoes(self.credit_memo_kind),
                    *by_unit,
                ),
                why="credit memos",
            ),
            AttributeNeeds(
                SITE_ACTIVITIES,
                finders=("CustomerAccountSiteActivitiesFinder",),
                why="customer accounts",
            ),
            # -- general ledger
            AttributeNeeds(
                ACCOUNT_COMBINATIONS,
                queried=(*(f"Segment{n}" for n in range(1, max(segments, 1) + 1)), *chart),
                why="account combinations",
            ),
            # -- parties
            *(
                AttributeNeeds(
                    resource,
                    root=s.party_root,
                    queried=(s.party_email_attribute,),
                    why="customers by email",
                )
                for resource in s.party_email_resources
            ),
        ]
        known = {need.resource for need in needs}
        needs += [
            AttributeNeeds(resource, posted=tuple(names))
            for resource, names in posted.items()
            if resource not in known
        ]
        return merge_needs(needs)

    @staticmethod
    def _echoes(kind: DocumentKind) -> tuple[str, ...]:
        return () if kind.echo_attribute is None else (kind.echo_attribute,)

    def _check_tenant_flow(self, needs: Sequence[AttributeNeeds]) -> Flow[TenantReport]:
        problems = []
        for need in needs:
            root = f"/{need.root}/resources/{self.settings.rest_version}"
            try:
                response = yield Request("GET", f"{root}/{need.resource}/describe")
            except (AuthenticationError, PermissionDeniedError, NotFoundError) as exc:
                # The credentials, a privilege or the resource: configuration. Anything else
                # (timeout, refused connection, 5xx, 429) propagates: an outage.
                problems.append(problem_for_status(need, exc.status))
                continue
            problems += check_described(read_json(response), need)
        return TenantReport(
            resources=tuple(need.resource for need in needs),
            problems=tuple(sorted_problems(problems)),
        )

    def _ping_flow(self) -> Flow[dict[str, Any]]:
        body = yield from self._describe_flow(INVOICES)
        resources = body.get("Resources")
        described = resources.get(INVOICES) if isinstance(resources, Mapping) else None
        attributes = described.get("attributes") if isinstance(described, Mapping) else None
        return {
            "pod": self.settings.http_settings().host,
            "rest_version": self.settings.rest_version,
            "framework_version": self.settings.framework_version,
            "resource": INVOICES,
            "attributes": len(attributes) if isinstance(attributes, list) else None,
        }


# -- the twins ------------------------------------------------------------------------------------

_Inv = ReceivablesInvoiceRecord
_Memo = ReceivablesCreditMemoRecord
_Staged = InventoryStagedTransactionRecord
_Status = InventoryTransactionStatus
_Completed = InventoryCompletedTransactionRecord


class OracleFusionClient(SyncClientMixin, BulkLookups, _OracleFusionBase):
    """Blocking client for one Fusion pod.

    Args:
        settings: Pod, auth and configurable attributes.
        client: An ``httpx.Client`` to send with (not closed by this client).
        transport: A transport for the client this one creates (tests, simulators).
        clock: Time source for retries and token expiry.
        limiter: A rate limiter to share with other clients of the same pod.

    Example::

        with OracleFusionClient(settings) as oracle:
            result = oracle.post_invoice_once(invoice, key="SS-1001")
    """

    def __init__(
        self,
        settings: OracleFusionSettings,
        *,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(settings)
        self.auth = make_auth(settings.auth, clock=clock, timeout=settings.timeout)
        self._sender = SyncSender(
            settings.http_settings(),
            auth=self.auth,
            client=client,
            transport=transport,
            clock=clock,
            limiter=limiter,
            error_parser=oracle_error_parser,
            default_headers=self._default_headers(),
        )

    def _run(self, flow: Flow[T]) -> T:
        """Drive ``flow``: send each request it yields, feed back the answer or the error."""
        return drive(flow, self._sender.send)

    def _iter(self, path: str, cls: type[T], context: str, **query: Any) -> Iterator[T]:
        paginator = OffsetPaginator(query.pop("limit", None) or self.settings.page_size)
        page_request: PageRequest | None = paginator.first()
        while page_request is not None:
            params = dict(page_request.params)
            response = self._sender.send(
                self._collection_request(
                    path, offset=params["offset"], limit=params["limit"], **query
                )
            )
            body, page = self._page(response, self._parser(cls, context), params["offset"])
            yield from page.items
            page_request = paginator.next(body)

    # receivables invoices

    def create_invoice(self, invoice: ReceivablesInvoice) -> _Inv:
        """POST one invoice. Not retried; prefer :meth:`post_invoice_once`."""
        return self._run(self._create_invoice_flow(invoice))

    def get_invoice(self, customer_transaction_id: int) -> _Inv:
        """One invoice by ``CustomerTransactionId``."""
        path = f"{self.fscm_root}/{INVOICES}/{int(customer_transaction_id)}"
        return self._one(self._sender.send(self._item_request(path)), _Inv, INVOICES)

    def find_invoice(self, key: str, *, business_unit: str | None = None) -> _Inv | None:
        """The invoice carrying posting ``key`` in the configured attribute, or ``None``."""
        return self._run(self._find_invoice_flow(key, business_unit))

    def list_invoices(self, **query: Any) -> Page[_Inv]:
        """One page of invoices (query: q, finder, fields, order_by, offset, limit)."""
        return self._run(self._list_flow(f"{self.fscm_root}/{INVOICES}", _Inv, INVOICES, **query))

    def iter_invoices(self, **query: Any) -> Iterator[_Inv]:
        """Every invoice matching the query, page by page."""
        return self._iter(f"{self.fscm_root}/{INVOICES}", _Inv, INVOICES, **query)

    def post_invoice_once(self, invoice: ReceivablesInvoice, key: str) -> PostResult[_Inv]:
        """Create ``invoice`` under posting ``key`` unless it exists; safe to call again."""
        return self._run(self._post_invoice_once_flow(invoice, key))

    # receivables credit memos

    def create_credit_memo(self, memo: ReceivablesCreditMemo) -> _Memo:
        """POST one credit memo. Not retried; prefer :meth:`post_credit_memo_once`."""
        return self._run(self._create_credit_memo_flow(memo))

    def find_credit_memo(self, key: str, *, business_unit: str | None = None) -> _Memo | None:
        """The credit memo carrying posting ``key``, or ``None``."""
        return self._run(self._find_credit_memo_flow(key, business_unit))

    def iter_credit_memos(self, **query: Any) -> Iterator[_Memo]:
        """Every credit memo matching the query."""
        return self._iter(f"{self.fscm_root}/{CREDIT_MEMOS}", _Memo, CREDIT_MEMOS, **query)

    def post_credit_memo_once(self, memo: ReceivablesCreditMemo, key: str) -> PostResult[_Memo]:
        """Create ``memo`` under posting ``key`` unless it exists; safe to call again."""
        return self._run(self._post_credit_memo_once_flow(memo, key))

    # inventory

    def create_staged_transaction(
        self, transaction: InventoryStagedTransaction
    ) -> InventoryPostResult:
        """POST one staged transaction; a 408/504 is resolved by lookup, never by re-posting.

        Raises:
            InventoryTransactionError: Oracle reported ``ErrorCode``/``ErrorExplanation``.
        """
        return self._run(self._create_staged_flow(transaction))

    def find_staged_transactions(self, transaction: InventoryStagedTransaction) -> list[_Staged]:
        """Staged transactions matching ``transaction``'s configured lookup attributes."""
        return self._run(self._find_staged_flow(self._lookup_filters(transaction)))

    def find_inventory_transaction(self, transaction: InventoryStagedTransaction) -> _Status:
        """What Oracle holds for ``transaction``: interface rows and completed movements."""
        return self._run(self._inventory_status_flow(transaction))

    def iter_staged_transactions(self, **query: Any) -> Iterator[_Staged]:
        """Every staged transaction matching the query."""
        return self._iter(f"{self.fscm_root}/{STAGED}", _Staged, STAGED, **query)

    def iter_completed_transactions(self, **query: Any) -> Iterator[_Completed]:
        """Every completed inventory transaction matching the query."""
        paginator = OffsetPaginator(query.pop("limit", None) or self.settings.page_size)
        page_request: PageRequest | None = paginator.first()
        path = f"{self.fscm_root}/{COMPLETED}"
        while page_request is not None:
            params = dict(page_request.params)
            response = self._sender.send(
                self._collection_request(
                    path, offset=params["offset"], limit=params["limit"], **query
                )
            )
            body, page = self._page(response, parse_completed, params["offset"])
            yield from page.items
            page_request = paginator.next(body)

    def post_staged_transaction_once(
        self, transaction: InventoryStagedTransaction
    ) -> InventoryPostResult:
        """Stage ``transaction`` unless Oracle holds it already, staged or completed.

        The result's ``state`` is ``posted``, ``pending_in_oracle`` (a row waits in the
        interface) or, never returned, ``failed``: that raises.

        Raises:
            InventoryTransactionError: Oracle holds the transaction with an error, or refused it.
        """
        return self._run(self._post_staged_once_flow(transaction))

    # customers

    def list_customer_account_sites(self, **finder_variables: Any) -> list[CustomerAccountSite]:
        """Bill-to sites by ``AccountNumber``, ``BillToSiteNumber``, ``CustomerName``, ..."""
        return self._run(self._sites_flow(finder_variables))

    def get_customer_account(self, account_number: str) -> CustomerAccount | None:
        """The account with its bill-to sites, or ``None``."""
        return self._run(self._customer_account_flow(account_number))

    def find_parties_by_email(self, email: str) -> list[Party]:
        """Parties whose configured email attribute equals ``email``."""
        return self._run(self._parties_by_email_flow(email))

    def create_party(self, party: NewParty) -> Party:
        """Create an organization or person with an email contact point (no account)."""
        return self._run(self._create_party_flow(party))

    # account combinations

    def get_account_combination(self, combination: str) -> AccountCombination | None:
        """The combination for a segment string, or ``None`` (cached)."""
        return self._run(self._account_flow(combination))

    def validate_account_combination(
        self, combination: str, *, on: date | None = None
    ) -> AccountCombination:
        """The combination, or :class:`~ml_connector.MappingError` if missing or inactive."""
        return self._run(self._validate_account_flow(combination, on))

    # batch and metadata

    def post_batch(self, parts: Sequence[BatchPart]) -> list[BatchPartResult]:
        """Send create parts in batches, isolating failing parts; one result per part."""
        return self._run(self._batch_flow(parts))

    def check_tenant(
        self,
        posted: Mapping[str, Sequence[str]] | None = None,
        *,
        combinations: Sequence[str] = (),
    ) -> TenantReport:
        """Read ``/describe`` of every resource used and list every problem at once.

        Raises:
            TransportError: the pod could not be reached (an outage, not a problem found).
            ServerError: the pod answered 5xx (an outage).
        """
        return self._run(
            self._check_tenant_flow(self.tenant_needs(posted, combinations=combinations))
        )

    def describe(self, resource: str = INVOICES) -> Mapping[str, Any]:
        """The ``describe`` metadata of an fscmRestApi resource."""
        return self._run(self._describe_flow(resource))

    def ping(self) -> dict[str, Any]:
        """Check connectivity and credentials with a ``describe`` of receivablesInvoices."""
        return self._run(self._ping_flow())

    # -- item master (catalog check, issue 20) ---------------------------------------------------

    def find_items(
        self,
        item_numbers: Iterable[str],
        *,
        organization: str,
        organization_attribute: str = "OrganizationCode",
        flags: Sequence[str] = DEFAULT_ITEM_FLAGS,
    ) -> dict[str, ItemMasterRecord]:
        """``itemsV2`` rows of ``item_numbers`` in one organization, in bulk (``or`` queries).

        A number missing from the result is unknown to that organization's item master.
        """
        return self._run(
            items_flow(
                self,
                item_numbers,
                organization,
                organization_attribute=organization_attribute,
                flags=flags,
            )
        )


class AsyncOracleFusionClient(AsyncClientMixin, AsyncBulkLookups, _OracleFusionBase):
    """The asyncio twin of :class:`OracleFusionClient` (same methods, awaited).

    Args:
        settings: Pod, auth and configurable attributes.
        client: An ``httpx.AsyncClient`` to send with (not closed by this client).
        transport: A transport for the client this one creates (tests, simulators).
        clock: Time source for retries and token expiry.
        limiter: A rate limiter to share with other clients of the same pod.
    """

    def __init__(
        self,
        settings: OracleFusionSettings,
        *,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(settings)
        self.auth = make_auth(settings.auth, clock=clock, timeout=settings.timeout)
        self._sender = AsyncSender(
            settings.http_settings(),
            auth=self.auth,
            client=client,
            transport=transport,
            clock=clock,
            limiter=limiter,
            error_parser=oracle_error_parser,
            default_headers=self._default_headers(),
        )

    async def _run(self, flow: Flow[T]) -> T:
        """Drive ``flow`` with the async sender."""
        return await adrive(flow, self._sender.send)

    async def _iter(self, path: str, cls: type[T], context: str, **query: Any) -> AsyncIterator[T]:
        paginator = OffsetPaginator(query.pop("limit", None) or self.settings.page_size)
        page_request: PageRequest | None = paginator.first()
        while page_request is not None:
            params = dict(page_request.params)
            response = await self._sender.send(
                self._collection_request(
                    path, offset=params["offset"], limit=params["limit"], **query
                )
            )
            body, page = self._page(response, self._parser(cls, context), params["offset"])
            for item in page.items:
                yield item
            page_request = paginator.next(body)

    # receivables invoices

    async def create_invoice(self, invoice: ReceivablesInvoice) -> _Inv:
        """POST one invoice. Not retried; prefer :meth:`post_invoice_once`."""
        return await self._run(self._create_invoice_flow(invoice))

    async def get_invoice(self, customer_transaction_id: int) -> _Inv:
        """One invoice by ``CustomerTransactionId``."""
        path = f"{self.fscm_root}/{INVOICES}/{int(customer_transaction_id)}"
        return self._one(await self._sender.send(self._item_request(path)), _Inv, INVOICES)

    async def find_invoice(self, key: str, *, business_unit: str | None = None) -> _Inv | None:
        """The invoice carrying posting ``key`` in the configured attribute, or ``None``."""
        return await self._run(self._find_invoice_flow(key, business_unit))

    async def list_invoices(self, **query: Any) -> Page[_Inv]:
        """One page of invoices (query: q, finder, fields, order_by, offset, limit)."""
        path = f"{self.fscm_root}/{INVOICES}"
        return await self._run(self._list_flow(path, _Inv, INVOICES, **query))

    def iter_invoices(self, **query: Any) -> AsyncIterator[_Inv]:
        """Every invoice matching the query, page by page."""
        return self._iter(f"{self.fscm_root}/{INVOICES}", _Inv, INVOICES, **query)

    async def post_invoice_once(self, invoice: ReceivablesInvoice, key: str) -> PostResult[_Inv]:
        """Create ``invoice`` under posting ``key`` unless it exists; safe to call again."""
        return await self._run(self._post_invoice_once_flow(invoice, key))

    # receivables credit memos

    async def create_credit_memo(self, memo: ReceivablesCreditMemo) -> _Memo:
        """POST one credit memo. Not retried; prefer :meth:`post_credit_memo_once`."""
        return await self._run(self._create_credit_memo_flow(memo))

    async def find_credit_memo(self, key: str, *, business_unit: str | None = None) -> _Memo | None:
        """The credit memo carrying posting ``key``, or ``None``."""
        return await self._run(self._find_credit_memo_flow(key, business_unit))

    def iter_credit_memos(self, **query: Any) -> AsyncIterator[_Memo]:
        """Every credit memo matching the query."""
        return self._iter(f"{self.fscm_root}/{CREDIT_MEMOS}", _Memo, CREDIT_MEMOS, **query)

    async def post_credit_memo_once(
        self, memo: ReceivablesCreditMemo, key: str
    ) -> PostResult[_Memo]:
        """Create ``memo`` under posting ``key`` unless it exists; safe to call again."""
        return await self._run(self._post_credit_memo_once_flow(memo, key))

    # inventory

    async def create_staged_transaction(
        self, transaction: InventoryStagedTransaction
    ) -> InventoryPostResult:
        """POST one staged transaction; a 408/504 is resolved by lookup, never by re-posting.

        Raises:
            InventoryTransactionError: Oracle reported ``ErrorCode``/``ErrorExplanation``.
        """
        return await self._run(self._create_staged_flow(transaction))

    async def find_staged_transactions(
        self, transaction: InventoryStagedTransaction
    ) -> list[_Staged]:
        """Staged transactions matching ``transaction``'s configured lookup attributes."""
        return await self._run(self._find_staged_flow(self._lookup_filters(transaction)))

    async def find_inventory_transaction(self, transaction: InventoryStagedTransaction) -> _Status:
        """What Oracle holds for ``transaction``: interface rows and completed movements."""
        return await self._run(self._inventory_status_flow(transaction))

    def iter_staged_transactions(self, **query: Any) -> AsyncIterator[_Staged]:
        """Every staged transaction matching the query."""
        return self._iter(f"{self.fscm_root}/{STAGED}", _Staged, STAGED, **query)

    async def iter_completed_transactions(self, **query: Any) -> AsyncIterator[_Completed]:
        """Every completed inventory transaction matching the query."""
        paginator = OffsetPaginator(query.pop("limit", None) or self.settings.page_size)
        page_request: PageRequest | None = paginator.first()
        path = f"{self.fscm_root}/{COMPLETED}"
        while page_request is not None:
            params = dict(page_request.params)
            response = await self._sender.send(
                self._collection_request(
                    path, offset=params["offset"], limit=params["limit"], **query
                )
            )
            body, page = self._page(response, parse_completed, params["offset"])
            for item in page.items:
                yield item
            page_request = paginator.next(body)

    async def post_staged_transaction_once(
        self, transaction: InventoryStagedTransaction
    ) -> InventoryPostResult:
        """Stage ``transaction`` unless Oracle holds it already, staged or completed.

        The result's ``state`` is ``posted``, ``pending_in_oracle`` (a row waits in the
        interface) or, never returned, ``failed``: that raises.

        Raises:
            InventoryTransactionError: Oracle holds the transaction with an error, or refused it.
        """
        return await self._run(self._post_staged_once_flow(transaction))

    # customers

    async def list_customer_account_sites(
        self, **finder_variables: Any
    ) -> list[CustomerAccountSite]:
        """Bill-to sites by ``AccountNumber``, ``BillToSiteNumber``, ``CustomerName``, ..."""
        return await self._run(self._sites_flow(finder_variables))

    async def get_customer_account(self, account_number: str) -> CustomerAccount | None:
        """The account with its bill-to sites, or ``None``."""
        return await self._run(self._customer_account_flow(account_number))

    async def find_parties_by_email(self, email: str) -> list[Party]:
        """Parties whose configured email attribute equals ``email``."""
        return await self._run(self._parties_by_email_flow(email))

    async def create_party(self, party: NewParty) -> Party:
        """Create an organization or person with an email contact point (no account)."""
        return await self._run(self._create_party_flow(party))

    # account combinations

    async def get_account_combination(self, combination: str) -> AccountCombination | None:
        """The combination for a segment string, or ``None`` (cached)."""
        return await self._run(self._account_flow(combination))

    async def validate_account_combination(
        self, combination: str, *, on: date | None = None
    ) -> AccountCombination:
        """The combination, or :class:`~ml_connector.MappingError` if missing or inactive."""
        return await self._run(self._validate_account_flow(combination, on))

    # batch and metadata

    async def post_batch(self, parts: Sequence[BatchPart]) -> list[BatchPartResult]:
        """Send create parts in batches, isolating failing parts; one result per part."""
        return await self._run(self._batch_flow(parts))

    async def check_tenant(
        self,
        posted: Mapping[str, Sequence[str]] | None = None,
        *,
        combinations: Sequence[str] = (),
    ) -> TenantReport:
        """Read ``/describe`` of every resource used and list every problem at once.

        Raises:
            TransportError: the pod could not be reached (an outage, not a problem found).
            ServerError: the pod answered 5xx (an outage).
        """
        needs = self.tenant_needs(posted, combinations=combinations)
        return await self._run(self._check_tenant_flow(needs))

    async def describe(self, resource: str = INVOICES) -> Mapping[str, Any]:
        """The ``describe`` metadata of an fscmRestApi resource."""
        return await self._run(self._describe_flow(resource))

    async def ping(self) -> dict[str, Any]:
        """Check connectivity and credentials with a ``describe`` of receivablesInvoices."""
        return await self._run(self._ping_flow())

    # -- item master (catalog check, issue 20) ---------------------------------------------------

    async def find_items(
        self,
        item_numbers: Iterable[str],
        *,
        organization: str,
        organization_attribute: str = "OrganizationCode",
        flags: Sequence[str] = DEFAULT_ITEM_FLAGS,
    ) -> dict[str, ItemMasterRecord]:
        """See :meth:`OracleFusionClient.find_items`."""
        return await self._run(
            items_flow(
                self,
                item_numbers,
                organization,
                organization_attribute=organization_attribute,
                flags=flags,
            )
        )
