"""Simulation: scenarios, the world plan, the virtual-time lab, the live HTTP simulator."""

from promovolve.sim.lab import run_lab
from promovolve.sim.plan import PlannedSite, WorldPlan, build_plan
from promovolve.sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = [
    "PlannedSite",
    "Scenario",
    "ScenarioError",
    "WorldPlan",
    "build_plan",
    "load_scenario",
    "parse_scenario",
    "run_lab",
]
