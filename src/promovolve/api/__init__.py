"""The HTTP server: the app factory and the runtime it starts."""

from promovolve.api.app import create_app
from promovolve.api.runtime import Runtime

__all__ = ["Runtime", "create_app"]
