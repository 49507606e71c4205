"""The live simulator: a scenario's world and traffic sent to a running server over HTTP."""

from promovolve.sim.live.counters import SimCounters, SimResult
from promovolve.sim.live.run import simulate
from promovolve.sim.live.simulator import DEFAULT_CONCURRENCY, LiveSimulator
from promovolve.sim.live.world import SimCampaign, SimWorld

__all__ = [
    "DEFAULT_CONCURRENCY",
    "LiveSimulator",
    "SimCampaign",
    "SimCounters",
    "SimResult",
    "SimWorld",
    "simulate",
]
