"""The server paces each campaign over every site it runs on, and ticks quiet sites."""

from __future__ import annotations

from dataclasses import replace
from random import Random

from promovolve.api.keys import KeyRing
from promovolve.api.metrics import Metrics
from promovolve.api.state import ServerState
from promovolve.api.ticker import Ticker
from promovolve.domain.model import (
    Advertiser,
    ApprovalStatus,
    Campaign,
    Creative,
    PageContext,
    Publisher,
    Site,
    SlotSpec,
)
from promovolve.engine.site import ServeRequest
from promovolve.pacing.config import PacingConfig

DAY = 600.0


def network_state() -> ServerState:
    """Two sites of one publisher, one campaign approved on both."""
    state = ServerState(KeyRing("admin"), Metrics())
    state.put_publisher(Publisher("pub", "p"))
    state.put_advertiser(Advertiser("adv", "a"))
    state.put_campaign(Campaign("cmp", "adv", "c", 100_000_000, 2_000_000))
    state.put_creative(Creative("cr", "cmp", "adv", "https://cdn/a.png", "https://l/", 300, 250))
    for site_id in ("a", "b"):
        site = Site(
            site_id, "pub", f"{site_id}.example", pacing=PacingConfig(day_duration_seconds=600)
        )
        state.add_site(site, origin=0.0, now=0.0).engine.set_approval("cr", ApprovalStatus.APPROVED)
    return state


def serve(state: ServerState, site_id: str, n: int, now: float) -> None:
    engine = state.sites[site_id].engine
    page = PageContext(f"https://{site_id}.example/x", frozenset())
    for i in range(n):
        request = ServeRequest(f"{site_id}-{now}-{i}", page, (SlotSpec("s", 300, 250),))
        engine.serve(request, now + i * 0.01, Random(i))


def test_both_sites_count_towards_one_campaigns_pace() -> None:
    state = network_state()
    serve(state, "a", 20, 1.0)
    only_a = state.network.total("cmp")
    serve(state, "b", 20, 1.0)
    # Site b's traffic still to come joins a's in the campaign's denominator.
    assert state.network.total("cmp") > only_a > 0.0


def test_a_site_that_stops_serving_expects_nothing_more() -> None:
    state = network_state()
    serve(state, "a", 20, 1.0)
    serve(state, "b", 20, 1.0)
    both = state.network.total("cmp")
    b = state.sites["b"]
    state.update_site(b, replace(b.site, archived=True), 2.0)
    assert 0.0 < state.network.total("cmp") < both
    state.tick(3.0)  # an archived site is not ticked back into the network
    assert state.network.total("cmp") < both


def test_the_ticker_rolls_a_quiet_site_into_the_next_day_and_marks_it_for_a_snapshot() -> None:
    state = network_state()
    serve(state, "a", 20, 1.0)
    dirty: set[str] = set()
    now = [DAY / 2]
    ticker = Ticker(state, dirty, lambda: now[0])
    ticker.tick()
    assert dirty == set()
    before = state.network.total("cmp")
    ticker.tick()
    now[0] = DAY * 0.9
    ticker.tick()
    # Later in the day, less traffic is still to come on the quiet sites.
    assert state.network.total("cmp") < before
    now[0] = DAY + 1.0
    ticker.tick()
    assert dirty == {"a", "b"}
    assert state.sites["a"].engine.controller.day_index == 1
