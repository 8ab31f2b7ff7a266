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
from .audit import (
    AuditEvent,
    AuditSink,
    JsonlAuditSink,
    MemoryAuditSink,
    SqliteAuditSink,
    Stage,
    async_replay,
    replay,
)
from .mapping import (
    MappingConfig,
    MappingConfigError,
    ShipmentPlan,
    Skip,
    load_mapping_config,
    map_shipment,
    match_customer,
)
from .oracle import (
    AsyncOracleFusionClient,
    BasicCredentials,
    OAuthClientCredentials,
    OracleFusionClient,
    OracleFusionSettings,
)
from .shipstation import (
    AsyncShipStationV1Client,
    AsyncShipStationV2Client,
    ShipStationV1Client,
    ShipStationV1Settings,
    ShipStationV2Client,
    ShipStationV2Settings,
    WebhookVerificationError,
    parse_webhook,
)

__all__ = [
    "ApiError",
    "AsyncOracleFusionClient",
    "AsyncSender",
    "AsyncShipStationV1Client",
    "AsyncShipStationV2Client",
    "AuditError",
    "AuditEvent",
    "AuditSink",
    "AuthenticationError",
    "BasicCredentials",
    "ClientError",
    "Clock",
    "ConfigurationError",
    "ConflictError",
    "ConnectorError",
    "HttpSettings",
    "JsonlAuditSink",
    "MappingConfig",
    "MappingConfigError",
    "MappingError",
    "MemoryAuditSink",
    "NotFoundError",
    "OAuthClientCredentials",
    "OracleFusionClient",
    "OracleFusionSettings",
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
    "ShipStationV1Client",
    "ShipStationV1Settings",
    "ShipStationV2Client",
    "ShipStationV2Settings",
    "ShipmentPlan",
    "Skip",
    "SqliteAuditSink",
    "Stage",
    "SyncSender",
    "SystemClock",
    "TransportError",
    "UnsafeUrlError",
    "WebhookVerificationError",
    "__version__",
    "async_replay",
    "full_jitter",
    "load_mapping_config",
    "map_shipment",
    "match_customer",
    "no_jitter",
    "parse_webhook",
    "redact_url",
    "replay",
    "retry_delay",
]
