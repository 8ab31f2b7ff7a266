"""What the shipment jobs need from each client, as typed Protocols, and the checks that say so.

A job's flow is written once for both twins, so it cannot hold a client's bound method (the
blocking and the async client's differ). Its steps name a method of these Protocols instead:
``shipstation_call(ShipStationReader.get_order, order_id)``. The builders take the Protocol's
function itself, so mypy checks that the method exists and that the arguments fit its
signature; the driver calls the method of that name on the client the job was given.

:class:`ShipStationReader` and :class:`OracleWriter` describe exactly what the blocking jobs
call; :class:`AsyncShipStationReader` and :class:`AsyncOracleWriter` are their awaited twins
(same names). :func:`check_clients` refuses, when the job is built, a client of the wrong kind
(an async client given to a blocking job, the two clients swapped) and a mapping that is not a
:class:`~ml_connector.mapping.MappingConfig` (a path, say), with a
:class:`~ml_connector.ConfigurationError` that says what to pass instead.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Concatenate, ParamSpec, Protocol, Unpack, runtime_checkable

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
    Order,
    OrderFilters,
    Shipment,
    ShipmentFilters,
    UndecodableRecord,
    WebhookPointer,
)

from ._flow import Call

__all__ = [
    "AsyncOracleWriter",
    "AsyncShipStationReader",
    "OracleWriter",
    "ShipStationReader",
    "check_clients",
    "oracle_call",
    "shipstation_call",
    "shipstation_list",
]

P = ParamSpec("P")


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

    def batch_part(self, part_id: str, model: Any) -> BatchPart:
        """Builds a batch part (no I/O, so not awaited on either twin)."""
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

    def batch_part(self, part_id: str, model: Any) -> BatchPart:
        """Builds a batch part (no I/O, so not awaited on either twin)."""
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


# -- typed steps ----------------------------------------------------------------------------------


def shipstation_call(
    method: Callable[Concatenate[ShipStationReader, P], object],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Call:
    """A step calling ``method`` (a :class:`ShipStationReader` method) on the job's client."""
    return Call("shipstation", method.__name__, args, kwargs)


def shipstation_list(
    method: Callable[Concatenate[ShipStationReader, P], Iterator[object]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Call:
    """A step reading every item of ``method`` (an ``iter_*`` method) into a list."""
    return Call("shipstation", method.__name__, args, kwargs, collect=True)


def oracle_call(
    method: Callable[Concatenate[OracleWriter, P], object], /, *args: P.args, **kwargs: P.kwargs
) -> Call:
    """A step calling ``method`` (an :class:`OracleWriter` method) on the job's client."""
    return Call("oracle", method.__name__, args, kwargs)


# -- construction-time checks ---------------------------------------------------------------------


def _kind(value: object) -> str:
    return type(value).__name__


def _is_async(client: object, method: str) -> bool:
    return inspect.iscoroutinefunction(getattr(client, method, None))


def check_clients(job: str, *, shipstation: object, oracle: object, asynchronous: bool) -> None:
    """Refuse clients of the wrong kind (the options check the mapping).

    Raises:
        ConfigurationError: naming the argument and saying what to pass instead.
    """
    twin = f"Async{job}" if not asynchronous else job.removeprefix("Async")
    reads = isinstance(shipstation, ShipStationReader | AsyncShipStationReader)
    writes = isinstance(oracle, OracleWriter | AsyncOracleWriter)
    if not reads and not writes and isinstance(oracle, ShipStationReader | AsyncShipStationReader):
        raise ConfigurationError(
            f"{job} got the clients swapped: shipstation= is a {_kind(shipstation)} and "
            f"oracle= a {_kind(oracle)}",
            setting="shipstation",
        )
    if not reads:
        raise ConfigurationError(
            f"{job} needs a ShipStation V1 client (get_order, iter_orders, iter_shipments, "
            f"iter_fulfillments, resolve_webhook, take_undecodable), got {_kind(shipstation)}",
            setting="shipstation",
        )
    if not writes:
        raise ConfigurationError(
            f"{job} needs an Oracle Fusion client (find_*, post_*_once, post_batch and the "
            f"customer look-ups), got {_kind(oracle)}",
            setting="oracle",
        )
    for setting, client, method in (
        ("shipstation", shipstation, "get_order"),
        ("oracle", oracle, "find_invoice"),
    ):
        if _is_async(client, method) != asynchronous:
            given = "an async" if not asynchronous else "a blocking"
            raise ConfigurationError(
                f"{job} got {given} client ({_kind(client)}); use {twin}, or pass the "
                f"{'blocking' if not asynchronous else 'async'} client",
                setting=setting,
            )
