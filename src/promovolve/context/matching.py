"""A page's terms for matching campaigns: taxonomy categories spelled every way they match.

A campaign names a category by its id ("483") or its name ("sports"), in any case, or uses a
free-form term of its own. A page in a category is in each of its ancestors too, so the
page's terms hold the id and the name of its category and of every ancestor: a campaign on
"Sports" matches a page about basketball. Free-form terms match only themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from promovolve.context.taxonomy import Category, Taxonomy


def category_terms(taxonomy: Taxonomy, category: Category) -> frozenset[str]:
    """The lower-case ids and names of the category and its ancestors."""
    terms: set[str] = set()
    for category_id in category.path:
        ancestor = taxonomy[category_id]
        terms.add(ancestor.id.lower())
        terms.add(ancestor.name.lower())
    return frozenset(terms)


@functools.lru_cache(maxsize=8192)  # pages repeat their terms; serves should not redo this
def page_terms(
    taxonomy: Taxonomy, terms: tuple[str, ...]
) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
    """(every term the page matches, one term set per sensitive topic of the page)."""
    out: set[str] = set()
    sensitive: list[frozenset[str]] = []
    for term in terms:
        out.add(term.lower())
        category = taxonomy.find(term)
        if category is None:
            continue
        expanded = category_terms(taxonomy, category)
        out |= expanded
        if taxonomy.is_sensitive(category) and expanded not in sensitive:
            sensitive.append(expanded)
    # A topic's ancestor adds nothing: opting in to the topic is enough.
    specific = [t for t in sensitive if not any(t < other for other in sensitive)]
    return frozenset(out), tuple(sorted(specific, key=sorted))


def unknown_ids(taxonomy: Taxonomy, terms: Iterable[str]) -> list[str]:
    """Terms shaped like a category id (all digits) that name no category."""
    return [t for t in terms if t.isdigit() and taxonomy.get(t) is None]
