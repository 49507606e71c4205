"""Lifetime budgets on the Redis ledger: the network's spend before a campaign's day is
kept in its hash (the reserve that starts a day adds the finished day's spend to it), a
reserve whose share of the day was worked out from less is refused, and every process
learns the network's count from the answers. So processes that each count only their own
spend never spend a campaign past its lifetime budget together."""

from __future__ import annotations

from dataclasses import replace
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.engine.lifetime_spend import LifetimeSpend
from promovolve.engine.site import SiteEngine
from promovolve.network.ledger import RedisBudgetLedger
from tests.engine.site_world import DAY, campaign, creative, make_engine, request
from tests.network.redisutil import fresh_prefix, require_redis

PRICE = 2_500  # a $2.50 CPM impression, in micros


def _reserve(ledger: RedisBudgetLedger, seen: LifetimeSpend, day: int, r: str, amount: int):
    """A reserve as the engine makes it: what was accepted it counts itself."""
    accepted = ledger.reserve("c1", day, r, amount, 10_000, spent_before=seen.before("c1", day))
    if accepted:
        seen.add("c1", day, amount)
    return accepted


def test_a_new_day_adds_the_finished_days_spend_to_the_spend_before() -> None:
    client = require_redis()
    prefix = fresh_prefix()
    seen = LifetimeSpend()
    ledger = RedisBudgetLedger(client, prefix, lifetime=seen)
    assert _reserve(ledger, seen, 0, "r1", 3000)
    assert _reserve(ledger, seen, 0, "r2", 2000)
    assert _reserve(ledger, seen, 1, "r3", 1000)
    assert client.hgetall(f"{prefix}:ledger:{{c1}}") == {
        b"day": b"1",
        b"spent": b"1000",
        b"before": b"5000",
    }
    assert (seen.before("c1", 1), seen.total("c1")) == (5000, 6000)
    assert ledger.reserve("c1", 2, "r4", 500, 10_000)  # a daily budget: no spend before named
    assert client.hget(f"{prefix}:ledger:{{c1}}", "before") == b"6000"


def test_a_share_worked_out_from_too_little_is_refused_and_the_network_count_learnt() -> None:
    prefix = fresh_prefix()
    a = RedisBudgetLedger(require_redis(), prefix, lifetime=LifetimeSpend())
    seen = LifetimeSpend()
    b = RedisBudgetLedger(require_redis(), prefix, lifetime=seen)
    assert a.reserve("c1", 0, "r1", 4000, 10_000, spent_before=0)
    version = seen.version
    # b has not seen day 0's spend: its share of day 1 would be too large.
    assert not b.reserve("c1", 1, "r2", 100, 10_000, spent_before=0)
    assert seen.before("c1", 1) == 4000 and seen.version > version
    assert b.reserve("c1", 1, "r2", 100, 10_000, spent_before=4000)
    assert b.reserve("c1", 1, "r3", 100, 10_000, spent_before=4500)  # more: only safer
    assert b.reserve("c1", 1, "r2", 100, 10_000, spent_before=0)  # a repeat stands
    assert a.spent("c1", 1) == 200


def test_an_earlier_days_refund_comes_off_the_spend_before_only() -> None:
    client = require_redis()
    prefix = fresh_prefix()
    seen = LifetimeSpend()
    ledger = RedisBudgetLedger(client, prefix, lifetime=seen)
    assert _reserve(ledger, seen, 0, "r1", 3000)
    assert _reserve(ledger, seen, 1, "r2", 1000)
    version = seen.version
    # Settled unviewed on day 1: the settling process takes it off its own count too.
    seen.add("c1", 0, -3000)
    assert not ledger.refund("c1", 0, 3000)  # not day 1's budget
    assert client.hgetall(f"{prefix}:ledger:{{c1}}") == {
        b"day": b"1",
        b"spent": b"1000",
        b"before": b"0",
    }
    assert seen.before("c1", 1) == 0 and seen.version == version  # they agree: no rebuild


def test_pools_are_rebuilt_only_when_a_share_was_refused() -> None:
    prefix = fresh_prefix()
    seen = LifetimeSpend()
    ledger = RedisBudgetLedger(require_redis(), prefix, lifetime=seen)
    assert ledger.reserve("c1", 0, "r1", 3000, 10_000, spent_before=0)
    assert ledger.reserve("c1", 1, "r2", 100, 10_000, spent_before=3500)  # cautious: stands
    assert seen.version == 0
    assert not ledger.reserve("c1", 2, "r3", 100, 10_000, spent_before=3000)
    assert seen.version == 1 and seen.before("c1", 2) == 3100
    seen.learn("c1", 1, before=9000, on_day=0)  # an older day: stale news
    assert seen.before("c1", 2) == 3100


def test_loading_from_the_database_sets_the_spend_before() -> None:
    client = require_redis()
    prefix = fresh_prefix()
    seen = LifetimeSpend()
    ledger = RedisBudgetLedger(client, prefix, open_campaigns_only=True, lifetime=seen)
    ledger.open(["c1"])
    client.delete(f"{prefix}:ledger:{{c1}}")  # Redis lost its data
    ledger.load("c1", 3, 2000, {"r1": 2000}, before=7000)  # what a repair or start reads
    assert not ledger.reserve("c1", 3, "r2", 100, 10_000, spent_before=6999)
    assert seen.before("c1", 3) == 7000
    assert ledger.reserve("c1", 3, "r2", 100, 10_000, spent_before=7000)
    assert ledger.reserve("c1", 4, "r3", 100, 10_000, spent_before=9100)
    assert seen.before("c1", 4) == 9100


def _process(prefix: str, lifetime: int, days: int) -> SiteEngine:
    """One process's engine for the site: its own lifetime count, the network's ledger."""
    c = replace(
        campaign("c1", budget=100 * PRICE),
        flight_start=0.0,
        flight_end=float(days * DAY),
        lifetime_budget_micros=lifetime,
    )
    seen = LifetimeSpend()
    ledger = RedisBudgetLedger(require_redis(), prefix, lifetime=seen)
    engine = make_engine([c], [creative("a", "c1")], ledger=ledger)
    engine.lifetime_spend = engine.candidates.lifetime_spend = seen
    return engine


@settings(max_examples=15)
@given(
    processes=st.integers(2, 3),
    days=st.integers(2, 4),
    lifetime_slots=st.integers(5, 60),
    traffic=st.lists(st.lists(st.integers(0, 2), max_size=40), min_size=4, max_size=4),
)
def test_processes_never_spend_past_the_lifetime_budget_together(
    processes: int, days: int, lifetime_slots: int, traffic: list[list[int]]
) -> None:
    prefix = fresh_prefix()
    lifetime = lifetime_slots * PRICE
    engines = [_process(prefix, lifetime, days) for _ in range(processes)]
    spent = 0
    for day in range(days):
        for i, who in enumerate(traffic[day]):
            engine = engines[who % processes]
            result = engine.serve(request(f"{day}-{i}"), day * DAY + 1.0 + i, Random(i))
            spent += sum(d.price_micros for d in result.slots if d.outcome == "selected")
    assert spent <= lifetime
    hash_ = require_redis().hgetall(f"{prefix}:ledger:{{c1}}")
    if hash_:
        assert int(hash_.get(b"before", 0)) + int(hash_[b"spent"]) == spent


def test_without_the_networks_count_a_process_would_spend_its_share_again() -> None:
    """The case the check exists for: day 0's share spent through one process, day 1's
    through another that did not see it. Day 1 gets only what the flight has left."""
    prefix = fresh_prefix()
    first, second = (_process(prefix, 20 * PRICE, 2) for _ in range(2))
    rng = Random(1)
    day0 = [first.serve(request(f"a{i}"), 1.0 + i, rng) for i in range(30)]
    assert sum(r.slots[0].outcome == "selected" for r in day0) == 10  # 20 over 2 days
    day1 = [second.serve(request(f"b{i}"), DAY + 1.0 + i, rng) for i in range(30)]
    # The first reserve is refused (its share assumed nothing spent), then the other 10.
    assert [r.slots[0].outcome for r in day1].count("selected") == 10
    assert second.lifetime_spend.total("c1") == 20 * PRICE
