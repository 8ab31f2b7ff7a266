"""Inventory transactions in Oracle: staged (the interface) and completed, found exactly once.

``inventoryStagedTransactions`` is an interface. A row is processed by its ``TransactionMode``:
Online "processed synchronously" during the POST, Concurrent "immediately processed using the
Create Inventory Transaction process" (a job, soon after), Background "not processed until the
Manage Inventory Transaction process is run"; a processed row leaves the interface
(https://docs.oracle.com/en/cloud/saas/readiness/scm/24a/inv24a/24A-inventory-wn-f30338.htm).
The movement is then read from ``inventoryCompletedTransactions``, which is GET only
(https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/23d/fasrp/op-inventorycompletedtransactions-get.html).
So a look-up that must not post a movement twice reads both, the interface first: a row that
is processed between the two reads is then seen in the second, never missed.

What a look-up finds is one of three states, never confused:

- ``posted``: a completed movement carries the key;
- ``pending_in_oracle``: a row waits in the interface, no error (Concurrent or Background mode,
  or an Online POST that answered 408 and kept the row, or a gateway 504);
- ``failed``: the interface row carries ``ErrorCode`` / ``ErrorExplanation``.

The key both resources expose is ``TransactionReference`` (the mapping puts the line's posting
key there by default): the staged resource is searched with every configured look-up attribute;
the completed one with ``inventory_completed_lookup_attributes`` (``TransactionReference`` and
``TransactionTypeName`` by default: the type tells a void's reversing receipt from the issue
it reverses). The interface attributes ``SourceHeaderId`` and ``TransactionInterfaceId`` are
not on a completed movement (see ``testing/_oracle_meta``), so they cannot be the key.

Processing is not triggered by this client. ``processByHeader`` is an action only in newer
releases
(https://docs.oracle.com/en/cloud/saas/supply-chain-and-manufacturing/26b/fasrp/op-inventorystagedtransactions-action-processbyheader-post.html)
and needs header ids and type names per call; Concurrent mode (the mapping's
``inventory.transaction_mode``) gets the same result with no second request, and whatever mode
is used, a pending row is reported as pending and found on the next run.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from ml_connector._errors import (
    ApiError,
    MappingError,
    ResponseDecodeError,
    ServerError,
    TransportError,
)

from .models import InventoryStagedTransaction, InventoryStagedTransactionRecord

__all__ = [
    "COMPLETED",
    "InventoryCompletedTransactionRecord",
    "InventoryPostResult",
    "InventoryState",
    "InventoryTransactionStatus",
    "completed_filters",
    "is_online",
    "maybe_staged",
    "parse_completed",
]

COMPLETED = "inventoryCompletedTransactions"

# Answers after which the row may be in the interface (or already processed): 408 is Online
# mode's documented "kept in the interface" answer since 24A, 504 the gateway timeout it
# replaces (same page as above); a 5xx, a transport error or an unreadable body may follow a
# commit too.
MAYBE_STAGED = frozenset({408, 504})

_ONLINE = frozenset({"1", "online"})


def is_online(mode: str | None) -> bool:
    """Whether ``TransactionMode`` asks for Online processing (``"1"`` or ``"Online"``).

    An absent mode is not Online: the tenant's default is not documented, so the client does
    not assume the row was processed.
    """
    return mode is not None and mode.strip().lower() in _ONLINE


class InventoryState(enum.StrEnum):
    """Where one inventory transaction is in Oracle."""

    POSTED = "posted"
    """A completed movement carries the key."""
    PENDING = "pending_in_oracle"
    """A row waits in the interface, with no error."""
    FAILED = "failed"
    """The interface row carries Oracle's error."""


@attrs.frozen(kw_only=True)
class InventoryCompletedTransactionRecord:
    """A processed movement as ``inventoryCompletedTransactions`` returns it.

    Attributes:
        transaction_id: ``TransactionId``, the item key.
        transaction_reference: ``TransactionReference``.
        transaction_type_name: ``TransactionTypeName``.
        item_number: ``ItemNumber``.
        transaction_quantity: ``TransactionQuantity``.
        organization_code: ``OrganizationCode``.
        subinventory_code: ``SubinventoryCode``.
        transaction_date: ``TransactionDate`` (aware), when readable.
        raw: The item as received.
    """

    transaction_id: int | None = None
    transaction_reference: str | None = None
    transaction_type_name: str | None = None
    item_number: str | None = None
    transaction_quantity: Decimal | None = None
    organization_code: str | None = None
    subinventory_code: str | None = None
    transaction_date: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def parse_completed(item: Any) -> InventoryCompletedTransactionRecord:
    """One ``inventoryCompletedTransactions`` item; unknown attributes are kept in ``raw``.

    Raises:
        ResponseDecodeError: the item is not an object or a typed attribute is unreadable.
    """
    if not isinstance(item, Mapping):
        raise ResponseDecodeError(f"{COMPLETED}: expected an object", field="items")
    quantity = item.get("TransactionQuantity")
    try:
        amount = None if quantity is None else Decimal(str(quantity))
    except InvalidOperation:
        raise ResponseDecodeError(
            f"{COMPLETED}: TransactionQuantity {quantity!r} is not a number",
            field="TransactionQuantity",
        ) from None
    identifier = item.get("TransactionId")
    when: datetime | None = None
    raw_date = item.get("TransactionDate")
    if isinstance(raw_date, str):
        try:
            parsed = datetime.fromisoformat(raw_date)
        except ValueError:
            parsed = None
        when = parsed if parsed is not None and parsed.tzinfo is not None else None
    return InventoryCompletedTransactionRecord(
        transaction_id=identifier if isinstance(identifier, int) else None,
        transaction_reference=_text(item.get("TransactionReference")),
        transaction_type_name=_text(item.get("TransactionTypeName")),
        item_number=_text(item.get("ItemNumber")),
        transaction_quantity=amount,
        organization_code=_text(item.get("OrganizationCode")),
        subinventory_code=_text(item.get("SubinventoryCode")),
        transaction_date=when,
        raw=dict(item),
    )


@attrs.frozen(kw_only=True)
class InventoryTransactionStatus:
    """What Oracle holds for one inventory transaction's key, in both resources.

    Attributes:
        staged: Matching rows still in ``inventoryStagedTransactions``.
        completed: Matching movements in ``inventoryCompletedTransactions``.
    """

    staged: tuple[InventoryStagedTransactionRecord, ...] = ()
    completed: tuple[InventoryCompletedTransactionRecord, ...] = ()

    @property
    def found(self) -> bool:
        """Whether Oracle holds anything for the key."""
        return bool(self.staged or self.completed)

    @property
    def pending(self) -> tuple[InventoryStagedTransactionRecord, ...]:
        """Interface rows waiting, with no error."""
        return tuple(row for row in self.staged if not row.failed)

    @property
    def failed_rows(self) -> tuple[InventoryStagedTransactionRecord, ...]:
        """Interface rows that carry Oracle's error."""
        return tuple(row for row in self.staged if row.failed)

    @property
    def state(self) -> InventoryState | None:
        """``posted`` over ``pending_in_oracle`` over ``failed``; ``None`` when not found."""
        if self.completed:
            return InventoryState.POSTED
        if self.pending:
            return InventoryState.PENDING
        if self.staged:
            return InventoryState.FAILED
        return None

    @property
    def copies(self) -> int:
        """Good copies Oracle holds (completed plus pending); more than one is a duplicate."""
        return len(self.completed) + len(self.pending)

    @property
    def oracle_id(self) -> str | None:
        """``TransactionId`` of the completed movement, else the interface row's id."""
        if self.completed:
            return _text(self.completed[0].transaction_id)
        rows = self.pending or self.staged
        return _text(rows[0].transaction_interface_id) if rows else None

    @property
    def quantity(self) -> Decimal | None:
        """The quantity Oracle holds (completed first)."""
        if self.completed:
            return self.completed[0].transaction_quantity
        rows = self.pending or self.staged
        return rows[0].transaction_quantity if rows else None

    @property
    def error_code(self) -> str | None:
        """Oracle's ``ErrorCode`` when the state is ``failed``."""
        rows = self.failed_rows
        return rows[0].error_code if rows and self.state is InventoryState.FAILED else None

    @property
    def error_explanation(self) -> str | None:
        """Oracle's ``ErrorExplanation`` when the state is ``failed``."""
        rows = self.failed_rows
        if not rows or self.state is not InventoryState.FAILED:
            return None
        return rows[0].error_explanation or rows[0].error_code


@attrs.frozen(kw_only=True)
class InventoryPostResult:
    """The outcome of ``post_staged_transaction_once``.

    Attributes:
        status: What Oracle holds for the key after the call.
        created: ``True`` if this call staged the row.
        recovered: ``True`` if the create's answer was lost (or was a 408/504) and the row was
            found after.
        answer: The create's own answer (a staged row), when one arrived.
    """

    status: InventoryTransactionStatus
    created: bool
    recovered: bool = False
    answer: InventoryStagedTransactionRecord | None = None
    online: bool = False

    @property
    def state(self) -> InventoryState:
        """``posted``, ``pending_in_oracle`` or ``failed``.

        A row this call staged in Online mode with no error in the answer was processed during
        the POST ("processed synchronously"), so it is ``posted``; in any other mode, or when
        the answer was lost, only a completed movement proves it.
        """
        if self.answer is not None and not self.answer.failed and self.online:
            return InventoryState.POSTED
        found = self.status.state
        if found is not None:
            return found
        if self.answer is not None and self.answer.failed:
            return InventoryState.FAILED
        return InventoryState.PENDING

    @property
    def record(self) -> InventoryStagedTransactionRecord | None:
        """The interface row: the create's answer, else a row found (``None`` once processed
        and found only as a completed movement)."""
        if self.answer is not None:
            return self.answer
        rows = self.status.pending or self.status.staged
        return rows[0] if rows else None

    @property
    def oracle_id(self) -> str | None:
        """``TransactionId`` when found completed, else ``TransactionInterfaceId``."""
        if self.status.completed:
            return self.status.oracle_id
        if self.answer is not None:
            return _text(self.answer.transaction_interface_id)
        return self.status.oracle_id


def maybe_staged(exc: Exception) -> bool:
    """Whether a failed create may still have left a row (look it up, never post again)."""
    if isinstance(exc, TransportError | ServerError | ResponseDecodeError):
        return True
    return isinstance(exc, ApiError) and exc.status in MAYBE_STAGED


def completed_filters(
    transaction: InventoryStagedTransaction, wire: Mapping[str, Any], names: Sequence[str]
) -> dict[str, Any]:
    """The completed-resource filter: ``names`` read from the transaction's wire payload."""
    filters: dict[str, Any] = {}
    for name in names:
        value = wire.get(name)
        if value is None:
            raise MappingError(
                "the transaction has no value for a completed-transaction lookup attribute",
                field=name,
                record=transaction.transaction_reference,
            )
        filters[name] = value
    return filters
