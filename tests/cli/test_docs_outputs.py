"""The outputs shown in the docs are the outputs of the code, not figures typed once.

A fenced ``text`` block right after a marker ``<!-- output: NAME -->`` must equal what the
generator NAME prints today (run-specific parts such as a timestamped folder or the real time
taken are normalised). Run with ``UPDATE_DOCS=1`` to rewrite the blocks after a change.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ml_connector.cli._main import _run
from ml_connector.cli._runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
MARKER = re.compile(r"<!-- output: (?P<name>[a-z-]+) -->\n```text\n(?P<body>.*?)```", re.S)


def _quickstart() -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHIPSTATION", "ORACLE"))}
    env["PYTHONPATH"] = str(ROOT / "src")
    done = subprocess.run(
        [sys.executable, "quickstart.py"],
        cwd=ROOT / "examples",
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env=env,
    )
    return "$ python examples/quickstart.py\n" + done.stdout


def _demo(tmp: Path) -> str:
    out = io.StringIO()
    workdir = tmp / "demo"
    code = _run(["demo", "--workdir", str(workdir)], Runtime(stdout=out, stderr=io.StringIO()))
    assert code == 0
    text = out.getvalue().replace(str(workdir), ".ml-connector/demo-<timestamp>")
    text = re.sub(r"Done in [\d.]+ s of real time", "Done in 3.0 s of real time", text)
    return "$ ml-connector demo\n" + text


def _operator_day(tmp: Path) -> str:
    """An operator's day on the simulators: sync a posting date, then reconcile it."""
    from ml_connector.cli._demo import demo_mapping_toml
    from ml_connector.testing import (
        OracleFusionSimulator,
        ShipStationSimulator,
        VirtualClock,
        generate_day,
    )

    from .conftest import ORACLE_SECRET, V1_KEY, V1_SECRET

    clock = VirtualClock()
    day = generate_day(7, orders=60, warehouses=3)
    shipstation = ShipStationSimulator(
        clock=clock, v1_options={"api_key": V1_KEY, "api_secret": V1_SECRET}
    )
    shipstation.load(day)
    oracle = OracleFusionSimulator(clock=clock, client_secret=ORACLE_SECRET)
    oracle.load(day)
    (tmp / "mapping.toml").write_text(demo_mapping_toml(day), encoding="utf-8")
    (tmp / "ml-connector.toml").write_text(
        '[mapping]\npath = "mapping.toml"\n[audit]\npath = ".ml-connector/audit.sqlite3"\n',
        encoding="utf-8",
    )
    environ = {
        "SHIPSTATION_API_KEY": V1_KEY,
        "SHIPSTATION_API_SECRET": V1_SECRET,
        "ORACLE_POD_URL": oracle.pod_url,
        "ORACLE_TOKEN_URL": oracle.identity_url + "/oauth2/v1/token",
        "ORACLE_SCOPE": "urn:opc:resource:consumer::all",
        "ORACLE_CLIENT_ID": "sim-client",
        "ORACLE_CLIENT_SECRET": ORACLE_SECRET,
    }
    text = []
    for argv in (["sync", "--day", "2026-01-15"], ["reconcile", "--day", "2026-01-15"]):
        out = io.StringIO()
        runtime = Runtime(
            stdout=out,
            stderr=io.StringIO(),
            environ=environ,
            clock=clock,
            transports={"shipstation": shipstation.transport(), "oracle": oracle.transport()},
            cwd=tmp,
        )
        code = _run(argv, runtime)
        text.append(f"$ ml-connector {' '.join(argv)}\n{out.getvalue()}[exit {code}]\n")
    return "\n".join(text).replace(str(tmp) + "/", "")


GENERATORS: dict[str, Callable[[Path], str]] = {
    "quickstart": lambda _tmp: _quickstart(),
    "demo": _demo,
    "operator-day": _operator_day,
}


def _blocks() -> list[tuple[Path, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for match in MARKER.finditer(page.read_text(encoding="utf-8")):
            found.append((page, match.group("name")))
    return found


def test_every_marker_names_a_generator() -> None:
    names = {name for _page, name in _blocks()}
    assert names == set(GENERATORS), names


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_docs_show_what_the_code_prints(name: str, tmp_path: Path) -> None:
    expected = GENERATORS[name](tmp_path)
    for page, found in _blocks():
        if found != name:
            continue
        text = page.read_text(encoding="utf-8")
        match = next(m for m in MARKER.finditer(text) if m.group("name") == name)
        if os.environ.get("UPDATE_DOCS"):
            text = text[: match.start("body")] + expected + text[match.end("body") :]
            page.write_text(text, encoding="utf-8")
            continue
        assert match.group("body") == expected, f"{page.name}: run with UPDATE_DOCS=1"
