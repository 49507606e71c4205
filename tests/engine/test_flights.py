"""Flights: outside its flight a campaign is not a candidate."""

from __future__ import annotations

from dataclasses import replace
from random import Random

from tests.engine.site_world import campaign, creative, make_engine, request


def test_a_campaign_competes_only_during_its_flight() -> None:
    flighted = replace(campaign("c1"), flight_start=10.0, flight_end=20.0)
    engine = make_engine([flighted], [creative("a", "c1")])
    rng = Random(1)
    served = {
        t: engine.serve(request(f"r{t}"), t, rng).slots[0].outcome for t in (5.0, 10.0, 19.9, 20.0)
    }
    assert served == {5.0: "noCandidates", 10.0: "selected", 19.9: "selected", 20.0: "noCandidates"}


def test_outside_its_flight_a_campaign_leaves_the_slot_to_the_others() -> None:
    ended = replace(campaign("c1", cpm=9_000_000), flight_end=1.0)
    engine = make_engine([ended, campaign("c2")], [creative("a", "c1"), creative("b", "c2")])
    rng = Random(3)
    winners = {engine.serve(request(f"r{i}"), 2.0 + i, rng).slots[0].campaign for i in range(10)}
    assert {w.id for w in winners if w is not None} == {"c2"}
