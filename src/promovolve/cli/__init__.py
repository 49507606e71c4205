"""Promovolve cli package."""
