"""What a page is about: the IAB Content Taxonomy, offline classification and keywords."""

from promovolve.context.cache import TtlCache
from promovolve.context.classifier import Classification, Classifier, default_classifier
from promovolve.context.matching import page_terms, unknown_ids
from promovolve.context.taxonomy import Category, Taxonomy

__all__ = [
    "Category",
    "Classification",
    "Classifier",
    "Taxonomy",
    "TtlCache",
    "default_classifier",
    "page_terms",
    "unknown_ids",
]
