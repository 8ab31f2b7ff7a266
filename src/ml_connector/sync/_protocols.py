"""What the shipment jobs need from each client, as typed Protocols, and the checks that say so.

A job's flow is written once for both twins, so it cannot hold a client's bound method (the
blocking and the async client's differ). Its steps name a method of these Protocols instead:
``shipstation_call(ShipStationReader.get_order, order_id)``. The builders take the Protocol's
function itself, so mypy checks that the method exists and that the arguments fit its
signature; the driver calls the method of that name on the client the job was given.

:class:`ShipStationReader` and :class:`OracleWriter` describe exactly what the blocking jobs
call; :class:`AsyncShipStationReader` and :class:`AsyncOracleWriter` are their awaited twins
(same names). The other jobs need less, or a little more: the catalog check reads products and
the item master (:class:`CatalogReader`, :class:`ItemMasterReader`), the customer job looks
parties up and creates them (:class:`CustomerWriter`) and writes through a host's
:class:`Annotator`, the inventory job reads V2 inventory levels (:class:`InventoryReader`),
and the shipment job's bulk look-ups use :class:`BulkReader` when the client has it.

:func:`check_clients` refuses, when a job is built, a client of the wrong kind (an async client
given to a blocking job, the two clients swapped), with a :class:`~ml_connector.ConfigurationError`
that names the argument and says what to pass instead; each job says which Protocols it needs.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, Unpack, runtime_checkable

import attrs
import cattrs

from ml_connector._errors import ConfigurationError
from ml_connector.oracle import (
    AccountCombination,
    BatchPart,
    BatchPartResult,
    CustomerAccount,
    CustomerAccountSite,
    InventoryPostResult,
    InventoryStagedTransaction,
    InventoryStagedTransactionRecord,
    InventoryTransactionStatus,
    ItemMasterRecord,
    NewParty,
    OracleFusionSettings,
    Party,
    PostResult,
    ReceivablesCreditMemo,
    ReceivablesCreditMemoRecord,
    ReceivablesInvoice,
    ReceivablesInvoiceRecord,
    TenantReport,
)
from ml_connector.shipstation import (
    Fulfillment,
    FulfillmentFilters,
    InventoryFilters,
    InventoryLevel,
    Order,
    OrderFilters,
    Product,
    ProductFilters,
    Shipment,
    ShipmentFilters,
    UndecodableRecord,
    WebhookPointer,
)

from ._flow import Call

__all__ = [
    "Annotator",
    "AsyncAnnotator",
    "AsyncBulkReader",
    "AsyncCatalogReader",
    "AsyncCustomerWriter",
    "AsyncInventoryReader",
    "AsyncItemMasterReader",
    "AsyncOracleWriter",
    "AsyncShipStationReader",
    "BulkReader",
    "CatalogReader",
    "ClientNeeds",
    "CustomerWriter",
    "InventoryReader",
    "ItemMasterReader",
    "OracleWriter",
    "ShipStationReader",
    "annotator_call",
    "check_clients",
    "inventory_call",
    "inventory_list",
    "oracle_call",
    "shipstation_call",
    "shipstation_list",
]

P = ParamSpec("P")

_Keys = Sequence[tuple[str, str | None]]


@runtime_checkable
class ShipStationReader(Protocol):
    """The ShipStation V1 reads a shipment job makes (GET only)."""

    def get_order(self, order_id: int) -> Order: ...

    def iter_orders(self, **filters: Unpack[OrderFilters]) -> Iterator[Order]: ...

    def iter_shipments(self, **filters: Unpack[ShipmentFilters]) -> Iterator[Shipment]: ...

    def iter_fulfillments(self, **filters: Unpack[FulfillmentFilters]) -> Iterator[Fulfillment]: ...

    def resolve_webhook(self, pointer: WebhookPointer) -> list[Any]: ...

    def take_undecodable(self) -> tuple[UndecodableRecord, ...]: ...


@runtime_checkable
class AsyncShipStationReader(Protocol):
    """The awaited twin of :class:`ShipStationReader`."""

    async def get_order(self, order_id: int) -> Order: ...

    def iter_orders(self, **filters: Unpack[OrderFilters]) -> AsyncIterator[Order]: ...

    def iter_shipments(self, **filters: Unpack[ShipmentFilters]) -> AsyncIterator[Shipment]: ...

    def iter_fulfillments(
        self, **filters: Unpack[FulfillmentFilters]
    ) -> AsyncIterator[Fulfillment]: ...

    async def resolve_webhook(self, pointer: WebhookPointer) -> list[Any]: ...

    async def take_undecodable(self) -> tuple[UndecodableRecord, ...]: ...


@runtime_checkable
class OracleWriter(Protocol):
    """The Oracle reads and find-before-create posts a shipment job makes."""

    @property
    def settings(self) -> OracleFusionSettings: ...

    @property
    def converter(self) -> cattrs.Converter: ...

    def batch_part(
        self, part_id: str, model: Any, *, wire: Mapping[str, Any] | None = None
    ) -> BatchPart:
        """Builds a batch part (no I/O, so not awaited on either twin); ``wire`` is the
        model's wire form when the caller has made it already."""
        ...

    def find_invoice(
        self, key: str, *, business_unit: str | None = None
    ) -> ReceivablesInvoiceRecord | None: ...

    def find_credit_memo(
        self, key: str, *, business_unit: str | None = None
    ) -> ReceivablesCreditMemoRecord | None: ...

    def find_staged_transactions(
        self, transaction: InventoryStagedTransaction
    ) -> list[InventoryStagedTransactionRecord]: ...

    def find_inventory_transaction(
        self, transaction: InventoryStagedTransaction
    ) -> InventoryTransactionStatus: ...

    def post_invoice_once(
        self, invoice: ReceivablesInvoice, key: str
    ) -> PostResult[ReceivablesInvoiceRecord]: ...

    def post_credit_memo_once(
        self, memo: ReceivablesCreditMemo, key: str
    ) -> PostResult[ReceivablesCreditMemoRecord]: ...

    def post_staged_transaction_once(
        self, transaction: InventoryStagedTransaction
    ) -> InventoryPostResult: ...

    def post_batch(self, parts: Sequence[BatchPart]) -> list[BatchPartResult]: ...

    def find_parties_by_email(self, email: str) -> list[Party]: ...

    def list_customer_account_sites(
        self, /, **finder_variables: Any
    ) -> list[CustomerAccountSite]: ...

    def get_customer_account(self, account_number: str) -> CustomerAccount | None: ...

    def validate_account_combination(
        self, combination: str, *, on: date | None = None
    ) -> AccountCombination: ...

    def check_tenant(
        self,
        posted: Mapping[str, Sequence[str]] | None = None,
        *,
        combinations: Sequence[str] = (),
    ) -> TenantReport: ...


@runtime_checkable
class AsyncOracleWriter(Protocol):
    """The awaited twin of :class:`OracleWriter`."""

    @property
    def settings(self) -> OracleFusionSettings: ...

    @property
    def converter(self) -> cattrs.Converter: ...

    def batch_part(
        self, part_id: str, model: Any, *, wire: Mapping[str, Any] | None = None
    ) -> BatchPart:
        """Builds a batch part (no I/O, so not awaited on either twin); ``wire`` is the
        model's wire form when the caller has made it already."""
        ...

    async def find_invoice(
        self, key: str, *, business_unit: str | None = None
    ) -> ReceivablesInvoiceRecord | None: ...

    async def find_credit_memo(
        self, key: str, *, business_unit: str | None = None
    ) -> ReceivablesCreditMemoRecord | None: ...

    async def find_staged_transactions(
        self, transaction: InventoryStagedTransaction
    ) -> list[InventoryStagedTransactionRecord]: ...

    async def find_inventory_transaction(
        self, transaction: InventoryStagedTransaction
    ) -> InventoryTransactionStatus: ...

    async def post_invoice_once(
        self, invoice: ReceivablesInvoice, key: str
    ) -> PostResult[ReceivablesInvoiceRecord]: ...

    async def post_credit_memo_once(
        self, memo: ReceivablesCreditMemo, key: str
    ) -> PostResult[ReceivablesCreditMemoRecord]: ...

    async def post_staged_transaction_once(
        self, transaction: InventoryStagedTransaction
    ) -> InventoryPostResult: ...

    async def post_batch(self, parts: Sequence[BatchPart]) -> list[BatchPartResult]: ...

    async def find_parties_by_email(self, email: str) -> list[Party]: ...

    async def list_customer_account_sites(
        self, /, **finder_variables: Any
    ) -> list[CustomerAccountSite]: ...

    async def get_customer_account(self, account_number: str) -> CustomerAccount | None: ...

    async def validate_account_combination(
        self, combination: str, *, on: date | None = None
    ) -> AccountCombination: ...

    async def check_tenant(
        self,
        posted: Mapping[str, Sequence[str]] | None = None,
        *,
        combinations: Sequence[str] = (),
    ) -> TenantReport: ...


@runtime_checkable
class CatalogReader(ShipStationReader, Protocol):
    """What the catalog check reads from ShipStation V1: the shipment reads plus products."""

    def iter_products(self, **filters: Unpack[ProductFilters]) -> Iterator[Product]: ...


@runtime_checkable
class AsyncCatalogReader(AsyncShipStationReader, Protocol):
    """The awaited twin of :class:`CatalogReader`."""

    def iter_products(self, **filters: Unpack[ProductFilters]) -> AsyncIterator[Product]: ...


@runtime_checkable
class InventoryReader(Protocol):
    """What the inventory job reads from ShipStation V2: inventory levels."""

    def iter_inventory(self, **filters: Unpack[InventoryFilters]) -> Iterator[InventoryLevel]: ...

    def take_undecodable(self) -> tuple[UndecodableRecord, ...]: ...


@runtime_checkable
class AsyncInventoryReader(Protocol):
    """The async twin of :class:`InventoryReader` (an async iterator)."""

    def iter_inventory(
        self, **filters: Unpack[InventoryFilters]
    ) -> AsyncIterator[InventoryLevel]: ...

    async def take_undecodable(self) -> tuple[UndecodableRecord, ...]: ...


@runtime_checkable
class ItemMasterReader(Protocol):
    """What the catalog check reads from Oracle: the item master, in bulk."""

    @property
    def settings(self) -> OracleFusionSettings: ...

    def find_items(
        self,
        item_numbers: Iterable[str],
        *,
        organization: str,
        organization_attribute: str = "OrganizationCode",
        flags: Sequence[str] = ...,
    ) -> dict[str, ItemMasterRecord]: ...


@runtime_checkable
class AsyncItemMasterReader(Protocol):
    """The awaited twin of :class:`ItemMasterReader`."""

    @property
    def settings(self) -> OracleFusionSettings: ...

    async def find_items(
        self,
        item_numbers: Iterable[str],
        *,
        organization: str,
        organization_attribute: str = "OrganizationCode",
        flags: Sequence[str] = ...,
    ) -> dict[str, ItemMasterRecord]: ...


@runtime_checkable
class BulkReader(Protocol):
    """The bulk look-ups a shipment job uses when the client has them (``sync/_bulk.py``)."""

    def find_invoices(self, keys: _Keys) -> list[list[ReceivablesInvoiceRecord]]: ...

    def find_credit_memos(self, keys: _Keys) -> list[list[ReceivablesCreditMemoRecord]]: ...

    def find_inventory_transactions(
        self,
        transactions: Sequence[InventoryStagedTransaction],
        *,
        wires: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[InventoryTransactionStatus]: ...


@runtime_checkable
class AsyncBulkReader(Protocol):
    """The awaited twin of :class:`BulkReader`."""

    async def find_invoices(self, keys: _Keys) -> list[list[ReceivablesInvoiceRecord]]: ...

    async def find_credit_memos(self, keys: _Keys) -> list[list[ReceivablesCreditMemoRecord]]: ...

    async def find_inventory_transactions(
        self,
        transactions: Sequence[InventoryStagedTransaction],
        *,
        wires: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[InventoryTransactionStatus]: ...


@runtime_checkable
class CustomerWriter(Protocol):
    """What the customer job asks Oracle: the customer look-ups, and creating a party."""

    def find_parties_by_email(self, email: str) -> list[Party]: ...

    def list_customer_account_sites(
        self, /, **finder_variables: Any
    ) -> list[CustomerAccountSite]: ...

    def get_customer_account(self, account_number: str) -> CustomerAccount | None: ...

    def create_party(self, party: NewParty) -> Party: ...


@runtime_checkable
class AsyncCustomerWriter(Protocol):
    """The awaited twin of :class:`CustomerWriter`."""

    async def find_parties_by_email(self, email: str) -> list[Party]: ...

    async def list_customer_account_sites(
        self, /, **finder_variables: Any
    ) -> list[CustomerAccountSite]: ...

    async def get_customer_account(self, account_number: str) -> CustomerAccount | None: ...

    async def create_party(self, party: NewParty) -> Party: ...


@runtime_checkable
class Annotator(Protocol):
    """The host's writer of ShipStation order fields (the SDK's clients write nothing)."""

    def annotate(self, annotation: Any) -> object:
        """Record ``annotation`` (a :class:`~ml_connector.mapping.ShipStationAnnotation`)."""
        ...


@runtime_checkable
class AsyncAnnotator(Protocol):
    """The awaited twin of :class:`Annotator`."""

    async def annotate(self, annotation: Any) -> object:
        """See :meth:`Annotator.annotate`."""
        ...


# -- typed steps ----------------------------------------------------------------------------------

_ShipStation = TypeVar("_ShipStation", ShipStationReader, CatalogReader)
_Oracle = TypeVar("_Oracle", OracleWriter, ItemMasterReader, BulkReader, CustomerWriter)


def shipstation_call(
    method: Callable[Concatenate[_ShipStation, P], object],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Call:
    """A step calling ``method`` (a :class:`ShipStationReader` method) on the job's client."""
    return Call("shipstation", method, args, kwargs)


def shipstation_list(
    method: Callable[Concatenate[_ShipStation, P], Iterator[object]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Call:
    """A step reading every item of ``method`` (an ``iter_*`` method) into a list."""
    return Call("shipstation", method, args, kwargs, collect=True)


def inventory_list(
    method: Callable[Concatenate[InventoryReader, P], Iterator[object]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Call:
    """A step reading every item of an :class:`InventoryReader` listing into a list."""
    return Call("shipstation_v2", method, args, kwargs, collect=True)


def inventory_call(
    method: Callable[Concatenate[InventoryReader, P], object],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Call:
    """A step calling ``method`` (an :class:`InventoryReader` method) on the job's V2 client."""
    return Call("shipstation_v2", method, args, kwargs)


def oracle_call(
    method: Callable[Concatenate[_Oracle, P], object], /, *args: P.args, **kwargs: P.kwargs
) -> Call:
    """A step calling ``method`` (an Oracle Protocol's method) on the job's Oracle client."""
    return Call("oracle", method, args, kwargs)


def annotator_call(
    method: Callable[Concatenate[Annotator, P], object], /, *args: P.args, **kwargs: P.kwargs
) -> Call:
    """A step calling ``method`` (an :class:`Annotator` method) on the host's annotator."""
    return Call("annotator", method, args, kwargs)


# -- construction-time checks ---------------------------------------------------------------------


def _kind(value: object) -> str:
    return type(value).__name__


def _members(protocol: type) -> list[str]:
    names: list[str] = []
    for cls in reversed(protocol.__mro__):
        if cls in (Protocol, object) or cls.__module__ == "typing":
            continue
        names += [name for name in vars(cls) if not name.startswith("_") and name not in names]
    return names


@attrs.frozen
class ClientNeeds:
    """What a job needs of one client: a blocking and an async Protocol, and how to say so.

    Attributes:
        what: ``a ShipStation V1 client``...: the refusal says the job needs it.
        blocking: The Protocol the blocking job takes.
        awaited: The async twin's Protocol.
        listed: The methods the refusal names (default: every member of ``blocking``).
    """

    what: str
    blocking: type
    awaited: type
    listed: str | None = None

    def fits(self, client: object) -> bool:
        """``client`` has what either twin needs."""
        return isinstance(client, (self.blocking, self.awaited))

    def describe(self) -> str:
        """The sentence fragment the refusal uses."""
        listed = self.listed if self.listed is not None else ", ".join(_members(self.blocking))
        return f"{self.what} ({listed})"

    def probe(self) -> str | None:
        """A member the async twin awaits (None: both twins' members look alike)."""
        for name in _members(self.awaited):
            if inspect.iscoroutinefunction(getattr(self.awaited, name, None)):
                return name
        return None


SHIPSTATION_V1 = ClientNeeds("a ShipStation V1 client", ShipStationReader, AsyncShipStationReader)
ORACLE = ClientNeeds(
    "an Oracle Fusion client",
    OracleWriter,
    AsyncOracleWriter,
    "find_*, post_*_once, post_batch and the customer look-ups",
)
CATALOG_SHIPSTATION = ClientNeeds("a ShipStation V1 client", CatalogReader, AsyncCatalogReader)
ITEM_MASTER = ClientNeeds("an Oracle Fusion client", ItemMasterReader, AsyncItemMasterReader)
CUSTOMER_ORACLE = ClientNeeds("an Oracle Fusion client", CustomerWriter, AsyncCustomerWriter)
INVENTORY_V2 = ClientNeeds("a ShipStation V2 client", InventoryReader, AsyncInventoryReader)
ANNOTATOR = ClientNeeds("an annotator", Annotator, AsyncAnnotator)


def _is_async(client: object, method: str) -> bool:
    return inspect.iscoroutinefunction(getattr(client, method, None))


def check_clients(
    job: str,
    *,
    shipstation: object,
    oracle: object,
    asynchronous: bool,
    reads: ClientNeeds = SHIPSTATION_V1,
    writes: ClientNeeds = ORACLE,
    more: Mapping[str, tuple[ClientNeeds, object]] | None = None,
) -> None:
    """Refuse clients of the wrong kind (the options check the mapping).

    ``reads`` and ``writes`` say what the job needs of ``shipstation`` and ``oracle`` (the
    shipment job's Protocols by default); ``more`` names further clients (argument name ->
    (needs, client)), e.g. the inventory job's V2 client.

    Raises:
        ConfigurationError: naming the argument and saying what to pass instead.
    """
    twin = f"Async{job}" if not asynchronous else job.removeprefix("Async")
    if not reads.fits(shipstation) and not writes.fits(oracle) and reads.fits(oracle):
        raise ConfigurationError(
            f"{job} got the clients swapped: shipstation= is a {_kind(shipstation)} and "
            f"oracle= a {_kind(oracle)}",
            setting="shipstation",
        )
    clients = {"shipstation": (reads, shipstation), "oracle": (writes, oracle), **(more or {})}
    for setting, (needs, client) in clients.items():
        if not needs.fits(client):
            raise ConfigurationError(
                f"{job} needs {needs.describe()}, got {_kind(client)}", setting=setting
            )
    for setting, (needs, client) in clients.items():
        probe = needs.probe()
        if probe is not None and _is_async(client, probe) != asynchronous:
            given = "an async" if not asynchronous else "a blocking"
            raise ConfigurationError(
                f"{job} got {given} client ({_kind(client)}); use {twin}, or pass the "
                f"{'blocking' if not asynchronous else 'async'} client",
                setting=setting,
            )
