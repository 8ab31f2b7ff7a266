"""The batch isolation state machine and the error parser, with no HTTP at all."""

from __future__ import annotations

import httpx
import pytest

from ml_connector import ClientError, ServerError
from ml_connector.oracle import BatchPart
from ml_connector.oracle._batch import BatchPlanner
from ml_connector.oracle._error_parser import find_error_code, oracle_error_parser


def parts(n: int) -> list[BatchPart]:
    return [BatchPart(id=f"p{i}", path="/receivablesInvoices", payload={"N": i}) for i in range(n)]


def run(planner: BatchPlanner, bad: set[str], *, named: bool) -> None:
    """Answer each group the way an all-or-none server would."""
    group = planner.next_group()
    while group is not None:
        failing = [p.id for p in group if p.id in bad]
        if failing:
            details = tuple({"id": i, "message": "bad"} for i in failing) if named else ()
            planner.failed(ClientError("batch failed", status=400, details=details))
        else:
            planner.succeeded({"parts": [{"id": p.id, "payload": {"ok": p.id}} for p in group]})
        group = planner.next_group()


def test_anonymous_failures_are_bisected() -> None:
    planner = BatchPlanner(parts(8), size=8)
    run(planner, {"p5"}, named=False)
    results = planner.results()
    assert [r.ok for r in results] == [True] * 5 + [False] + [True] * 2
    assert planner.requests == 7  # 1 + log2(8) levels of halves, each with its sibling
    assert results[0].payload == {"ok": "p0"}


def test_named_failures_need_one_resend() -> None:
    planner = BatchPlanner(parts(8), size=8)
    run(planner, {"p1", "p6"}, named=True)
    assert [r.id for r in planner.results() if not r.ok] == ["p1", "p6"]
    assert planner.requests == 2


def test_chunks_by_size_and_keeps_order() -> None:
    planner = BatchPlanner(parts(5), size=2)
    run(planner, set(), named=True)
    assert [r.id for r in planner.results()] == ["p0", "p1", "p2", "p3", "p4"]
    assert planner.requests == 3


@pytest.mark.parametrize("status", [401, 403, 429, 500, 503])
def test_unknown_outcomes_are_raised(status: int) -> None:
    planner = BatchPlanner(parts(2), size=2)
    planner.next_group()
    error = (ServerError if status >= 500 else ClientError)("x", status=status)
    with pytest.raises(type(error)):
        planner.failed(error)


def response(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "https://p.example/x"), **kwargs)  # type: ignore[arg-type]


def test_error_parser_plain_text_json_and_html() -> None:
    text = "Bill-to site isn't valid. (AR_BILL_TO_SITE_NOT_FOUND)"
    info = oracle_error_parser(response(400, text=text), None)
    assert info.code == "AR_BILL_TO_SITE_NOT_FOUND"
    assert text in info.message
    generic = {"title": "NotFoundException", "detail": "Entity not found", "o:errorCode": "urn:x"}
    info = oracle_error_parser(response(404, json=generic), generic)
    assert info.message == "Entity not found"
    assert info.code == "urn:x"
    page = "<html><body>Oops</body></html>"
    info = oracle_error_parser(
        response(502, text=page, headers={"content-type": "text/html"}), None
    )
    assert "<html" not in info.message
    assert find_error_code("duplicate (AP-810776)") == "AP-810776"
