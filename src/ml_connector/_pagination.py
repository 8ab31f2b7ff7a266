"""Paginators as I/O-free state machines, one per API family.

Each paginator is given the decoded body of the page just fetched and answers with the request
for the next page, or ``None`` when there is none. Clients drive them in ``iter_*`` methods; tests
drive them with plain dicts. A page that would be fetched twice raises :class:`PaginationLoopError`
instead of looping forever.

- ShipStation V1: ``page``/``pages`` in the body, ``page``/``pageSize`` in the query.
- ShipStation V2: ``links.next.href``, followed verbatim.
- Oracle Fusion: ``offset``/``limit`` in the query, ``hasMore``/``count`` in the body; the
  server may return fewer rows than ``limit`` (its own cap), so the next offset advances by the
  count actually returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._errors import ConnectorError, ResponseDecodeError

__all__ = [
    "LinksNextPaginator",
    "OffsetPaginator",
    "PageRequest",
    "PageNumberPaginator",
    "PaginationLoopError",
]


class PaginationLoopError(ConnectorError):
    """The server pointed back at a page that was already fetched."""


@attrs.frozen
class PageRequest:
    """Where the next page is: a URL (absolute or relative) and/or query parameters."""

    url: str | None = None
    params: Mapping[str, Any] = attrs.field(factory=dict)


def _int(body: Mapping[str, Any], key: str, context: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResponseDecodeError(f"{context}: {key!r} is not an integer", field=key)
    return value


class PageNumberPaginator:
    """ShipStation V1 ``page``/``pages`` paging (pages are 1-based)."""

    def __init__(self, page_size: int = 500, *, max_pages: int = 1_000_000) -> None:
        self.page_size = page_size
        self.max_pages = max_pages
        self.page = 1
        self._seen: set[int] = set()

    def first(self) -> PageRequest:
        self._seen.add(1)
        return PageRequest(params={"page": 1, "pageSize": self.page_size})

    def next(self, body: Mapping[str, Any]) -> PageRequest | None:
        page = _int(body, "page", "V1 page") or self.page
        pages = _int(body, "pages", "V1 page")
        if pages is None or page >= pages:
            return None
        nxt = page + 1
        if nxt in self._seen or len(self._seen) >= self.max_pages:
            raise PaginationLoopError(f"page {nxt} of {pages} was already fetched")
        self._seen.add(nxt)
        self.page = nxt
        return PageRequest(params={"page": nxt, "pageSize": self.page_size})


class LinksNextPaginator:
    """ShipStation V2 paging: follow ``links.next.href`` verbatim until it is absent."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def next(self, body: Mapping[str, Any]) -> PageRequest | None:
        links = body.get("links")
        if not isinstance(links, Mapping):
            return None
        nxt = links.get("next")
        href = nxt.get("href") if isinstance(nxt, Mapping) else None
        if not isinstance(href, str) or not href:
            return None
        if href in self._seen:
            raise PaginationLoopError(f"links.next.href {href!r} was already fetched")
        self._seen.add(href)
        return PageRequest(url=href)

    def mark(self, url: str) -> None:
        """Record the first page's URL so a link back to it is caught as a loop."""
        self._seen.add(url)


class OffsetPaginator:
    """Oracle ADF paging: ``offset``/``limit`` in, ``items``/``count``/``hasMore`` out.

    Never assumes the server honoured ``limit``: it advances by the rows it actually got.
    """

    def __init__(self, limit: int = 500) -> None:
        self.limit = limit
        self.offset = 0

    def first(self) -> PageRequest:
        return PageRequest(params={"offset": 0, "limit": self.limit})

    def next(self, body: Mapping[str, Any]) -> PageRequest | None:
        items = body.get("items")
        got = len(items) if isinstance(items, list) else (_int(body, "count", "Oracle page") or 0)
        has_more = body.get("hasMore")
        if has_more is not True:
            return None
        if got == 0:
            raise PaginationLoopError(
                f"hasMore is true but the page at offset {self.offset} was empty"
            )
        self.offset += got
        return PageRequest(params={"offset": self.offset, "limit": self.limit})
