"""Outgrowing one machine: shared budgets, tenants and workers on Procrastinate.

Needs the optional extra ``postgres`` (``pip install 'ml-connector[postgres]'``).

- :class:`PostgresRateBudget` keeps each ShipStation account's request budget in Postgres, so
  every worker together stays within it; :class:`PostgresConcurrencyCap` caps requests in flight
  per Oracle pod.
- :class:`TenantRegistry` reads one TOML file per tenant (secrets by reference only).
- :class:`TenantRunner` runs one tenant's sync (plain library code); :class:`ShipmentRunner`
  is the default, on the shared store.
- :func:`make_app` puts the runner on Procrastinate: a periodic task per tenant under a
  per-tenant lock, webhook tasks on the same queue, stalled jobs requeued.
- :func:`tenant_statuses` and :func:`health` answer ``ml-connector tenants``.
"""

from ._app import (
    DEFAULT_QUEUE,
    SYNC_TASK,
    WEBHOOK_TASK,
    defer_webhook,
    ensure_queue_schema,
    make_app,
)
from ._budget import (
    SHIPSTATION_V1_PER_MINUTE,
    SHIPSTATION_V2_PER_MINUTE,
    ConcurrencyCapTransport,
    PostgresConcurrencyCap,
    PostgresRateBudget,
    account_id_for,
)
from ._runner import RunReport, ShipmentRunner, TenantRunner, record_run
from ._status import Health, TenantStatus, health, tenant_statuses
from ._tenants import DEFAULT_SCHEDULE, SecretRef, Tenant, TenantRegistry, TenantRegistryError

__all__ = [
    "ConcurrencyCapTransport",
    "DEFAULT_QUEUE",
    "DEFAULT_SCHEDULE",
    "Health",
    "PostgresConcurrencyCap",
    "PostgresRateBudget",
    "RunReport",
    "SHIPSTATION_V1_PER_MINUTE",
    "SHIPSTATION_V2_PER_MINUTE",
    "SYNC_TASK",
    "SecretRef",
    "ShipmentRunner",
    "Tenant",
    "TenantRegistry",
    "TenantRegistryError",
    "TenantRunner",
    "TenantStatus",
    "WEBHOOK_TASK",
    "account_id_for",
    "defer_webhook",
    "ensure_queue_schema",
    "health",
    "make_app",
    "record_run",
    "tenant_statuses",
]
