"""The shipped Content Taxonomy 3.0: every row loads, with its place in the tree."""

from __future__ import annotations

from importlib import resources

import pytest

from promovolve.context.taxonomy import SENSITIVE_TOPICS_ID, Taxonomy, load, parse


def test_every_row_of_the_published_file_loads() -> None:
    taxonomy = load()
    assert len(taxonomy) == 703  # every non-blank row of the published file
    assert all(taxonomy[c.parent_id] for c in taxonomy if c.parent_id is not None)


def test_a_category_knows_its_path_from_tier1() -> None:
    taxonomy = load()
    basketball = taxonomy["547"]
    assert basketball.name == "Basketball"
    assert basketball.path == ("483", "547")
    assert basketball.tier == 2
    assert taxonomy.tier1(basketball).name == "Sports"


def test_ids_match_without_case_and_names_are_found() -> None:
    taxonomy = load()
    assert taxonomy.get("jlbcu7") is taxonomy["JLBCU7"]
    assert taxonomy.find("  basketball ") is taxonomy["547"]
    assert taxonomy.find("547") is taxonomy["547"]
    assert taxonomy.find("not a category") is None
    with pytest.raises(KeyError):
        taxonomy["99999"]


def test_sensitive_topics_are_the_subtree_of_sensitive_topics() -> None:
    taxonomy = load()
    sensitive = [c for c in taxonomy if taxonomy.is_sensitive(c)]
    assert taxonomy[SENSITIVE_TOPICS_ID] in sensitive
    assert taxonomy["avbNf2"] in sensitive  # Arms & Ammunition
    assert not taxonomy.is_sensitive(taxonomy["483"])
    assert all(c.tier1_id == SENSITIVE_TOPICS_ID for c in sensitive)


def test_the_licence_and_attribution_ship_with_the_data() -> None:
    notice = resources.files("promovolve.context").joinpath("data", "NOTICE.md").read_text()
    assert "IAB Technology Laboratory" in notice
    assert "Creative Commons Attribution 3.0" in notice


def test_parse_skips_the_header_and_blank_rows() -> None:
    text = "Relational\tx\nUnique ID\tParent\tName\n1\t\tCars\n2\t1\tVans\n\t\t\n"
    taxonomy = Taxonomy(parse(text))
    assert [c.id for c in taxonomy] == ["1", "2"]
    assert taxonomy["2"].path == ("1", "2")
