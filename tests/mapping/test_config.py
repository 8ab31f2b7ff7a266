"""Loading the mapping configuration: valid files load, every problem is reported at once."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector import ConfigurationError, MappingError
from ml_connector.mapping import (
    AccountPurpose,
    MappingConfig,
    MappingConfigError,
    account_for,
    load_mapping_config,
)

from ._builders import CONFIG_PATH, retailer_config


def _data() -> dict[str, Any]:
    return tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(MappingConfigError) as caught:
        MappingConfig.from_dict(data)
    return [str(p) for p in caught.value.problems]


def test_retailer_configuration_loads_with_its_values() -> None:
    config = retailer_config()
    assert sorted(config.warehouses) == ["16079", "16080", "16081"]
    assert config.warehouses["16081"].business_unit == "US2 Business Unit"
    assert config.receivables.minor_unit == 2
    assert config.stores["2002"].customer_account == "40001"
    assert config.customers.by_customer_id["5001"] == ("10050", "10050-HQ")
    assert config.inventory_locations["se-300"] == ("16081", "STORES")


def test_account_combinations_compose_from_the_template_with_the_cost_center() -> None:
    config = retailer_config()
    assert account_for(config, AccountPurpose.REVENUE, "16079") == "01-1100-401000-000-00"
    # The eBay store overrides the product segment and the revenue account.
    assert account_for(config, AccountPurpose.REVENUE, "16080", "2003") == "01-1200-401300-300-00"
    # Allentown belongs to company 02.
    assert account_for(config, AccountPurpose.RECEIVABLE, "16081") == "02-1300-121000-000-00"


def test_discount_falls_back_to_revenue_when_not_configured() -> None:
    data = _data()
    del data["accounts"]["discount"]
    config = MappingConfig.from_dict(data)
    assert account_for(config, AccountPurpose.DISCOUNT, "16079") == account_for(
        config, AccountPurpose.REVENUE, "16079"
    )


def test_every_problem_is_reported_at_once_with_its_key_path() -> None:
    data = _data()
    data["warehouses"]["16079"]["colour"] = "blue"  # unknown key
    data["warehouses"]["reno"] = {"business_unit": "X"}  # unknown warehouse key
    del data["warehouses"]["16080"]["cost_center"]
    del data["accounts"]["tax"]  # missing account
    data["warehouses"]["16081"]["segments"] = {"company": "2"}  # malformed: length 1 of 2
    data["receivables"]["currency"] = "US$"  # bad currency
    data["stores"]["2003"]["accounts"]["revenue"]["account"] = "40-130"  # has the delimiter
    problems = _problems(data)
    expected = [
        # The shared TOML checker names the keys it knows.
        "warehouses.16079.colour: unknown key (expected one of: accounts, business_unit, ",
        "warehouses.reno: unknown warehouse key: use the numeric ShipStation warehouseId",
        "warehouses.16080.cost_center: missing",
        "accounts.tax: missing",
        "receivables.currency: 'US$' is not an ISO 4217 code",
    ]
    for line in expected:
        assert any(problem.startswith(line) for problem in problems), line
    assert any(
        p.startswith("warehouses.16081: accounts.revenue.company") and "2 characters" in p
        for p in problems
    )
    assert any("stores.2003: accounts.revenue.account" in p and "delimiter" in p for p in problems)
    assert len(problems) >= len(expected) + 2


def test_the_error_is_a_configuration_error_listing_the_problems() -> None:
    data = _data()
    del data["receivables"]["payment_terms"]
    with pytest.raises(ConfigurationError) as caught:
        MappingConfig.from_dict(data)
    assert "receivables.payment_terms: missing" in str(caught.value)
    assert "1 problem" in str(caught.value)


def test_cost_center_is_set_by_name_not_as_a_hand_typed_segment() -> None:
    data = _data()
    data["warehouses"]["16079"]["segments"] = {"cost_center": "9999"}
    problems = _problems(data)
    assert (
        "warehouses.16079.segments.cost_center: set the cost center with a cost_center key, "
        "not a segment" in problems
    )


def test_unknown_segment_and_purpose_names_are_refused() -> None:
    data = _data()
    data["accounts"]["revenue"] = {"acount": "401000"}
    data["accounts"]["royalties"] = {"account": "409000"}
    problems = _problems(data)
    assert any(p.startswith("accounts.revenue.acount: is not a segment") for p in problems)
    assert any(p.startswith("accounts.royalties: unknown account purpose") for p in problems)


def test_currency_without_a_known_minor_unit_needs_one() -> None:
    data = _data()
    data["receivables"]["currency"] = "XAU"
    assert any("set receivables.minor_unit" in p for p in _problems(data))
    data["receivables"]["minor_unit"] = 0
    assert MappingConfig.from_dict(data).receivables.minor_unit == 0


def test_japanese_yen_has_no_minor_unit() -> None:
    data = _data()
    data["receivables"]["currency"] = "JPY"
    assert MappingConfig.from_dict(data).receivables.minor_unit == 0


def test_posting_keys_must_fit_the_configured_length() -> None:
    data = _data()
    data["posting_keys"] = {"invoice": "SHIPSTATION-{shipment_id}"}
    problems = _problems(data)
    assert any(p.startswith("posting_keys.invoice: renders up to 22 characters") for p in problems)
    data["posting_keys"]["max_length"] = 30
    config = MappingConfig.from_dict(data)
    assert config.posting_keys.render("invoice", shipment_id=1) == "SHIPSTATION-1"


def test_posting_keys_need_their_unique_part_and_known_placeholders() -> None:
    data = _data()
    data["posting_keys"] = {
        "invoice": "SS{order_number}",
        "inventory": "SS{shipment_id}",
        "adjustment": "A{shipment_id}",
        "credit_memo": "SS{shipment_id}",
    }
    problems = _problems(data)
    assert (
        "posting_keys.invoice: must contain {shipment_id} so that every key is unique" in problems
    )
    assert any(p.startswith("posting_keys.inventory: must contain {line}") for p in problems)
    assert any(p.startswith("posting_keys.adjustment: unknown placeholder") for p in problems)


def test_credit_memo_key_must_differ_from_the_invoice_key() -> None:
    data = _data()
    data["posting_keys"] = {"credit_memo": "SS{shipment_id}"}
    assert "posting_keys.credit_memo: must differ from posting_keys.invoice" in _problems(data)


def test_default_keys_fit_oracle_transaction_number_for_ten_digit_ids() -> None:
    keys = retailer_config().posting_keys
    assert keys.max_length == 20
    for kind in ("invoice", "credit_memo", "inventory", "inventory_reversal"):
        rendered = keys.render(
            kind, shipment_id=4_294_967_295, line=999, order_id=1, order_number="x", warehouse_id=1
        )
        assert len(rendered) <= 20


def test_a_key_over_the_limit_at_mapping_time_is_a_mapping_error() -> None:
    keys = retailer_config().posting_keys
    with pytest.raises(MappingError) as caught:
        keys.render("invoice", record="shipment 1", shipment_id="9" * 30)
    assert caught.value.field == "posting_keys.invoice"


def test_time_zone_basis_needs_a_real_zone() -> None:
    data = _data()
    data["dates"] = {"basis": "zone", "zone": "Pacific/Nowhere"}
    assert any(
        p.startswith("dates.zone: 'Pacific/Nowhere' is not a known") for p in _problems(data)
    )
    data["dates"] = {"basis": "zone"}
    assert any(p.startswith("dates.zone: missing") for p in _problems(data))
    data["dates"] = {"basis": "zone", "zone": "America/Los_Angeles"}
    assert MappingConfig.from_dict(data).dates.zone == "America/Los_Angeles"


def test_inventory_locations_must_name_mapped_warehouses() -> None:
    data = _data()
    data["inventory_locations"]["se-999"] = "99999"
    assert "inventory_locations.se-999.warehouse: 99999 is not a mapped warehouse" in _problems(
        data
    )


def test_unmapped_warehouse_raises_naming_warehouse_and_shipment() -> None:
    config = retailer_config()
    with pytest.raises(MappingError) as caught:
        config.warehouse(77777, record="shipment 123")
    assert caught.value.field == "warehouse_id"
    assert caught.value.record == "shipment 123"
    assert "77777" in str(caught.value)
    assert "shipment 123" in str(caught.value)


def test_invalid_toml_and_unreadable_file_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(MappingConfigError, match="not valid TOML"):
        MappingConfig.from_toml("[segments\n")
    with pytest.raises(MappingConfigError, match="cannot read"):
        load_mapping_config(tmp_path / "missing.toml")


def test_empty_document_lists_every_missing_section() -> None:
    problems = _problems({})
    assert "segments: missing" in problems
    assert "receivables: missing" in problems
    assert "warehouses: missing: map at least one ShipStation warehouse" in problems
    assert "accounts.revenue: missing" in problems


def test_configuration_is_frozen() -> None:
    config = retailer_config()
    with pytest.raises(AttributeError):
        config.receivables = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.warehouses["1"] = config.warehouses["16079"]  # type: ignore[index]


def test_the_configuration_shown_in_the_docs_loads() -> None:
    import re

    text = (CONFIG_PATH.parents[2] / "docs" / "mapping.md").read_text(encoding="utf-8")
    block = re.findall(r"```toml\n(.*?)```", text, re.S)[0]
    config = MappingConfig.from_toml(block)
    assert account_for(config, AccountPurpose.REVENUE, "16079", "2002") == "02-2100-401100-200-00"
    assert config.inventory_locations["se-101"] == ("16079", "RETURNS")


def test_a_bad_cost_center_is_reported_once_where_it_is_set() -> None:
    data = _data()
    data["stores"]["2002"]["cost_center"] = "21"
    problems = _problems(data)
    assert problems.count("stores.2002.cost_center: value '21' must be 4 characters long") == 1
    assert not any("accounts.revenue.cost_center" in p for p in problems)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    return found


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 99999) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_loading_raises_only_mapping_config_error_on_any_document(data: st.DataObject) -> None:
    document = _data()
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(document)))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = data.draw(json_values | st.just("{shipment_id:q}"))
    problems: tuple[Any, ...] = ()
    try:
        MappingConfig.from_dict(document)
    except MappingConfigError as exc:
        problems = exc.problems
        assert problems, "an error must list at least one problem"
    assert all(isinstance(p.path, str) for p in problems)


def test_the_inventory_organization_says_whether_it_is_a_code_or_a_name() -> None:
    data = _data()
    reno = data["warehouses"]["16079"]
    del reno["inventory_organization"]
    reno["inventory_organization_name"] = "Reno Distribution Center"
    data["warehouses"]["16080"]["inventory_organization_code"] = data["warehouses"]["16080"].pop(
        "inventory_organization"
    )
    config = MappingConfig.from_dict(data)
    assert config.warehouses["16079"].inventory_organization_kind == "name"
    assert config.warehouses["16080"].inventory_organization_kind == "code"
    # The plain key, as in the docs' example ("RNO"), is a code.
    assert config.warehouses["16081"].inventory_organization_kind == "code"
    reno["inventory_organization_code"] = "RNO"
    del data["warehouses"]["16081"]["inventory_organization"]
    problems = _problems(data)
    assert any(p.startswith("warehouses.16079: give one of") for p in problems)
    assert any(
        p.startswith("warehouses.16081.inventory_organization_code: missing") for p in problems
    )
