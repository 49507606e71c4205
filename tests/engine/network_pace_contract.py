"""The contract every NetworkPace implementation passes (in memory, and Redis across
processes): entries written by their site, summed per campaign by `total` and by walking
the campaign's ring (what the compiled gate does).

Subclass with `make_pace` (a fresh, empty pace) and `settle` (whatever an implementation
does at the tick before another process would see the entries; nothing in memory).
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promovolve.engine.network_pace import NetworkPace

CONTRACT_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.differing_executors]
)


def ring_sum(pace: NetworkPace, entry: int) -> float:
    total, at = pace.expected[entry], pace.ring[entry]
    while at != entry:
        total += pace.expected[at]
        at = pace.ring[at]
    return total


class NetworkPaceContract:
    def make_pace(self) -> NetworkPace:
        raise NotImplementedError

    def settle(self, pace: NetworkPace) -> None:
        """Run the implementation's tick."""

    def test_an_unknown_campaign_expects_nothing(self):
        pace = self.make_pace()
        self.settle(pace)
        assert pace.total("c1") == 0.0

    def test_a_site_keeps_one_entry_per_campaign(self):
        pace = self.make_pace()
        site = pace.site("s1")
        assert site.row("c1") == site.row("c1")
        assert site.row("c1") != site.row("c2")
        assert pace.site("s2").row("c1") != site.row("c1")

    def test_a_campaign_has_one_credit_for_all_its_sites(self):
        pace = self.make_pace()
        row = pace.credit_row("c1")
        pace.site("s1").row("c1")
        pace.site("s2").row("c1")
        assert pace.credit_row("c1") == row
        assert pace.credit_row("c2") != row
        assert pace.credit[row] == 0.0
        assert pace.credit_since[row] == -math.inf  # no day yet: the first one resets it

    def test_total_sums_every_site_of_the_campaign(self):
        pace = self.make_pace()
        pace.expected[pace.site("s1").row("c1")] = 30.0
        pace.expected[pace.site("s2").row("c1")] = 12.5
        pace.expected[pace.site("s2").row("c2")] = 7.0
        self.settle(pace)
        assert pace.total("c1") == 42.5
        assert pace.total("c2") == 7.0
        assert ring_sum(pace, pace.site("s1").row("c1")) == 42.5

    def test_a_cleared_site_expects_nothing(self):
        pace = self.make_pace()
        pace.expected[pace.site("s1").row("c1")] = 30.0
        pace.expected[pace.site("s2").row("c1")] = 10.0
        pace.clear_site("s1")
        self.settle(pace)
        assert pace.total("c1") == 10.0

    @CONTRACT_SETTINGS
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["s1", "s2", "s3"]),
                st.sampled_from(["c1", "c2"]),
                st.floats(0, 1e6, allow_nan=False),
            ),
            max_size=30,
        )
    )
    def test_total_is_the_sum_of_the_latest_entries(self, writes):
        pace = self.make_pace()
        latest: dict[tuple[str, str], float] = {}
        for site_id, campaign_id, value in writes:
            pace.expected[pace.site(site_id).row(campaign_id)] = value
            latest[(site_id, campaign_id)] = value
        self.settle(pace)
        for campaign_id in ("c1", "c2"):
            want = sum(v for (_, c), v in latest.items() if c == campaign_id)
            assert abs(pace.total(campaign_id) - want) <= 1e-9 * max(1.0, want)
            if any(c == campaign_id for _, c in latest):
                entry = next(pace.site(s).row(c) for s, c in latest if c == campaign_id)
                assert abs(ring_sum(pace, entry) - want) <= 1e-9 * max(1.0, want)
