"""Quickstart: post a day of ShipStation shipments into Oracle, exactly once, with an audit trail.

Run it with ``python examples/quickstart.py``: it runs against in-process simulators of
ShipStation and Oracle Fusion (see ``simulation.py``), so it needs no credentials and no
network. The code between the two ``---`` rulers is what you write against real systems.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from simulation import DAY_END, DAY_START, simulate

from ml_connector.audit import SqliteAuditSink, SqliteCheckpointStore
from ml_connector.oracle import OracleFusionClient
from ml_connector.shipstation import ShipStationV1Client
from ml_connector.sync import ShipmentSync


def main(workdir: Path) -> int:
    sim = simulate(orders=200)
    audit_file = workdir / "audit.db"
    # --- what you write against real systems (without transport= and clock=) ---
    with (
        ShipStationV1Client(
            sim.v1_settings, transport=sim.shipstation.transport(), clock=sim.clock
        ) as shipstation,
        OracleFusionClient(
            sim.oracle_settings, transport=sim.oracle.transport(), clock=sim.clock
        ) as oracle,
    ):
        sync = ShipmentSync(
            shipstation=shipstation,
            oracle=oracle,
            mapping=sim.mapping,
            audit=SqliteAuditSink(audit_file),
            checkpoints=SqliteCheckpointStore(audit_file),
            clock=sim.clock,
        )
        window = (DAY_START, DAY_END)
        print(sync.run(window).describe())
        # Running the same window again posts nothing: every posting key is found in Oracle
        # (or the audit trail already holds a final outcome for the record).
        again = sync.run(window)
        print(again.describe())
        for failure in again.failures()[:3]:
            print(f"  failed: {failure.detail}")
        report = sync.reconcile(window)
        print(f"reconciliation: {len(report.rows)} records, {len(report.problems())} to review")
    # --- end ---
    assert again.posted == 0, "a second run must not post anything"
    print(f"Oracle now holds {len(sim.oracle.invoices())} invoices; audit trail: {audit_file}")
    return 0


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        raise SystemExit(main(Path(folder)))
