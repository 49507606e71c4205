"""The original project's RunScenario files run in the lab unchanged.

The files in data/runscenario/ are copies of scripts/scenarios/*.json of the public
repository promovolve/promovolve (commit 1b04188e29dc2a314c93e6f56b739190a779eb67).
Keys that belong to parts of that product the lab does not model (the RL floor agent's
`mode`, IAB categories, the user pool) are ignored with a warning.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from promovolve.sim.lab import run_lab
from promovolve.sim.scenario import load_scenario

DATA = Path(__file__).parent / "data" / "runscenario"
NAMES = ["continuous", "budget-asymmetry", "exhaustion-drag", "week-simulation", "weekend-weekday"]
NOT_MODELLED = {
    "mode",
    "category",
    "adProductCategory",
    "additionalCategories",
    "userPoolSize",
    "refreshIntervalSeconds",
}


@pytest.mark.parametrize("name", NAMES)
def test_runscenario_file_parses_and_runs_a_day(name: str) -> None:
    scenario, warnings = load_scenario(DATA / f"{name}.json")
    assert all(any(f"'{key}'" in w for key in NOT_MODELLED) for w in warnings), warnings
    assert scenario.day_duration_seconds in (300, 600)
    assert scenario.stop_after_days >= 4
    result = run_lab(scenario, days=1)
    day = result["days"][0]
    assert day["requests"] > 0
    assert len(day["campaigns"]) == scenario.advertisers * scenario.campaigns_per_advertiser
    assert all(c["overspend"] == 0 for c in day["campaigns"])
    assert sum(c["spend"] for c in day["campaigns"]) > 0


def test_grouped_and_flat_runscenario_files_read_their_traffic() -> None:
    flat, _ = load_scenario(DATA / "continuous.json")
    assert (flat.delay_ms, flat.quiet_period_probability) == (1.0, 0.001)
    assert (flat.quiet_period_min_ms, flat.quiet_period_max_ms) == (1500.0, 2500.0)
    grouped, _ = load_scenario(DATA / "budget-asymmetry.json")
    assert grouped.budgets == (100.0, 5.0, 5.0, 5.0, 5.0)
    assert grouped.cpms == (8.0, 3.0, 4.0, 5.0, 6.0)
    assert grouped.weekday_shape == grouped.weekend_shape  # one shape serves both
    assert (grouped.delay_ms, grouped.click_rate, grouped.stop_after_days) == (10.0, 0.03, 10)
