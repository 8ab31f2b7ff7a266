"""Every client takes the same injection keywords, so a host app wires them the same way."""

from __future__ import annotations

import inspect

import pytest

import ml_connector

CLIENTS = [
    ml_connector.ShipStationV1Client,
    ml_connector.AsyncShipStationV1Client,
    ml_connector.ShipStationV2Client,
    ml_connector.AsyncShipStationV2Client,
    ml_connector.OracleFusionClient,
    ml_connector.AsyncOracleFusionClient,
]


@pytest.mark.parametrize("cls", CLIENTS, ids=lambda cls: cls.__name__)
def test_clients_accept_the_same_injection_keywords(cls: type) -> None:
    parameters = inspect.signature(cls.__init__).parameters
    for name in ("client", "transport", "clock", "limiter"):
        assert name in parameters, f"{cls.__name__} lacks {name}="
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
