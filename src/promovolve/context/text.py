"""Words of a page: tokens, and the salient keywords a publisher or campaign would use."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")

STOPWORDS = frozenset(
    """
    a about above after again against all almost also although always am among an and any
    are around as at be because been before being below between both but by can could did
    do does doing done down during each either else enough even ever every few for from
    further get gets getting got had has have having he her here hers herself him himself
    his how however i if in into is it its itself just last least less let like made make
    makes many may me might more most much must my myself never new next no nor not now of
    off often on once one only or other others our ours ourselves out over own per perhaps
    quite rather really same say says said see seen she should since so some still such
    than that the their theirs them themselves then there these they this those though
    through thus to too toward towards two under until up upon us use used using very via
    was we well were what when where whether which while who whom whose why will with
    within without would yet you your yours yourself yourselves year years day days time
    times way ways thing things lot lots good great best better first take takes took come
    comes came go goes going want wants know knows need needs look looks keep find found
    give gives around across back another each s t don doesn didn isn aren won ll ve re
    """.split()
)


def tokens(text: str) -> list[str]:
    """Lower-case words (apostrophes and hyphens inside a word kept)."""
    return _WORD.findall(text.lower().replace("’", "'"))


def keywords(words: Sequence[str], limit: int = 10) -> list[str]:
    """The page's most frequent content words, best first (ties: first seen first)."""
    counts = Counter(w for w in words if len(w) > 2 and w not in STOPWORDS and not w.isdigit())
    return [w for w, _ in counts.most_common(limit)]
