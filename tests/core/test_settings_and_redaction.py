"""Settings validation, secrets and URL redaction."""

from __future__ import annotations

import pytest

from ml_connector import ConfigurationError, HttpSettings, Secret, redact_url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "http://x.example.com",
        "ftp://x",
        "https://",
        "https://u:p@x.example.com",
        "https://x.example.com?a=1",
        "https://x.example.com#f",
        "https://x.example.com:99999",
    ],
)
def test_unsafe_base_urls_are_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        HttpSettings(url)


def test_http_only_with_explicit_opt_in() -> None:
    assert HttpSettings("http://127.0.0.1:8080", allow_http=True).host == "127.0.0.1"


def test_base_url_trailing_slash_is_dropped() -> None:
    assert (
        HttpSettings("https://ssapi.shipstation.com/").base_url == "https://ssapi.shipstation.com"
    )


def test_secret_never_shows_its_value() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret}"
    assert secret.reveal() == "hunter2"
    assert Secret("a") == Secret("a")


def test_redact_url_masks_userinfo_and_secret_query_values() -> None:
    url = "https://me:pw@api.example.com/x?api_key=abc&page=2&client_secret=s3&token=t"
    redacted = redact_url(url)
    for secret in ("pw", "abc", "s3", "=t"):
        assert secret not in redacted
    assert "page=2" in redacted
    assert redacted.startswith("https://api.example.com/x?")


def test_redact_url_survives_garbage() -> None:
    assert redact_url("http://[::1") == "<unparseable url>"
