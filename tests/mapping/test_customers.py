"""Customer matching in the documented order, and the alignment plan."""

from __future__ import annotations

import attrs

from ml_connector.mapping import (
    Ambiguous,
    CustomerDirectory,
    Matched,
    MatchRule,
    Unmatched,
    match_customer,
    normalise_email,
    plan_customer_alignment,
)
from ml_connector.oracle.models import CustomerAccount, CustomerAccountSite, Party, PartyType
from ml_connector.shipstation.models import Address

from ._builders import item, order, retailer_config

CONFIG = retailer_config()
ITEMS = [item(1, "MUG", 1, "12.00")]


def _site(number: str, account: str) -> CustomerAccountSite:
    return CustomerAccountSite(
        bill_to_site_use_id=1, bill_to_site_number=number, account_number=account
    )


DIRECTORY = CustomerDirectory.build(
    accounts=[
        CustomerAccount(
            account_number="20001",
            customer_name="Pat Lee",
            customer_id=1,
            sites=[_site("20001-B", "20001")],
        ),
        CustomerAccount(
            account_number="20002",
            customer_name="Lee Outdoor LLC",
            customer_id=2,
            sites=[_site("20002-A", "20002"), _site("20002-B", "20002")],
        ),
        CustomerAccount(account_number="20003", customer_name="Someone Else", customer_id=3),
        CustomerAccount(account_number="12345", customer_name="Order Field Co", customer_id=4),
    ],
    parties=[
        Party(
            party_number="P1",
            party_type=PartyType.PERSON,
            party_id=1,
            email_address="pat@example.com",
        ),
        Party(
            party_number="P2",
            party_type=PartyType.ORGANIZATION,
            party_id=2,
            email_address="shared@example.com",
        ),
        Party(
            party_number="P3",
            party_type=PartyType.ORGANIZATION,
            party_id=3,
            email_address="Shared@Example.com ",
        ),
    ],
)


def test_normalise_email_trims_and_case_folds() -> None:
    assert normalise_email("  Pat.Lee@Example.COM ") == "pat.lee@example.com"
    assert normalise_email("not an email") is None
    assert normalise_email("") is None


def test_explicit_customer_id_mapping_wins_over_everything() -> None:
    result = match_customer(
        order(ITEMS, customer_id=5001, custom_field1="12345"), CONFIG, DIRECTORY
    )
    assert result == Matched(
        "10050",
        "10050-HQ",
        MatchRule.EXPLICIT_CUSTOMER_ID,
        "customerId 5001 is mapped to account 10050; bill-to site 10050-HQ from the configuration",
    )


def test_account_number_carried_on_the_order_comes_second() -> None:
    result = match_customer(order(ITEMS, customer_id=77, custom_field1="12345"), CONFIG, DIRECTORY)
    assert isinstance(result, Matched)
    assert (result.account_number, result.rule) == ("12345", MatchRule.ORDER_FIELD)


def test_account_number_on_the_order_that_oracle_lacks_is_unmatched_not_guessed() -> None:
    result = match_customer(order(ITEMS, customer_id=77, custom_field1="99999"), CONFIG, DIRECTORY)
    assert isinstance(result, Unmatched)
    assert "99999" in result.reason


def test_values_not_shaped_like_an_account_number_are_ignored() -> None:
    result = match_customer(order(ITEMS, customer_id=77, custom_field1="gift"), CONFIG, DIRECTORY)
    assert isinstance(result, Matched)
    assert result.rule is MatchRule.EMAIL


def test_email_match_uses_the_normalised_email_and_the_only_site() -> None:
    result = match_customer(
        order(ITEMS, customer_id=77, email=" PAT@example.com"), CONFIG, DIRECTORY
    )
    assert isinstance(result, Matched)
    assert (result.account_number, result.bill_to_site, result.rule) == (
        "20001",
        "20001-B",
        MatchRule.EMAIL,
    )


def test_email_shared_by_accounts_is_ambiguous_unless_the_name_singles_one_out() -> None:
    shared = order(ITEMS, customer_id=77, email="shared@example.com", store_id=None)
    result = match_customer(shared, CONFIG, DIRECTORY)
    assert isinstance(result, Ambiguous)
    assert result.candidates == ("20002", "20003")
    named = order(
        ITEMS,
        customer_id=77,
        email="shared@example.com",
        bill_to=Address(name="Pat", company="  lee outdoor   llc"),
    )
    result = match_customer(named, CONFIG, DIRECTORY)
    assert isinstance(result, Matched)
    assert result.account_number == "20002"
    assert result.bill_to_site is None  # two sites: Oracle defaults the primary one
    assert "2 bill-to sites" in result.detail


def test_masked_marketplace_email_falls_through_to_the_store_default() -> None:
    amazon = order(ITEMS, customer_id=77, email="abc123@marketplace.amazon.com", store_id=2002)
    result = match_customer(amazon, CONFIG, DIRECTORY)
    assert isinstance(result, Matched)
    assert (result.account_number, result.bill_to_site, result.rule) == (
        "40001",
        "40001-BILL",
        MatchRule.STORE_DEFAULT,
    )


def test_unmatched_says_what_was_tried() -> None:
    web = order(ITEMS, customer_id=77, email="new@example.com", store_id=2001)
    result = match_customer(web, CONFIG, DIRECTORY)
    assert isinstance(result, Unmatched)
    assert "no Oracle account has email new@example.com" in result.reason
    assert "store 2001 has no default account" in result.reason


def test_without_a_directory_email_cannot_match() -> None:
    result = match_customer(order(ITEMS, customer_id=77, store_id=None), CONFIG)
    assert isinstance(result, Unmatched)
    assert "no Oracle customer directory" in result.reason


def test_alignment_plan_in_both_directions() -> None:
    new = order(
        ITEMS,
        order_id=1,
        number="W-1",
        customer_id=801,
        email="new@example.com",
        bill_to=Address(name="Sam Q Public"),
    )
    new_again = order(ITEMS, order_id=2, number="W-2", customer_id=801, email="new@example.com")
    by_email = order(ITEMS, order_id=3, number="W-3", customer_id=802)
    explicit = order(ITEMS, order_id=4, number="W-4", customer_id=5001, email="ops@acme.test")
    masked = order(
        ITEMS, order_id=5, number="E-5", customer_id=803, email="x@members.ebay.com", store_id=2001
    )
    shared = order(ITEMS, order_id=6, number="W-6", customer_id=804, email="shared@example.com")
    pairs = [
        (o, match_customer(o, CONFIG, DIRECTORY))
        for o in (new, new_again, by_email, explicit, masked, shared)
    ]
    plan = plan_customer_alignment(pairs, CONFIG, DIRECTORY)
    assert len(plan.create) == 1
    proposal = plan.create[0]
    assert proposal.order_numbers == ("W-1", "W-2")
    assert proposal.party.party_type is PartyType.PERSON
    assert (proposal.party.first_name, proposal.party.last_name) == ("Sam Q", "Public")
    assert proposal.party.email_address == "new@example.com"
    assert [(a.order_id, a.field, a.account_number) for a in plan.annotate] == [
        (3, "custom_field2", "20001")
    ]
    assert [(e.account_number, e.email) for e in plan.enrich] == [("10050", "ops@acme.test")]
    assert plan.needs_store_default == (2001,)
    assert [number for number, _ in plan.ambiguous] == ["W-6"]


def test_annotation_already_recorded_is_not_repeated() -> None:
    done = order(ITEMS, order_id=3, customer_id=802)
    options = attrs.evolve(done.advanced_options, custom_field2="20001")
    done = attrs.evolve(done, advanced_options=options)
    plan = plan_customer_alignment(
        [(done, match_customer(done, CONFIG, DIRECTORY))], CONFIG, DIRECTORY
    )
    assert plan.annotate == ()


def test_organisation_party_when_the_bill_to_has_a_company() -> None:
    o = order(
        ITEMS,
        customer_id=901,
        email="buyer@corp.test",
        bill_to=Address(name="Kim", company="Corp Ltd"),
    )
    plan = plan_customer_alignment([(o, match_customer(o, CONFIG, DIRECTORY))], CONFIG)
    assert plan.create[0].party.party_type is PartyType.ORGANIZATION
    assert plan.create[0].party.organization_name == "Corp Ltd"


def _unavailable(*keys: str) -> CustomerDirectory:
    return attrs.evolve(DIRECTORY, unavailable=frozenset(keys))


def test_an_email_oracle_could_not_be_asked_about_never_falls_to_the_store_default() -> None:
    amazon_store_with_real_email = order(
        ITEMS, customer_id=77, email=" Pat@Example.com", store_id=2002
    )
    assert isinstance(
        match_customer(amazon_store_with_real_email, CONFIG, DIRECTORY), Matched
    )  # with the look-up answered, the email rule matches
    result = match_customer(amazon_store_with_real_email, CONFIG, _unavailable("pat@example.com"))
    assert isinstance(result, Unmatched)
    assert result.lookup_failed
    assert "could not be asked about email pat@example.com" in result.reason


def test_an_order_field_account_oracle_could_not_be_asked_about_is_a_failed_lookup() -> None:
    result = match_customer(
        order(ITEMS, customer_id=77, custom_field1="12345"), CONFIG, _unavailable("12345")
    )
    assert isinstance(result, Unmatched)
    assert result.lookup_failed
    plain = match_customer(order(ITEMS, customer_id=77, custom_field1="99999"), CONFIG, DIRECTORY)
    assert isinstance(plain, Unmatched)
    assert not plain.lookup_failed


def test_alignment_proposes_nothing_for_a_customer_whose_lookup_failed() -> None:
    directory = _unavailable("new@example.com")
    web = order(ITEMS, order_id=7, number="W-7", customer_id=77, email="new@example.com")
    match = match_customer(web, CONFIG, directory)
    plan = plan_customer_alignment([(web, match)], CONFIG, directory)
    assert plan.create == ()
    assert [number for number, _ in plan.lookup_failed] == ["W-7"]


def test_directory_build_normalises_unavailable_emails() -> None:
    directory = CustomerDirectory.build([], unavailable=[" Pat@Example.COM", "12345"])
    assert directory.unavailable == frozenset({"pat@example.com", "12345"})
