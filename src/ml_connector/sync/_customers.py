"""Customer alignment in both directions: :class:`CustomerSync` and :class:`AsyncCustomerSync`.

For the orders of a window, the job reads what Oracle knows about their customers, matches each
order (:func:`~ml_connector.mapping.match_customer`) and plans the alignment
(:func:`~ml_connector.mapping.plan_customer_alignment`). Then, only where enabled:

- ``create_parties=True``: an Oracle party (organization or person, with the email) is created
  for each unmatched ShipStation customer with a real email, after looking the email up first
  (find-before-create). The customer *account* and bill-to site still have to be created in
  Oracle (REST creates parties only); the plan says so.
- ``record_account_numbers=True``: the matched Oracle account number is recorded on the
  ShipStation order, only in the configured non-financial field (``custom_field1..3``), through
  an *annotator* the host supplies (an object with ``annotate(annotation)``; async for the async
  twin). The ShipStation clients of this SDK write nothing, on purpose.

Ambiguous matches are never resolved by the job: they are reported for a person to decide.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import attrs

from ml_connector._clock import Clock, SystemClock
from ml_connector._errors import ConfigurationError, ConnectorError
from ml_connector.audit import AuditSink, RecordRef, Stage, new_correlation_id, new_event
from ml_connector.mapping import (
    AlignmentPlan,
    CustomerProposal,
    MappingConfig,
    ShipStationAnnotation,
    match_customer,
    plan_customer_alignment,
)
from ml_connector.sync._configfile import Config

from ._directory import directory_flow
from ._flow import Flow, arun_flow, run_flow
from ._labels import SYSTEM
from ._owned import AsyncOwned, Owned, from_config
from ._protocols import (
    ANNOTATOR,
    CUSTOMER_ORACLE,
    Annotator,
    AsyncAnnotator,
    AsyncCustomerWriter,
    AsyncShipStationReader,
    CustomerWriter,
    ShipStationReader,
    annotator_call,
    check_clients,
    oracle_call,
    shipstation_list,
)
from ._results import Outcome
from ._window import SyncWindow

__all__ = ["AsyncCustomerSync", "CustomerAction", "CustomerSync", "CustomerSyncSummary"]

NON_FINANCIAL_FIELDS = frozenset({"custom_field1", "custom_field2", "custom_field3"})


@attrs.frozen
class CustomerAction:
    """What happened to one proposal or annotation.

    Attributes:
        record: The audit record (``shipstation customer 123`` or ``shipstation order 456``).
        action: ``create_party`` or ``annotate``.
        outcome: Posted (created or recorded), already-posted, skipped, failed or would-post.
        detail: One sentence for people.
        oracle_id: The party number, for parties.
    """

    record: RecordRef
    action: str
    outcome: Outcome
    detail: str
    oracle_id: str | None = None


@attrs.frozen
class CustomerSyncSummary:
    """The alignment plan and what was done about it.

    Attributes:
        plan: What mapping proposes (creations, enrichments, annotations, ambiguous matches,
            stores needing a default account).
        actions: What this run did (or, on a dry run, would do).
        orders: Orders considered.
        dry_run: Whether nothing was written.
    """

    plan: AlignmentPlan
    actions: tuple[CustomerAction, ...]
    orders: int
    dry_run: bool

    @property
    def ambiguous(self) -> tuple[tuple[str, Any], ...]:
        """Order numbers whose customer needs a person's decision, with the candidates."""
        return self.plan.ambiguous

    @property
    def lookup_failed(self) -> tuple[tuple[str, Any], ...]:
        """Order numbers whose customer Oracle could not be asked about (nothing was proposed
        for them; run again when Oracle answers), with the reason."""
        return self.plan.lookup_failed

    @property
    def complete(self) -> bool:
        """Every order's customer was looked up (no look-up failed)."""
        return not self.plan.lookup_failed

    def count(self, outcome: Outcome) -> int:
        """Actions that ended with ``outcome``."""
        return sum(1 for action in self.actions if action.outcome is outcome)


class _CustomerCore:
    def __init__(
        self,
        *,
        mapping: MappingConfig,
        audit: AuditSink | None,
        clock: Clock | None,
        create_parties: bool,
        record_account_numbers: bool,
        annotator: object,
    ) -> None:
        if record_account_numbers and annotator is None:
            raise ConfigurationError(
                "recording account numbers on ShipStation needs an annotator",
                setting="annotator",
            )
        if (create_parties or record_account_numbers) and audit is None:
            raise ConfigurationError("writes need an audit sink", setting="audit")
        self.mapping = mapping
        self.audit = audit
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.create_parties = create_parties
        self.record_account_numbers = record_account_numbers

    def _event(
        self, ref: RecordRef, stage: Stage, detail: str, *, target: str, key: str, **more: Any
    ) -> None:
        if self.audit is None:
            return
        self.audit.write(
            new_event(
                self.clock,
                correlation_id=new_correlation_id(),
                record=ref,
                stage=stage,
                target=target,
                posting_key=key,
                detail=detail,
                **more,
            )
        )

    def _create_flow(self, proposal: CustomerProposal, dry_run: bool) -> Flow[CustomerAction]:
        party = proposal.party
        subject = (
            str(proposal.customer_id) if proposal.customer_id is not None else party.email_address
        )
        ref = RecordRef(SYSTEM, "customer", subject)
        target = "hubOrganizations" if party.organization_name else "hubPersons"
        try:
            existing = yield oracle_call(CustomerWriter.find_parties_by_email, party.email_address)
        except ConnectorError as exc:
            return CustomerAction(ref, "create_party", Outcome.FAILED, exc.message)
        if existing:
            number = existing[0].party_number
            detail = f"party {number} already has email {party.email_address}"
            return CustomerAction(ref, "create_party", Outcome.ALREADY_POSTED, detail, number)
        if dry_run or not self.create_parties:
            outcome = Outcome.WOULD_POST if dry_run else Outcome.SKIPPED
            detail = f"would create a party for {party.email_address}"
            if not dry_run:
                detail = f"party creation is off; proposed for {party.email_address}"
            return CustomerAction(ref, "create_party", outcome, detail)
        try:
            created = yield oracle_call(CustomerWriter.create_party, party)
        except ConnectorError as exc:
            self._event(
                ref, Stage.FAILED, exc.message, target=target, key=party.email_address, error=exc
            )
            return CustomerAction(ref, "create_party", Outcome.FAILED, exc.message)
        detail = (
            f"created party {created.party_number} for orders "
            f"{', '.join(proposal.order_numbers)}; create its customer account in Oracle"
        )
        self._event(
            ref,
            Stage.POSTED,
            detail,
            target=target,
            key=party.email_address,
            oracle_id=created.party_number,
        )
        return CustomerAction(ref, "create_party", Outcome.POSTED, detail, created.party_number)

    def _annotate_flow(
        self, annotation: ShipStationAnnotation, dry_run: bool
    ) -> Flow[CustomerAction]:
        ref = RecordRef(SYSTEM, "order", str(annotation.order_id))
        if annotation.field not in NON_FINANCIAL_FIELDS:
            detail = (
                "no non-financial annotation field is configured; map customer "
                f"{annotation.customer_id} to {annotation.account_number} explicitly instead"
            )
            return CustomerAction(ref, "annotate", Outcome.SKIPPED, detail)
        detail = f"{annotation.field} = {annotation.account_number}"
        if dry_run or not self.record_account_numbers:
            outcome = Outcome.WOULD_POST if dry_run else Outcome.SKIPPED
            return CustomerAction(ref, "annotate", outcome, f"would record {detail}")
        try:
            yield annotator_call(Annotator.annotate, annotation)
        except ConnectorError as exc:
            self._event(ref, Stage.FAILED, exc.message, target="shipstation", key=detail, error=exc)
            return CustomerAction(ref, "annotate", Outcome.FAILED, exc.message)
        self._event(ref, Stage.POSTED, f"recorded {detail}", target="shipstation", key=detail)
        return CustomerAction(ref, "annotate", Outcome.POSTED, f"recorded {detail}")

    def run_flow(self, window: SyncWindow, *, dry_run: bool) -> Flow[CustomerSyncSummary]:
        orders = yield shipstation_list(
            ShipStationReader.iter_orders,
            modify_date_start=window.start,
            modify_date_end=window.end,
        )
        directory = yield from directory_flow(orders, self.mapping)
        matches = [(order, match_customer(order, self.mapping, directory)) for order in orders]
        plan = plan_customer_alignment(matches, self.mapping, directory)
        actions: list[CustomerAction] = []
        for proposal in plan.create:
            actions.append((yield from self._create_flow(proposal, dry_run)))
        for annotation in plan.annotate:
            actions.append((yield from self._annotate_flow(annotation, dry_run)))
        return CustomerSyncSummary(
            plan=plan, actions=tuple(actions), orders=len(orders), dry_run=dry_run
        )


def _check(
    job: str, shipstation: object, oracle: object, annotator: object, *, asynchronous: bool
) -> None:
    more = {"annotator": (ANNOTATOR, annotator)} if annotator is not None else {}
    check_clients(
        job,
        shipstation=shipstation,
        oracle=oracle,
        asynchronous=asynchronous,
        writes=CUSTOMER_ORACLE,
        more=more,
    )


class CustomerSync(Owned):
    """Align customers between ShipStation and Oracle (blocking).

    Args:
        shipstation: A ShipStation V1 client (read only).
        oracle: An Oracle Fusion client.
        mapping: The mapping configuration (customer rules, annotation field).
        audit: Audit sink for every write (needed when a write is enabled).
        clock: Time source.
        create_parties: Create Oracle parties for unmatched customers with a real email.
        record_account_numbers: Record matched account numbers on ShipStation orders, in the
            configured non-financial field, through ``annotator``.
        annotator: Object with ``annotate(annotation: ShipStationAnnotation)`` that writes the
            field (the host's own ShipStation order update).
    """

    @classmethod
    def from_config(cls, config: Config, **options: Any) -> CustomerSync:
        """A job that opens its clients and audit trail from ``config`` and closes them.

        ``with CustomerSync.from_config(config) as job: ...``;
        ``options`` are this class's other
        arguments and override the ``[sync]`` section (see :func:`ml_connector.load_config`).

        Raises:
            ConfigFileError: the configuration lacks the mapping or a system the job needs.
        """
        return from_config(cls, config, dict(options), job="customers")

    def __init__(
        self,
        *,
        shipstation: ShipStationReader,
        oracle: CustomerWriter,
        mapping: MappingConfig,
        audit: AuditSink | None = None,
        clock: Clock | None = None,
        create_parties: bool = False,
        record_account_numbers: bool = False,
        annotator: Annotator | None = None,
    ) -> None:
        _check("CustomerSync", shipstation, oracle, annotator, asynchronous=False)
        self._core = _CustomerCore(
            mapping=mapping,
            audit=audit,
            clock=clock,
            create_parties=create_parties,
            record_account_numbers=record_account_numbers,
            annotator=annotator,
        )
        self._clients = {"shipstation": shipstation, "oracle": oracle, "annotator": annotator}

    def run(
        self, window: SyncWindow | tuple[datetime, datetime], *, dry_run: bool = False
    ) -> CustomerSyncSummary:
        """Match the window's orders, plan alignment, carry out what is enabled."""
        return run_flow(self._core.run_flow(SyncWindow.of(window), dry_run=dry_run), self._clients)


class AsyncCustomerSync(AsyncOwned):
    """The asyncio twin of :class:`CustomerSync` (the annotator's method is awaited)."""

    @classmethod
    def from_config(cls, config: Config, **options: Any) -> AsyncCustomerSync:
        """A job that opens its clients and audit trail from ``config`` and closes them.

        ``async with AsyncCustomerSync.from_config(config) as job: ...``;
        ``options`` are this class's other
        arguments and override the ``[sync]`` section (see :func:`ml_connector.load_config`).

        Raises:
            ConfigFileError: the configuration lacks the mapping or a system the job needs.
        """
        return from_config(cls, config, dict(options), job="customers")

    def __init__(
        self,
        *,
        shipstation: AsyncShipStationReader,
        oracle: AsyncCustomerWriter,
        mapping: MappingConfig,
        audit: AuditSink | None = None,
        clock: Clock | None = None,
        create_parties: bool = False,
        record_account_numbers: bool = False,
        annotator: AsyncAnnotator | None = None,
        concurrency: int = 8,
    ) -> None:
        _check("AsyncCustomerSync", shipstation, oracle, annotator, asynchronous=True)
        self._core = _CustomerCore(
            mapping=mapping,
            audit=audit,
            clock=clock,
            create_parties=create_parties,
            record_account_numbers=record_account_numbers,
            annotator=annotator,
        )
        self._clients = {"shipstation": shipstation, "oracle": oracle, "annotator": annotator}
        self._concurrency = concurrency

    async def run(
        self, window: SyncWindow | tuple[datetime, datetime], *, dry_run: bool = False
    ) -> CustomerSyncSummary:
        """See :meth:`CustomerSync.run`."""
        flow = self._core.run_flow(SyncWindow.of(window), dry_run=dry_run)
        result: CustomerSyncSummary = await arun_flow(
            flow, self._clients, asyncio.Semaphore(self._concurrency)
        )
        return result
