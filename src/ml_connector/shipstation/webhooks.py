"""ShipStation webhook pointers: parse, check, verify, dedupe.

ShipStation webhooks are *thin*: the body is only ``{"resource_url", "resource_type"}`` and the
receiver fetches ``resource_url`` with its own credentials
(https://docs.shipstation.com/apis/shipstation-v1/docs/models/webhook). Anybody can POST such a
body to a public endpoint, so before our credentials go anywhere :class:`WebhookUrlPolicy` checks
the URL: https only, ShipStation's own hosts only (V1 ``ssapi.shipstation.com`` and numbered
variants such as ``ssapi6.shipstation.com``; V2 ``api.shipstation.com``), no user info, no port
other than 443, and only the path the event type implies. The clients never follow redirects.

V1 webhooks are unsigned; protect the endpoint with a secret token in the target URL. V2
webhooks carry an RSA-SHA256 signature (https://docs.shipstation.com/apis/docs/guides/
webhooks-validation: the ``x-shipengine-rsa-sha256-key-id``, ``-signature`` and
``x-shipengine-timestamp`` headers, a five-minute window, the raw body, and a public key from
ShipStation's JSON Web Key Set). :class:`V2SignatureVerifier` does that with no set-up: by
default it signs-checks ``<timestamp>.<raw body>`` (:func:`timestamp_dot_body`, the composition
the guide's code example and public implementations use) against keys fetched from
:data:`DEFAULT_JWKS_URL` by :class:`JwksKeyLookup`; both stay overridable. Signature checking
needs the optional ``cryptography`` package (``pip install ml-connector[webhooks]``), imported
only when a signature is verified.

Resolving a pointer is done by the client of the right version
(``ShipStationV1Client.resolve_webhook``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import attrs

from ml_connector._clock import Clock, SystemClock
from ml_connector._errors import (
    ConfigurationError,
    ConnectorError,
    ResponseDecodeError,
    UnsafeUrlError,
)
from ml_connector._json import loads
from ml_connector._redact import redact_url

from .models import Fulfillment, Order, Shipment

__all__ = [
    "DEFAULT_JWKS_URL",
    "DEFAULT_V2_PATHS",
    "V1_EVENTS",
    "JwksKeyLookup",
    "V2SignatureVerifier",
    "WebhookPointer",
    "WebhookUrlPolicy",
    "WebhookVerificationError",
    "body_only",
    "parse_webhook",
    "timestamp_dot_body",
]

V1_EVENTS: Mapping[str, tuple[str, type[Any]]] = {
    "ORDER_NOTIFY": ("orders", Order),
    "ITEM_ORDER_NOTIFY": ("orders", Order),
    "SHIP_NOTIFY": ("shipments", Shipment),
    "ITEM_SHIP_NOTIFY": ("shipments", Shipment),
    "FULFILLMENT_SHIPPED": ("fulfillments", Fulfillment),
    "FULFILLMENT_REJECTED": ("fulfillments", Fulfillment),
}
"""V1 event types and what their ``resource_url`` lists: the collection key (``/orders`` is the
only path an ORDER_NOTIFY pointer may name) and the record model."""

DEFAULT_V2_PATHS: Mapping[str, str] = {
    # https://docs.shipstation.com/apis/docs/guides/webhooks-schemas (payload examples)
    "BATCH_PROCESSED_V2": r"/v2/batches/[A-Za-z0-9_-]+",
    "TRACK_EVENT_V2": r"/v2/labels/[A-Za-z0-9_-]+/track",
    # The 2025 spec's names for the same two events (webhook_event enum).
    "batch": r"/v2/batches/[A-Za-z0-9_-]+",
    "track": r"/v2/labels/[A-Za-z0-9_-]+/track",
}
"""V2 event types whose ``resource_url`` path is documented (regular expressions, full match).
Pointers of any other V2 type (``FULFILLMENT_SHIPPED_V2``, ``report_complete``...) are refused
with the reason, until their path is configured in :class:`WebhookUrlPolicy`: credentials are
never sent to a path nobody has checked."""

DEFAULT_JWKS_URL = "https://api.shipstation.com/jwks"
"""Where ShipStation publishes the public keys of its webhook signatures (the validation guide's
"get the public key" step; public implementations fetch this URL, with
``https://api.shipengine.com/jwks`` as its ShipEngine twin)."""

_JWKS_HOSTS = r"api\.(shipstation|shipengine)\.com"

_MAX_URL = 2048


class WebhookVerificationError(ConnectorError):
    """A V2 webhook failed verification.

    ``reason`` is one of ``missing_headers`` (answer 404, per ShipStation's guide), ``stale``
    (answer 400), ``unknown_key``, ``bad_signature`` or ``malformed``.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# -- pointers -------------------------------------------------------------------------------------


@attrs.frozen
class WebhookPointer:
    """A parsed webhook body: what changed, and where to fetch it.

    Attributes:
        resource_url: The URL to GET with credentials (not yet checked: see
            :class:`WebhookUrlPolicy`).
        resource_type: The event type (``SHIP_NOTIFY``, ``BATCH_PROCESSED_V2``...).
        data: V2 only: the optional inline ``data`` object (tracking events carry one).
    """

    resource_url: str
    resource_type: str
    data: Mapping[str, Any] | None = attrs.field(default=None, eq=False)

    @property
    def api_version(self) -> str:
        """``"v1"`` for the six V1 event types, ``"v2"`` for anything else."""
        return "v1" if self.resource_type in V1_EVENTS else "v2"

    @property
    def dedupe_key(self) -> str:
        """A stable key: the same pointer delivered twice (a retry) gives the same key.

        Built from the version, event type and a normalised URL (lower-case scheme and host,
        numbered ``ssapiN`` hosts folded into ``ssapi``, default port dropped, query parameters
        sorted), so cosmetic differences between deliveries do not defeat it.
        """
        digest = hashlib.sha256(_normalise(self.resource_url).encode()).hexdigest()[:32]
        return f"shipstation:{self.api_version}:{self.resource_type}:{digest}"


def _normalise(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return url.strip()
    host = re.sub(r"^ssapi\d+\.", "ssapi.", host)
    netloc = host if port in (None, 443) else f"{host}:{port}"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{parts.scheme.lower()}://{netloc}{parts.path}?{query}"


def parse_webhook(body: bytes | str | Mapping[str, Any]) -> WebhookPointer:
    """Parse a webhook body into a :class:`WebhookPointer`.

    Args:
        body: The raw request body (bytes or text) or an already decoded JSON object.

    Raises:
        ResponseDecodeError: the body is not JSON or lacks ``resource_url``/``resource_type``.
    """
    data: Any = body
    if isinstance(body, bytes | str):
        try:
            data = loads(body)
        except ValueError:
            raise ResponseDecodeError("webhook body is not valid JSON") from None
        except RecursionError:
            raise ResponseDecodeError("webhook body is nested too deeply to decode") from None
    if not isinstance(data, Mapping):
        raise ResponseDecodeError("webhook body is not a JSON object")
    url = data.get("resource_url")
    kind = data.get("resource_type")
    if not isinstance(url, str) or not url.strip():
        raise ResponseDecodeError("webhook body has no resource_url", field="resource_url")
    if len(url) > _MAX_URL:
        raise ResponseDecodeError("webhook resource_url is too long", field="resource_url")
    if not isinstance(kind, str) or not kind.strip():
        raise ResponseDecodeError("webhook body has no resource_type", field="resource_type")
    extra = data.get("data")
    return WebhookPointer(
        resource_url=url.strip(),
        resource_type=kind.strip(),
        data=extra if isinstance(extra, Mapping) else None,
    )


def _check_v2_paths(
    _instance: Any, _attribute: Any, value: Mapping[str, str]
) -> None:  # pragma: no cover - trivial
    for event, pattern in value.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigurationError(
                f"bad pattern for {event}: {exc}", setting="v2_paths"
            ) from None


@attrs.frozen
class WebhookUrlPolicy:
    """Which webhook ``resource_url`` values may receive our credentials.

    Attributes:
        v1_hosts: Regular expression (full match, lower case) of V1 hosts.
        v2_hosts: Regular expression of V2 hosts.
        v2_paths: V2 event type -> path pattern (full match). Unlisted V2 events are refused.
        allow_http: Allow ``http://`` and any port (local simulators only).
    """

    v1_hosts: str = r"ssapi\d*\.shipstation\.com"
    v2_hosts: str = r"api\.shipstation\.com"
    v2_paths: Mapping[str, str] = attrs.field(
        factory=lambda: dict(DEFAULT_V2_PATHS), validator=_check_v2_paths
    )
    allow_http: bool = False

    def check(self, pointer: WebhookPointer) -> str:
        """Return the URL if credentials may be sent to it, else raise.

        Raises:
            UnsafeUrlError: naming what is wrong (the URL in the message is redacted).
        """
        url = pointer.resource_url
        shown = redact_url(url)
        if len(url) > _MAX_URL or any(ch in url for ch in "\\ \t\r\n\x00") or not url.isascii():
            raise UnsafeUrlError(f"refusing webhook URL with unsafe characters: {shown!r}")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise UnsafeUrlError(f"refusing unparseable webhook URL {shown!r}") from None
        schemes = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme not in schemes:
            raise UnsafeUrlError(f"refusing webhook URL with scheme {parts.scheme or 'none'!r}")
        if "@" in parts.netloc:
            raise UnsafeUrlError("refusing webhook URL with user info")
        if port is not None and port != 443 and not self.allow_http:
            raise UnsafeUrlError(f"refusing webhook URL with port {port}")
        if parts.fragment:
            raise UnsafeUrlError("refusing webhook URL with a fragment")
        host = parts.hostname or ""
        raw_host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
        if raw_host.lower() != host or host.endswith("."):
            raise UnsafeUrlError(f"refusing webhook URL with unusual host {raw_host!r}")
        version = pointer.api_version
        hosts = self.v1_hosts if version == "v1" else self.v2_hosts
        if re.fullmatch(hosts, host) is None:
            raise UnsafeUrlError(
                f"refusing to send ShipStation {version.upper()} credentials to host {host!r}"
            )
        path = parts.path
        if "%" in path or "//" in path or "/." in path:
            raise UnsafeUrlError(f"refusing webhook URL with unsafe path {path!r}")
        if version == "v1":
            allowed = "/" + V1_EVENTS[pointer.resource_type][0]
            if path.lower().rstrip("/") != allowed:
                raise UnsafeUrlError(
                    f"{pointer.resource_type} must point at {allowed}, not {path!r}"
                )
        else:
            pattern = self.v2_paths.get(pointer.resource_type)
            if pattern is None:
                raise UnsafeUrlError(
                    f"V2 event {pointer.resource_type!r} has no documented resource path, so its "
                    f"resource_url is not fetched with credentials (known: "
                    f"{', '.join(sorted(self.v2_paths))}); add its path to "
                    "WebhookUrlPolicy.v2_paths once ShipStation documents it"
                )
            if re.fullmatch(pattern, path) is None:
                raise UnsafeUrlError(
                    f"{pointer.resource_type} must point at {pattern!r}, not {path!r}"
                )
        return url


# -- V2 signatures --------------------------------------------------------------------------------

KEY_ID_HEADER = "x-shipengine-rsa-sha256-key-id"
SIGNATURE_HEADER = "x-shipengine-rsa-sha256-signature"
TIMESTAMP_HEADER = "x-shipengine-timestamp"

MessageBuilder = Callable[[str, bytes], bytes]
"""Builds the signed bytes from the timestamp header value and the raw body."""

KeyLookup = Callable[[str], Any]
"""Returns the public key for a key id: an ``RSAPublicKey``, PEM text/bytes, an RSA JWK
mapping (``{"kty": "RSA", "n", "e"}``), or ``None`` when unknown."""


def timestamp_dot_body(timestamp: str, body: bytes) -> bytes:
    """Signed string ``<timestamp>.<raw body>``: the default, as the validation guide's example
    and public verifiers compose it (https://docs.shipstation.com/apis/docs/guides/
    webhooks-validation)."""
    return timestamp.encode("utf-8") + b"." + body


def body_only(_timestamp: str, body: bytes) -> bytes:
    """Signed string = the raw body alone (the timestamp then only bounds replay)."""
    return body


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, item in headers.items():
            if key.lower() == name:
                return item
    return value


def _parse_timestamp(value: str) -> datetime:
    text = value.strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        seconds = float(text)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000.0
        return datetime.fromtimestamp(seconds, UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _b64(text: str) -> bytes:
    cleaned = text.strip()
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        if "-" in cleaned or "_" in cleaned:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError(
            "signature header is not base64", reason="malformed"
        ) from None


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError:  # pragma: no cover - exercised only without the extra installed
        raise ConfigurationError(
            "verifying V2 webhook signatures needs the 'cryptography' package: "
            "pip install ml-connector[webhooks]",
            setting="cryptography",
        ) from None
    return hashes, serialization, padding, rsa


def _public_key(material: Any) -> Any:
    _hashes, serialization, _padding, rsa = _crypto()
    if isinstance(material, rsa.RSAPublicKey):
        return material
    if isinstance(material, str):
        material = material.encode("ascii")
    if isinstance(material, bytes):
        key = serialization.load_pem_public_key(material)
        if not isinstance(key, rsa.RSAPublicKey):
            raise ConfigurationError("webhook key is not an RSA key", setting="key_lookup")
        return key
    if isinstance(material, Mapping) and material.get("kty") == "RSA":
        n = int.from_bytes(_b64(str(material["n"])), "big")
        e = int.from_bytes(_b64(str(material["e"])), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    raise ConfigurationError("unsupported public key material", setting="key_lookup")


class V2SignatureVerifier:
    """Verifies ShipStation V2 webhook signatures (RSA-SHA256 over the raw body).

    Args:
        key_lookup: Key id -> public key (see :data:`KeyLookup`). Default: a
            :class:`JwksKeyLookup` over ShipStation's published keys (:data:`DEFAULT_JWKS_URL`).
        message: How the signed bytes are built. Default :func:`timestamp_dot_body`.
        tolerance: Seconds a timestamp may differ from now (default 300, as the guide asks).
        clock: The time source.
    """

    def __init__(
        self,
        key_lookup: KeyLookup | None = None,
        *,
        message: MessageBuilder = timestamp_dot_body,
        tolerance: float = 300.0,
        clock: Clock | None = None,
    ) -> None:
        self._lookup: KeyLookup = (
            key_lookup if key_lookup is not None else JwksKeyLookup(clock=clock)
        )
        self._message = message
        self._tolerance = tolerance
        self._clock: Clock = clock or SystemClock()

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise :class:`WebhookVerificationError` unless the request is fresh and signed.

        Args:
            headers: The request headers (any case).
            body: The raw request body, exactly as received (before any JSON parsing).
        """
        key_id = _header(headers, KEY_ID_HEADER)
        signature = _header(headers, SIGNATURE_HEADER)
        timestamp = _header(headers, TIMESTAMP_HEADER)
        if not key_id or not signature or not timestamp:
            raise WebhookVerificationError(
                "webhook signature headers are missing", reason="missing_headers"
            )
        try:
            sent_at = _parse_timestamp(timestamp)
        except (ValueError, OverflowError, OSError):
            raise WebhookVerificationError(
                "webhook timestamp is not a time", reason="malformed"
            ) from None
        skew = abs((self._clock.now() - sent_at).total_seconds())
        if skew > self._tolerance:
            raise WebhookVerificationError(
                f"webhook timestamp is {skew:.0f} s away from now (limit {self._tolerance:.0f} s)",
                reason="stale",
            )
        material = self._lookup(key_id)
        if material is None:
            raise WebhookVerificationError(
                f"no public key for key id {key_id!r}", reason="unknown_key"
            )
        hashes, _serialization, padding, _rsa = _crypto()
        from cryptography.exceptions import InvalidSignature

        key = _public_key(material)
        try:
            key.verify(
                _b64(signature), self._message(timestamp, body), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise WebhookVerificationError(
                "webhook signature does not match", reason="bad_signature"
            ) from None

    def parse(self, headers: Mapping[str, str], body: bytes) -> WebhookPointer:
        """Verify, then parse the body into a pointer."""
        self.verify(headers, body)
        return parse_webhook(body)


class JwksKeyLookup:
    """A key lookup over ShipStation's JSON Web Key Set.

    By default the set is fetched from :data:`DEFAULT_JWKS_URL` (https, ShipStation's or
    ShipEngine's API host only) with a plain ``httpx`` GET; pass ``fetch`` to fetch it your own
    way, or ``transport`` to route the default fetch (tests, proxies). Keys are cached; an
    unknown key id triggers one refetch, at most once per ``min_refresh`` seconds so that forged
    key ids cannot force a fetch storm.

    Args:
        fetch: Returns the JWKS document (``{"keys": [{"kid", "kty", "n", "e"}, ...]}``).
        url: The JWKS URL for the default fetch.
        transport: An ``httpx`` transport for the default fetch.
        min_refresh: Seconds between refetches.
        clock: The time source.

    Raises:
        ConfigurationError: a ``url`` that is not https on ShipStation's or ShipEngine's host.
    """

    def __init__(
        self,
        fetch: Callable[[], Mapping[str, Any]] | None = None,
        *,
        url: str = DEFAULT_JWKS_URL,
        transport: Any = None,
        min_refresh: float = 60.0,
        clock: Clock | None = None,
    ) -> None:
        if fetch is None:
            parts = urlsplit(url)
            if parts.scheme != "https" or re.fullmatch(_JWKS_HOSTS, parts.hostname or "") is None:
                raise ConfigurationError(
                    "the JWKS URL must be https on api.shipstation.com or api.shipengine.com",
                    setting="url",
                )
            fetch = _http_fetch(url, transport)
        self._fetch = fetch
        self._min_refresh = min_refresh
        self._clock: Clock = clock or SystemClock()
        self._keys: dict[str, Mapping[str, Any]] = {}
        self._fetched_at: float | None = None

    def _refresh(self) -> None:
        document = self._fetch()
        keys = document.get("keys") if isinstance(document, Mapping) else None
        if not isinstance(keys, list):
            raise ConfigurationError("JWKS document has no 'keys' list", setting="key_lookup")
        self._keys = {str(k["kid"]): k for k in keys if isinstance(k, Mapping) and "kid" in k}
        self._fetched_at = self._clock.monotonic()

    def __repr__(self) -> str:
        return f"JwksKeyLookup(keys={len(self._keys)})"

    def __call__(self, key_id: str) -> Mapping[str, Any] | None:
        if key_id in self._keys:
            return self._keys[key_id]
        now = self._clock.monotonic()
        if self._fetched_at is None or now - self._fetched_at >= self._min_refresh:
            self._refresh()
        return self._keys.get(key_id)


def _http_fetch(url: str, transport: Any) -> Callable[[], Mapping[str, Any]]:
    def fetch() -> Mapping[str, Any]:
        import httpx

        with httpx.Client(transport=transport, timeout=10.0, follow_redirects=False) as http:
            response = http.get(url, headers={"Accept": "application/json"})
            if response.status_code != 200:
                raise ConfigurationError(
                    f"fetching the webhook keys answered {response.status_code}", setting="url"
                )
            document = loads(response.content)
        if not isinstance(document, Mapping):
            raise ConfigurationError("the JWKS document is not a JSON object", setting="url")
        return document

    return fetch
