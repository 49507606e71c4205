"""Eligibility: contextual targeting, publisher blocklists, slot fit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.eligibility import creative_can_run, fits_slot, is_blocked, matches_context
from promovolve.domain.model import Campaign, Creative, CreativeStatus, PageContext


def campaign(categories: set[str] | None = None, keywords: set[str] | None = None) -> Campaign:
    return Campaign(
        id="c1",
        advertiser_id="a1",
        name="Spring sale",
        daily_budget_micros=30_000_000,
        cpm_micros=2_500_000,
        categories=frozenset(categories or ()),
        keywords=frozenset(keywords or ()),
    )


def page(categories: set[str] | None = None, keywords: set[str] | None = None) -> PageContext:
    return PageContext(
        url="https://news.example/article",
        categories=frozenset(categories or ()),
        keywords=frozenset(keywords or ()),
    )


def creative(
    landing_url: str = "https://shop.example.com/sale",
    width: int = 300,
    height: int = 250,
    status: CreativeStatus = CreativeStatus.ACTIVE,
) -> Creative:
    return Creative(
        id="cr1",
        campaign_id="c1",
        advertiser_id="a1",
        asset_url="https://cdn.example/cr1.png",
        landing_url=landing_url,
        width=width,
        height=height,
        status=status,
    )


# -- targeting ---------------------------------------------------------------------------------
def test_untargeted_campaign_matches_any_page():
    assert matches_context(campaign(), page())
    assert matches_context(campaign(), page({"sports"}, {"football"}))


def test_category_overlap_matches():
    assert matches_context(campaign({"sports", "travel"}), page({"travel", "food"}))


def test_keyword_overlap_matches():
    assert matches_context(campaign(keywords={"running", "shoes"}), page(keywords={"shoes"}))


def test_either_category_or_keyword_is_enough():
    target = campaign({"sports"}, {"shoes"})
    assert matches_context(target, page({"sports"}, {"politics"}))
    assert matches_context(target, page({"finance"}, {"shoes"}))


def test_targeted_campaign_needs_an_overlap():
    target = campaign({"sports"}, {"shoes"})
    assert not matches_context(target, page({"finance"}, {"stocks"}))
    assert not matches_context(target, page())


@settings(deadline=None)
@given(
    st.frozensets(st.sampled_from("abcdef")),
    st.frozensets(st.sampled_from("abcdef")),
    st.frozensets(st.sampled_from("ghijkl")),
    st.frozensets(st.sampled_from("ghijkl")),
)
def test_targeting_rule(
    camp_cats: frozenset[str],
    page_cats: frozenset[str],
    camp_keys: frozenset[str],
    page_keys: frozenset[str],
):
    expected = (not camp_cats and not camp_keys) or bool(
        camp_cats & page_cats or camp_keys & page_keys
    )
    assert (
        matches_context(
            campaign(set(camp_cats), set(camp_keys)), page(set(page_cats), set(page_keys))
        )
        is expected
    )


@settings(deadline=None)
@given(
    st.frozensets(st.sampled_from("abcdef")),
    st.frozensets(st.sampled_from("abcdef")),
    st.frozensets(st.sampled_from("abcdef")),
    st.frozensets(st.sampled_from("ghijkl")),
    st.frozensets(st.sampled_from("ghijkl")),
    st.lists(st.frozensets(st.sampled_from("abcdef"), min_size=1), max_size=3),
)
def test_exclusions_and_sensitive_topics_only_ever_rule_out(
    camp_cats: frozenset[str],
    excluded: frozenset[str],
    page_cats: frozenset[str],
    excluded_keys: frozenset[str],
    page_keys: frozenset[str],
    sensitive: list[frozenset[str]],
):
    plain = campaign(set(camp_cats))
    strict = replace(plain, excluded_categories=excluded, excluded_keywords=excluded_keys)
    the_page = replace(page(set(page_cats), set(page_keys)), sensitive=tuple(sensitive))
    allowed = matches_context(strict, the_page)
    if allowed:
        assert matches_context(plain, replace(the_page, sensitive=()))
    if excluded & page_cats or excluded_keys & page_keys:
        assert not allowed
    if any(not camp_cats & topic for topic in sensitive):
        assert not allowed


def test_an_excluded_category_or_keyword_rules_the_campaign_out():
    target = replace(
        campaign({"sports"}),
        excluded_categories=frozenset({"boxing"}),
        excluded_keywords=frozenset({"ko"}),
    )
    assert matches_context(target, page({"sports"}))
    assert not matches_context(target, page({"sports", "boxing"}))
    assert not matches_context(target, page({"sports"}, {"ko"}))


def test_a_sensitive_page_needs_an_opt_in_to_each_of_its_topics():
    guns = frozenset({"avbnf2", "arms & ammunition", "v9i3on", "sensitive topics"})
    terror = frozenset({"8fd8ni", "terrorism", "v9i3on", "sensitive topics"})
    on_guns = replace(page(set(guns)), sensitive=(guns,))
    assert not matches_context(campaign(), on_guns)  # untargeted is not opted in
    assert matches_context(campaign({"arms & ammunition"}), on_guns)
    assert matches_context(campaign({"v9i3on"}), on_guns)  # every sensitive topic
    both = replace(on_guns, sensitive=(guns, terror))
    assert not matches_context(campaign({"avbnf2"}), both)
    assert matches_context(campaign({"avbnf2", "terrorism"}), both)


# -- blocklist ---------------------------------------------------------------------------------
def test_blocked_domain_and_its_subdomains():
    blocklist = {"example.com"}
    assert is_blocked("example.com", blocklist)
    assert is_blocked("shop.example.com", blocklist)
    assert is_blocked("a.b.shop.example.com", blocklist)


def test_blocklist_is_not_a_suffix_string_match():
    blocklist = {"example.com"}
    assert not is_blocked("badexample.com", blocklist)
    assert not is_blocked("example.com.evil.net", blocklist)
    assert not is_blocked("example.org", blocklist)


def test_blocking_a_subdomain_leaves_the_parent_alone():
    blocklist = {"ads.example.com"}
    assert not is_blocked("example.com", blocklist)
    assert not is_blocked("shop.example.com", blocklist)
    assert is_blocked("x.ads.example.com", blocklist)


def test_empty_blocklist_or_domain_blocks_nothing():
    assert not is_blocked("example.com", set())
    assert not is_blocked("", {"example.com"})


# -- slot fit and the creative as a whole ------------------------------------------------------
def test_fits_slot_needs_the_exact_size():
    assert fits_slot(creative(width=300, height=250), 300, 250)
    assert not fits_slot(creative(width=300, height=250), 250, 300)
    assert not fits_slot(creative(width=300, height=250), 728, 90)


def test_creative_can_run():
    assert creative_can_run(creative(), 300, 250, set())
    assert not creative_can_run(creative(), 728, 90, set())
    assert not creative_can_run(creative(status=CreativeStatus.PAUSED), 300, 250, set())
    assert not creative_can_run(creative(), 300, 250, {"example.com"})
    assert creative_can_run(creative(), 300, 250, {"other.com"})


@pytest.mark.parametrize(
    "landing_url",
    [
        "https://example.com/",
        "https://SHOP.Example.COM/sale",
        "http://shop.example.com:8080/x?y=1",
        "https://user@shop.example.com./path",
    ],
)
def test_landing_domain_is_normalized_before_blocking(landing_url: str):
    assert not creative_can_run(creative(landing_url=landing_url), 300, 250, {"example.com"})
