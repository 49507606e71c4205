"""Promovolve engine package."""
