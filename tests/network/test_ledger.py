"""RedisBudgetLedger: the same contract as the in-memory ledger, on the real Redis, plus
what only a shared ledger has: many clients, one budget."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from benchmarks.server import free_port
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.ledger import BudgetLedger
from promovolve.network.ledger import RedisBudgetLedger
from tests.engine.ledger_contract import BudgetLedgerContract
from tests.network.redisutil import fresh_prefix, require_redis


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestRedisBudgetLedger(BudgetLedgerContract):
    def make_ledger(self) -> BudgetLedger:
        return RedisBudgetLedger(require_redis(), fresh_prefix())


def test_two_clients_share_one_budget():
    prefix = fresh_prefix()
    a = RedisBudgetLedger(require_redis(), prefix)
    b = RedisBudgetLedger(require_redis(), prefix)
    assert a.reserve("c1", 0, "r1", 6000, 10_000)
    assert not b.reserve("c1", 0, "r2", 5000, 10_000)
    assert b.reserve("c1", 0, "r1", 6000, 10_000)  # idempotent across processes
    assert b.reserve("c1", 0, "r3", 4000, 10_000)
    assert a.spent("c1", 0) == b.spent("c1", 0) == 10_000
    assert b.release("c1", 0, "r1")  # a release by another process than the reserving one
    assert a.spent("c1", 0) == 4000


def test_spent_many_reads_the_cache_until_it_is_stale():
    prefix = fresh_prefix()
    clock = FakeClock()
    reader = RedisBudgetLedger(require_redis(), prefix, refresh_seconds=1.0, clock=clock)
    writer = RedisBudgetLedger(require_redis(), prefix)
    assert list(reader.spent_many(["c1", "c2"], 0)) == [0, 0]
    assert writer.reserve("c1", 0, "r1", 700, 10_000)
    assert list(reader.spent_many(["c1", "c2"], 0)) == [0, 0]  # within the refresh
    clock.now += 1.0
    assert list(reader.spent_many(["c1", "c2", "c1"], 0)) == [700, 0, 700]
    # A reserve answers the network's fresh spend, whoever spent it.
    assert writer.reserve("c1", 0, "r2", 300, 10_000)
    assert reader.reserve("c1", 0, "r3", 1, 10_000)
    assert list(reader.spent_many(["c1"], 0)) == [1001]


def test_reservation_ids_expire_after_the_window():
    client = require_redis()
    ledger = RedisBudgetLedger(client, fresh_prefix(), idempotency_window_seconds=0.2)
    assert ledger.reserve("c1", 0, "r1", 100, 10_000)
    assert ledger.reserve("c1", 0, "r1", 100, 10_000)
    assert ledger.spent("c1", 0) == 100
    time.sleep(0.3)
    assert not ledger.release("c1", 0, "r1")  # too old to give back
    assert ledger.reserve("c1", 0, "r1", 100, 10_000)  # counts again
    assert ledger.spent("c1", 0) == 200


def test_no_reservation_key_outlives_the_window():
    client = require_redis()
    prefix = fresh_prefix()
    ledger = RedisBudgetLedger(client, prefix, idempotency_window_seconds=30)
    assert ledger.reserve("c1", 0, "r1", 100, 10_000)
    keys = [k for k in client.scan_iter(f"{prefix}:*") if k.count(b":") > 3]
    assert len(keys) == 1
    assert 0 < client.pttl(keys[0]) <= 30_000


def test_an_unreachable_redis_refuses_reserves_and_answers_the_cache():
    prefix = fresh_prefix()
    ledger = RedisBudgetLedger(require_redis(), prefix)
    assert ledger.reserve("c1", 0, "r1", 100, 10_000)
    down = RedisBudgetLedger(redis.Redis(port=free_port(), socket_connect_timeout=0.2), prefix)
    assert not down.reserve("c1", 0, "r2", 100, 10_000)
    assert list(down.spent_many(["c1"], 0)) == [0]
    assert list(ledger.spent_many(["c1"], 0)) == [100]  # the refused reserve spent nothing


@pytest.mark.parametrize("window", [0.0, -1.0, float("nan")])
def test_the_window_must_be_positive(window: float):
    with pytest.raises(ValueError, match="window"):
        RedisBudgetLedger(require_redis(), fresh_prefix(), idempotency_window_seconds=window)


def test_load_sets_a_day_the_network_has_not_reached():
    prefix = fresh_prefix()
    ledger = RedisBudgetLedger(require_redis(), prefix)
    ledger.load("c1", 7, 9000, {"r1": 2500})
    assert ledger.spent("c1", 7) == 9000
    assert ledger.reserve("c1", 7, "r1", 2500, 10_000)  # loaded ids stay idempotent
    assert ledger.spent("c1", 7) == 9000
    assert ledger.release("c1", 7, "r1")
    assert ledger.spent("c1", 7) == 6500
    # A second process starting on older durable state leaves the network's day alone.
    RedisBudgetLedger(require_redis(), prefix).load("c1", 7, 9000, {"r1": 2500})
    assert ledger.spent("c1", 7) == 6500
    RedisBudgetLedger(require_redis(), prefix).load("c1", 6, 100, {})
    assert ledger.spent("c1", 7) == 6500


@settings(max_examples=20, deadline=None)
@given(
    st.integers(0, 20_000),
    st.lists(st.integers(0, 3000), min_size=1, max_size=40),
)
def test_concurrent_clients_never_pass_the_budget(budget: int, amounts: list[int]):
    prefix = fresh_prefix()
    ledgers = [RedisBudgetLedger(require_redis(), prefix) for _ in range(4)]
    accepted: list[int] = []
    lock = threading.Lock()

    def spend(worker: int) -> None:
        for i, amount in enumerate(amounts):
            if ledgers[worker].reserve("c1", 0, f"w{worker}-{i}", amount, budget):
                with lock:
                    accepted.append(amount)

    threads = [threading.Thread(target=spend, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spent = ledgers[0].spent("c1", 0)
    assert spent == sum(accepted) <= budget


def test_the_servers_ledger_refuses_a_campaign_whose_hash_redis_lost():
    client = require_redis()
    prefix = fresh_prefix()
    ledger = RedisBudgetLedger(client, prefix, open_campaigns_only=True)
    assert not ledger.reserve("never-opened", 0, "r0", 100, 10_000)
    assert ledger.lost == {"never-opened"}
    ledger.open(["c1"])
    assert ledger.reserve("c1", 3, "r1", 4000, 10_000)  # an opened campaign starts empty
    ledger.open(["c1"])  # opening again keeps its spend
    assert ledger.spent("c1", 3) == 4000
    client.delete(f"{prefix}:ledger:{{c1}}")  # what a flush or a restart of Redis does
    assert not ledger.reserve("c1", 3, "r2", 1000, 10_000)
    assert ledger.lost == {"never-opened", "c1"}
    ledger.load("c1", 3, 4000, {"r1": 4000})  # rebuilt from the database
    assert ledger.lost == {"never-opened"}
    assert ledger.reserve("c1", 3, "r1", 4000, 10_000)  # still idempotent
    assert not ledger.reserve("c1", 3, "r3", 6001, 10_000)
    assert ledger.reserve("c1", 3, "r3", 6000, 10_000)
    assert ledger.spent("c1", 3) == 10_000


def test_the_servers_ledger_finds_a_lost_hash_when_it_reads_spend():
    client = require_redis()
    prefix = fresh_prefix()
    clock = FakeClock()
    ledger = RedisBudgetLedger(client, prefix, clock=clock, open_campaigns_only=True)
    ledger.open(["c1", "c2"])
    assert list(ledger.spent_many(["c1", "c2"], 0)) == [0, 0]
    assert ledger.lost == set()
    client.delete(f"{prefix}:ledger:{{c2}}")
    clock.now += 1.0
    ledger.spent_many(["c1", "c2"], 0)
    assert ledger.lost == {"c2"}
