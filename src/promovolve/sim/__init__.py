"""Promovolve sim package."""
