"""The `promovolve` command (Typer): serve, lab, simulate."""
