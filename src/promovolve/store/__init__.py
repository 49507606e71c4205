"""Durable state: the SQL schema, its migrations and the repositories.

Repositories hand back domain objects; the layers above write through a unit of work and
catch only `StoreError`.
"""

from promovolve.store.errors import DuplicateKeyError, StoreError
from promovolve.store.loading import EventCounts, LoadedState, load_state
from promovolve.store.unit_of_work import Repositories, unit_of_work

__all__ = [
    "DuplicateKeyError",
    "EventCounts",
    "LoadedState",
    "Repositories",
    "StoreError",
    "load_state",
    "unit_of_work",
]
