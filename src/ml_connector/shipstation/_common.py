"""I/O-free pieces shared by the V1 and V2 clients and their sync/async twins.

A client method is split in two: an *exchange* (a flow, see :mod:`ml_connector._flow`, that
yields the :class:`~ml_connector._http.Request` to send and decodes the answer) or a *pager*
(first request, decode a page, next request), built here without I/O; and the twin's few lines
that send and, for pagers, loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

import httpx

from ml_connector._errors import ConfigurationError
from ml_connector._http import Request, read_json
from ml_connector._pagination import LinksNextPaginator, PageNumberPaginator
from ml_connector._redact import Secret
from ml_connector._time import format_pacific_bound, format_pacific_date

from ._converter import Decoder
from .models import Page, UndecodableRecord

__all__ = [
    "MAX_PAGE_SIZE",
    "Exchange",
    "UndecodableLog",
    "V1Pager",
    "V2Pager",
    "exchange",
    "to_secret",
]

logger = logging.getLogger("ml_connector.shipstation")

T = TypeVar("T")

MAX_PAGE_SIZE = 500
"""The largest V1 ``pageSize`` (https://www.shipstation.com/docs/api/requirements/): the fewest
calls against the 40-requests-a-minute budget."""


def to_secret(value: str | Secret) -> Secret:
    """Wrap a credential given as text; a :class:`Secret` passes through."""
    if isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(value.strip())
    # Anything else is refused by the validator, which knows the setting's name.
    return value


def non_empty_secret(setting: str) -> Callable[[Any, Any, Secret], None]:
    """An attrs validator refusing an empty credential or a non-text one, naming ``setting``."""

    def check(_instance: Any, _attribute: Any, value: Secret) -> None:
        if not isinstance(value, Secret):
            raise ConfigurationError(
                f"must be a str or Secret, not {type(value).__name__}", setting=setting
            )
        if not value:
            raise ConfigurationError("must not be empty", setting=setting)

    return check


Exchange = Generator[Request, httpx.Response, T]
"""A flow of one request: yields it, receives the response, returns the decoded body."""


def exchange(
    request: Request,
    decode: Callable[[Any], T] | None,
    read: Callable[[httpx.Response], Any] = read_json,
) -> Exchange[T]:
    """Send ``request``, then ``decode`` what ``read`` makes of the answer (``decode=None``:
    the body is not read at all, as for a ``DELETE``)."""
    response = yield request
    return decode(read(response)) if decode is not None else None  # type: ignore[return-value]


class UndecodableLog:
    """Records a client read but could not decode, kept until the caller takes them.

    Iterators yield models only; a record no quirk rule could decode lands here (and in a
    WARNING) instead of stopping the listing. The sync takes them after each listing and turns
    each into a failed record of its own. One log per client: nothing is shared.
    """

    def __init__(self) -> None:
        self._records: list[UndecodableRecord] = []

    def add(self, records: Iterable[UndecodableRecord]) -> None:
        for record in records:
            logger.warning(
                "undecodable ShipStation %s %s %s: %s%s (kept for replay)",
                record.version,
                record.model,
                record.record_id or "(no id)",
                record.reason,
                f" at {record.field}" if record.field else "",
            )
            self._records.append(record)

    def take(self) -> tuple[UndecodableRecord, ...]:
        """Every record added since the last call, oldest first; the log is then empty."""
        taken = tuple(self._records)
        self._records.clear()
        return taken

    def __len__(self) -> int:
        return len(self._records)


# -- filters --------------------------------------------------------------------------------------

FilterKind = str  # "str" | "int" | "bool" | "datetime" | "date"


def encode_filters(
    filters: Mapping[str, Any], spec: Mapping[str, tuple[str, FilterKind]]
) -> dict[str, Any]:
    """Turn snake_case keyword filters into wire query parameters.

    ``spec`` maps each accepted filter to its wire name and kind. Date-time windows must be
    timezone-aware and are sent as US Pacific wall time, ``YYYY-MM-DD HH:MM:SS``
    (https://www.shipstation.com/docs/api/requirements/#datetime-format), never as an ambiguous
    one: a bound inside the repeated fall-back hour is widened past it
    (:func:`~ml_connector._time.format_pacific_bound`); date filters are sent as ``YYYY-MM-DD``.

    Raises:
        TypeError: an unknown filter name (a programming error, like any unknown keyword).
        ConfigurationError: a naive datetime or a value of the wrong type, naming the filter.
    """
    params: dict[str, Any] = {}
    for name, value in filters.items():
        if name not in spec:
            raise TypeError(f"unknown filter {name!r}; expected one of {sorted(spec)}")
        if value is None:
            continue
        wire, kind = spec[name]
        params[wire] = _encode(name, value, kind)
    return params


def _is_end(name: str) -> bool:
    # create_date_end, void_date_end, end_date: the upper bound of a window.
    return name.endswith("_end") or name.startswith("end_")


def _encode(name: str, value: Any, kind: FilterKind) -> Any:
    if kind == "datetime":
        if not isinstance(value, datetime):
            raise ConfigurationError("must be an aware datetime", setting=name)
        try:
            return format_pacific_bound(value, end=_is_end(name))
        except ValueError as exc:
            raise ConfigurationError(str(exc), setting=name) from None
    if kind == "date":
        if not isinstance(value, date):
            raise ConfigurationError("must be a date or an aware datetime", setting=name)
        try:
            return format_pacific_date(value)
        except ValueError as exc:
            raise ConfigurationError(str(exc), setting=name) from None
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigurationError("must be True or False", setting=name)
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigurationError("must be an integer", setting=name)
        return value
    if not isinstance(value, str):
        raise ConfigurationError("must be a string", setting=name)
    return value


def check_page(page: int, page_size: int) -> None:
    """Refuse page numbers below 1 and page sizes outside 1..500 before any request."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ConfigurationError("must be an integer >= 1", setting="page")
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise ConfigurationError("must be an integer", setting="page_size")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ConfigurationError(f"must be between 1 and {MAX_PAGE_SIZE}", setting="page_size")


# -- pagers ---------------------------------------------------------------------------------------


class V1Pager(Generic[T]):
    """Walks a V1 ``page``/``pages`` list, ``pageSize=500``.

    Args:
        url: A path (``/orders``) or an absolute URL (a webhook's ``resource_url``, whose own
            query is kept and merged with the page parameters).
        params: Filters, already in wire form.
        key: The collection key in the body (``orders``).
        model: The record model.
    """

    def __init__(
        self,
        url: str,
        params: Mapping[str, Any],
        key: str,
        model: type[T],
        *,
        decoder: Decoder,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        # httpx replaces a URL's query with ``params`` instead of merging: keep the URL's own
        # query (a webhook's ``batchId``) by moving it into the parameters.
        base, _, query = url.partition("?")
        self.url = base
        self.params = {**dict(parse_qsl(query, keep_blank_values=True)), **params}
        self.key = key
        self.model = model
        self.decoder = decoder
        self._paginator = PageNumberPaginator(page_size)

    def first(self) -> Request:
        return Request("GET", self.url, params={**self.params, **self._paginator.first().params})

    def decode(self, body: Any) -> Page[T]:
        return self.decoder.page(body, self.key, self.model)

    def next(self, body: Any) -> Request | None:
        nxt = self._paginator.next(body)
        if nxt is None:
            return None
        return Request("GET", self.url, params={**self.params, **nxt.params})


class V2Pager(Generic[T]):
    """Walks a V2 list by following ``links.next.href`` verbatim."""

    def __init__(
        self,
        base_url: str,
        path: str,
        params: Mapping[str, Any],
        key: str,
        model: type[T],
        *,
        decoder: Decoder,
    ) -> None:
        self.path = path
        self.params = dict(params)
        self.key = key
        self.model = model
        self.decoder = decoder
        self._paginator = LinksNextPaginator()
        # A next link that points back at the first page is a loop.
        self._paginator.mark(str(httpx.URL(base_url + path, params=self.params or None)))

    def first(self) -> Request:
        return Request("GET", self.path, params=self.params or None)

    def decode(self, body: Any) -> Page[T]:
        return self.decoder.page(body, self.key, self.model)

    def next(self, body: Any) -> Request | None:
        nxt = self._paginator.next(body)
        if nxt is None or nxt.url is None:
            return None
        return Request("GET", nxt.url)
