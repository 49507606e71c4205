"""What every RateLimiter does (in memory and in Redis): the same tests on each."""

from __future__ import annotations

from promovolve.domain.traffic import PENALTY_SECONDS, burst_of
from promovolve.engine.invalid_counts import InvalidServeCounts
from promovolve.engine.rate_limit import RateLimiter

RATE = 10.0


class RateLimiterContract:
    def make_limiter(self, rate: float) -> RateLimiter:
        raise NotImplementedError

    def test_a_burst_passes_then_the_cap_bites(self) -> None:
        limiter = self.make_limiter(RATE)
        burst = int(burst_of(RATE))
        results = [limiter.admit("s:site:a", 100.0 + i * 1e-4) for i in range(burst + 5)]
        assert results == [True] * burst + [False] * 5

    def test_sources_and_sites_have_their_own_buckets(self) -> None:
        limiter = self.make_limiter(RATE)
        for i in range(int(burst_of(RATE)) + 1):
            limiter.admit("s:site:a", 100.0 + i * 1e-4)
        assert not limiter.admit("s:site:a", 100.01)
        assert limiter.admit("s:site:b", 100.01)
        assert limiter.admit("s:other:a", 100.01)

    def test_a_steady_source_within_its_rate_always_passes(self) -> None:
        limiter = self.make_limiter(RATE)
        assert all(limiter.admit("s:site:a", 100.0 + i / RATE) for i in range(100))

    def test_the_penalty_of_one_key_refuses_another(self) -> None:
        limiter = self.make_limiter(RATE)
        for i in range(int(burst_of(RATE)) + 1):
            limiter.admit("s:site:a", 100.0 + i * 1e-4)
        assert not limiter.admit("imp:site:a", 101.0, blocked_by="s:site:a")
        assert limiter.admit("imp:site:b", 101.0, blocked_by="s:site:b")
        # Quiet for the penalty: both pass again.
        later = 101.0 + PENALTY_SECONDS + 1
        assert limiter.admit("imp:site:a", later, blocked_by="s:site:a")
        assert limiter.admit("s:site:a", later)


class InvalidServeCountsContract:
    def make_counts(self) -> InvalidServeCounts:
        raise NotImplementedError

    def test_counts_by_site_day_and_reason(self) -> None:
        counts = self.make_counts()
        assert counts.of("site", 3) == {"bot": 0, "overCap": 0}
        for reason in ("bot", "overCap", "overCap"):
            counts.add("site", 3, reason)
        counts.add("other", 3, "bot")
        assert counts.of("site", 3) == {"bot": 1, "overCap": 2}
        assert counts.of("other", 3) == {"bot": 1, "overCap": 0}
        counts.add("site", 4, "bot")  # a new day starts from zero
        assert counts.of("site", 4) == {"bot": 1, "overCap": 0}
