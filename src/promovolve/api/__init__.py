"""Promovolve api package."""
