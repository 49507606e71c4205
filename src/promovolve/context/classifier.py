"""Offline page classification into the Content Taxonomy: weighted term matching.

Every category has terms: its own name (and the parts of a name like "Cats & Dogs") and,
for the categories advertisers target, a hand-written lexicon shipped as package data. A
page's title, description and text are tokenised; each matched term adds its weight (more
for the title, then the description) to its category and so to every ancestor. Repeated
terms count sub-linearly, so one word said many times cannot carry a page. Scores are
shares of the page's total, so they are comparable across pages.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from promovolve.context.taxonomy import Category, Taxonomy, load
from promovolve.context.text import STOPWORDS, keywords, tokens

LEXICON_FILE = "lexicon.tsv"
# Tier-1 groups that say how content is made, not what it is about.
NOT_TOPICS = frozenset({"SPSHQ5"})
TITLE_BOOST = 3.0
DESCRIPTION_BOOST = 2.0
NAME_WEIGHT = 1.0
LEXICON_WEIGHT = 1.0
MIN_SHARE = 0.08
MAX_CATEGORIES = 10
_NAME_PARTS = re.compile(r"\s*(?:&|,|/|\band\b)\s*")


@dataclass(frozen=True, slots=True)
class ScoredCategory:
    category: Category
    tier1: Category
    score: float


@dataclass(frozen=True, slots=True)
class Classification:
    categories: tuple[ScoredCategory, ...]
    keywords: tuple[str, ...]

    def ids(self) -> frozenset[str]:
        return frozenset(c.category.id for c in self.categories)


Lexicon = Mapping[str, tuple[tuple[str, float], ...]]


class Classifier:
    def __init__(self, taxonomy: Taxonomy, lexicon: Lexicon) -> None:
        self.taxonomy = taxonomy
        self.lexicon = lexicon

    def classify(self, title: str = "", description: str = "", text: str = "") -> Classification:
        frequency: dict[str, float] = defaultdict(float)
        words: list[str] = []
        for field, boost in ((title, TITLE_BOOST), (description, DESCRIPTION_BOOST), (text, 1.0)):
            field_words = tokens(field)
            words.extend(field_words)
            for term in _terms(field_words):
                if term in self.lexicon:
                    frequency[term] += boost
        scores: dict[str, float] = defaultdict(float)
        for term, tf in frequency.items():
            evidence = math.log1p(tf)
            for category_id, weight in self.lexicon[term]:
                for ancestor in self.taxonomy[category_id].path:
                    scores[ancestor] += weight * evidence
        total = sum(s for cid, s in scores.items() if self.taxonomy[cid].tier == 1)
        ranked = sorted(
            ((s / total, self.taxonomy[cid]) for cid, s in scores.items()) if total else (),
            key=lambda pair: (-pair[0], pair[1].tier, pair[1].id),
        )
        categories = tuple(
            ScoredCategory(c, self.taxonomy.tier1(c), round(share, 4))
            for share, c in ranked[:MAX_CATEGORIES]
            if share >= MIN_SHARE
        )
        return Classification(categories, tuple(keywords(words)))


def _terms(words: list[str]) -> Iterable[str]:
    """Each word and each pair of neighbouring words."""
    yield from words
    for first, second in itertools.pairwise(words):
        yield f"{first} {second}"


def build_lexicon(
    taxonomy: Taxonomy, lexicon_text: str
) -> dict[str, tuple[tuple[str, float], ...]]:
    """Terms from the categories' names and the lexicon (`id<TAB>a, b c:2`, weight after `:`)."""
    entries: dict[str, dict[str, float]] = defaultdict(dict)
    for category in taxonomy:
        # Sensitive topics keep ads off a page, so only their curated terms point at them:
        # the words of their names ("adult", "arms", "injury") are everyday words too.
        if category.tier1_id in NOT_TOPICS or taxonomy.is_sensitive(category):
            continue
        for part in _NAME_PARTS.split(category.name.lower()):
            words = tokens(part)
            if 1 <= len(words) <= 2 and not all(w in STOPWORDS for w in words):
                entries[" ".join(words)][category.id] = NAME_WEIGHT
    for line in lexicon_text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        category_id, _, terms = line.partition("\t")
        category = taxonomy[category_id.strip()]
        for entry in terms.split(","):
            term, _, weight = entry.partition(":")
            words = tokens(term)
            if len(words) > 2:
                raise ValueError(f"lexicon term {term!r} has more than two words")
            if words:
                entries[" ".join(words)][category.id] = float(weight or LEXICON_WEIGHT)
    return {term: tuple(by_category.items()) for term, by_category in entries.items()}


@functools.cache
def default_classifier() -> Classifier:
    """The classifier on the shipped taxonomy and lexicon (built once per process)."""
    taxonomy = load()
    text = resources.files("promovolve.context").joinpath("data", LEXICON_FILE).read_text("utf-8")
    return Classifier(taxonomy, build_lexicon(taxonomy, text))
