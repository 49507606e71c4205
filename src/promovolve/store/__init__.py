"""Durable state: the SQL schema, its migrations and the repositories.

Repositories hand back domain objects; the layers above write through a unit of work and
catch only `StoreError`.
"""

from promovolve.store.errors import ConstraintError, StoreError, StoreUnavailableError
from promovolve.store.loading import EventCounts, LoadedState, load_state
from promovolve.store.unit_of_work import Repositories, unit_of_work

__all__ = [
    "ConstraintError",
    "EventCounts",
    "LoadedState",
    "Repositories",
    "StoreError",
    "StoreUnavailableError",
    "load_state",
    "unit_of_work",
]
