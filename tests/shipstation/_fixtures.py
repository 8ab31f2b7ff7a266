"""Loading the ShipStation JSON fixtures the way the clients decode bodies (Decimal money)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shipstation"


def load(name: str) -> Any:
    """A fixture decoded like :func:`ml_connector._http.read_json` does it."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


def raw(name: str) -> bytes:
    """A fixture's bytes, for serving through a fake transport."""
    return (FIXTURES / name).read_bytes()
