"""Bodies that are absurd are decode errors, and reading a good body costs only its decoding."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector import (
    BasicCredentials,
    HttpSettings,
    OAuthClientCredentials,
    OracleFusionClient,
    OracleFusionSettings,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    ShipStationV1Client,
    ShipStationV1Settings,
)
from ml_connector._http import read_json
from ml_connector.testing import VirtualClock

NO_RETRY = RetryPolicy(max_attempts=1)
URL = "https://ssapi.shipstation.com/orders?page=1"


class NoTextResponse(httpx.Response):
    """A response that fails if anything decodes its whole body as text."""

    @property
    def text(self) -> str:
        raise AssertionError("the whole body was decoded as text")


def response(body: bytes, status: int = 200, cls: type[httpx.Response] = httpx.Response) -> Any:
    return cls(
        status,
        content=body,
        headers={"content-type": "application/json", "x-request-id": "r-9"},
        request=httpx.Request("GET", URL),
    )


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def test_a_good_body_is_read_without_building_evidence() -> None:
    big = b'{"orders": [' + b",".join(b'{"orderId": %d, "x": "y"}' % i for i in range(5000)) + b"]}"
    assert len(read_json(response(big, cls=NoTextResponse))["orders"]) == 5000


@pytest.mark.parametrize("depth", [5_000, 100_000, 1_000_000])
def test_a_body_nested_thousands_deep_is_a_decode_error(depth: int) -> None:
    with pytest.raises(ResponseDecodeError) as info:
        read_json(response(nested(depth)))
    error = info.value
    assert "nested too deeply" in error.message
    assert error.status == 200
    assert error.method == "GET"
    assert error.url == URL
    assert error.request_id == "r-9"
    assert error.body is not None and len(error.body) < 600


@settings(max_examples=30, deadline=None)
@given(depth=st.integers(1, 20_000), kind=st.sampled_from(["[", '{"a":']))
def test_any_nesting_is_data_or_a_decode_error(depth: int, kind: str) -> None:
    close = "]" if kind == "[" else "}"
    body = (kind * depth + "1" + close * depth).encode()
    with contextlib.suppress(ResponseDecodeError):
        read_json(response(body))


def test_the_evidence_of_a_huge_bad_body_is_bounded() -> None:
    body = b"<" + b"x" * 5_000_000
    with pytest.raises(ResponseDecodeError) as info:
        read_json(response(body))
    assert info.value.body is not None and len(info.value.body) < 600


def _v1(body: bytes, status: int) -> ShipStationV1Client:
    return ShipStationV1Client(
        ShipStationV1Settings(
            api_key="key-123456",
            api_secret="secret-123456",
            http=HttpSettings(base_url="https://ssapi.shipstation.com", retry=NO_RETRY),
        ),
        transport=httpx.MockTransport(
            lambda request: httpx.Response(
                status, content=body, headers={"content-type": "application/json"}
            )
        ),
        clock=VirtualClock(),
    )


def _oracle(handler: Any, auth: Any = None) -> OracleFusionClient:
    return OracleFusionClient(
        OracleFusionSettings(
            pod_url="https://pod.fa.us2.oraclecloud.com",
            auth=auth or BasicCredentials(username="u", password="password-1"),
            retry=NO_RETRY,
        ),
        transport=httpx.MockTransport(handler),
        clock=VirtualClock(),
    )


def test_clients_report_a_deep_body_as_a_decode_error() -> None:
    with pytest.raises(ResponseDecodeError, match="nested too deeply"):
        _v1(nested(100_000), 200).list_orders()
    deep = httpx.Response(
        200, content=nested(100_000), headers={"content-type": "application/json"}
    )
    with pytest.raises(ResponseDecodeError, match="nested too deeply"):
        _oracle(lambda request: deep).get_invoice(1)


def test_a_deep_error_body_is_still_the_status_error() -> None:
    with pytest.raises(ServerError):
        _v1(b'{"message": ' + nested(100_000) + b"}", 500).list_orders()


def test_a_deep_token_answer_is_an_authentication_error() -> None:
    from ml_connector import AuthenticationError

    auth = OAuthClientCredentials(
        token_url="https://idcs-1.identity.oraclecloud.com/oauth2/v1/token",
        client_id="c",
        client_secret="client-secret-1",
        scope="s",
    )
    body = nested(100_000)
    with pytest.raises(AuthenticationError):
        _oracle(
            lambda request: httpx.Response(
                200, content=body, headers={"content-type": "application/json"}
            ),
            auth,
        ).get_invoice(1)


def test_a_deep_webhook_body_is_a_decode_error() -> None:
    from ml_connector.shipstation import parse_webhook

    with pytest.raises(ResponseDecodeError, match="nested too deeply"):
        parse_webhook(b'{"resource_url": ' + nested(100_000) + b"}")
