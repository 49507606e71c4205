"""Promovolve pacing package."""
