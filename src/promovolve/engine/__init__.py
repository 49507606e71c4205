"""The site engine: the serve decision and the serve-time state it owns.

Public names: what the API, the lab and the tests build engines from.
"""

from promovolve.engine.catalog import Catalog
from promovolve.engine.decisions import ServeRequest, ServeResult, SlotDecision
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.engine.network_pace import InMemoryNetworkPace, NetworkPace
from promovolve.engine.policies import PacingPolicy, UnknownPolicyError, policy_named
from promovolve.engine.site import SiteEngine

__all__ = [
    "Catalog",
    "InMemoryBudgetLedger",
    "InMemoryNetworkPace",
    "NetworkPace",
    "PacingPolicy",
    "ServeRequest",
    "ServeResult",
    "SiteEngine",
    "SlotDecision",
    "UnknownPolicyError",
    "policy_named",
]
