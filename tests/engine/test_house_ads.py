"""House ads in the site engine: they fill what paid demand leaves empty, and cost nothing."""

from __future__ import annotations

from dataclasses import replace
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.model import HouseAd, PageContext, SlotSpec
from promovolve.engine.site import ServeRequest, SiteEngine
from tests.engine.site_world import SHORT_DAY, campaign, creative, make_engine, request


def house(hid: str, width: int = 300, height: int = 250) -> HouseAd:
    return HouseAd(
        hid,
        "pub-1",
        "site-123",
        f"https://news.example/house/{hid}.png",
        "https://news.example/subscribe",
        width,
        height,
    )


def page(rid: str, *slots: tuple[str, int, int]) -> ServeRequest:
    return ServeRequest(
        rid,
        PageContext(url="https://news.example/a"),
        tuple(SlotSpec(s, w, h) for s, w, h in slots),
    )


def test_a_slot_without_paid_demand_gets_a_house_ad_and_keeps_its_outcome() -> None:
    engine = make_engine([], [])
    engine.set_house_ads([house("h1")])
    decision = engine.serve(request("r1"), 1.0, Random(1)).slots[0]
    assert decision.outcome == "noCandidates"
    assert decision.house == house("h1")
    assert decision.campaign is None and decision.price_micros == 0
    # The seed's outcome counts paid demand; the fill is counted apart.
    assert engine.lifetime.outcomes["noCandidates"] == 1
    assert (engine.lifetime.house_fills, engine.today.house_fills) == (1, 1)


def test_paid_demand_wins_over_house_ads() -> None:
    engine = make_engine([campaign("c1")], [creative("a", "c1")])
    engine.set_house_ads([house("h1")])
    decision = engine.serve(request("r1"), 1.0, Random(1)).slots[0]
    assert decision.outcome == "selected" and decision.house is None
    assert engine.lifetime.house_fills == 0


def test_house_ads_fill_slots_left_by_exhausted_or_paced_demand() -> None:
    poor = make_engine([campaign("c1", budget=0)], [creative("a", "c1")])
    poor.set_house_ads([house("h1")])
    decision = poor.serve(request("r1"), 1.0, Random(1)).slots[0]
    assert (decision.outcome, decision.house) == ("budgetExhausted", house("h1"))
    paced = make_engine([campaign("c1")], [creative("a", "c1")], policy="fixed:1")
    paced.set_house_ads([house("h1")])
    decision = paced.serve(request("r1"), 1.0, Random(1)).slots[0]
    assert (decision.outcome, decision.house) == ("pacingSkipped", house("h1"))


def test_only_a_house_ad_of_the_slots_size_fills_it() -> None:
    engine = make_engine([], [])
    engine.set_house_ads([house("wide", 728, 90)])
    result = engine.serve(page("r1", ("box", 300, 250), ("top", 728, 90)), 1.0, Random(1))
    assert [d.house.id if d.house else None for d in result.slots] == [None, "wide"]


def test_a_page_gets_different_house_ads_while_there_are_some() -> None:
    engine = make_engine([], [])
    engine.set_house_ads([house("h1"), house("h2")])
    result = engine.serve(
        page("r1", ("a", 300, 250), ("b", 300, 250), ("c", 300, 250)), 1.0, Random(1)
    )
    ids = [d.house.id for d in result.slots if d.house]
    assert len(ids) == 3 and set(ids[:2]) == {"h1", "h2"}


def test_archived_house_ads_and_warmup_fill_nothing() -> None:
    engine = make_engine([], [])
    engine.set_house_ads([replace(house("h1"), archived=True)])
    assert engine.serve(request("r1"), 1.0, Random(1)).slots[0].house is None
    warm = make_engine([], [], pacing=replace(SHORT_DAY, warmup_mode=True))
    warm.set_house_ads([house("h1")])
    assert warm.serve(request("r1"), 1.0, Random(1)).slots[0].house is None


def test_house_events_are_counted_apart_and_survive_a_snapshot() -> None:
    engine = make_engine([], [])
    engine.set_house_ads([house("h1")])
    engine.serve(request("r1"), 1.0, Random(1))
    engine.record_house(click=False)
    engine.record_house(click=True)
    assert (engine.lifetime.impressions, engine.lifetime.clicks) == (0, 0)
    restored = make_engine([], [])
    restored.restore(engine.snapshot())
    for counters in (restored.lifetime, restored.today):
        assert (counters.house_fills, counters.house_impressions, counters.house_clicks) == (
            1,
            1,
            1,
        )


@settings(deadline=None, max_examples=50)
@given(st.lists(st.sampled_from([(300, 250), (728, 90), (160, 600)]), min_size=1, max_size=8))
def test_house_ads_never_spend_nor_take_a_paid_slot(sizes: list[tuple[int, int]]) -> None:
    """Whatever the page, a slot has a house ad only when paid demand left it empty, and
    spend is what the paid selections cost."""
    engine: SiteEngine = make_engine([campaign("c1", budget=5_000)], [creative("a", "c1")])
    engine.set_house_ads([house("h1"), house("h2", 728, 90)])
    result = engine.serve(
        page("r", *((f"s{i}", w, h) for i, (w, h) in enumerate(sizes))), 1.0, Random(7)
    )
    for d in result.slots:
        assert d.house is None or (d.outcome != "selected" and d.campaign is None)
    paid = sum(d.price_micros for d in result.slots if d.outcome == "selected")
    assert engine.ledger.spent("c1", result.day_index) == paid
    assert engine.lifetime.house_fills == sum(d.house is not None for d in result.slots)
