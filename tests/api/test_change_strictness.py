"""Which campaign changes must be in force on every process before their call answers."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from promovolve.api.services.campaigns import takes_away
from promovolve.domain.model import Campaign, CampaignStatus, DeliveryMode

statuses = st.sampled_from(list(CampaignStatus))
campaigns = st.builds(
    Campaign,
    id=st.just("c"),
    advertiser_id=st.just("a"),
    name=st.text(max_size=5),
    daily_budget_micros=st.integers(0, 10**9),
    cpm_micros=st.integers(1, 10**7),
    categories=st.frozensets(st.sampled_from(["IAB1", "IAB2"])),
    status=statuses,
    delivery=st.sampled_from(list(DeliveryMode)),
)


@given(campaigns, st.text(max_size=5), st.integers(0, 10**9), st.booleans())
def test_a_new_name_more_budget_or_a_resume_need_not_wait(
    old: Campaign, name: str, more: int, resume: bool
) -> None:
    status = CampaignStatus.ACTIVE if resume else old.status
    new = replace(old, name=name, daily_budget_micros=old.daily_budget_micros + more, status=status)
    assert not takes_away(old, new)


@given(campaigns, st.integers(1, 10**9))
def test_a_budget_cut_waits(old: Campaign, cut: int) -> None:
    new = replace(old, daily_budget_micros=max(0, old.daily_budget_micros - cut))
    assert takes_away(old, new) == (new.daily_budget_micros < old.daily_budget_micros)


@given(campaigns, campaigns)
def test_anything_else_that_differs_waits(old: Campaign, other: Campaign) -> None:
    # Same name, budget and status: whatever else differs (bid, targeting, delivery) waits.
    new = replace(
        other, name=old.name, daily_budget_micros=old.daily_budget_micros, status=old.status
    )
    assert takes_away(old, new) == (new != old)


def test_a_pause_waits() -> None:
    old = Campaign("c", "a", "n", 1_000_000, 2_000_000)
    assert takes_away(old, replace(old, status=CampaignStatus.PAUSED))
