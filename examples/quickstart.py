"""Quickstart: post a day of ShipStation shipments into Oracle, exactly once, with an audit trail.

Run it with ``python examples/quickstart.py``: it runs against in-process simulators of
ShipStation and Oracle Fusion (see ``simulation.py``), so it needs no credentials and no
network. The code between the two ``---`` rulers is what you write against real systems. The
audit trail stays in ``.ml-connector/quickstart/audit.sqlite3`` for you to open afterwards
(``sqlite3 .ml-connector/quickstart/audit.sqlite3 "SELECT stage, count(*) FROM events GROUP BY
stage"``); each run starts it afresh.
"""

from __future__ import annotations

from pathlib import Path

from simulation import DAY_END, DAY_START, simulate

from ml_connector.audit import SqliteAuditSink
from ml_connector.oracle import OracleFusionClient
from ml_connector.shipstation import ShipStationV1Client
from ml_connector.sync import ShipmentSync

AUDIT_FILE = Path(".ml-connector") / "quickstart" / "audit.sqlite3"


def main() -> int:
    sim = simulate(orders=200)
    AUDIT_FILE.parent.mkdir(parents=True, exist_ok=True)
    AUDIT_FILE.unlink(missing_ok=True)  # the simulated Oracle starts empty: so does the trail
    # --- what you write against real systems (without transport= and clock=) ---
    with (
        ShipStationV1Client(
            sim.v1_settings, transport=sim.shipstation.transport(), clock=sim.clock
        ) as shipstation,
        OracleFusionClient(
            sim.oracle_settings, transport=sim.oracle.transport(), clock=sim.clock
        ) as oracle,
        SqliteAuditSink(AUDIT_FILE) as audit,
        ShipmentSync(
            shipstation=shipstation,
            oracle=oracle,
            mapping=sim.mapping,
            audit=audit,
            checkpoints=audit.checkpoints,
            clock=sim.clock,
        ) as sync,
    ):
        # Accounts and customer accounts of the mapping, checked against Oracle first.
        print(sync.preflight().describe())
        window = (DAY_START, DAY_END)
        print(sync.run(window).describe())
        # Running the same window again posts nothing: every posting key is found in Oracle
        # (or the audit trail already holds a final outcome for the record).
        again = sync.run(window)
        print(again.describe())
        for failure in again.failures()[:3]:
            print(f"  failed: {failure.detail}")
        print(sync.reconcile(window).describe())
    # --- end ---
    assert again.posted == 0, "a second run must not post anything"
    print(f"Oracle now holds {len(sim.oracle.invoices())} invoices; audit trail: {AUDIT_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
