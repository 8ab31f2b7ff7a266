"""The one error tree of ml-connector.

Every exception the library raises on purpose derives from :class:`ConnectorError`; the tree
below holds every subclass, wherever it is defined (``tests/core/test_error_tree.py`` checks it)::

    ConnectorError
    ├── ConfigurationError          a setting is missing, malformed or unsafe
    │   ├── MappingConfigError      the mapping TOML is wrong (mapping.config; every problem)
    │   ├── ConfigFileError         ml-connector.toml is wrong (sync._configfile: CLI, load_config)
    │   ├── PreflightError          accounts or customers not valid in Oracle (sync._preflight)
    │   ├── TenantRegistryError     a tenant file is wrong or missing (workers._tenants)
    │   └── PostingKeyNotKeptError  Oracle numbered a document itself (oracle._documents)
    ├── TransportError              no HTTP response: connect/read failure, timeout, reset
    │   └── RequestTimeoutError     the request timed out (connect, read, write or pool)
    ├── ApiError                    the server answered with an error status (or 2xx with errors)
    │   ├── AuthenticationError     401, or a token request that failed
    │   ├── PermissionDeniedError   403
    │   ├── NotFoundError           404
    │   ├── ConflictError           409 / 412, or a duplicate posting key
    │   ├── RateLimitError          429 (carries ``retry_after``)
    │   ├── ServerError             5xx
    │   ├── ClientError             any other 4xx
    │   └── InventoryTransactionError  Oracle reported an error on an inventory row (oracle.client)
    ├── ResponseDecodeError         a body that is not the JSON (or shape) we expected
    ├── PaginationLoopError         the server pointed back at a page already read (_pagination)
    ├── UnsafeUrlError              a URL we refuse to send credentials to
    ├── WebhookVerificationError    a V2 webhook failed verification (shipstation.webhooks)
    ├── MappingError                a record cannot be mapped (names the field and the record)
    │   ├── CustomerLookupError     Oracle could not be asked about the order's customer
    │   └── UnexpressibleValueError  a value Oracle's ``q`` syntax cannot express (oracle._query)
    ├── OutageError                 a system was unavailable while a run was being prepared
    └── AuditError                  the audit trail cannot be written or read
        └── CorruptAuditTrailError  a trail with lines that are not valid events (audit._jsonl)

Leaves carry the evidence: HTTP method, redacted URL, status, request id and a truncated body.
No secret ever reaches an exception's text: every text an error is made of passes through the
one scrubber (:mod:`ml_connector._redact`) when the error is made, which masks every credential
the library was given or received, even when a server echoed it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._redact import excerpt, scrub, scrub_text

__all__ = [
    "ApiError",
    "AuditError",
    "AuthenticationError",
    "ClientError",
    "ConfigurationError",
    "ConflictError",
    "ConnectorError",
    "CustomerLookupError",
    "MappingError",
    "NotFoundError",
    "OutageError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "ServerError",
    "TransportError",
    "UnsafeUrlError",
    "error_class_for_status",
    "is_outage",
    "truncate_body",
]

BODY_LIMIT = 500
"""Characters of a response body kept on an error."""


def truncate_body(body: str | bytes | None, limit: int = BODY_LIMIT) -> str | None:
    """Return at most ``limit`` characters of ``body``, scrubbed of secrets.

    Only a window a little longer than what is kept is decoded and scanned, so a megabyte body
    costs no more than a short one (see :func:`ml_connector._redact.excerpt`).
    """
    if body is None:
        return None
    return excerpt(body, limit)


class ConnectorError(Exception):
    """Root of every error ml-connector raises on purpose.

    Attributes:
        message: What went wrong, in one sentence.
        method: HTTP method of the request involved, when there was one.
        url: Redacted URL of that request (no credentials, no secret query values).
        status: HTTP status code, when a response arrived.
        request_id: The API's request id, when it gave one (quote it to the vendor's support).
        body: The first characters of the response body, scrubbed of secrets.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        body: str | None = None,
    ) -> None:
        # Scrubbed here, once, so that no text made from this error (str, repr, traceback,
        # evidence, log line, audit event) can carry a secret a server echoed back.
        message = scrub_text(message)
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = None if url is None else scrub_text(url)
        self.status = status
        self.request_id = None if request_id is None else scrub_text(request_id)
        self.body = None if body is None else scrub_text(body)
        # Set by the HTTP core when this error may be retried, to the delay in seconds.
        self.retry_delay: float | None = None

    def __str__(self) -> str:
        parts = [self.message]
        if self.method and self.url:
            parts.append(f"[{self.method} {self.url}]")
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def evidence(self) -> dict[str, Any]:
        """The error as a JSON-ready dict, for the audit trail and machine output."""
        data: dict[str, Any] = {"type": type(self).__name__, "message": self.message}
        for key in ("method", "url", "status", "request_id", "body"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        # Scrubbed again: a secret may have become known after the error was made.
        result: dict[str, Any] = scrub(data)
        return result


class ConfigurationError(ConnectorError):
    """A setting is missing, malformed or unsafe. ``setting`` names it."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message if setting is None else f"{setting}: {message}")
        self.setting = setting


class TransportError(ConnectorError):
    """No usable HTTP response: connection refused or reset, DNS failure, TLS or protocol error.

    The message names the host that was contacted (an OAuth token request names the identity
    domain, not the pod) and the underlying cause, which is also kept as ``__cause__``.

    Attributes:
        host: The host the request went to, when known.
    """

    host: str | None = None

    def evidence(self) -> dict[str, Any]:
        data = super().evidence()
        if self.host is not None:
            data["host"] = self.host
        return data


class RequestTimeoutError(TransportError):
    """The request timed out before a response arrived."""


class ApiError(ConnectorError):
    """The API answered with an error.

    Attributes:
        code: A vendor error code when the body named one (ShipStation V2 ``error_code``,
            Oracle ``o:errorCode`` such as ``AR_BILL_TO_CUST_NOT_FOUND``).
        details: Parsed structured error details, when the body had them.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        body: str | None = None,
        code: str | None = None,
        details: tuple[Mapping[str, Any], ...] = (),
    ) -> None:
        super().__init__(
            message, method=method, url=url, status=status, request_id=request_id, body=body
        )
        self.code = None if code is None else scrub_text(code)
        self.details: tuple[Mapping[str, Any], ...] = tuple(scrub(dict(d)) for d in details)

    def evidence(self) -> dict[str, Any]:
        data = super().evidence()
        if self.code is not None:
            data["code"] = self.code
        if self.details:
            data["details"] = scrub([dict(d) for d in self.details])
        return data


class AuthenticationError(ApiError):
    """401, or a token request that failed. The message says which step failed."""


class PermissionDeniedError(ApiError):
    """403: the credentials are valid but lack the privilege."""


class NotFoundError(ApiError):
    """404. On Oracle a text/plain 404 usually means a wrong path or REST version."""


class ConflictError(ApiError):
    """409/412, or a record that already exists under the same posting key."""


class RateLimitError(ApiError):
    """429. ``retry_after`` is the server's advice in seconds, when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed. Retried by the core when the request is safe to repeat."""


class ClientError(ApiError):
    """Any other 4xx: the request was wrong (validation, media type, method)."""


class ResponseDecodeError(ConnectorError):
    """A body was not what we expected: HTML or text where JSON was due, or a missing field.

    ``field`` and ``record`` name the offending field and record id when known.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        record: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.field = field
        self.record = record

    def evidence(self) -> dict[str, Any]:
        data = super().evidence()
        if self.field is not None:
            data["field"] = self.field
        if self.record is not None:
            data["record"] = self.record
        return data


class UnsafeUrlError(ConnectorError):
    """A URL that credentials must not be sent to (wrong host, scheme, port or path)."""


class MappingError(ConnectorError):
    """A record cannot be mapped. ``field`` and ``record`` say which and where."""

    def __init__(
        self, message: str, *, field: str | None = None, record: str | None = None
    ) -> None:
        text = message
        if record is not None:
            text = f"{record}: {text}"
        if field is not None:
            text = f"{text} (field {field})"
        super().__init__(text)
        self.field = field
        self.record = record

    def evidence(self) -> dict[str, Any]:
        data = super().evidence()
        if self.field is not None:
            data["field"] = self.field
        if self.record is not None:
            data["record"] = self.record
        return data


class CustomerLookupError(MappingError):
    """The order's customer could not be matched because Oracle could not be asked.

    A customer look-up (party by email, account sites, account by number) failed after every
    retry, so whether Oracle knows the customer is unknown. The record fails rather than fall
    through to a weaker rule (a store's default account) or to proposing a new Oracle customer;
    replay retries it once Oracle answers.
    """


class OutageError(ConnectorError):
    """A system was unavailable while a run was being prepared: nothing was attempted.

    Raised (for example by the preflight) when a system gave no usable answer: no response
    (connection refused, DNS, TLS, timeout), a 5xx, or throttling that outlasted every retry.
    Nothing is wrong with the data or the configuration; run again once the system is back.
    The CLI exits with its own code for it (3).

    Attributes:
        system: The system that was unavailable (``"oracle"``, ``"shipstation"``).
        step: What was being done (``"preflight"``).
        cause: The error that showed the outage; also kept as ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        system: str | None = None,
        step: str | None = None,
        cause: ConnectorError | None = None,
    ) -> None:
        super().__init__(
            message,
            method=cause.method if cause else None,
            url=cause.url if cause else None,
            status=cause.status if cause else None,
            request_id=cause.request_id if cause else None,
            body=cause.body if cause else None,
        )
        self.system = system
        self.step = step
        self.cause = cause
        if cause is not None:
            self.__cause__ = cause

    @classmethod
    def of(cls, error: ConnectorError, *, system: str, step: str) -> OutageError:
        """The outage ``error`` shows: ``oracle was unavailable during the preflight: ...``."""
        return cls(
            f"{system} was unavailable during the {step}: {type(error).__name__}: {error.message}",
            system=system,
            step=step,
            cause=error,
        )

    def evidence(self) -> dict[str, Any]:
        data = super().evidence()
        for key in ("system", "step"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.cause is not None:
            data["cause"] = self.cause.evidence()
        return data


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` shows a system unavailable rather than something wrong on our side.

    True for :class:`OutageError`, :class:`TransportError` (no response, timeouts),
    :class:`ServerError` (5xx) and :class:`RateLimitError` (throttled past every retry).
    """
    return isinstance(error, OutageError | TransportError | ServerError | RateLimitError)


class AuditError(ConnectorError):
    """The audit trail could not be written or read (I/O error, corrupt line, bad schema)."""


_STATUS_CLASSES: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: ConflictError,
    429: RateLimitError,
}


def error_class_for_status(status: int) -> type[ApiError]:
    """The one place that maps an HTTP status to an error class."""
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 500:
        return ServerError
    if status >= 400:
        return ClientError
    return ApiError
