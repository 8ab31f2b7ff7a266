"""The error tree and its evidence."""

from __future__ import annotations

import pytest

from ml_connector import (
    ApiError,
    AuthenticationError,
    ClientError,
    ConnectorError,
    MappingError,
    RateLimitError,
    ServerError,
)
from ml_connector._errors import error_class_for_status, truncate_body


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (429, RateLimitError),
        (500, ServerError),
        (504, ServerError),
        (418, ClientError),
        (302, ApiError),
    ],
)
def test_status_to_class_in_one_place(status: int, cls: type[ApiError]) -> None:
    assert error_class_for_status(status) is cls


def test_evidence_is_json_ready_and_complete() -> None:
    error = ServerError(
        "boom", method="GET", url="https://x/y", status=503, request_id="r1", body="b", code="E1"
    )
    assert error.evidence() == {
        "type": "ServerError",
        "message": "boom",
        "method": "GET",
        "url": "https://x/y",
        "status": 503,
        "request_id": "r1",
        "body": "b",
        "code": "E1",
    }
    assert "status=503" in str(error) and "request_id=r1" in str(error)


def test_mapping_error_names_record_and_field() -> None:
    error = MappingError("no warehouse mapping", field="warehouseId", record="shipment 123")
    assert str(error) == "shipment 123: no warehouse mapping (field warehouseId)"
    assert isinstance(error, ConnectorError)


def test_truncate_body_masks_credentials_and_limits_length() -> None:
    text = truncate_body('{"access_token": "abc.def", "client_secret":"zzz", "x": 1}')
    assert text is not None
    assert "abc.def" not in text and "zzz" not in text
    long = truncate_body("y" * 2000, limit=100)
    assert long is not None and long.startswith("y" * 100) and "1900 more" in long


@pytest.mark.parametrize(
    "body",
    [
        "Authorization: Basic dXNlcjpwYXNz",
        '{"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"}',
        "echo: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig",
    ],
)
def test_truncate_body_masks_authorization_schemes(body: str) -> None:
    text = truncate_body(body)
    assert text is not None
    assert "dXNlcjpwYXNz" not in text
    assert "eyJhbGciOiJIUzI1NiJ9" not in text
