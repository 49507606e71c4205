"""A page's terms: categories spelled as ids and names, with their ancestors."""

from __future__ import annotations

from promovolve.context.matching import page_terms, unknown_ids
from promovolve.context.taxonomy import load


def test_a_category_brings_its_ancestors_ids_and_names() -> None:
    terms, sensitive = page_terms(load(), ("547",))
    assert {"547", "basketball", "483", "sports"} <= terms
    assert sensitive == ()


def test_a_name_is_read_as_its_category_and_free_terms_stay_themselves() -> None:
    terms, _ = page_terms(load(), ("Basketball", "derby-day"))
    assert {"547", "483", "sports", "derby-day"} <= terms


def test_each_sensitive_topic_is_one_entry_without_its_bare_ancestor() -> None:
    taxonomy = load()
    _, sensitive = page_terms(taxonomy, ("v9i3On", "avbNf2", "8FD8nI", "483"))
    assert len(sensitive) == 2
    assert all({"v9i3on", "sensitive topics"} <= topic for topic in sensitive)
    assert {next(iter(t & {"avbnf2", "8fd8ni"})) for t in sensitive} == {"avbnf2", "8fd8ni"}
    _, only_tier1 = page_terms(taxonomy, ("Sensitive Topics",))
    assert only_tier1 == (frozenset({"v9i3on", "sensitive topics"}),)


def test_unknown_ids_are_all_digit_terms_outside_the_taxonomy() -> None:
    assert unknown_ids(load(), ["483", "99999", "sports", "mp3"]) == ["99999"]
