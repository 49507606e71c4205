"""The offline classifier: what pages are about, with scores and keywords."""

from __future__ import annotations

import pytest
from benchmarks.classify import SETS, accuracy, read_pages
from hypothesis import given
from hypothesis import strategies as st

from promovolve.context.classifier import Classifier, build_lexicon, default_classifier
from promovolve.context.taxonomy import load


def test_a_sports_page_reads_as_sports_and_its_sport() -> None:
    result = default_classifier().classify(
        "Lakers edge Celtics", "", "The basketball game went to overtime; the team won."
    )
    ids = [c.category.id for c in result.categories]
    assert ids[0] == "483"
    assert "547" in ids  # Basketball
    assert result.categories[0].tier1.name == "Sports"
    assert "celtics" in result.keywords


def test_the_title_weighs_more_than_the_text() -> None:
    classifier = default_classifier()
    text = "A recipe for the team's dinner."
    assert classifier.classify("", "", text).categories[0].category.id == "210"
    titled = classifier.classify("Football season preview: the team and its coach", "", text)
    assert titled.categories[0].category.id == "483"


def test_a_page_without_topic_words_has_no_categories() -> None:
    result = default_classifier().classify("", "", "the of and to a in")
    assert result.categories == ()
    assert result.keywords == ()


def test_the_lexicon_refuses_terms_it_could_never_match() -> None:
    with pytest.raises(ValueError, match="more than two words"):
        build_lexicon(load(), "483\tone two three\n")


def test_lexicon_weights_count() -> None:
    taxonomy = load()
    light = Classifier(taxonomy, build_lexicon(taxonomy, "483\tzork\n1\tzork:3\n"))
    assert light.classify("", "", "zork").categories[0].category.id == "1"


@given(st.text(max_size=400), st.text(max_size=100))
def test_scores_are_shares_best_first_and_ancestors_score_at_least_their_children(
    text: str, title: str
) -> None:
    result = default_classifier().classify(title, "", text)
    scores = [c.score for c in result.categories]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)
    by_id = {c.category.id: c.score for c in result.categories}
    for scored in result.categories:
        for ancestor in scored.category.path[:-1]:
            if ancestor in by_id:
                assert by_id[ancestor] >= scored.score


@pytest.mark.parametrize(("name", "floor"), [("tuning", 0.9), ("heldout", 0.8)])
def test_tier1_accuracy_on_the_labeled_pages(name: str, floor: float) -> None:
    pages = read_pages(SETS[name])
    assert len(pages) >= 120
    per_tier1: dict[str, int] = {}
    for page in pages:
        per_tier1[page.tier1_id] = per_tier1.get(page.tier1_id, 0) + 1
    assert min(per_tier1.values()) >= 5
    result = accuracy(default_classifier(), pages)
    assert isinstance(result["top1"], float)
    assert result["top1"] >= floor


def test_no_labeled_page_is_read_as_a_sensitive_topic() -> None:
    classifier = default_classifier()
    taxonomy = classifier.taxonomy
    for name in SETS:
        for page in read_pages(SETS[name]):
            result = classifier.classify(page.title, "", page.text)
            flagged = [
                c.category.name for c in result.categories if taxonomy.is_sensitive(c.category)
            ]
            assert flagged == [], (page.title, flagged)


def test_curated_terms_read_a_page_as_a_sensitive_topic() -> None:
    result = default_classifier().classify("", "", "Rifles, pistols and ammunition for sale.")
    assert "avbNf2" in {c.category.id for c in result.categories}  # Arms & Ammunition
    adult_learners = default_classifier().classify("", "", "Courses for adult learners.")
    assert all(c.tier1.id != "v9i3On" for c in adult_learners.categories)
