"""The hot state's catalog holds exactly what may serve, whatever the order of changes."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from promovolve.api.keys import KeyRing
from promovolve.api.metrics import Metrics
from promovolve.api.state import ServerState
from promovolve.domain.model import Advertiser, Campaign, Creative

ADVERTISERS = ["adv-0", "adv-1"]
CAMPAIGNS = [f"cmp-{i}" for i in range(4)]  # cmp-i belongs to adv-(i % 2)
CREATIVES = [f"cr-{i}" for i in range(8)]  # cr-i belongs to cmp-(i % 4)

changes = st.lists(
    st.one_of(
        st.tuples(st.just("advertiser"), st.sampled_from(range(2)), st.booleans()),
        st.tuples(st.just("campaign"), st.sampled_from(range(4)), st.booleans()),
        st.tuples(st.just("creative"), st.sampled_from(range(8)), st.booleans()),
    ),
    max_size=40,
)


def _campaign(i: int, archived: bool) -> Campaign:
    return Campaign(CAMPAIGNS[i], ADVERTISERS[i % 2], "c", 1, 1, archived=archived)


def _creative(i: int, archived: bool) -> Creative:
    campaign = i % 4
    return Creative(
        CREATIVES[i], CAMPAIGNS[campaign], ADVERTISERS[campaign % 2], "a", "l", 1, 1,
        archived=archived,
    )  # fmt: skip


@given(changes)
def test_the_catalog_is_what_may_serve(ops: list[tuple[str, int, bool]]) -> None:
    state = ServerState(KeyRing("admin"), Metrics())
    for advertiser in ADVERTISERS:
        state.put_advertiser(Advertiser(advertiser, "a"))
    for i in range(4):
        state.put_campaign(_campaign(i, False))
    for i in range(8):
        state.put_creative(_creative(i, False))
    for kind, index, flag in ops:
        if kind == "advertiser":
            state.put_advertiser(replace(state.advertisers[ADVERTISERS[index]], active=flag))
        elif kind == "campaign":
            state.put_campaign(replace(state.campaigns[CAMPAIGNS[index]], archived=flag))
        else:
            state.put_creative(replace(state.creatives[CREATIVES[index]], archived=flag))
    servable = {
        c.id
        for c in state.campaigns.values()
        if not c.archived and state.advertisers[c.advertiser_id].active
    }
    assert set(state.catalog.campaigns) == servable
    for campaign_id in servable:
        expected = {c.id for c in state.creatives_of(campaign_id) if not c.archived}
        assert {c.id for c in state.catalog.creatives_of(campaign_id)} == expected
        assert state.catalog.campaigns[campaign_id] == state.campaigns[campaign_id]
    # The registries keep everything.
    assert set(state.campaigns) == set(CAMPAIGNS) and set(state.creatives) == set(CREATIVES)
