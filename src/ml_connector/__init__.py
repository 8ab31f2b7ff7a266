"""ml-connector: ShipStation shipments, orders and inventory into Oracle Fusion Cloud ERP.

The public surface is re-exported here; everything in a module whose name starts with an
underscore is private and may change without notice.
"""

from ._clock import Clock, SystemClock
from ._errors import (
    ApiError,
    AuditError,
    AuthenticationError,
    ClientError,
    ConfigurationError,
    ConflictError,
    ConnectorError,
    MappingError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseDecodeError,
    ServerError,
    TransportError,
    UnsafeUrlError,
)
from ._http import AsyncSender, Request, SyncSender
from ._pagination import PaginationLoopError
from ._ratelimit import RateLimiter, RateLimitState
from ._redact import Secret, redact_url
from ._retry import RetryPolicy, full_jitter, no_jitter, retry_delay
from ._settings import HttpSettings
from ._version import __version__

__all__ = [
    "ApiError",
    "AsyncSender",
    "AuditError",
    "AuthenticationError",
    "ClientError",
    "Clock",
    "ConfigurationError",
    "ConflictError",
    "ConnectorError",
    "HttpSettings",
    "MappingError",
    "NotFoundError",
    "PaginationLoopError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitState",
    "RateLimiter",
    "Request",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "RetryPolicy",
    "Secret",
    "ServerError",
    "SyncSender",
    "SystemClock",
    "TransportError",
    "UnsafeUrlError",
    "__version__",
    "full_jitter",
    "no_jitter",
    "redact_url",
    "retry_delay",
]
