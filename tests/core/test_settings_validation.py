"""Settings objects refuse bad values with ConfigurationError naming the setting (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml_connector import (
    BasicCredentials,
    ConfigurationError,
    HttpSettings,
    OAuthClientCredentials,
    OracleFusionSettings,
    RetryPolicy,
    ShipStationV1Settings,
    ShipStationV2Settings,
)

POD = "https://pod.fa.us2.oraclecloud.com"
BASIC = BasicCredentials(username="integration.user", password="a-long-password")


def oracle(**changes: Any) -> OracleFusionSettings:
    fields: dict[str, Any] = {"pod_url": POD, "auth": BASIC}
    fields.update(changes)
    return OracleFusionSettings(**fields)


def refused(make: Any, setting: str) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        make()
    assert info.value.setting == setting, info.value
    assert str(info.value).startswith(f"{setting}: ")
    return info.value


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"timeout": -1}, "timeout"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": "30"}, "timeout"),
        ({"batch_size": "50"}, "batch_size"),
        ({"batch_size": -1}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"page_size": 10000}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": True}, "page_size"),
        ({"auth": {"username": "u", "password": "p"}}, "auth"),
        ({"auth": None}, "auth"),
        ({"retry": {"max_attempts": 3}}, "retry"),
        ({"user_agent": "x\r\nX-Injected: 1"}, "user_agent"),
        ({"allow_http": "yes"}, "allow_http"),
        ({"scope_key_by_business_unit": 1}, "scope_key_by_business_unit"),
        ({"chart_of_accounts_id": "101"}, "chart_of_accounts_id"),
        ({"inventory_lookup_attributes": 5}, "inventory_lookup_attributes"),
        ({"metadata_context": 7}, "metadata_context"),
    ],
)
def test_oracle_settings_name_the_bad_setting(changes: dict[str, Any], setting: str) -> None:
    refused(lambda: oracle(**changes), setting)


def test_page_size_error_says_oracle_returns_at_most_500() -> None:
    error = refused(lambda: oracle(page_size=10000), "page_size")
    assert "500" in str(error)
    assert oracle(page_size=500).page_size == 500


@pytest.mark.parametrize(
    ("make", "setting"),
    [
        (lambda: HttpSettings(base_url="https://x.example.com", timeout=-1), "timeout"),
        (lambda: HttpSettings(base_url="https://x.example.com", timeout="5"), "timeout"),
        (lambda: HttpSettings(base_url="https://x.example.com", retry=3), "retry"),
        (lambda: HttpSettings(base_url="https://x.example.com", extra_hosts="(("), "extra_hosts"),
        (lambda: HttpSettings(base_url="https://x.example.com", allow_http=1), "allow_http"),
        (lambda: ShipStationV1Settings(api_key=123, api_secret="s" * 8), "api_key"),
        (lambda: ShipStationV1Settings(api_key="k" * 8, api_secret=None), "api_secret"),
        (lambda: ShipStationV1Settings(api_key="k" * 8, api_secret="s" * 8, http={}), "http"),
        (lambda: ShipStationV2Settings(api_key=["k"]), "api_key"),
        (lambda: ShipStationV2Settings(api_key="k" * 8, http="https://x"), "http"),
        (lambda: BasicCredentials(username=5, password="p" * 8), "username"),
        (lambda: BasicCredentials(username="u", password=b"bytes"), "password"),
        (
            lambda: OAuthClientCredentials(
                token_url="https://idcs-1.identity.oraclecloud.com/oauth2/v1/token",
                client_id="c",
                client_secret="s" * 8,
                scope="x",
                skew=-5,
            ),
            "skew",
        ),
    ],
)
def test_other_settings_name_the_bad_setting(make: Any, setting: str) -> None:
    refused(make, setting)


_not_positive_seconds = st.one_of(
    st.integers(max_value=0),
    st.floats(max_value=0, allow_nan=False),
    st.just(float("nan")),
    st.just(float("inf")),
    st.text(max_size=5),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@given(value=_not_positive_seconds)
def test_any_bad_timeout_is_a_configuration_error(value: Any) -> None:
    refused(lambda: oracle(timeout=value), "timeout")
    refused(lambda: HttpSettings(base_url="https://x.example.com", timeout=value), "timeout")


@given(value=st.floats(min_value=0.001, max_value=1e6) | st.integers(1, 10**6))
def test_any_positive_timeout_is_accepted(value: float) -> None:
    assert oracle(timeout=value).timeout == value


@given(
    value=st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=501),
        st.text(max_size=4),
        st.floats(allow_nan=True),
        st.booleans(),
        st.none(),
    )
)
def test_any_bad_page_size_is_a_configuration_error(value: Any) -> None:
    refused(lambda: oracle(page_size=value), "page_size")


@given(value=st.integers(1, 500))
def test_every_page_size_oracle_serves_is_accepted(value: int) -> None:
    assert oracle(page_size=value).page_size == value


@given(
    value=st.one_of(
        st.integers(max_value=0),
        st.text(max_size=4),
        st.floats(),
        st.booleans(),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    )
)
def test_any_bad_batch_size_is_a_configuration_error(value: Any) -> None:
    refused(lambda: oracle(batch_size=value), "batch_size")


@given(
    value=st.one_of(
        st.dictionaries(st.sampled_from(["username", "password", "client_id"]), st.text()),
        st.text(max_size=10),
        st.integers(),
        st.none(),
    )
)
def test_any_auth_that_is_not_credentials_is_refused(value: Any) -> None:
    refused(lambda: oracle(auth=value), "auth")


def test_retry_policy_instance_is_accepted() -> None:
    assert oracle(retry=RetryPolicy(max_attempts=2)).retry.max_attempts == 2
