"""Test helpers for users of ml-connector: simulators, a virtual clock, data generators.

Everything here runs in-process with no network, so a host application can test its own sync
loop offline, in milliseconds:

- :class:`ShipStationV1Simulator`, :class:`ShipStationV2Simulator` (or both over one dataset,
  :class:`ShipStationSimulator`) and :class:`OracleFusionSimulator` are stateful fake servers;
  each gives an ``httpx`` transport (``.transport()``, ``.async_transport()``).
- :class:`FaultPlan` / :class:`Faults` inject seeded, counted faults (429, 5xx, timeouts, resets,
  token expiry, slow responses, responses lost after the server committed).
- :func:`generate_day` produces a reproducible, realistic day of orders and shipments with the
  Oracle setup that matches it.
- :class:`VirtualClock` makes simulated latency and rate windows cost no real time;
  :class:`LoopClock` does the same for asyncio code, where concurrent waits overlap.
"""

from ._clock import VirtualClock
from ._faults import FaultKind, FaultPlan, Faults
from ._generator import BAD_SKU, REALISTIC, GeneratedDay, OrderBundle, Realism, generate_day
from ._loopclock import LoopClock
from ._oracle import OracleFusionSimulator
from ._receivables import TransactionSourceSetup
from ._shipstation import (
    WEBHOOK_RESOURCE_TYPES,
    ShipStationData,
    ShipStationSimulator,
    ShipStationV1Simulator,
    ShipStationV2Simulator,
)

__all__ = [
    "BAD_SKU",
    "FaultKind",
    "FaultPlan",
    "Faults",
    "GeneratedDay",
    "LoopClock",
    "OracleFusionSimulator",
    "OrderBundle",
    "REALISTIC",
    "Realism",
    "ShipStationData",
    "ShipStationSimulator",
    "ShipStationV1Simulator",
    "ShipStationV2Simulator",
    "TransactionSourceSetup",
    "VirtualClock",
    "WEBHOOK_RESOURCE_TYPES",
    "generate_day",
]
