"""What mapping returns: a plan to post, or an explicit skip, each explained for people."""

from __future__ import annotations

import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from ml_connector.oracle.models import (
    InventoryStagedTransaction,
    ReceivablesCreditMemo,
    ReceivablesInvoice,
)

from .customers import Matched

__all__ = [
    "InventoryPosting",
    "ShipmentPlan",
    "Skip",
    "SkipReason",
]


class SkipReason(enum.Enum):
    """Why a shipment posts nothing. Every skip is explicit; nothing is dropped silently."""

    RETURN_LABEL = "return label"
    TEST_ORDER = "test order"
    SKIPPED_TAG = "order tag configured to skip"
    SKIPPED_STORE = "store configured to skip"
    ZERO_VALUE = "zero value"
    NO_ORDER = "label without an order"
    NO_ITEMS = "shipment without items"
    ORIGINAL_NOT_POSTED = "voided shipment whose original posted nothing"


@attrs.frozen
class Skip:
    """A shipment that posts nothing, and why.

    Attributes:
        shipment_id: The ShipStation shipment.
        reason: The rule that applied.
        detail: One sentence for people.
        explanation: The steps that led here.
    """

    shipment_id: int
    reason: SkipReason
    detail: str
    explanation: tuple[str, ...] = ()


@attrs.frozen
class InventoryPosting:
    """One staged inventory transaction and its deterministic posting key.

    Oracle keeps no key of ours on a staged transaction beyond ``SourceCode``,
    ``SourceHeaderId``, ``SourceLineId`` and ``TransactionReference``; the key is what the
    audit trail records and what find-before-create compares.
    """

    key: str
    transaction: InventoryStagedTransaction
    line: int | None = None
    """The shipment item position (1-based) this posting comes from, if any."""


@attrs.frozen
class ShipmentPlan:
    """What one shipment posts to Oracle.

    A live shipment has an ``invoice`` (None when configured ``inventory_only`` for zero
    value); a voided one has a ``credit_memo`` reversing its invoice exactly, with
    ``original_key`` naming that invoice. Post the credit memo only if the original was posted.

    Attributes:
        shipment_id: The ShipStation shipment.
        order_number: Its order.
        posting_key: Key of the invoice or credit memo (None when there is neither).
        invoice: The AR invoice payload.
        credit_memo: The AR credit memo payload (voided shipments).
        original_key: The reversed invoice's key (voided shipments).
        inventory: Staged inventory transactions, one per shipped item line.
        customer: The customer match the invoice bills.
        explanation: Human-readable steps: every rule applied and every number derived.
            :func:`~ml_connector.mapping.map_shipment` builds them when this attribute is
            first read (most plans are posted without anyone reading them); the steps are
            the same whenever they are read.
    """

    shipment_id: int
    order_number: str
    posting_key: str | None
    invoice: ReceivablesInvoice | None
    credit_memo: ReceivablesCreditMemo | None
    original_key: str | None
    inventory: tuple[InventoryPosting, ...]
    customer: Matched
    explanation: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        """The invoice total, or the (negative) credit memo total, or zero."""
        if self.invoice is not None:
            return self.invoice.total
        if self.credit_memo is not None:
            return self.credit_memo.total
        return Decimal(0)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every posting key in the plan (document first, then inventory lines)."""
        head = (self.posting_key,) if self.posting_key is not None else ()
        return head + tuple(p.key for p in self.inventory)

    @classmethod
    def _deferred(
        cls,
        explain: tuple[Callable[..., tuple[str, ...]], *tuple[object, ...]],
        *,
        shipment_id: int,
        order_number: str,
        posting_key: str | None,
        invoice: ReceivablesInvoice | None,
        credit_memo: ReceivablesCreditMemo | None,
        original_key: str | None,
        inventory: tuple[InventoryPosting, ...],
        customer: Matched,
    ) -> ShipmentPlan:
        """A plan whose explanation is ``explain[0](*explain[1:])``, called when first read.

        ``explain`` holds what the steps are built from (the mapping's own inputs), never the
        steps: building them is most of the text a mapping makes, and a sync reads them only
        for the records it keeps in full. It waits in the explanation's own slot (see
        :class:`_Explanation`): a plan is one object besides it, with no instance dictionary.
        """
        return cls(
            shipment_id,
            order_number,
            posting_key,
            invoice,
            credit_memo,
            original_key,
            inventory,
            customer,
            _Deferred(explain),
        )


class _Deferred(tuple[Any, ...]):
    """What builds a plan's explanation (the function, then its arguments), waiting in the
    plan's ``explanation`` slot until it is first read."""

    __slots__ = ()


_SLOT: Any = ShipmentPlan.__dict__["explanation"]
"""The slot attrs made for ``ShipmentPlan.explanation`` (read and written by
:class:`_Explanation`)."""


class _Explanation:
    """``ShipmentPlan.explanation``: the slot's steps, built on first read when the slot holds
    a :class:`_Deferred` (then kept in the slot: built once, and what built it let go). Two
    threads reading at once may both build it; the steps are the same."""

    def __get__(self, plan: ShipmentPlan | None, owner: type) -> Any:
        if plan is None:
            return self
        value = _SLOT.__get__(plan, owner)
        if type(value) is not _Deferred:
            return value
        steps: tuple[str, ...] = value[0](*value[1:])
        _SLOT.__set__(plan, steps)
        return steps

    def __set__(self, plan: ShipmentPlan, value: Any) -> None:
        _SLOT.__set__(plan, value)

    def __delete__(self, plan: ShipmentPlan) -> None:
        _SLOT.__delete__(plan)


def _explained(plan: ShipmentPlan) -> bool:
    """Whether ``plan``'s explanation is built (for tests: a deferred one is built on read)."""
    return type(_SLOT.__get__(plan, ShipmentPlan)) is not _Deferred


type.__setattr__(ShipmentPlan, "explanation", _Explanation())
