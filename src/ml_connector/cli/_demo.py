"""The embedded demo: the whole product in one command, with no credentials and no network.

``ml-connector demo`` generates a realistic day of ShipStation activity
(:func:`~ml_connector.testing.generate_day`), serves it from the in-process simulators, and
runs the real clients, mapping, sync jobs and SQLite audit sink against them, on a virtual clock
(rate-limit waits and retry back-offs cost no real time). The story it tells:

1. the day: orders, splits, partials, voids, marketplace customers, a bad SKU;
2. the shipment sync, with faults injected (429s, 5xx, timeouts, token expiry, responses lost
   after Oracle committed the write): what was posted, skipped (why) and failed (why);
3. fixing the causes (finance adds the missing customer accounts, the item master gets the
   missing SKU), then replaying the failures;
4. a second run over the same window posts nothing: exactly once;
5. the reconciliation with per-warehouse totals, and where the audit file is.
"""

from __future__ import annotations

import textwrap
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from ml_connector._redact import Secret
from ml_connector.audit import ReplayReport, SqliteAuditSink
from ml_connector.mapping import MappingConfig
from ml_connector.oracle import OAuthClientCredentials, OracleFusionClient, OracleFusionSettings
from ml_connector.shipstation import (
    ShipStationV1Client,
    ShipStationV1Settings,
    ShipStationV2Client,
    ShipStationV2Settings,
)
from ml_connector.sync import (
    CustomerSync,
    InventorySync,
    Outcome,
    ReconciliationReport,
    RunSummary,
    ShipmentSync,
)
from ml_connector.testing import (
    BAD_SKU,
    REALISTIC,
    FaultKind,
    FaultPlan,
    Faults,
    GeneratedDay,
    OracleFusionSimulator,
    ShipStationSimulator,
    VirtualClock,
    generate_day,
)

from ._console import Progress
from ._runtime import Runtime
from ._session import progress_callback, summary_json

__all__ = ["DemoOptions", "apply_finance_fixes", "demo_mapping_toml", "run_demo"]


def _toml_string(value: str) -> str:
    # Generated names are plain ASCII words; escape the two characters TOML cares about anyway.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def demo_mapping_toml(day: GeneratedDay) -> str:
    """The mapping configuration of a generated day, as TOML text (written to the workdir).

    The generator's Oracle account combinations have seven segments,
    ``company-account-department-cost_center-product-channel-future``, one cost center per
    warehouse; marketplace stores bill one Oracle account each.
    """
    first = day.warehouses[0]["warehouseId"]
    lines = [
        "# The mapping configuration the demo used (generated for the simulated company).",
        "# A real one has the same layout: see docs/mapping.md.",
        "",
        "[segments]",
        "names = [",
        '  "company", "account", "department", "cost_center", "product", "channel", "future",',
        "]",
        'cost_center = "cost_center"',
        "lengths = { company = 2, account = 7, department = 2, cost_center = 4, product = 2, "
        "channel = 2, future = 2 }",
        'defaults = { company = "01", department = "00", product = "01", channel = "01", '
        'future = "00" }',
        "",
        "[accounts]",
    ]
    natural = {
        "revenue": day.account_for("revenue", first),
        "receivable": day.account_for("receivable", first),
        "freight": day.account_for("freight", first),
        "tax": day.account_for("tax", first),
        "inventory_issue": day.account_for("cogs", first),
        "inventory_adjustment": day.account_for("cogs", first),
    }
    for purpose, combination in natural.items():
        lines.append(f'{purpose} = {{ account = "{combination.split("-")[1]}" }}')
    for w, warehouse in enumerate(day.warehouses):
        wid = warehouse["warehouseId"]
        lines += [
            "",
            f"[warehouses.{wid}]",
            f"name = {_toml_string(warehouse['warehouseName'])}",
            'business_unit = "US1 Business Unit"',
            f"inventory_organization = {_toml_string(day.organizations[wid])}",
            'subinventory = "FG"',
            f'cost_center = "{(w + 1) * 100:04d}"',
        ]
    for store in day.stores:
        lines += [
            "",
            f"[stores.{store['storeId']}]",
            f"name = {_toml_string(store['storeName'])}",
        ]
        account = day.marketplace_accounts.get(store["storeName"])
        if account is not None:
            lines += [
                f"customer_account = {_toml_string(account)}",
                f"customer_site = {_toml_string(account + '-BILL')}",
            ]
    lines += [
        "",
        "[receivables]",
        'transaction_source = "SHIPSTATION"',
        'transaction_type = "Invoice"',
        'credit_memo_transaction_type = "Credit Memo"',
        'payment_terms = "IMMEDIATE"',
        'currency = "USD"',
        'credit_reason = "CANCELLATION"',
        "",
        "# Posting dates are Pacific calendar dates, as the ledger closes: a label printed at",
        "# 18:00 PST on 31 January posts in January (on a UTC basis it would be 1 February).",
        "[dates]",
        'basis = "zone"',
        'zone = "America/Los_Angeles"',
        "",
        "[inventory]",
        'source_code = "SHIPSTATION"',
        'reference = "posting_key"',
        "",
        "[inventory_locations]",
    ]
    by_inventory_warehouse = {
        iw["inventory_warehouse_id"]: wh["warehouseId"]
        for iw, wh in zip(day.inventory_warehouses, day.warehouses, strict=True)
    }
    for location in day.inventory_locations:
        wid = by_inventory_warehouse[location["inventory_warehouse_id"]]
        lines.append(f'"{location["inventory_location_id"]}" = "{wid}"')
    return "\n".join(lines) + "\n"


# -- the run ---------------------------------------------------------------------------------

_STORES = ("web", "amazon", "ebay")
# The simulators' own built-in credentials (see ml_connector.testing): nothing real is used.
_SIM_V1_KEY, _SIM_V1_SECRET = "sim-key", "sim-secret"
_SIM_V2_KEY = "sim-v2-key"
_SIM_CLIENT, _SIM_CLIENT_SECRET = "sim-client", "sim-client-secret"
_SCOPE = "urn:opc:resource:consumer::all"
_AUDIT_FILE = "audit.sqlite3"
_STAGES_QUERY = "SELECT stage, count(*) FROM events GROUP BY stage"
"""Printed as a hint for people to run themselves."""


@attrs.frozen
class DemoOptions:
    """What ``ml-connector demo`` runs.

    Attributes:
        seed: The same seed gives the same day, the same faults and the same figures.
        orders: Orders in the generated day.
        warehouses: Ship-from warehouses (each its own cost center and inventory org).
        workdir: Folder for the audit trail and the mapping used (default: a new
            ``./.ml-connector/demo-<timestamp>`` folder).
        faults: Inject faults (429s, 5xx, timeouts, token expiry, lost responses).
    """

    seed: int = 7
    orders: int = 200
    warehouses: int = 3
    workdir: Path | None = None
    faults: bool = True


def _workdir(options: DemoOptions, runtime: Runtime) -> Path:
    if options.workdir is not None:
        path = options.workdir if options.workdir.is_absolute() else runtime.cwd / options.workdir
    else:
        # Real wall time names the folder only; everything inside runs on the virtual clock.
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = runtime.cwd / ".ml-connector" / f"demo-{stamp}"
        n = 1
        while path.exists():
            n += 1
            path = runtime.cwd / ".ml-connector" / f"demo-{stamp}-{n}"
    path.mkdir(parents=True, exist_ok=True)
    # A previous demo's trail in the same folder would claim records this fresh, simulated
    # Oracle has never seen: start from an empty trail.
    for name in (_AUDIT_FILE, f"{_AUDIT_FILE}-wal", f"{_AUDIT_FILE}-shm"):
        (path / name).unlink(missing_ok=True)
    return path


def _fault_plans(seed: int, enabled: bool) -> tuple[FaultPlan | None, FaultPlan | None]:
    if not enabled:
        return None, None
    # ShipStation sees GETs only; the core retries them. Oracle faults hit writes (not the
    # token endpoint), including responses lost after Oracle committed: the exactly-once case.
    shipstation = FaultPlan(
        seed=seed,
        script=(
            None,
            FaultKind.RATE_LIMIT,
            None,
            FaultKind.SERVER_ERROR,
            None,
            FaultKind.CONNECTION_RESET,
        ),
    )
    oracle = FaultPlan(
        seed=seed,
        methods={"POST"},
        path_prefixes=("/fscmRestApi",),
        script=(
            FaultKind.LOST_AFTER_COMMIT,
            FaultKind.SERVER_ERROR,
            None,
            FaultKind.TOKEN_EXPIRY,
            FaultKind.LOST_AFTER_COMMIT,
            None,
            FaultKind.RATE_LIMIT,
            FaultKind.TIMEOUT,
            None,
            FaultKind.LOST_AFTER_COMMIT,
        ),
    )
    return shipstation, oracle


def _cause(result: Any) -> str:
    """A short, groupable cause of a failed record."""
    error: Mapping[str, Any] = result.error or {}
    if error.get("code"):
        return str(error["code"])
    if error.get("type") == "MappingError" and error.get("field") == "customer":
        return "customer has no Oracle account"
    if error.get("field"):
        return f"{error.get('type')} ({error['field']})"
    return str(error.get("type") or "failed")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


class _Demo:
    def __init__(self, options: DemoOptions, runtime: Runtime, *, as_json: bool) -> None:
        self.options = options
        self.runtime = runtime
        self.as_json = as_json
        self.report: dict[str, Any] = {"command": "demo", "seed": options.seed}
        # ShipStation as it really is (listing order, quirks, punctuated customers...).
        self.day = generate_day(
            options.seed,
            orders=options.orders,
            warehouses=options.warehouses,
            stores=_STORES,
            realism=REALISTIC,
        )
        start = datetime.combine(self.day.day, datetime.min.time())
        # The Pacific day the orders were placed on, and the next (labels printed overnight).
        self.window = (_pacific(start), _pacific(start + timedelta(days=2)))
        # The morning after: every label of the day exists, and time only moves on sleeps.
        self.clock = VirtualClock(self.window[1] + timedelta(hours=9))
        ss_faults, oracle_faults = _fault_plans(options.seed, options.faults)
        self.shipstation = ShipStationSimulator(clock=self.clock, faults=ss_faults)
        self.shipstation.load(self.day)
        # Like Oracle, the simulated pod stages a repeated inventory transaction again rather
        # than refusing it, so step 8's count of distinct posting keys is a real check.
        self.oracle_sim = OracleFusionSimulator(clock=self.clock, faults=oracle_faults)
        self.oracle_sim.load(self.day)
        self.workdir = _workdir(options, runtime)
        self.mapping_path = self.workdir / "mapping.toml"
        text = demo_mapping_toml(self.day)
        self.mapping_path.write_text(text, encoding="utf-8")
        self.mapping = MappingConfig.from_toml(text)
        self.audit_path = self.workdir / _AUDIT_FILE
        self.lost_after_commit = 0

    # -- output ------------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        if not self.as_json:
            self.runtime.say(text)

    def shown(self, path: Path) -> Path:
        """``path`` relative to the working directory when it is inside it."""
        try:
            return path.relative_to(self.runtime.cwd)
        except ValueError:
            return path

    def step(self, title: str) -> None:
        self.say()
        self.say(title)

    # -- clients -----------------------------------------------------------------------------

    def v1(self) -> ShipStationV1Client:
        settings = ShipStationV1Settings(
            api_key=Secret(_SIM_V1_KEY), api_secret=Secret(_SIM_V1_SECRET)
        )
        return ShipStationV1Client(
            settings, transport=self.shipstation.transport(), clock=self.clock
        )

    def v2(self) -> ShipStationV2Client:
        settings = ShipStationV2Settings(api_key=Secret(_SIM_V2_KEY))
        return ShipStationV2Client(
            settings, transport=self.shipstation.transport(), clock=self.clock
        )

    def oracle(self) -> OracleFusionClient:
        auth = OAuthClientCredentials(
            token_url=f"{self.oracle_sim.identity_url}/oauth2/v1/token",
            client_id=_SIM_CLIENT,
            client_secret=Secret(_SIM_CLIENT_SECRET),
            scope=_SCOPE,
        )
        settings = OracleFusionSettings(
            pod_url=self.oracle_sim.pod_url,
            auth=auth,
            party_email_resources=("hubPersons",),
        )
        return OracleFusionClient(settings, transport=self.oracle_sim.transport(), clock=self.clock)

    def shipment_job(
        self, audit: SqliteAuditSink, v1: ShipStationV1Client, oracle: OracleFusionClient
    ) -> ShipmentSync:
        bar = Progress(self.runtime, "shipments")
        self._bar = bar
        return ShipmentSync(
            shipstation=v1,
            oracle=oracle,
            mapping=self.mapping,
            audit=audit,
            checkpoints=audit.checkpoints,
            clock=self.clock,
            progress=progress_callback(bar),
        )

    # -- steps -------------------------------------------------------------------------------

    def describe_day(self) -> None:
        stats = self.day.stats()
        kinds = {k.removeprefix("kind_"): v for k, v in stats.items() if k.startswith("kind_")}
        self.report["day"] = {"date": self.day.day, **stats}
        o = self.options
        stores = ", ".join(store["storeName"] for store in self.day.stores)
        self.say(
            f"ml-connector demo: seed {o.seed}, {o.orders} orders, {o.warehouses} warehouses, "
            f"stores {stores}"
        )
        self.say(
            "The real clients, mapping, sync jobs and audit trail, run against simulated "
            "ShipStation and"
        )
        self.say("Oracle Fusion in this process, on a virtual clock. No network, no credentials.")
        self.step(f"1. A day of ShipStation activity ({self.day.day}, Pacific)")
        mix = ", ".join(
            f"{kinds[k]} {label}"
            for k, label in (
                ("single", "single"),
                ("split", "split"),
                ("partial", "partial"),
                ("void", "voided and re-shipped"),
                ("fulfillment", "shipped outside ShipStation"),
                ("awaiting", "awaiting"),
                ("cancelled", "cancelled"),
            )
            if kinds.get(k)
        )
        self.say(f"   {stats['orders']} orders from {stats['customers']} customers")
        for line in textwrap.wrap(mix, 92):
            self.say(f"   {line}")
        self.say(
            f"   {stats['shipments']} labels ({stats['voided_shipments']} voided), "
            f"{stats['fulfillments']} fulfillments; {stats['bad_sku_orders']} order(s) carry "
            f"{BAD_SKU}, unknown to Oracle"
        )

    def customers(self, audit: SqliteAuditSink) -> None:
        self.step("2. Customer sync: match every order's customer to an Oracle account")
        with self.v1() as v1, self.oracle() as oracle:
            job = CustomerSync(
                shipstation=v1,
                oracle=oracle,
                mapping=self.mapping,
                audit=audit,
                clock=self.clock,
                create_parties=True,
            )
            summary = job.run(self.window)
        created = [a for a in summary.actions if a.outcome is Outcome.POSTED]
        plan = summary.plan
        self.report["customers"] = {
            "orders": summary.orders,
            "parties_created": len(created),
            "proposals": len(plan.create),
            "ambiguous": len(plan.ambiguous),
            "stores_needing_default": list(plan.needs_store_default),
        }
        self.say(
            f"   {summary.orders} orders checked; {len(plan.create)} customers match no Oracle "
            f"account: {len(created)} Oracle parties created for them"
        )
        self.say(
            "   (Oracle's REST API creates parties only: their customer accounts are finance's "
            "job, below)"
        )
        if plan.ambiguous:
            self.say(f"   {len(plan.ambiguous)} orders match several accounts: left for review")

    def sync(
        self, audit: SqliteAuditSink, label: str, window: tuple[datetime, datetime]
    ) -> RunSummary:
        with self.v1() as v1, self.oracle() as oracle:
            job = self.shipment_job(audit, v1, oracle)
            try:
                summary = job.run(window)
            finally:
                self._bar.close()
        self.report[label] = summary_json(summary)
        return summary

    def show_summary(self, summary: RunSummary, *, indent: str = "   ") -> None:
        self.say(f"{indent}{summary.describe_counts()}")
        money = summary.describe_money()
        if money:
            self.say(f"{indent}{money}")
        for reason, count in summary.skip_reasons.items():
            self.say(f"{indent}  skipped {count:>4}  {reason}")
        for cause, count in Counter(_cause(r) for r in summary.failures()).most_common():
            self.say(f"{indent}  failed  {count:>4}  {cause}")

    def show_faults(self) -> None:
        ss, ora = self.shipstation.faults, self.oracle_sim.faults
        self.report["faults"] = {
            "shipstation": {k.value: n for k, n in ss.counts.items()},
            "oracle": {k.value: n for k, n in ora.counts.items()},
        }
        self.lost_after_commit = ora.counts.get(FaultKind.LOST_AFTER_COMMIT, 0)
        if not self.options.faults:
            return
        self.say(f"   faults injected: ShipStation {ss.summary()}")
        self.say(f"                    Oracle {ora.summary()}")
        self.say("   (429s and 5xx on reads are retried; a lost write is looked up, never re-sent)")

    def calm(self) -> None:
        """The network calms down: no faults after the first run (their figures are kept)."""
        self.shipstation.faults = self.shipstation.v1.faults = self.shipstation.v2.faults = Faults()
        self.oracle_sim.faults = Faults()

    def inventory(self, audit: SqliteAuditSink) -> None:
        self.step("4. Inventory sync: stock counts into Oracle, net of what shipped")
        with self.v1() as v1, self.v2() as v2, self.oracle() as oracle:
            job = InventorySync(
                shipstation=v1,
                inventory=v2,
                oracle=oracle,
                mapping=self.mapping,
                audit=audit,
                baselines=audit.checkpoints,
                clock=self.clock,
            )
            first = job.run()
            changes = self.cycle_count()
            self.clock.advance(3600)
            second = job.run()
        self.report["inventory"] = {
            "levels": len(first.snapshot.levels),
            "count_changes": changes,
            "adjustments": [
                {"outcome": r.outcome.value, "posting_key": r.posting_key, "detail": r.detail}
                for r in second.results
            ],
        }
        self.say(
            f"   baseline: {len(first.snapshot.levels)} inventory levels read from ShipStation V2"
        )
        self.say(
            f"   an hour later a cycle count changed {len(changes)} levels; adjustments posted:"
        )
        for result in second.results:
            self.say(f"     {result.outcome.value:<14} {result.detail.split(';')[0]}")

    def cycle_count(self) -> list[dict[str, Any]]:
        """A warehouse team recounts a few bins: some damaged, some found."""
        changes = []
        data = self.shipstation.data
        levels = sorted(
            data.inventory.values(), key=lambda lv: (lv["inventory_location_id"], lv["sku"])
        )
        step = max(1, len(levels) // 3)
        picked = [levels[min(len(levels) - 1, k * step + 5 * k)] for k in range(3)]
        for level, delta in zip(picked, (-2, 3, -1), strict=False):
            if level["on_hand"] + delta < 0:
                delta = -delta
            new = dict(level, on_hand=level["on_hand"] + delta)
            new["available"] = new["on_hand"] - new["allocated"]
            data.set_inventory_level(new)
            changes.append(
                {"sku": level["sku"], "location": level["inventory_location_id"], "delta": delta}
            )
        return changes

    def fix_causes(self) -> dict[str, Any]:
        """What finance would do: accounts for the new parties, the item, the refused row."""
        fixes = apply_finance_fixes(self.day, self.oracle_sim)
        self.report["fixes"] = fixes
        return fixes

    def replay(self, audit: SqliteAuditSink) -> ReplayReport:
        with self.v1() as v1, self.oracle() as oracle:
            report = self.shipment_job(audit, v1, oracle).replay()
        outcomes = Counter(item.outcome.value for item in report.items)
        self.report["replay"] = {"selected": len(report.items), **outcomes}
        return report

    def reconcile(
        self, audit: SqliteAuditSink, label: str, window: tuple[datetime, datetime]
    ) -> ReconciliationReport:
        with self.v1() as v1, self.oracle() as oracle:
            report = self.shipment_job(audit, v1, oracle).reconcile(window)
        reasons = Counter(row.reason.value for row in report.rows)
        self.report[label] = {
            "clean": report.clean,
            "rows": len(report.rows),
            "reasons": dict(sorted(reasons.items())),
            "totals": [
                {
                    "warehouse_id": t.warehouse_id,
                    "day": t.day,
                    "records": t.records,
                    "expected_amount": t.expected_amount,
                    "oracle_amount": t.oracle_amount,
                    "reasons": dict(t.reasons),
                }
                for t in report.totals()
            ],
        }
        return report

    def show_reasons(self, report: ReconciliationReport) -> None:
        text = ", ".join(f"{n} {reason}" for reason, n in report.reasons().items())
        self.say(f"   reconciliation now: {text}")
        odd = report.undecodable()
        if odd:
            self.say(
                f"   listed by ShipStation but undecodable: {len(odd)}; not compared, so the "
                "reconciliation is incomplete"
            )
        gaps = report.not_in_oracle_by_reason()
        if gaps:
            by_reason = ", ".join(f"{reason} {amount:,.2f}" for reason, amount in gaps.items())
            self.say(
                f"   not yet in Oracle: {report.currency} {report.not_in_oracle:,.2f} ({by_reason})"
            )

    def show_totals(self, report: ReconciliationReport) -> None:
        self.say(f"   dates are posting dates in {report.date_zone}; amounts in {report.currency}")
        self.say(
            f"   {'warehouse':<22} {'date':<10} {'records':>7} {'expected':>11} "
            f"{'in Oracle':>11} {'gap':>8}  status"
        )
        for total in report.totals():
            label = f"{total.warehouse_name or '?'} ({total.warehouse_id or '-'})"
            status = ", ".join(f"{n} {reason}" for reason, n in total.reasons.items())
            self.say(
                f"   {label:<22} {total.day or '-'!s:<10} {total.records:>7} "
                f"{total.expected_amount:>11,.2f} {total.oracle_amount:>11,.2f} "
                f"{total.not_in_oracle:>8,.2f}  {status}"
            )
        verdict = "clean: every record is explained" if report.clean else "NOT clean"
        self.say(
            f"   {len(report.rows)} records, {verdict}; not yet in Oracle "
            f"{report.currency} {report.not_in_oracle:,.2f}"
        )

    def void_one(self, first: RunSummary) -> str | None:
        """This morning, one label that was invoiced yesterday is voided in ShipStation."""
        posted = [
            r
            for r in first.results
            if r.outcome is Outcome.POSTED and r.record.kind == "shipment" and r.total
        ]
        if not posted:
            return None
        chosen = posted[len(posted) // 2]
        self.shipstation.data.void_shipment(int(chosen.record.id), self.clock.now())
        self.report["voided_after_posting"] = chosen.record.id
        return chosen.order_number or chosen.record.id

    def exactly_once(self) -> dict[str, Any]:
        sim = self.oracle_sim
        counts = {}
        # Where the demo mapping puts the posting keys: receivables.key_field is
        # transaction_number, inventory.reference is posting_key.
        for name, documents, key in (
            ("invoices", sim.invoices(), "TransactionNumber"),
            ("credit_memos", sim.credit_memos(), "TransactionNumber"),
            ("inventory_transactions", sim.inventory_transactions(), "TransactionReference"),
        ):
            keys = [document.get(key) for document in documents]
            counts[name] = {"documents": len(keys), "distinct_keys": len(set(keys))}
        duplicates = sum(c["documents"] - c["distinct_keys"] for c in counts.values())
        result = {
            "oracle": counts,
            "lost_after_commit": self.lost_after_commit,
            "duplicates": duplicates,
        }
        self.report["exactly_once"] = result
        return result

    def run(self) -> int:
        started = time.perf_counter()
        self.describe_day()
        with SqliteAuditSink(self.audit_path) as audit:
            self.customers(audit)

            faults = ", with faults injected" if self.options.faults else ""
            self.step(f"3. Shipment sync: every label of the day into Oracle{faults}")
            first = self.sync(audit, "first_run", self.window)
            self.show_summary(first)
            self.show_faults()
            self.calm()
            self.show_reasons(self.reconcile(audit, "reconciliation_before", self.window))

            self.inventory(audit)

            self.step("5. Fix the causes in Oracle, then replay the failures")
            fixes = self.fix_causes()
            self.say(
                f"   finance creates {fixes['customer_accounts_created']} customer accounts "
                f"({fixes['for_new_parties']} for the parties created in step 2)"
            )
            self.say(f"   and adds {BAD_SKU} to the item master")
            replayed = self.replay(audit)
            outcomes = Counter(item.outcome.value for item in replayed.items)
            self.say(
                f"   replayed {len(replayed.items)} failed records: "
                + ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
            )

            self.step("6. Run again, from the start of the day to now")
            voided = self.void_one(first)
            if voided is not None:
                self.say(
                    f"   meanwhile the label of order {voided}, invoiced yesterday, was voided"
                )
            self.clock.advance(600)
            window = (self.window[0], self.clock.now())
            second = self.sync(audit, "second_run", window)
            self.show_summary(second)
            reversals = sum(
                1
                for r in second.results
                if r.outcome is Outcome.POSTED and r.record.kind.endswith("-void")
            )
            if reversals:
                self.say(
                    f"   only the void is new: {reversals} credit memo and its reversing "
                    "receipts; nothing is posted twice"
                )
            else:
                self.say("   nothing is posted twice: every record is in the trail or in Oracle")

            self.step("7. Reconciliation: ShipStation, the audit trail and Oracle, joined")
            recon = self.reconcile(audit, "reconciliation", window)
            self.show_totals(recon)

            self.step("8. Exactly once")
            proof = self.exactly_once()
            for name, c in proof["oracle"].items():
                if not c["documents"]:
                    continue
                self.say(
                    f"   {c['documents']:>5} {name.replace('_', ' ')} in Oracle under "
                    f"{c['distinct_keys']} posting keys"
                )
            self.say(
                f"   {proof['duplicates']} duplicates, although {proof['lost_after_commit']} "
                "responses were lost after Oracle had committed the write"
            )
            events = len(audit.events())
        real = time.perf_counter() - started
        ok = (
            proof["duplicates"] == 0
            and second.posted == reversals
            and second.failed == 0
            and recon.clean
            and not any(item.outcome.value == "failed" for item in replayed.items)
        )
        self.report.update(
            {
                "ok": ok,
                "audit": str(self.audit_path),
                "mapping": str(self.mapping_path),
                "events": events,
                "simulated_seconds": round(self.clock.monotonic(), 1),
                "real_seconds": round(real, 2),
            }
        )
        if self.as_json:
            self.runtime.emit_json(self.report)
            return 0 if ok else 1
        audit_shown, mapping_shown = self.shown(self.audit_path), self.shown(self.mapping_path)
        self.say()
        self.say(f"Audit trail: {audit_shown} ({events} events)")
        self.say(f'   sqlite3 {audit_shown} "{_STAGES_QUERY}"')
        self.say(f"Mapping used: {mapping_shown}")
        self.say(
            f"Done in {real:.1f} s of real time ({_duration(self.clock.monotonic())} simulated, "
            "rate-limit waits included)."
        )
        return 0 if ok else 1


def apply_finance_fixes(day: GeneratedDay, oracle: OracleFusionSimulator) -> dict[str, Any]:
    """Fix in the simulated Oracle what made records fail: what finance would do.

    Creates a customer account (with bill-to site) for every unmatched web customer, reusing
    a party the customer sync created; adds the unknown SKU to the item master; deletes the
    inventory interface rows Oracle refused. Returns the counts.
    """
    added = with_party = 0
    parties = {
        str(p.get("EmailAddress", "")).lower(): p for p in oracle.party_resource.items.values()
    }
    for j in range(day.customer_count):
        if day.customer_matched(j):
            continue
        customer = day.customer(j)
        usernames = customer.get("marketplaceUsernames") or [{}]
        if usernames[0].get("marketplace") in day.marketplace_accounts:
            continue  # marketplace orders bill the store's account
        party = parties.get(customer["email"].lower())
        with_party += party is not None
        if party is None:
            party = {
                "PartyId": 300_150_000_000 + j,
                "PartyNumber": f"P{20_000 + j}",
                "PartyName": customer["name"],
                "EmailAddress": customer["email"],
            }
            oracle.add_party(party)
        account = f"{20_000 + j}"
        oracle.add_customer_site(
            {
                "BillToSiteUseId": 300_250_000_000 + j,
                "BillToSiteNumber": f"{account}-BILL",
                "BillToSiteAddress": f"{customer['street1']}, {customer['city']}",
                "AccountNumber": account,
                "AccountId": 300_350_000_000 + j,
                "CustomerName": customer["name"],
                "CustomerId": party["PartyId"],
            }
        )
        added += 1
    oracle.items.add(BAD_SKU)
    # An Online-mode inventory row Oracle refused stays in its interface with an error;
    # the fix in Oracle is to correct or delete it (the demo deletes it).
    staged = oracle.resources["inventoryStagedTransactions"].items
    refused = [key for key, row in staged.items() if row.get("ErrorCode")]
    for key in refused:
        del staged[key]
    return {
        "customer_accounts_created": added,
        "for_new_parties": with_party,
        "item_added": BAD_SKU,
        "refused_inventory_rows_deleted": len(refused),
    }


def _pacific(naive: datetime) -> datetime:
    from ml_connector._time import parse_pacific

    return parse_pacific(naive.strftime("%Y-%m-%dT%H:%M:%S"))


def run_demo(options: DemoOptions, runtime: Runtime, *, as_json: bool = False) -> int:
    """Run the demo; returns 0 when the story ends clean (nothing posted twice, no failure
    left after the replay), else 1."""
    return _Demo(options, runtime, as_json=as_json).run()
