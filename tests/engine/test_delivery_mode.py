"""Delivery modes: an asap campaign skips the pacing gate but never its budget."""

from __future__ import annotations

from dataclasses import replace
from random import Random

from promovolve.domain.model import DeliveryMode
from tests.engine.site_world import campaign, creative, ledger_of, make_engine, request


def test_an_asap_campaign_serves_through_a_closed_gate_and_stops_at_its_budget() -> None:
    even = campaign("even", budget=10 * 2500)
    asap = replace(campaign("asap", budget=3 * 2500), delivery=DeliveryMode.ASAP)
    engine = make_engine(
        [even, asap], [creative("a", "even"), creative("b", "asap")], policy="fixed:1.0"
    )
    rng = Random(4)
    results = [engine.serve(request(f"r{i}"), 1.0 + i, rng).slots[0] for i in range(6)]
    winners = [d.campaign.id if d.campaign else d.outcome for d in results]
    # The gate holds every paced campaign back; asap runs until its budget is spent.
    assert winners == ["asap", "asap", "asap", "pacingSkipped", "pacingSkipped", "pacingSkipped"]
    assert ledger_of(engine).spent("asap", 0) == 3 * 2500
    assert ledger_of(engine).spent("even", 0) == 0


def test_an_even_campaign_is_paced_as_before() -> None:
    engine = make_engine([campaign("even")], [creative("a", "even")], policy="fixed:1.0")
    assert engine.serve(request("r1"), 1.0, Random(1)).slots[0].outcome == "pacingSkipped"
