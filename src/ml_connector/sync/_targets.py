"""Replay targets driven by flows: one blocking and one async twin for every job.

A job's replay is three flows (:class:`ReplayFlows`: re-map a failed record, find a posting
key in Oracle, create what is missing); :class:`FlowReplayTarget` and
:class:`AsyncFlowReplayTarget` drive them with the job's clients and are the
:class:`~ml_connector.audit.ReplayTarget` and :class:`~ml_connector.audit.AsyncReplayTarget`
that audit replay calls. They differ only in how they drive a flow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from ml_connector.audit import AuditEvent, Remapped

from ._flow import Flow, arun_flow, run_flow

__all__ = ["AsyncFlowReplayTarget", "FlowReplayTarget", "ReplayFlows"]


class ReplayFlows(Protocol):
    """What a job's replay does, as flows (no I/O of its own)."""

    def remap_flow(self, failed: AuditEvent) -> Flow[Remapped]: ...

    def find_flow(self, posting_key: str) -> Flow[str | None]: ...

    def create_flow(self, payload: Mapping[str, Any]) -> Flow[str]: ...


class FlowReplayTarget:
    """A job's replay with blocking clients."""

    def __init__(self, flows: ReplayFlows, clients: Mapping[str, Any]) -> None:
        self._replay = flows
        self._clients = clients

    def remap(self, failed: AuditEvent) -> Remapped:
        """What the failed record posts today (see the job's ``replay``)."""
        return run_flow(self._replay.remap_flow(failed), self._clients)

    def find(self, posting_key: str) -> str | None:
        """The Oracle id(s) when what ``posting_key`` names is already posted, else ``None``."""
        return run_flow(self._replay.find_flow(posting_key), self._clients)

    def create(self, payload: Mapping[str, Any]) -> str:
        """Post what is missing of the record (find-before-create each document)."""
        return run_flow(self._replay.create_flow(payload), self._clients)


class AsyncFlowReplayTarget:
    """The async twin of :class:`FlowReplayTarget`."""

    def __init__(self, flows: ReplayFlows, clients: Mapping[str, Any], concurrency: int) -> None:
        self._replay = flows
        self._clients = clients
        self._concurrency = concurrency

    async def _drive(self, flow: Flow[Any]) -> Any:
        return await arun_flow(flow, self._clients, asyncio.Semaphore(self._concurrency))

    async def remap(self, failed: AuditEvent) -> Remapped:
        """See :meth:`FlowReplayTarget.remap`."""
        result: Remapped = await self._drive(self._replay.remap_flow(failed))
        return result

    async def find(self, posting_key: str) -> str | None:
        """See :meth:`FlowReplayTarget.find`."""
        result: str | None = await self._drive(self._replay.find_flow(posting_key))
        return result

    async def create(self, payload: Mapping[str, Any]) -> str:
        """See :meth:`FlowReplayTarget.create`."""
        result: str = await self._drive(self._replay.create_flow(payload))
        return result
