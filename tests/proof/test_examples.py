"""Every example runs against the simulators with no credentials and does what it says."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
SCRIPTS = ["quickstart.py", "scheduled_poller.py", "webhook_receiver.py", "async_embedding.py"]


def _run(script: str) -> subprocess.CompletedProcess[str]:
    # No credentials in the environment: the examples must not need any.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHIPSTATION", "ORACLE"))}
    return subprocess.run(  # noqa: S603 - our own interpreter on our own example files
        [sys.executable, script],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_script_runs(script: str) -> None:
    done = _run(script)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip()


def test_quickstart_second_run_posts_nothing() -> None:
    lines = _run("quickstart.py").stdout.splitlines()
    assert "posted 0 +" in lines[1]
    assert "already posted" in lines[1]


@pytest.fixture
def webhook_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(
        "webhook_receiver", EXAMPLES / "webhook_receiver.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _NeverCalled:
    """A sync stand-in for requests that must be refused before any work."""

    async def run_webhook(self, pointer: Any) -> Any:
        raise AssertionError("the sync must not run for a refused request")


@pytest.mark.anyio
async def test_webhook_app_refuses_before_reading(webhook_module: ModuleType) -> None:
    app = webhook_module.make_app(_NeverCalled(), token="right-token")
    body = json.dumps(
        {
            "resource_url": "https://ssapi.shipstation.com/shipments?batchId=1",
            "resource_type": "SHIP_NOTIFY",
        }
    ).encode()
    deliver = webhook_module.deliver
    assert (await deliver(app, body, query="token=wrong"))[0] == 401
    assert (await deliver(app, body, query=""))[0] == 401
    assert (await deliver(app, body, query="token=right-token", method="GET"))[0] == 405
    assert (await deliver(app, body, query="token=right-token", path="/other"))[0] == 404
    too_big = b"{" + b" " * (webhook_module.MAX_BODY + 1) + b"}"
    assert (await deliver(app, too_big, query="token=right-token"))[0] == 413


@pytest.mark.anyio
async def test_webhook_app_posts_once_and_refuses_forged_pointers(
    webhook_module: ModuleType,
) -> None:
    assert await webhook_module.demo() == 0  # the demo asserts each answer


@pytest.mark.anyio
async def test_webhook_app_handles_lifespan(webhook_module: ModuleType) -> None:
    app = webhook_module.make_app(_NeverCalled(), token="t")
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def _notebook_tools() -> str | None:
    for name in ("nbclient", "nbformat", "ipykernel", "matplotlib"):
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


@pytest.mark.skipif(
    _notebook_tools() is not None,
    reason=f"executing the notebook needs nbclient, nbformat, ipykernel and matplotlib "
    f"({_notebook_tools()} is not installed)",
)
def test_reconciliation_notebook_executes() -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(EXAMPLES / "reconciliation.ipynb", as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    assert any("image/png" in out.get("data", {}) for out in outputs), "the plot must render"
    text = "".join(out.get("text", "") for out in outputs)
    assert "clean now: True" in text
    # The gap is shown before the fix (money not yet in Oracle) and closed after it.
    assert "not yet in Oracle USD 0.00" in text
    assert any(
        "not yet in Oracle USD" in line and "USD 0.00" not in line for line in text.splitlines()
    )
    html = "".join(out.get("data", {}).get("text/html", "") for out in outputs)
    assert "gap_minor" in html  # the pandas table of the gap per warehouse and reason
