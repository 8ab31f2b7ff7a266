"""The shipment job's window: :class:`SyncWindow`, and its labels and orders as a stream.

A window run reads the shipments created in the window (with their items) and its
fulfillments, merged by order id, then the shipments voided in it, :data:`CHUNK` labels at a
time (:class:`_WindowLabels`); the window's order list is read alongside into a bounded cache
(:class:`_OrderCache`), single gets fill the misses. :class:`_IdSet` remembers the label ids a
run has seen in 8 bytes each. Everything here is a flow (see :mod:`._flow`): no I/O of its own.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import OrderedDict, deque
from datetime import datetime, timedelta
from typing import Any

import attrs

from ml_connector._errors import ConfigurationError, ConnectorError
from ml_connector._time import to_utc
from ml_connector.shipstation import Fulfillment, Order, Shipment, UndecodableRecord

from ._directory import LookupCache
from ._flow import Cursor, Fanout, Flow, Take
from ._labels import FULFILLMENT, SHIPMENT, Label, labels_from
from ._protocols import ShipStationReader, shipstation_call, shipstation_list

__all__ = ["CHUNK", "ORDER_CACHE", "SyncWindow"]

CHUNK = 500
"""Labels processed at a time by a window run: one V1 page (ShipStation's largest page size)."""
ORDER_CACHE = 2_000
"""Orders kept between chunks (most recently used first out): a bounded read-ahead."""
FULFILLMENT_VOID_LOOKBACK = timedelta(days=14)
"""How far before a window a run looks for fulfillments voided after their creation window
(see :class:`_WindowLabels`)."""
LABEL_MODELS = {"Shipment": SHIPMENT, "Fulfillment": FULFILLMENT}
"""The models whose undecodable records are labels of the window (see ``_undecodable``; an
order that cannot be decoded is fetched again by its labels, which fail with the field named)."""


def _utc(value: datetime) -> datetime:
    try:
        return to_utc(value)
    except ValueError as exc:
        raise ConfigurationError(str(exc), setting="window") from None


@attrs.frozen
class SyncWindow:
    """A time window, aware UTC: ``start`` inclusive, ``end`` exclusive.

    Sent to ShipStation as Pacific wall-clock time by the V1 client.
    """

    start: datetime = attrs.field(converter=_utc)
    end: datetime = attrs.field(converter=_utc)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ConfigurationError("end must be after start", setting="window")

    @classmethod
    def of(cls, value: SyncWindow | tuple[datetime, datetime]) -> SyncWindow:
        """A window from itself or a ``(start, end)`` pair."""
        return value if isinstance(value, SyncWindow) else cls(value[0], value[1])


class _IdSet:
    """A set of label ids in 8 bytes each: a sorted array, and a small set merged into it.

    A Python set of ints costs about 60 bytes an id; a run remembers every label id it
    processed, so over a large window that was a part of its memory that grew.
    """

    MERGE = 4_096

    def __init__(self) -> None:
        self._sorted = array("q")
        self._recent: set[int] = set()

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def __contains__(self, value: int) -> bool:
        if value in self._recent:
            return True
        at = bisect_left(self._sorted, value)
        return at < len(self._sorted) and self._sorted[at] == value

    def add(self, value: int) -> bool:
        """Add ``value``; whether it was new."""
        if value in self:
            return False
        self._recent.add(value)
        if len(self._recent) >= self.MERGE:
            self._sorted = array("q", sorted((*self._sorted, *self._recent)))
            self._recent = set()
        return True


def _order_of(item: Shipment | Fulfillment) -> int:
    return item.order_id if item.order_id is not None else -1


class _WindowLabels:
    """The window's labels as chunks: created shipments and fulfillments merged by order id
    (both listings come in that order, as does the window's order list, so a chunk's orders come
    up together in the order list; another order costs order look-ups, never correctness), then
    the voided ones. At most one page of each listing is held besides the chunk.
    """

    def __init__(
        self, window: SyncWindow, size: int, *, lookback: timedelta = timedelta(0)
    ) -> None:
        self.size = size
        self.fetched = 0
        self.late_voids_read = 0
        """Fulfillments read by the look-back pass (its cost: one call per 500)."""
        # Late fulfillment voids: V1 /fulfillments filters by creation date, not by void date
        # (https://docs.shipstation.com/apis/shipstation-v1/openapi/fulfillments), and a
        # fulfillment may be voided days after it was created. The cheapest documented way to
        # see those voids is to re-read the fulfillments created in the look-back before the
        # window (the window's own are read above) and keep the voided ones; the audit trail
        # makes a void already reversed a no-op.
        self._late = (
            Cursor(
                shipstation_call(
                    ShipStationReader.iter_fulfillments,
                    create_date_start=window.start - lookback,
                    create_date_end=window.start,
                )
            )
            if lookback > timedelta(0)
            else None
        )
        self._created = Cursor(
            shipstation_call(
                ShipStationReader.iter_shipments,
                create_date_start=window.start,
                create_date_end=window.end,
                include_shipment_items=True,
            )
        )
        self._fulfillments = Cursor(
            shipstation_call(
                ShipStationReader.iter_fulfillments,
                create_date_start=window.start,
                create_date_end=window.end,
            )
        )
        self._voided = Cursor(
            shipstation_call(
                ShipStationReader.iter_shipments,
                void_date_start=window.start,
                void_date_end=window.end,
                include_shipment_items=True,
            )
        )
        self._buffers: tuple[deque[Any], deque[Any]] = (deque(), deque())
        self.undecodable: list[UndecodableRecord] = []
        """Labels listed that could not be decoded, not yet recorded (see ``_undecodable``)."""

    def _take_undecodable(self) -> Flow[None]:
        taken = yield shipstation_call(ShipStationReader.take_undecodable)
        self.undecodable.extend(r for r in taken if r.model in LABEL_MODELS)

    def next_flow(self) -> Flow[list[Label]]:
        """The next chunk of labels (one per id); an empty list at the end of the window."""
        shipments: list[Shipment] = []
        fulfillments: list[Fulfillment] = []
        cursors = (self._created, self._fulfillments)
        while len(shipments) + len(fulfillments) < self.size:
            for cursor, buffer in zip(cursors, self._buffers, strict=True):
                if not buffer and not cursor.exhausted:
                    items = yield Take(cursor, self.size)
                    self.fetched += len(items)
                    buffer.extend(items)
                    yield from self._take_undecodable()
            heads = [buffer for buffer in self._buffers if buffer]
            if not heads:
                break
            item = min(heads, key=lambda buffer: _order_of(buffer[0])).popleft()
            if isinstance(item, Fulfillment):
                fulfillments.append(item)
            else:
                shipments.append(item)
        if not shipments and not fulfillments:
            shipments = yield Take(self._voided, self.size)
            self.fetched += len(shipments)
            yield from self._take_undecodable()
        while not shipments and not fulfillments and self._late is not None:
            items = yield Take(self._late, self.size)
            yield from self._take_undecodable()
            if not items:
                self._late = None
                break
            self.late_voids_read += len(items)
            fulfillments = [item for item in items if item.voided]
            self.fetched += len(fulfillments)
        return labels_from(shipments, fulfillments)


class _OrderCache:
    """Orders for a run's chunks: the window's order list is read as far as the labels need,
    into a cache of at most ``capacity`` orders (least recently used out); misses are fetched
    one by one, as before.
    """

    def __init__(self, window: SyncWindow | None, capacity: int, page: int = CHUNK) -> None:
        self.capacity = capacity
        self.page = page
        self.fetched = 0
        self.customers = LookupCache()
        """The Oracle customer look-ups of these orders, also kept across chunks."""
        self._cache: OrderedDict[int, Order] = OrderedDict()
        # Listed orders no label has asked for yet: the list's lead over the labels.
        self._ahead: set[int] = set()
        # Sorted by modification date (a documented sortBy, https://docs.shipstation.com/apis/
        # shipstation-v1/openapi/orders): an order is modified when it ships, so the list comes
        # in about the order the labels are listed in (creation date), whatever that order is;
        # its default, ascending orderId, follows the orders' creation, days earlier.
        self._listing = (
            None
            if window is None
            else Cursor(
                shipstation_call(
                    ShipStationReader.iter_orders,
                    modify_date_start=window.start,
                    modify_date_end=window.end,
                    sort_by="ModifyDate",
                    sort_dir="ASC",
                )
            )
        )

    def _keep(self, order: Order) -> None:
        self._cache[order.order_id] = order
        self._cache.move_to_end(order.order_id)
        while len(self._cache) > self.capacity:
            evicted, _order = self._cache.popitem(last=False)
            self._ahead.discard(evicted)

    def get_flow(
        self, order_ids: set[int], *, fetch_missing: bool = True
    ) -> Flow[dict[int, Order | ConnectorError]]:
        """The orders ``order_ids`` name (an error for those that could not be read).

        With ``fetch_missing=False`` an order the list may still hold further on is left out
        (its labels can wait for a later chunk) instead of being fetched on its own.
        """
        orders: dict[int, Order | ConnectorError] = {}
        for order_id in order_ids:
            cached = self._cache.get(order_id)
            if cached is not None:
                self._cache.move_to_end(order_id)
                self._ahead.discard(order_id)
                orders[order_id] = cached
        missing = order_ids - orders.keys()
        # Read on in the list while it may still hold them, but never further ahead of the
        # labels than the cache holds: an order modified outside the window is not in the list
        # at all, and reading past it would push out the orders the next chunks need.
        while missing and self._listing is not None:
            if len(self._ahead) + self.page > self.capacity - len(order_ids):
                break
            page = yield Take(self._listing, self.page)
            if not page:
                self._listing = None
                break
            self.fetched += len(page)
            for order in page:
                self._keep(order)
                if order.order_id in missing:
                    missing.discard(order.order_id)
                    orders[order.order_id] = order
                else:
                    self._ahead.add(order.order_id)
        if not fetch_missing and self._listing is not None:
            return orders
        ordered = sorted(missing)
        got = yield Fanout(tuple(_get_order_flow(order_id) for order_id in ordered))
        for order_id, order in zip(ordered, got, strict=True):
            orders[order_id] = order
            if isinstance(order, Order):
                self.fetched += 1
                self._keep(order)
        return orders


class _LedgerCache:
    """The shipments (with their items) a run has listed, by order: a split order's labels
    listed hours apart complete each other without asking ShipStation for the order's labels.
    Bounded: at most ``capacity`` orders, least recently used out."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._orders: OrderedDict[int, dict[int, Shipment]] = OrderedDict()

    def add(self, shipments: list[Shipment]) -> None:
        for shipment in shipments:
            if shipment.order_id is None or shipment.shipment_items is None:
                continue
            known = self._orders.setdefault(shipment.order_id, {})
            known[shipment.shipment_id] = shipment
            self._orders.move_to_end(shipment.order_id)
        while len(self._orders) > self.capacity:
            self._orders.popitem(last=False)

    def get(self, order_id: int) -> list[Shipment]:
        return list(self._orders.get(order_id, {}).values())


@attrs.define
class _Carry:
    """What a window run carries from chunk to chunk: the labels it listed, by order, and the
    labels put off until their order's other labels are listed (at most ``max_age`` chunks)."""

    ledgers: _LedgerCache
    max_age: int = 12
    deferred: list[Label] = attrs.field(factory=list)
    ages: dict[tuple[str, int], int] = attrs.field(factory=dict)
    chunk: int = 0

    def take(self) -> list[Label]:
        """The deferred labels, to try again with this chunk."""
        waiting, self.deferred = self.deferred, []
        return waiting

    def may_defer(self, label: Label, *, final: bool) -> bool:
        """Whether ``label`` may wait for a later chunk (never past ``max_age`` or the end)."""
        first = self.ages.get((label.kind, label.id), self.chunk)
        return not final and self.chunk - first < self.max_age

    def defer(self, labels: list[Label]) -> None:
        for label in labels:
            self.ages.setdefault((label.kind, label.id), self.chunk)
            self.deferred.append(label)


def _get_order_flow(order_id: int) -> Flow[Order | ConnectorError]:
    try:
        order = yield shipstation_call(ShipStationReader.get_order, order_id)
    except ConnectorError as exc:
        return exc
    result: Order = order
    return result


# -- the whole window at once (reconciliation) ----------------------------------------------------


@attrs.frozen
class _Fetched:
    labels: tuple[Label, ...]
    count: int


def fetch_window_flow(window: SyncWindow) -> Flow[_Fetched]:
    """Every label of ``window`` in one go (what a reconciliation reads)."""
    created = yield shipstation_list(
        ShipStationReader.iter_shipments,
        create_date_start=window.start,
        create_date_end=window.end,
        include_shipment_items=True,
    )
    voided = yield shipstation_list(
        ShipStationReader.iter_shipments,
        void_date_start=window.start,
        void_date_end=window.end,
        include_shipment_items=True,
    )
    fulfillments = yield shipstation_list(
        ShipStationReader.iter_fulfillments,
        create_date_start=window.start,
        create_date_end=window.end,
    )
    labels = labels_from([*created, *voided], fulfillments)
    return _Fetched(tuple(labels), len(created) + len(voided) + len(fulfillments))


def orders_flow(
    order_ids: set[int], window: SyncWindow | None
) -> Flow[tuple[dict[int, Order | ConnectorError], int]]:
    """The orders ``order_ids`` name, prefilled from the window's order list, and how many
    were read."""
    orders: dict[int, Order | ConnectorError] = {}
    fetched = 0
    if window is not None and order_ids:
        listed = yield shipstation_list(
            ShipStationReader.iter_orders,
            modify_date_start=window.start,
            modify_date_end=window.end,
        )
        fetched += len(listed)
        for order in listed:
            if order.order_id in order_ids:
                orders[order.order_id] = order
    missing = sorted(order_ids - set(orders))
    got = yield Fanout(tuple(_get_order_flow(order_id) for order_id in missing))
    fetched += sum(1 for item in got if isinstance(item, Order))
    orders.update(zip(missing, got, strict=True))
    return orders, fetched
