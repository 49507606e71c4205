"""InMemoryBudgetLedger: the budget ledger contract, the idempotency window, and rebuilding
from durable state."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.ledger import BudgetLedger, fits_budget
from promovolve.engine.memory import InMemoryBudgetLedger
from tests.engine.ledger_contract import BudgetLedgerContract

WINDOW = 60.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestInMemoryBudgetLedger(BudgetLedgerContract):
    def make_ledger(self) -> BudgetLedger:
        return InMemoryBudgetLedger()


def test_load_rebuilds_a_day_from_reservations():
    ledger = InMemoryBudgetLedger()
    ledger.load("c1", 7, 5000, {"r1": 2500, "r2": 2500})
    assert ledger.spent("c1", 7) == 5000
    # Loaded reservations stay idempotent, and the budget counts them.
    assert ledger.reserve("c1", 7, "r1", 2500, 10_000)
    assert ledger.spent("c1", 7) == 5000
    assert not ledger.reserve("c1", 7, "r3", 5001, 10_000)
    assert ledger.reserve("c1", 7, "r3", 5000, 10_000)
    assert not ledger.reserve("c1", 6, "r4", 1, 10_000)


def test_load_keeps_spend_older_than_the_window_without_its_ids():
    ledger = InMemoryBudgetLedger()
    ledger.load("c1", 2, 9000, {"r9": 1000})  # 8000 spent by reservations long gone
    assert ledger.spent("c1", 2) == 9000
    assert ledger.release("c1", 2, "r9")
    assert ledger.spent("c1", 2) == 8000
    assert ledger.reservations_held() == 0


def test_a_retry_inside_the_window_is_idempotent_and_one_after_two_windows_counts_again():
    clock = FakeClock()
    ledger = InMemoryBudgetLedger(WINDOW, clock)
    assert ledger.reserve("c1", 0, "r1", 100, 10_000)
    clock.now += WINDOW * 0.99
    assert ledger.reserve("c1", 0, "r1", 100, 10_000)
    assert ledger.spent("c1", 0) == 100
    clock.now += WINDOW * 2.01
    assert ledger.reserve("c1", 0, "r2", 1, 10_000)  # any call lets old generations go
    assert ledger.reservations_held() == 1
    assert ledger.reserve("c1", 0, "r1", 100, 10_000)
    assert ledger.spent("c1", 0) == 201


def test_a_reservation_older_than_the_window_may_not_be_released():
    clock = FakeClock()
    ledger = InMemoryBudgetLedger(WINDOW, clock)
    assert ledger.reserve("c1", 0, "r1", 100, 10_000)
    clock.now += WINDOW * 2.5
    assert not ledger.release("c1", 0, "r1")
    assert ledger.spent("c1", 0) == 100


@pytest.mark.parametrize("window", [0.0, -1.0, float("nan")])
def test_the_window_must_be_positive(window: float):
    with pytest.raises(ValueError, match="window"):
        InMemoryBudgetLedger(window)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, WINDOW * 1.5),  # seconds since the previous step
            st.integers(0, 40),  # request id
            st.integers(1, 300),  # amount (positive, so a counted retry shows in the spend)
        ),
        max_size=120,
    )
)
def test_window_keeps_retries_idempotent_and_memory_bounded(
    steps: list[tuple[float, int, int]],
):
    clock = FakeClock()
    ledger = InMemoryBudgetLedger(WINDOW, clock)
    budget = 10_000
    spent = 0
    accepted_at: dict[str, float] = {}  # request id → when it was last accepted as new
    for dt, n, amount in steps:
        clock.now += dt
        request_id = f"r{n}"
        age = clock.now - accepted_at[request_id] if request_id in accepted_at else None
        ok = ledger.reserve("c1", 0, request_id, amount, budget)
        now_spent = ledger.spent("c1", 0)
        if age is not None and age < WINDOW:
            assert ok and now_spent == spent  # a retry inside the window changes nothing
        elif age is not None and age < 2 * WINDOW:
            # Between one and two windows the id may be remembered or forgotten.
            assert ok or not fits_budget(spent, amount, budget)
            assert now_spent in (spent, spent + amount)
        else:
            assert ok is fits_budget(spent, amount, budget)
            assert now_spent == (spent + amount if ok else spent)
        if now_spent != spent:
            accepted_at[request_id] = clock.now
        spent = now_spent
        assert spent <= budget
        # Held ids: only those accepted within the last two windows.
        recent = sum(1 for t in accepted_at.values() if clock.now - t < 2 * WINDOW)
        assert ledger.reservations_held() <= recent


def test_memory_stays_bounded_under_steady_traffic():
    clock = FakeClock()
    ledger = InMemoryBudgetLedger(WINDOW, clock)
    per_second = 50
    for i in range(int(10 * WINDOW) * per_second):
        clock.now += 1 / per_second
        assert ledger.reserve(f"c{i % 7}", 0, f"r{i}", 1, 10**9)
        assert ledger.reservations_held() <= 2 * WINDOW * per_second + 1
    assert sum(ledger.spent(f"c{c}", 0) for c in range(7)) == int(10 * WINDOW) * per_second


def test_fits_budget():
    assert fits_budget(0, 10, 10)
    assert not fits_budget(1, 10, 10)
    assert not fits_budget(0, -1, 10)
    assert fits_budget(5, 0, 5)


@given(
    st.lists(
        # campaign, day, amount
        st.tuples(st.integers(0, 4), st.integers(0, 2), st.integers(1, 900)),
        max_size=40,
    ),
    st.lists(st.integers(0, 4), min_size=1, max_size=6),
)
def test_spent_many_of_a_kept_tuple_follows_every_reservation(
    reservations: list[tuple[int, int, int]], asked: list[int]
) -> None:
    # A pool asks with the same tuple every time: the ledger may keep its rows, never its
    # answer; an equal list or another equal tuple answers the same.
    ledger = InMemoryBudgetLedger()
    ids = tuple(f"c{i}" for i in asked)
    for n, (campaign, day, amount) in enumerate(reservations):
        ledger.reserve(f"c{campaign}", day, f"r{n}", amount, 10_000)
        for query_day in range(3):
            expected = [ledger.spent(c, query_day) for c in ids]
            assert list(ledger.spent_many(ids, query_day)) == expected
            assert list(ledger.spent_many(list(ids), query_day)) == expected
            assert list(ledger.spent_many(tuple(list(ids)), query_day)) == expected
