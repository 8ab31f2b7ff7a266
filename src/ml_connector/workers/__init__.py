"""Outgrowing one machine: shared budgets, tenants and workers on Procrastinate.

Needs the optional extra ``postgres`` (``pip install 'ml-connector[postgres]'``).

- :class:`PostgresRateBudget` keeps each ShipStation account's request budget in Postgres, so
  every worker together stays within it; :class:`PostgresConcurrencyCap` caps requests in flight
  per Oracle pod.
"""

from ._budget import (
    SHIPSTATION_V1_PER_MINUTE,
    SHIPSTATION_V2_PER_MINUTE,
    ConcurrencyCapTransport,
    PostgresConcurrencyCap,
    PostgresRateBudget,
    account_id_for,
)

__all__ = [
    "SHIPSTATION_V1_PER_MINUTE",
    "SHIPSTATION_V2_PER_MINUTE",
    "ConcurrencyCapTransport",
    "PostgresConcurrencyCap",
    "PostgresRateBudget",
    "account_id_for",
]
