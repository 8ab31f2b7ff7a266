"""The shipment job's window: :class:`SyncWindow`, and its labels and orders as a stream.

A window run reads the shipments created in the window (with their items) and its
fulfillments, merged in listing order, then the shipments voided in it, :data:`CHUNK` labels at a
time (:class:`_WindowLabels`); the window's order list is read alongside into a bounded cache
(:class:`_OrderCache`), single gets fill the misses. :class:`_IdSet` remembers the label ids a
run has seen in 8 bytes each. Everything here is a flow (see :mod:`._flow`): no I/O of its own.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from ml_connector._errors import ConfigurationError, ConnectorError
from ml_connector._time import to_utc
from ml_connector.shipstation import Fulfillment, Order, Shipment, UndecodableRecord

from ._directory import LookupCache
from ._flow import Cursor, Fanout, Flow, Take
from ._labels import FULFILLMENT, SHIPMENT, Label, labels_from
from ._protocols import ShipStationReader, shipstation_call

__all__ = ["CHUNK", "ORDER_CACHE_CHUNKS", "SyncWindow"]

CHUNK = 500
"""Labels processed at a time by a window run: one V1 page (ShipStation's largest page size)."""
ORDER_CACHE_CHUNKS = 4
"""Orders kept between chunks, in chunks (2,000 at the default chunk size; most recently used
first out): a bounded read-ahead that grows with the chunk, not with the window."""
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
    """The window's labels as chunks: created shipments and fulfillments merged (by order id
    while both come in that order, a tidy source; otherwise by creation date, the order
    ShipStation lists them in), then the voided ones. The window's order list moves along with
    the chunks (:class:`_OrderCache`). At most one page of each listing is held besides the
    chunk.
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
        self.by_order_id = True
        """Whether the labels so far came in order-id order (a tidy source; ShipStation itself
        lists them by creation date)."""
        self._last_order = -1
        self.undecodable: list[UndecodableRecord] = []
        """Labels listed that could not be decoded, not yet recorded (see ``_undecodable``)."""

    def _note_order(self, items: list[Shipment]) -> None:
        for item in items:
            order_id = _order_of(item)
            if order_id < self._last_order:
                self.by_order_id = False
            self._last_order = order_id

    def _merge_key(self, buffer: deque[Any]) -> tuple[float, int]:
        """Where the head of ``buffer`` goes in the merge: by order id while the listings come
        in that order (a tidy source), else by creation date, ShipStation's own listing order."""
        item: Shipment | Fulfillment = buffer[0]
        if self.by_order_id or item.create_date is None:
            return (0.0, _order_of(item))
        return (item.create_date.timestamp(), _order_of(item))

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
                    if cursor is self._created:
                        self._note_order(items)
                    yield from self._take_undecodable()
            heads = [buffer for buffer in self._buffers if buffer]
            if not heads:
                break
            item = min(heads, key=self._merge_key).popleft()
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
    """Orders for a run's chunks: the window's order list is read along with the labels, into a
    cache of at most ``capacity`` orders (least recently used out); what the list cannot give
    is fetched one by one.

    The list moves with the labels by a position both share: in order-id order for a tidy
    source (labels and orders both by order id), otherwise by time, since ShipStation lists
    labels by creation date and an order is modified when a label of it is created or voided
    (so its modification date is at or after each of its labels' creation and void dates).
    Each chunk reads the list up to the chunk's latest label (its *horizon*): every order the
    chunk can find in the list by then has been read, each page once, and the list is never
    read further ahead than one page past the labels. An order whose list position is beyond
    the horizon (a split order's later label, a later void) is found when the labels reach it.
    """

    def __init__(
        self,
        window: SyncWindow | None,
        capacity: int,
        page: int = CHUNK,
        *,
        labels: _WindowLabels | None = None,
    ) -> None:
        self.capacity = capacity
        self.page = page
        self._window = window
        self._labels = labels
        self._opened = False
        self._by_id = True
        self.fetched = 0
        self.customers = LookupCache()
        """The Oracle customer look-ups of these orders, also kept across chunks."""
        self._cache: OrderedDict[int, Order] = OrderedDict()
        self._listing: Cursor | None = None
        self._after: Cursor | None = None
        """The orders modified after the window, opened only when labels need them."""
        self._position: int | datetime | None = None
        """The list position read up to: the last listed order's id, or modification date."""
        self._index: dict[int, int] = {}
        """Where each cached order came in the list (by count of orders read before it)."""
        self._read = 0
        """Orders read from the list so far."""
        self._reach = 0
        """One past the furthest list entry a label asked for: the list's lead is the rest."""

    def _open(self) -> None:
        """Open the window's order list, in the order the labels come in.

        ShipStation lists labels by creation date (https://docs.shipstation.com/apis/
        shipstation-v1/docs/shipments/list) and an order is modified when it ships, so the list
        is read sorted by modification date (a documented ``sortBy`` of
        https://docs.shipstation.com/apis/shipstation-v1/docs/orders/list-orders); labels that
        came in order-id order (a tidy source) get the list's default, ascending ``orderId``.
        """
        self._opened = True
        if self._window is None:
            return
        self._by_id = self._labels is not None and self._labels.by_order_id
        sort: dict[str, str] = {} if self._by_id else {"sort_by": "ModifyDate", "sort_dir": "ASC"}
        self._listing = Cursor(
            shipstation_call(
                ShipStationReader.iter_orders,
                modify_date_start=self._window.start,
                modify_date_end=self._window.end,
                **sort,  # type: ignore[arg-type]
            )
        )

    def _horizon(self, order_ids: set[int], labels: Iterable[Label]) -> int | datetime | None:
        """How far in the list ``labels`` (whose orders are ``order_ids``) reach.

        By time, a label created in the window counts by its creation (the listing's own
        order): one voided days later must not pull the list that far ahead of the others, so
        it waits for the labels to reach its void, or for the end. A label from before the
        window (a void or a late void listed for the window) counts by its void.
        """
        if self._by_id:
            return max(order_ids, default=None)
        start = self._window.start if self._window is not None else None
        times: list[datetime] = []
        for label in labels:
            source = label.shipment if label.shipment is not None else label.fulfillment
            if source is None:
                continue
            created = source.create_date
            if created is not None and (start is None or created >= start):
                times.append(created)
            elif label.changed_at is not None:
                times.append(label.changed_at)
        return max(times, default=None)

    def _behind(self, horizon: int | datetime | None) -> bool:
        """Whether the list has not yet been read past ``horizon``."""
        position = self._position
        if position is None or horizon is None:
            return True
        if isinstance(position, int) and isinstance(horizon, int):
            return position <= horizon
        if isinstance(position, datetime) and isinstance(horizon, datetime):
            return position <= horizon
        return True

    def _keep(self, order: Order) -> None:
        self._cache[order.order_id] = order
        self._cache.move_to_end(order.order_id)
        while len(self._cache) > self.capacity:
            evicted, _order = self._cache.popitem(last=False)
            self._index.pop(evicted, None)

    def get_flow(
        self,
        order_ids: set[int],
        *,
        labels: Iterable[Label] = (),
        fetch_missing: bool = True,
        to_end: bool = False,
    ) -> Flow[dict[int, Order | ConnectorError]]:
        """The orders ``order_ids`` name (an error for those that could not be read).

        ``labels`` are the labels asking (their latest creation or void sets how far the list
        is read for them). With ``fetch_missing=False`` an order the list may still hold
        further on is left out (its labels can wait for a later chunk) instead of being
        fetched on its own. With ``to_end`` (nothing comes after) the list is read on to its
        end for the missing ones: each page is read once in a run, so that costs no more than
        the list itself.
        """
        if not self._opened:
            self._open()
        orders: dict[int, Order | ConnectorError] = {}
        for order_id in order_ids:
            cached = self._cache.get(order_id)
            if cached is not None:
                self._cache.move_to_end(order_id)
                orders[order_id] = cached
                at = self._index.get(order_id)
                if at is not None:
                    self._reach = max(self._reach, at + 1)
        missing = order_ids - orders.keys()
        horizon = self._horizon(order_ids, labels)
        # Never further ahead of the orders asked for than the cache holds beside the ones found
        # for these (an order not in the list at all, or a horizon far ahead, would otherwise
        # push out the orders the next chunks need), unless nothing comes after. Only the
        # orders found count: labels waiting for an order the list has not reached take no
        # room until it does, however many wait.
        while missing and self._listing is not None and (to_end or self._behind(horizon)):
            lead = self._read - self._reach
            if not to_end and lead + self.page > self.capacity - len(orders):
                break
            page = yield Take(self._listing, self.page)
            if not page:
                self._listing = None
                break
            self.fetched += len(page)
            for order in page:
                self._keep(order)
                self._index[order.order_id] = self._read
                self._read += 1
                if order.order_id in missing:
                    missing.discard(order.order_id)
                    orders[order.order_id] = order
                    self._reach = max(self._reach, self._read)
                position = order.order_id if self._by_id else order.modify_date
                if position is not None:
                    self._position = position
        if not fetch_missing and self._listing is not None:
            return orders
        if missing and to_end and self._listing is None:
            yield from self._after_flow(missing, orders)
        ordered = sorted(missing)
        got = yield Fanout(tuple(_get_order_flow(order_id) for order_id in ordered))
        for order_id, order in zip(ordered, got, strict=True):
            orders[order_id] = order
            if isinstance(order, Order):
                self.fetched += 1
                self._keep(order)
        return orders

    def _after_flow(
        self, missing: set[int], orders: dict[int, Order | ConnectorError]
    ) -> Flow[None]:
        """Look for ``missing`` among the orders modified after the window (a split order's
        later label, a void, any later edit), by modification date, while that pays.

        A page is read only while fewer pages were read than orders are missing, and no
        further once a page held none of them (the list goes on in time, away from the
        window), so this never costs more than one call beyond the single gets it saves.
        The list is V1's documented ``modifyDateStart`` filter with ``sortBy=ModifyDate``
        (https://docs.shipstation.com/apis/shipstation-v1/docs/orders/list-orders).
        """
        if self._after is None:
            if self._window is None or self._by_id:
                return
            self._after = Cursor(
                shipstation_call(
                    ShipStationReader.iter_orders,
                    modify_date_start=self._window.end,
                    sort_by="ModifyDate",
                    sort_dir="ASC",
                )
            )
        pages = 0
        while missing and not self._after.exhausted and pages < len(missing):
            page = yield Take(self._after, self.page)
            pages += 1
            if not page:
                break
            self.fetched += len(page)
            hits = 0
            for order in page:
                if order.order_id in missing:
                    missing.discard(order.order_id)
                    orders[order.order_id] = order
                    self._keep(order)
                    hits += 1
            if not hits:
                break


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


DEFER_WAIT = timedelta(hours=12)
"""How long, in the labels' own listing time, a label may wait for its order or its order's
other labels (see :class:`_Carry`)."""
MODIFY_SLACK = timedelta(minutes=5)
"""How far a label's creation date may trail its order's modification date (see
:meth:`_Carry.may_list_more`)."""
DEFER_LIMIT = 20 * CHUNK
"""At most this many labels wait at once (see :class:`_Carry`): the bound on what waiting
holds in memory, whatever the window's volume."""


def _listed_at(label: Label) -> datetime | None:
    """Where ``label`` stands in the created labels' listing (its creation date)."""
    source = label.shipment if label.shipment is not None else label.fulfillment
    return None if source is None else source.create_date


@attrs.define
class _Carry:
    """What a window run carries from chunk to chunk: the labels it listed, by order, and the
    labels put off until their order's other labels are listed, or their order is.

    The wait is bounded by the listing, not by a count of labels: ShipStation lists labels by
    creation date and the order list runs by modification date, so a split order's labels
    and its order come hours apart whatever the day's volume. A label waits while it is
    within ``max_age`` chunks of the listing, or while the listing (the latest creation date
    of the labels listed) is less than ``max_wait`` past its own creation; at most ``limit``
    labels wait at once (the rest are decided at once, with single look-ups), so memory stays
    bounded on a day of any size.
    """

    ledgers: _LedgerCache
    max_age: int = 12
    max_wait: timedelta = DEFER_WAIT
    limit: int = DEFER_LIMIT
    deferred: list[Label] = attrs.field(factory=list)
    ages: dict[tuple[str, int], int] = attrs.field(factory=dict)
    chunk: int = 0
    listed_to: datetime | None = None
    """The latest creation date of the labels listed so far."""

    def listed(self, labels: Sequence[Label]) -> list[Label]:
        """A new chunk listed: its labels join the ledgers; the chunk's labels with the ones
        still waiting, to try again with it."""
        self.chunk += 1
        self.ledgers.add([label.shipment for label in labels if label.shipment is not None])
        for label in labels:
            at = _listed_at(label)
            if at is not None and (self.listed_to is None or at > self.listed_to):
                self.listed_to = at
        return [*labels, *self.take()]

    def take(self) -> list[Label]:
        """The deferred labels, to try again with this chunk."""
        waiting, self.deferred = self.deferred, []
        return waiting

    def may_defer(self, label: Label, *, final: bool) -> bool:
        """Whether ``label`` may wait for a later chunk (within the bounds above)."""
        if final or len(self.deferred) >= self.limit:
            return False
        first = self.ages.get((label.kind, label.id), self.chunk)
        if self.chunk - first < self.max_age:
            return True
        at = _listed_at(label)
        return at is not None and self.listed_to is not None and self.listed_to - at < self.max_wait

    def may_list_more(self, order: Order) -> bool:
        """Whether more labels of ``order`` may still be listed in this run.

        Creating or voiding a label modifies its order, and the labels are listed by creation
        date (https://docs.shipstation.com/apis/shipstation-v1/docs/shipments/list): once the
        listing is past the order's modification date (with :data:`MODIFY_SLACK` for two
        clocks), every label the order had then has been listed, so waiting longer (a partial
        shipment, whose rest has not shipped) would only hold memory; its labels are fetched.
        """
        modified = order.modify_date
        if modified is None or self.listed_to is None:
            return True
        return self.listed_to < modified + MODIFY_SLACK

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
