"""Webhook pointers: parsing, the URL allowlist, resolution, V2 signatures, dedupe keys."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ml_connector import ResponseDecodeError, UnsafeUrlError
from ml_connector._settings import HttpSettings
from ml_connector.shipstation import (
    AsyncShipStationV1Client,
    AsyncShipStationV2Client,
    JwksKeyLookup,
    Shipment,
    ShipStationV1Client,
    ShipStationV1Settings,
    ShipStationV2Client,
    ShipStationV2Settings,
    V2SignatureVerifier,
    WebhookPointer,
    WebhookUrlPolicy,
    WebhookVerificationError,
    body_only,
    parse_webhook,
    timestamp_dot_body,
)
from ml_connector.testing import VirtualClock

from ._fake import Recorder, call, close, json_response, refuse
from ._fixtures import raw

V1 = ShipStationV1Settings(
    api_key="0123456789abcdef0123456789abcdef", api_secret="fedcba9876543210fedcba9876543210"
)
V2 = ShipStationV2Settings(api_key="TEST_key")


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def v1_client(mode: str, recorder: Recorder, clock: VirtualClock, **kw: Any) -> Any:
    cls = ShipStationV1Client if mode == "sync" else AsyncShipStationV1Client
    return cls(V1, transport=recorder.transport, clock=clock, **kw)


def v2_client(mode: str, recorder: Recorder, clock: VirtualClock) -> Any:
    cls = ShipStationV2Client if mode == "sync" else AsyncShipStationV2Client
    return cls(V2, transport=recorder.transport, clock=clock)


# -- parsing and dedupe ------------------------------------------------------------------------


def test_parse_documented_bodies() -> None:
    v1 = parse_webhook(raw("v1-webhook-body.ILLUSTRATIVE.example.json"))
    assert v1.resource_type == "SHIP_NOTIFY"
    assert v1.api_version == "v1"
    assert v1.resource_url.startswith("https://ssapi.shipstation.com/shipments?")
    v2 = parse_webhook(raw("v2-webhook-body.batch.example.json").decode())
    assert v2.resource_type == "BATCH_PROCESSED_V2"
    assert v2.api_version == "v2"
    tracked = parse_webhook(
        {"resource_url": "https://api.shipstation.com/v2/x", "resource_type": "track", "data": {}}
    )
    assert tracked.data == {}


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b"{}", b'{"resource_url": "", "resource_type": "SHIP_NOTIFY"}',
     b'{"resource_url": "https://ssapi.shipstation.com/orders"}',
     json.dumps({"resource_url": "https://a/" + "x" * 3000, "resource_type": "X"}).encode()],
)  # fmt: skip
def test_parse_refuses_malformed_bodies(body: bytes) -> None:
    with pytest.raises(ResponseDecodeError):
        parse_webhook(body)


def test_dedupe_key_is_stable_across_deliveries() -> None:
    a = WebhookPointer(
        "https://ssapi.shipstation.com/shipments?storeID=1&batchId=9&includeShipmentItems=False",
        "SHIP_NOTIFY",
    )
    retry = WebhookPointer(
        "https://SSAPI6.shipstation.com:443/shipments?batchId=9&includeShipmentItems=False&storeID=1",
        "SHIP_NOTIFY",
    )
    other_batch = WebhookPointer(
        "https://ssapi.shipstation.com/shipments?storeID=1&batchId=10&includeShipmentItems=False",
        "SHIP_NOTIFY",
    )
    other_event = WebhookPointer(a.resource_url, "ITEM_SHIP_NOTIFY")
    assert a.dedupe_key == retry.dedupe_key
    assert a.dedupe_key.startswith("shipstation:v1:SHIP_NOTIFY:")
    assert a.dedupe_key != other_batch.dedupe_key
    assert a.dedupe_key != other_event.dedupe_key
    assert a.dedupe_key == WebhookPointer(a.resource_url, "SHIP_NOTIFY").dedupe_key


# -- the allowlist ------------------------------------------------------------------------------

HOSTILE_V1 = [
    ("SHIP_NOTIFY", "http://ssapi.shipstation.com/shipments"),
    ("SHIP_NOTIFY", "https://evil.example/shipments"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com.evil.example/shipments"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com@evil.example/shipments"),
    ("SHIP_NOTIFY", "https://user:pw@ssapi.shipstation.com/shipments"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com:8443/shipments"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com:443@evil.example/shipments"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com/orders"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com/shipments/../accounts"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com/%2e%2e/shipments"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com//evil.example/shipments"),
    ("SHIP_NOTIFY", "https://evilssapi.shipstation.com/shipments"),
    ("SHIP_NOTIFY", "https://ssapi-6.shipstation.com/shipments"),
    ("SHIP_NOTIFY", "https://api.shipstation.com/shipments"),
    ("SHIP_NOTIFY", "//evil.example/shipments"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com\\@evil.example/shipments"),
    ("SHIP_NOTIFY", "javascript:alert(1)"),
    ("SHIP_NOTIFY", "ftp://ssapi.shipstation.com/shipments"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com./shipments"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com/shipments#@evil.example"),
    ("SHIP_NOTIFY", "https://127.0.0.1/shipments"),
    ("SHIP_NOTIFY", "https://ｓsapi.shipstation.com/shipments"),  # noqa: RUF001 - homoglyph
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com/shipments\r\nHost: evil.example"),
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com:0/shipments"),
    ("SHIP_NOTIFY", "https://[::1]/shipments"),
    ("ORDER_NOTIFY", "https://ssapi.shipstation.com/shipments"),
    ("FULFILLMENT_SHIPPED", "https://ssapi.shipstation.com/orders?x=/fulfillments"),
    ("BATCH_PROCESSED_V2", "https://api.shipstation.com/v2/batches/se-1"),  # V2 event, V1 client
]


@pytest.mark.parametrize(("event", "url"), HOSTILE_V1)
def test_hostile_v1_urls_are_refused_before_any_request(
    mode: str, clock: VirtualClock, event: str, url: str
) -> None:
    recorder = Recorder(refuse)
    client = v1_client(mode, recorder, clock)
    with pytest.raises(UnsafeUrlError):
        call(client, "resolve_webhook", WebhookPointer(url, event))
    close(client)
    assert recorder.requests == []


HOSTILE_V2 = [
    ("BATCH_PROCESSED_V2", "https://api.shipstation.com.evil.example/v2/batches/se-1"),
    ("BATCH_PROCESSED_V2", "https://api.shipstation.com/v2/labels/se-1"),
    ("BATCH_PROCESSED_V2", "https://api.shipstation.com/v2/batches/se-1/../../labels"),
    ("BATCH_PROCESSED_V2", "https://ssapi.shipstation.com/v2/batches/se-1"),
    ("BATCH_PROCESSED_V2", "http://api.shipstation.com/v2/batches/se-1"),
    ("TRACK_EVENT_V2", "https://api.shipstation.com/v2/tracking?x=1"),  # path not configured
    ("SHIP_NOTIFY", "https://ssapi.shipstation.com/shipments"),  # V1 event, V2 client
]


@pytest.mark.parametrize(("event", "url"), HOSTILE_V2)
def test_hostile_v2_urls_are_refused_before_any_request(
    mode: str, clock: VirtualClock, event: str, url: str
) -> None:
    recorder = Recorder(refuse)
    client = v2_client(mode, recorder, clock)
    with pytest.raises(UnsafeUrlError):
        call(client, "resolve_webhook", WebhookPointer(url, event))
    close(client)
    assert recorder.requests == []


def test_unsafe_url_error_does_not_echo_credentials() -> None:
    pointer = WebhookPointer("https://user:hunter2@evil.example/shipments", "SHIP_NOTIFY")
    with pytest.raises(UnsafeUrlError) as info:
        WebhookUrlPolicy().check(pointer)
    assert "hunter2" not in str(info.value)


# -- resolution ---------------------------------------------------------------------------------


def test_ship_notify_resolves_every_page_on_a_numbered_host(mode: str, clock: VirtualClock) -> None:
    url = "https://ssapi6.shipstation.com/shipments?storeID=1&batchId=9&includeShipmentItems=False"

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "ssapi6.shipstation.com"
        assert request.url.params["batchId"] == "9"
        page = int(request.url.params["page"])
        body = {"shipments": [{"shipmentId": page}], "total": 2, "page": page, "pages": 2}
        return json_response(body)

    recorder = Recorder(answer)
    client = v1_client(mode, recorder, clock)
    records = call(
        client,
        "resolve_webhook",
        parse_webhook({"resource_url": url, "resource_type": "SHIP_NOTIFY"}),
    )
    close(client)
    assert [type(r) for r in records] == [Shipment, Shipment]
    assert [r.shipment_id for r in records] == [1, 2]
    assert [r.url.params["pageSize"] for r in recorder.requests] == ["500", "500"]
    assert recorder.requests[0].headers["Authorization"].startswith("Basic ")


def test_resolution_with_iter_is_lazy(clock: VirtualClock) -> None:
    recorder = Recorder(refuse)
    pointer = WebhookPointer("https://evil.example/x", "SHIP_NOTIFY")
    with (
        ShipStationV1Client(V1, transport=recorder.transport, clock=clock) as client,
        pytest.raises(UnsafeUrlError),
    ):
        # Refused at the call, not at the first next(): nothing can slip through later.
        client.iter_webhook_records(pointer)


def test_redirects_are_not_followed(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(
        lambda r: httpx.Response(302, headers={"Location": "https://evil.example/steal"})
    )
    client = v1_client(mode, recorder, clock)
    pointer = WebhookPointer("https://ssapi.shipstation.com/orders?importBatch=abc", "ORDER_NOTIFY")
    with pytest.raises(UnsafeUrlError, match="redirect"):
        call(client, "resolve_webhook", pointer)
    close(client)
    assert len(recorder.requests) == 1
    assert recorder.requests[0].url.host == "ssapi.shipstation.com"


def test_v2_batch_pointer_resolves(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(lambda r: json_response({"batch_id": "se-1234567890", "status": "done"}))
    client = v2_client(mode, recorder, clock)
    pointer = parse_webhook(raw("v2-webhook-body.batch.example.json"))
    assert call(client, "resolve_webhook", pointer)["status"] == "done"
    close(client)
    assert recorder.requests[0].headers["api-key"] == "TEST_key"


def test_v2_redirect_refused(mode: str, clock: VirtualClock) -> None:
    recorder = Recorder(lambda r: httpx.Response(307, headers={"Location": "https://evil/"}))
    client = v2_client(mode, recorder, clock)
    with pytest.raises(UnsafeUrlError, match="redirect"):
        call(client, "resolve_webhook", parse_webhook(raw("v2-webhook-body.batch.example.json")))
    close(client)


def test_policy_can_admit_a_local_simulator(clock: VirtualClock) -> None:
    policy = WebhookUrlPolicy(v1_hosts=r"ssapi\.local", allow_http=True)
    settings = ShipStationV1Settings(
        api_key="k",
        api_secret="s",
        http=HttpSettings(base_url="http://ssapi.local:8080", allow_http=True),
    )
    recorder = Recorder(lambda r: json_response({"orders": [], "page": 1, "pages": 0}))
    with ShipStationV1Client(
        settings, transport=recorder.transport, clock=clock, webhook_policy=policy
    ) as client:
        pointer = WebhookPointer("http://ssapi.local:8080/orders?importBatch=1", "ORDER_NOTIFY")
        assert client.resolve_webhook(pointer) == []
    assert len(recorder.requests) == 1


# -- V2 signatures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


BODY = raw("v2-webhook-body.batch.example.json")


def _headers(key: rsa.RSAPrivateKey, timestamp: str, body: bytes = BODY) -> dict[str, str]:
    return {
        "X-ShipEngine-RSA-SHA256-Key-ID": "kid-1",
        "x-shipengine-rsa-sha256-signature": _sign(key, timestamp_dot_body(timestamp, body)),
        "x-shipengine-timestamp": timestamp,
    }


def _now_iso(clock: VirtualClock, delta: float = 0) -> str:
    return (clock.now() + timedelta(seconds=delta)).isoformat().replace("+00:00", "Z")


def test_valid_signature(private_key: rsa.RSAPrivateKey, clock: VirtualClock) -> None:
    verifier = V2SignatureVerifier(
        {"kid-1": _pem(private_key)}.get, message=timestamp_dot_body, clock=clock
    )
    pointer = verifier.parse(_headers(private_key, _now_iso(clock, -60)), BODY)
    assert pointer.resource_type == "BATCH_PROCESSED_V2"


def test_tampered_body_fails(private_key: rsa.RSAPrivateKey, clock: VirtualClock) -> None:
    verifier = V2SignatureVerifier(
        {"kid-1": _pem(private_key)}.get, message=timestamp_dot_body, clock=clock
    )
    headers = _headers(private_key, _now_iso(clock))
    with pytest.raises(WebhookVerificationError) as info:
        verifier.verify(headers, BODY.replace(b"se-1234567890", b"se-6666666666"))
    assert info.value.reason == "bad_signature"


@pytest.mark.parametrize(("delta", "ok"), [(-299, True), (299, True), (-301, False), (400, False)])
def test_stale_timestamps(
    private_key: rsa.RSAPrivateKey, clock: VirtualClock, delta: float, ok: bool
) -> None:
    verifier = V2SignatureVerifier(
        {"kid-1": _pem(private_key)}.get, message=timestamp_dot_body, clock=clock
    )
    headers = _headers(private_key, _now_iso(clock, delta))
    if ok:
        verifier.verify(headers, BODY)
    else:
        with pytest.raises(WebhookVerificationError) as info:
            verifier.verify(headers, BODY)
        assert info.value.reason == "stale"


def test_missing_headers_unknown_key_and_malformed(
    private_key: rsa.RSAPrivateKey, clock: VirtualClock
) -> None:
    verifier = V2SignatureVerifier(
        {"kid-1": _pem(private_key)}.get, message=timestamp_dot_body, clock=clock
    )
    headers = _headers(private_key, _now_iso(clock))
    for missing in list(headers):
        partial = {k: v for k, v in headers.items() if k != missing}
        with pytest.raises(WebhookVerificationError) as info:
            verifier.verify(partial, BODY)
        assert info.value.reason == "missing_headers"
    with pytest.raises(WebhookVerificationError) as info:
        verifier.verify({**headers, "X-ShipEngine-RSA-SHA256-Key-ID": "kid-2"}, BODY)
    assert info.value.reason == "unknown_key"
    with pytest.raises(WebhookVerificationError) as info:
        verifier.verify({**headers, "x-shipengine-timestamp": "yesterday"}, BODY)
    assert info.value.reason == "malformed"
    with pytest.raises(WebhookVerificationError) as info:
        verifier.verify({**headers, "x-shipengine-rsa-sha256-signature": "***"}, BODY)
    assert info.value.reason == "malformed"


def test_body_only_scheme_and_epoch_timestamps(
    private_key: rsa.RSAPrivateKey, clock: VirtualClock
) -> None:
    verifier = V2SignatureVerifier(lambda kid: private_key.public_key(), message=body_only,
                                   clock=clock)  # fmt: skip
    millis = str(int(clock.now().timestamp() * 1000))
    headers = {
        "x-shipengine-rsa-sha256-key-id": "any",
        "x-shipengine-rsa-sha256-signature": _sign(private_key, BODY),
        "x-shipengine-timestamp": millis,
    }
    verifier.verify(headers, BODY)
    # The same signature under the other scheme does not verify.
    strict = V2SignatureVerifier(
        lambda kid: private_key.public_key(), message=timestamp_dot_body, clock=clock
    )
    with pytest.raises(WebhookVerificationError):
        strict.verify(headers, BODY)


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()

    def b64(value: int) -> str:
        raw_bytes = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw_bytes).rstrip(b"=").decode()

    return {"kty": "RSA", "kid": kid, "n": b64(numbers.n), "e": b64(numbers.e)}


def test_jwks_lookup_refetches_sparingly(
    private_key: rsa.RSAPrivateKey, clock: VirtualClock
) -> None:
    fetches: list[int] = []

    def fetch() -> dict[str, Any]:
        fetches.append(1)
        return {"keys": [_jwk(private_key, "kid-1")]}

    lookup = JwksKeyLookup(fetch, min_refresh=60, clock=clock)
    verifier = V2SignatureVerifier(lookup, message=timestamp_dot_body, clock=clock)
    verifier.verify(_headers(private_key, _now_iso(clock)), BODY)
    verifier.verify(_headers(private_key, _now_iso(clock)), BODY)
    assert len(fetches) == 1
    # Forged key ids do not cause a fetch storm.
    for _ in range(5):
        assert lookup("forged") is None
    assert len(fetches) == 1
    clock.advance(61)
    assert lookup("forged") is None
    assert len(fetches) == 2


# -- V2 defaults: the documented scheme and key source, no set-up ---------------------------------


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()

    def b64(value: int) -> str:
        raw_bytes = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw_bytes).rstrip(b"=").decode()

    return {"kid": kid, "kty": "RSA", "alg": "RS256", "n": b64(numbers.n), "e": b64(numbers.e)}


def test_default_verifier_checks_timestamp_dot_body_against_shipstations_jwks(
    private_key: rsa.RSAPrivateKey,
) -> None:
    from ml_connector.shipstation import DEFAULT_JWKS_URL, JwksKeyLookup

    clock = VirtualClock()
    fetched: list[str] = []

    def jwks(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json={"keys": [_jwk(private_key, "kid-1")]})

    lookup = JwksKeyLookup(transport=httpx.MockTransport(jwks), clock=clock)
    verifier = V2SignatureVerifier(lookup, clock=clock)  # message: the default
    stamp = clock.now().isoformat().replace("+00:00", "Z")
    signed = _sign(private_key, f"{stamp}.".encode() + BODY)
    headers = {
        "x-shipengine-rsa-sha256-key-id": "kid-1",
        "x-shipengine-rsa-sha256-signature": signed,
        "x-shipengine-timestamp": stamp,
    }
    pointer = verifier.parse(headers, BODY)
    assert pointer.resource_type == "BATCH_PROCESSED_V2"
    assert fetched == [DEFAULT_JWKS_URL]
    # The body alone is not what ShipStation signs: a body-only signature fails by default.
    headers["x-shipengine-rsa-sha256-signature"] = _sign(private_key, BODY)
    with pytest.raises(WebhookVerificationError) as info:
        verifier.verify(headers, BODY)
    assert info.value.reason == "bad_signature"


def test_default_verifier_needs_no_arguments() -> None:
    verifier = V2SignatureVerifier()
    with pytest.raises(WebhookVerificationError) as info:
        verifier.verify({}, BODY)  # no request is made before the headers are checked
    assert info.value.reason == "missing_headers"


def test_the_jwks_url_must_be_shipstations() -> None:
    from ml_connector import ConfigurationError
    from ml_connector.shipstation import JwksKeyLookup

    for url in ("http://api.shipstation.com/jwks", "https://evil.example.com/jwks"):
        with pytest.raises(ConfigurationError):
            JwksKeyLookup(url=url)


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("TRACK_EVENT_V2", "https://api.shipstation.com/v2/labels/se-1234567890/track"),
        ("BATCH_PROCESSED_V2", "https://api.shipstation.com/v2/batches/se-1234567890"),
    ],
)
def test_documented_v2_events_resolve(kind: str, url: str) -> None:
    assert WebhookUrlPolicy().check(WebhookPointer(url, kind)) == url


def test_other_v2_events_are_refused_with_the_reason() -> None:
    pointer = WebhookPointer(
        "https://api.shipstation.com/v2/fulfillments/se-1", "FULFILLMENT_SHIPPED_V2"
    )
    with pytest.raises(UnsafeUrlError) as info:
        WebhookUrlPolicy().check(pointer)
    text = str(info.value)
    assert "FULFILLMENT_SHIPPED_V2" in text and "no documented resource path" in text
    assert "v2_paths" in text
    configured = WebhookUrlPolicy(v2_paths={"FULFILLMENT_SHIPPED_V2": r"/v2/fulfillments/[\w-]+"})
    assert configured.check(pointer) == pointer.resource_url
