"""Compiled decoders store slots directly only where the class's __init__ does nothing else."""

from __future__ import annotations

import attrs
import pytest

from ml_connector.shipstation import Address, Order, Shipment
from ml_connector.shipstation._converter import _Compiler, _slot_setters


@attrs.frozen(kw_only=True)
class _Validated:
    code: str = attrs.field(validator=attrs.validators.min_len(2))


@attrs.frozen(kw_only=True)
class _Converted:
    code: str = attrs.field(converter=str.upper)


@attrs.frozen(kw_only=True)
class _PostInit:
    code: str

    def __attrs_post_init__(self) -> None:
        raise ValueError("post-init ran")


@attrs.define(kw_only=True, slots=False)
class _Dict:
    code: str


def test_plain_frozen_models_are_built_by_slot_stores() -> None:
    for cls in (Address, Order, Shipment):
        assert _slot_setters(cls, attrs.fields(cls)) is not None


def test_classes_whose_init_does_more_are_called() -> None:
    for cls in (_Validated, _Converted, _PostInit, _Dict):
        assert _slot_setters(cls, attrs.fields(cls)) is None


def test_a_compiled_decoder_still_runs_validators_converters_and_post_init() -> None:
    hook = _Compiler.for_version(False).hook
    with pytest.raises(ValueError, match="Length of 'code'"):
        hook(_Validated)({"code": "x"}, _Validated)
    assert hook(_Converted)({"code": "ab"}, _Converted).code == "AB"
    with pytest.raises(ValueError, match="post-init ran"):
        hook(_PostInit)({"code": "ab"}, _PostInit)


def test_slot_built_records_equal_constructed_ones() -> None:
    data = {"name": "Pat", "city": "Austin", "residential": True}
    decoded = _Compiler.for_version(True).hook(Address)(data, Address)
    assert decoded == Address(name="Pat", city="Austin", residential=True)
    assert repr(decoded) == repr(Address(name="Pat", city="Austin", residential=True))
    assert hash(decoded) == hash(Address(name="Pat", city="Austin", residential=True))
