"""Paginators are pure state machines: tested with plain dicts, no HTTP."""

from __future__ import annotations

import pytest

from ml_connector import PaginationLoopError, ResponseDecodeError
from ml_connector._pagination import LinksNextPaginator, OffsetPaginator, PageNumberPaginator


def test_v1_pages_until_page_equals_pages() -> None:
    paginator = PageNumberPaginator(page_size=500)
    assert paginator.first().params == {"page": 1, "pageSize": 500}
    nxt = paginator.next({"orders": [], "page": 1, "pages": 3})
    assert nxt is not None and nxt.params["page"] == 2
    nxt = paginator.next({"page": 2, "pages": 3})
    assert nxt is not None and nxt.params["page"] == 3
    assert paginator.next({"page": 3, "pages": 3}) is None


def test_v1_empty_result_has_zero_pages() -> None:
    paginator = PageNumberPaginator()
    paginator.first()
    assert paginator.next({"orders": [], "total": 0, "page": 1, "pages": 0}) is None


def test_v1_loop_is_detected() -> None:
    paginator = PageNumberPaginator()
    paginator.first()
    paginator.next({"page": 1, "pages": 5})
    with pytest.raises(PaginationLoopError):
        paginator.next({"page": 1, "pages": 5})


def test_v1_malformed_page_numbers_are_decode_errors() -> None:
    paginator = PageNumberPaginator()
    paginator.first()
    with pytest.raises(ResponseDecodeError, match="pages"):
        paginator.next({"page": 1, "pages": "3"})


def test_v2_follows_links_next_verbatim_and_detects_loops() -> None:
    paginator = LinksNextPaginator()
    paginator.mark("/v2/inventory")
    href = "/v2/inventory?page=2&page_size=100&sku=A%20B"
    nxt = paginator.next({"links": {"next": {"href": href}}})
    assert nxt is not None and nxt.url == href
    assert paginator.next({"links": {"next": None}}) is None
    assert paginator.next({"links": {}}) is None
    with pytest.raises(PaginationLoopError):
        paginator.next({"links": {"next": {"href": href}}})
    with pytest.raises(PaginationLoopError):
        paginator.next({"links": {"next": {"href": "/v2/inventory"}}})


def test_oracle_offsets_advance_by_rows_actually_returned() -> None:
    paginator = OffsetPaginator(limit=500)
    assert paginator.first().params == {"offset": 0, "limit": 500}
    # The server capped the page at 25 rows despite limit=500.
    nxt = paginator.next({"items": [{}] * 25, "count": 25, "hasMore": True})
    assert nxt is not None and nxt.params == {"offset": 25, "limit": 500}
    nxt = paginator.next({"items": [{}] * 25, "count": 25, "hasMore": True})
    assert nxt is not None and nxt.params["offset"] == 50
    assert paginator.next({"items": [{}] * 3, "count": 3, "hasMore": False}) is None


def test_oracle_empty_page_with_has_more_is_a_loop() -> None:
    paginator = OffsetPaginator()
    paginator.first()
    with pytest.raises(PaginationLoopError):
        paginator.next({"items": [], "count": 0, "hasMore": True})
