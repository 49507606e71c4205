"""Promovolve domain package."""
