"""Words of a page: tokens, and the salient keywords a publisher or campaign would use."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from importlib import resources

_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")


def _stopwords() -> frozenset[str]:
    text = resources.files("promovolve.context").joinpath("data", "stopwords.txt")
    lines = text.read_text("utf-8").splitlines()
    return frozenset(word for line in lines if not line.startswith("#") for word in line.split())


STOPWORDS = _stopwords()


def tokens(text: str) -> list[str]:
    """Lower-case words (apostrophes and hyphens inside a word kept)."""
    return _WORD.findall(text.lower().replace("’", "'"))


def keywords(words: Sequence[str], limit: int = 10) -> list[str]:
    """The page's most frequent content words, best first (ties: first seen first)."""
    counts = Counter(w for w in words if len(w) > 2 and w not in STOPWORDS and not w.isdigit())
    return [w for w, _ in counts.most_common(limit)]
