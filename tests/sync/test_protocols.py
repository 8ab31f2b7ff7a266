"""What a shipment job needs from its clients: typed steps, and clear refusals when built wrong."""

from __future__ import annotations

import inspect
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from ml_connector import ConfigurationError
from ml_connector.sync import (
    AsyncCatalogCheck,
    AsyncCustomerSync,
    AsyncInventorySync,
    AsyncShipmentSync,
    CatalogCheck,
    CustomerSync,
    InventorySync,
    ShipmentSync,
    async_reconcile,
    reconcile,
)
from ml_connector.sync._core import ShipmentSyncOptions
from ml_connector.sync._flow import Call
from ml_connector.sync._protocols import (
    AsyncOracleWriter,
    AsyncShipStationReader,
    OracleWriter,
    ShipStationReader,
    oracle_call,
    shipstation_call,
    shipstation_list,
)

from ._env import DAY_END, DAY_START, Env, make_env


@pytest.fixture(scope="module")
def env() -> Env:
    return make_env()


def _members(protocol: type) -> set[str]:
    return {name for name in vars(protocol) if not name.startswith("_")}


def test_the_real_clients_are_what_the_jobs_take(env: Env) -> None:
    assert isinstance(env.shipstation(), ShipStationReader)
    assert isinstance(env.oracle(), OracleWriter)
    assert isinstance(env.async_shipstation(), AsyncShipStationReader)
    assert isinstance(env.async_oracle(), AsyncOracleWriter)


@pytest.mark.parametrize(
    ("blocking", "awaited"),
    [(ShipStationReader, AsyncShipStationReader), (OracleWriter, AsyncOracleWriter)],
)
def test_the_async_protocols_mirror_the_blocking_ones(blocking: type, awaited: type) -> None:
    assert _members(blocking) == _members(awaited)
    for name in _members(blocking):
        method = getattr(awaited, name)
        builds = name.startswith("iter_") or name == "batch_part"  # no I/O of its own
        if not isinstance(method, property) and not builds:
            assert inspect.iscoroutinefunction(method), name


def test_typed_steps_name_the_protocol_method() -> None:
    step = shipstation_call(ShipStationReader.get_order, 7)
    assert step == Call("shipstation", ShipStationReader.get_order, (7,))
    assert step.method == "get_order"
    assert shipstation_list(ShipStationReader.iter_orders, order_number="A1") == Call(
        "shipstation", ShipStationReader.iter_orders, (), {"order_number": "A1"}, collect=True
    )
    step = oracle_call(OracleWriter.find_invoice, "SS-1", business_unit="US1")
    assert step == Call("oracle", OracleWriter.find_invoice, ("SS-1",), {"business_unit": "US1"})
    assert step.method == "find_invoice"


def test_no_job_names_a_client_method_by_string() -> None:
    with pytest.raises(TypeError):
        Call("oracle", "find_invoice", ("SS-1",))  # type: ignore[arg-type]
    sync = Path(__file__).parents[2] / "src" / "ml_connector" / "sync"
    by_name = re.compile(r"""Call\(\s*["'][^"']*["']\s*,\s*["']""")
    for module in sync.glob("*.py"):
        assert not by_name.search(module.read_text(encoding="utf-8")), module.name


def _build(env: Env, job: Any, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "shipstation": env.shipstation(),
        "oracle": env.oracle(),
        "mapping": env.mapping,
        "audit": env.audit,
        "clock": env.clock,
    }
    return job(**{**arguments, **changes})


def test_an_async_client_in_a_blocking_job_is_refused(env: Env) -> None:
    with pytest.raises(ConfigurationError, match="AsyncShipmentSync") as caught:
        _build(env, ShipmentSync, shipstation=env.async_shipstation())
    assert caught.value.setting == "shipstation"
    with pytest.raises(ConfigurationError, match="an async client") as caught:
        _build(env, ShipmentSync, oracle=env.async_oracle())
    assert caught.value.setting == "oracle"


def test_a_blocking_client_in_an_async_job_is_refused(env: Env) -> None:
    with pytest.raises(ConfigurationError, match=r"a blocking client.*use ShipmentSync"):
        _build(env, AsyncShipmentSync, oracle=env.async_oracle())


def test_swapped_clients_are_refused(env: Env) -> None:
    with pytest.raises(ConfigurationError, match="swapped"):
        _build(env, ShipmentSync, shipstation=env.oracle(), oracle=env.shipstation())


def test_a_client_of_another_system_is_refused(env: Env) -> None:
    with pytest.raises(ConfigurationError, match="needs an Oracle Fusion client"):
        _build(env, ShipmentSync, oracle=env.shipstation())
    with pytest.raises(ConfigurationError, match="needs a ShipStation V1 client"):
        _build(env, ShipmentSync, shipstation=object())


def test_a_path_where_the_mapping_belongs_is_refused(env: Env) -> None:
    with pytest.raises(ConfigurationError, match="load_mapping_config") as caught:
        _build(env, ShipmentSync, mapping=Path("mapping.toml"))
    assert caught.value.setting == "mapping"


def test_the_reconcile_functions_check_too(env: Env) -> None:
    window = (DAY_START, DAY_END)
    with pytest.raises(ConfigurationError, match="async client"):
        _build(env, reconcile, shipstation=env.async_shipstation(), window=window)
    coroutine = async_reconcile(
        shipstation=env.async_shipstation(),
        oracle=env.async_oracle(),
        mapping="mapping.toml",  # type: ignore[arg-type]
        audit=env.audit,
        window=window,
    )
    with pytest.raises(ConfigurationError, match="MappingConfig"):
        coroutine.send(None)


@pytest.mark.parametrize("twin", [ShipmentSync, AsyncShipmentSync])
def test_the_twins_take_exactly_the_options_with_their_defaults(twin: type) -> None:
    parameters = dict(inspect.signature(twin.__init__).parameters)
    for name in ("self", "shipstation", "oracle"):
        parameters.pop(name)
    fields = {field.name: field for field in attrs.fields(ShipmentSyncOptions)}
    if twin is ShipmentSync:
        fields.pop("concurrency")  # one request at a time
    assert list(parameters) == [name for name in fields]
    for name, parameter in parameters.items():
        default = fields[name].default
        expected = inspect.Parameter.empty if default is attrs.NOTHING else default
        assert parameter.default == expected, name


def test_options_are_validated_once_when_built(env: Env) -> None:
    with pytest.raises(ConfigurationError, match="negative") as caught:
        ShipmentSyncOptions(mapping=env.mapping, audit=env.audit, overlap=-timedelta(seconds=1))
    assert caught.value.setting == "overlap"
    with pytest.raises(ConfigurationError) as caught:
        ShipmentSyncOptions(mapping=env.mapping, audit=env.audit, chunk_size=0)
    assert caught.value.setting == "chunk_size"
    with pytest.raises(ConfigurationError, match="slim"):
        ShipmentSyncOptions(mapping=env.mapping, audit=env.audit, results="most")  # type: ignore[arg-type]
    options = ShipmentSyncOptions(mapping=env.mapping, audit=env.audit)
    assert options.clock is not None
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        options.job = "other"  # type: ignore[misc]


def _other_job(env: Env, job: Any, **changes: Any) -> Any:
    asynchronous = job.__name__.startswith("Async")
    arguments: dict[str, Any] = {
        "shipstation": env.async_shipstation() if asynchronous else env.shipstation(),
        "oracle": env.async_oracle() if asynchronous else env.oracle(),
        "mapping": env.mapping,
    }
    if "Inventory" in job.__name__:
        arguments |= {
            "inventory": env.async_shipstation_v2() if asynchronous else env.shipstation_v2(),
            "audit": env.audit,
            "baselines": env.checkpoints,
        }
    return job(**{**arguments, **changes})


_OTHER_JOBS = [
    CustomerSync,
    AsyncCustomerSync,
    InventorySync,
    AsyncInventorySync,
    CatalogCheck,
    AsyncCatalogCheck,
]


@pytest.mark.parametrize("job", _OTHER_JOBS)
def test_the_other_jobs_take_the_right_clients(env: Env, job: Any) -> None:
    _other_job(env, job)  # the real clients of the right kind are taken


@pytest.mark.parametrize("job", _OTHER_JOBS)
def test_the_other_jobs_refuse_the_wrong_kind_of_client(env: Env, job: Any) -> None:
    asynchronous = job.__name__.startswith("Async")
    wrong = env.oracle() if asynchronous else env.async_oracle()
    with pytest.raises(ConfigurationError, match=r"use (Async)?\w+, or pass") as caught:
        _other_job(env, job, oracle=wrong)
    assert caught.value.setting == "oracle"
    with pytest.raises(ConfigurationError, match="swapped"):
        _other_job(env, job, shipstation=env.oracle(), oracle=env.shipstation())
    with pytest.raises(ConfigurationError, match="needs a ShipStation V1 client") as caught:
        _other_job(env, job, shipstation=object())
    assert caught.value.setting == "shipstation"


def test_the_catalog_check_needs_products_and_the_item_master(env: Env) -> None:
    class OrdersOnly:  # a ShipStation reader without the product list
        def __getattr__(self, name: str) -> Any:
            if name == "iter_products":
                raise AttributeError(name)
            return getattr(env.shipstation(), name)

    with pytest.raises(ConfigurationError, match="iter_products"):
        _other_job(env, CatalogCheck, shipstation=OrdersOnly())


def test_the_inventory_job_needs_a_v2_client(env: Env) -> None:
    with pytest.raises(ConfigurationError, match="ShipStation V2 client") as caught:
        _other_job(env, InventorySync, inventory=env.shipstation())
    assert caught.value.setting == "inventory"


def test_an_async_annotator_in_a_blocking_customer_job_is_refused(env: Env) -> None:
    class Later:
        async def annotate(self, annotation: Any) -> None:
            return None

    with pytest.raises(ConfigurationError, match="AsyncCustomerSync") as caught:
        _other_job(env, CustomerSync, annotator=Later())
    assert caught.value.setting == "annotator"
    with pytest.raises(ConfigurationError, match="an annotator"):
        _other_job(env, CustomerSync, annotator=object())
