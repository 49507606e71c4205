"""Promovolve store package."""
