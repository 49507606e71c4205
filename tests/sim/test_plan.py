"""The world plan: one description of what a scenario creates, for every consumer."""

from __future__ import annotations

from typing import Any

from promovolve.sim.plan import build_plan
from promovolve.sim.scenario import parse_scenario


def plan_of(data: dict[str, Any], prefix: str = "") -> Any:
    scenario, warnings = parse_scenario(data, "plan")
    assert warnings == []
    return build_plan(scenario, prefix)


def test_a_plain_scenario_is_one_site_with_every_campaign() -> None:
    plan = plan_of(
        {"advertisers": 2, "campaignsPerAdvertiser": 2, "budgets": [10, 2.5], "cpms": [4, 1]}
    )
    assert [s.id for s in plan.sites] == ["lab-site"]
    assert plan.sites[0].domain == "lab.example"
    assert plan.sites[0].configured_shapes is None
    assert [c.id for c in plan.campaigns] == [
        "adv-1-camp-1",
        "adv-1-camp-2",
        "adv-2-camp-1",
        "adv-2-camp-2",
    ]
    assert [c.daily_budget_micros for c in plan.campaigns] == [10_000_000] * 2 + [2_500_000] * 2
    assert plan.campaigns[2].cpm_micros == 1_000_000 and plan.campaigns[2].cpm_usd == 1.0
    assert all(c.site_ids == ("lab-site",) for c in plan.campaigns)
    assert [cr.id for cr in plan.campaigns[0].creatives] == [
        "adv-1-camp-1-cr-1",
        "adv-1-camp-1-cr-2",
        "adv-1-camp-1-cr-3",
    ]
    assert plan.advertiser_ids == ("adv-1", "adv-2")
    assert not plan.is_network


def test_click_rates_cycle_over_creatives_in_campaign_order() -> None:
    plan = plan_of({"advertisers": 2, "creativesPerCampaign": 2, "ctrs": [0.1, 0.2, 0.3]})
    ctrs = [cr.ctr for c in plan.campaigns for cr in c.creatives]
    assert ctrs == [0.1, 0.2, 0.3, 0.1]


def test_network_sites_campaign_sites_and_prefix() -> None:
    plan = plan_of(
        {
            "advertisers": 3,
            "delayMs": 20,
            "configuredShapes": True,
            "sites": [
                {"id": "a"},
                {"id": "b", "delayMs": 80, "categories": ["sports"]},
                {"id": "c", "startDay": 3},
            ],
            "advertiserSites": [["a", "b"], ["c"]],
        },
        prefix="run-",
    )
    assert plan.is_network
    assert [s.id for s in plan.sites] == ["run-a", "run-b", "run-c"]
    assert [s.traffic.delay_ms for s in plan.sites] == [20.0, 80.0, 20.0]
    assert plan.sites[1].categories == ("sports",) and plan.sites[0].categories == ("news",)
    assert plan.sites[2].traffic.start_day == 3
    assert plan.sites[0].configured_shapes == ((1.0,) * 24, (1.0,) * 24)
    # advertiserSites is cycled: advertiser 3 runs where advertiser 1 does.
    assert [c.site_ids for c in plan.campaigns] == [
        ("run-a", "run-b"),
        ("run-c",),
        ("run-a", "run-b"),
    ]
    assert [c.id for c in plan.campaigns_on("run-c")] == ["run-adv-2-camp-1"]
    assert plan.campaigns[0].creatives[0].id == "run-adv-1-camp-1-cr-1"
    assert [c.label for c in plan.campaigns_of(1)] == ["adv-1-camp-1"]
