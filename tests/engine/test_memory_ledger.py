"""InMemoryBudgetLedger: the budget ledger contract, plus rebuilding from durable reservations."""

from __future__ import annotations

from promovolve.domain.ledger import BudgetLedger, fits_budget
from promovolve.engine.memory import InMemoryBudgetLedger
from tests.engine.ledger_contract import BudgetLedgerContract


class TestInMemoryBudgetLedger(BudgetLedgerContract):
    def make_ledger(self) -> BudgetLedger:
        return InMemoryBudgetLedger()


def test_load_rebuilds_a_day_from_reservations():
    ledger = InMemoryBudgetLedger()
    ledger.load("c1", 7, {"r1": 2500, "r2": 2500})
    assert ledger.spent("c1", 7) == 5000
    # Loaded reservations stay idempotent, and the budget counts them.
    assert ledger.reserve("c1", 7, "r1", 2500, 10_000)
    assert ledger.spent("c1", 7) == 5000
    assert not ledger.reserve("c1", 7, "r3", 5001, 10_000)
    assert ledger.reserve("c1", 7, "r3", 5000, 10_000)
    assert not ledger.reserve("c1", 6, "r4", 1, 10_000)


def test_fits_budget():
    assert fits_budget(0, 10, 10)
    assert not fits_budget(1, 10, 10)
    assert not fits_budget(0, -1, 10)
    assert fits_budget(5, 0, 5)
