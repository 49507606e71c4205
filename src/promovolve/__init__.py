"""Promovolve: a publisher-centric, context-based ad network."""

__version__ = "0.1.0"
