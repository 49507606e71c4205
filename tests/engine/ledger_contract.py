"""The contract every BudgetLedger implementation must pass (in memory now, Redis later).

Use it by subclassing with a `make_ledger` that returns a fresh, empty ledger:

    class TestInMemoryBudgetLedger(BudgetLedgerContract):
        def make_ledger(self) -> BudgetLedger:
            return InMemoryBudgetLedger()

The rules (see promovolve.domain.ledger.BudgetLedger):
- a reservation is all or nothing: accepted, it adds its amount; refused, it changes nothing;
- a day's spend never passes the budget named by the reservation;
- idempotent by request id: a repeat of an accepted request id answers True and changes nothing,
  while a refused request id may be tried again;
- a reservation naming a newer day starts the campaign's day afresh; an older day is refused.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promovolve.domain.ledger import BudgetLedger

# The same property test runs once per implementation (subclass).
CONTRACT_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.differing_executors]
)

BUDGET = 10_000


class BudgetLedgerContract:
    def make_ledger(self) -> BudgetLedger:
        raise NotImplementedError

    # -- reserving -------------------------------------------------------------------------
    def test_nothing_spent_at_first(self):
        ledger = self.make_ledger()
        assert ledger.spent("c1", 0) == 0

    def test_reserve_within_budget_adds_the_amount(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 0, "r1", 2500, BUDGET)
        assert ledger.spent("c1", 0) == 2500
        assert ledger.reserve("c1", 0, "r2", 2500, BUDGET)
        assert ledger.spent("c1", 0) == 5000

    def test_reserve_up_to_exactly_the_budget(self):
        ledger = self.make_ledger()
        for i in range(4):
            assert ledger.reserve("c1", 0, f"r{i}", 2500, BUDGET)
        assert ledger.spent("c1", 0) == BUDGET
        assert not ledger.reserve("c1", 0, "r4", 1, BUDGET)
        assert ledger.spent("c1", 0) == BUDGET

    def test_refused_reservation_changes_nothing(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 0, "r1", 9000, BUDGET)
        assert not ledger.reserve("c1", 0, "r2", 1001, BUDGET)
        assert ledger.spent("c1", 0) == 9000
        # Nothing was half-done: the remaining 1000 is still there in full.
        assert ledger.reserve("c1", 0, "r3", 1000, BUDGET)
        assert ledger.spent("c1", 0) == BUDGET

    def test_amount_above_budget_is_refused(self):
        ledger = self.make_ledger()
        assert not ledger.reserve("c1", 0, "r1", BUDGET + 1, BUDGET)
        assert ledger.spent("c1", 0) == 0

    def test_negative_amount_is_refused(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 0, "r1", 5000, BUDGET)
        assert not ledger.reserve("c1", 0, "r2", -5000, BUDGET)
        assert ledger.spent("c1", 0) == 5000

    def test_budget_is_the_one_named_by_the_reservation(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 0, "r1", 6000, BUDGET)
        # The advertiser lowered the budget below today's spend: nothing more fits.
        assert not ledger.reserve("c1", 0, "r2", 1, 5000)
        assert ledger.spent("c1", 0) == 6000
        # Raised again: it fits.
        assert ledger.reserve("c1", 0, "r3", 4000, 20_000)
        assert ledger.spent("c1", 0) == 10_000

    def test_campaigns_are_independent(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 0, "r1", BUDGET, BUDGET)
        assert ledger.reserve("c2", 0, "r1", 3000, BUDGET)  # same request id, other campaign
        assert ledger.spent("c1", 0) == BUDGET
        assert ledger.spent("c2", 0) == 3000

    # -- idempotency -------------------------------------------------------------------------
    def test_repeat_request_id_answers_true_and_changes_nothing(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 0, "r1", 2500, BUDGET)
        assert ledger.reserve("c1", 0, "r1", 2500, BUDGET)
        assert ledger.spent("c1", 0) == 2500
        # Even with another amount, or when the budget is now full.
        assert ledger.reserve("c1", 0, "r1", 9999, BUDGET)
        assert ledger.spent("c1", 0) == 2500
        assert ledger.reserve("c1", 0, "r2", 7500, BUDGET)
        assert ledger.reserve("c1", 0, "r1", 2500, BUDGET)
        assert ledger.spent("c1", 0) == BUDGET

    def test_refused_request_id_may_be_retried(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 0, "r1", 8000, BUDGET)
        assert not ledger.reserve("c1", 0, "r2", 5000, BUDGET)
        assert ledger.reserve("c1", 0, "r2", 5000, 20_000)
        assert ledger.spent("c1", 0) == 13_000

    # -- days --------------------------------------------------------------------------------
    def test_new_day_starts_afresh(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 0, "r1", BUDGET, BUDGET)
        assert not ledger.reserve("c1", 0, "r2", 1, BUDGET)
        assert ledger.reserve("c1", 1, "r3", 4000, BUDGET)
        assert ledger.spent("c1", 1) == 4000
        assert ledger.spent("c1", 0) == 0  # only the current day is answered

    def test_older_day_is_refused(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 5, "r1", 1000, BUDGET)
        assert not ledger.reserve("c1", 4, "r2", 1000, BUDGET)
        assert ledger.spent("c1", 5) == 1000
        assert ledger.spent("c1", 4) == 0

    def test_spent_of_another_day_is_zero(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 3, "r1", 1000, BUDGET)
        assert ledger.spent("c1", 3) == 1000
        assert ledger.spent("c1", 2) == 0
        assert ledger.spent("c1", 4) == 0

    def test_days_are_per_campaign(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 1, "r1", 1000, BUDGET)
        assert ledger.reserve("c2", 0, "r1", 2000, BUDGET)
        assert ledger.spent("c1", 1) == 1000
        assert ledger.spent("c2", 0) == 2000

    # -- properties --------------------------------------------------------------------------
    @CONTRACT_SETTINGS
    @given(
        st.integers(min_value=0, max_value=50_000),
        st.lists(
            st.tuples(st.integers(0, 30), st.integers(0, 6000)),
            max_size=80,
        ),
    )
    def test_spend_never_exceeds_budget_and_sums_distinct_accepted_ids(
        self, budget: int, reservations: list[tuple[int, int]]
    ):
        ledger = self.make_ledger()
        accepted: dict[str, int] = {}
        for n, amount in reservations:
            request_id = f"r{n}"
            ok = ledger.reserve("c1", 0, request_id, amount, budget)
            if ok and request_id not in accepted:
                accepted[request_id] = amount
            spent = ledger.spent("c1", 0)
            assert spent <= budget
            assert spent == sum(accepted.values())
        if reservations:
            # A repeat of an accepted id is accepted; a fresh id is accepted iff it fits.
            first_id = f"r{reservations[0][0]}"
            if first_id in accepted:
                assert ledger.reserve("c1", 0, first_id, 1, budget)
                assert ledger.spent("c1", 0) == sum(accepted.values())

    # -- releasing -------------------------------------------------------------------------
    def test_release_returns_the_amount_and_frees_the_request_id(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 0, "r1", 300, BUDGET)
        assert ledger.reserve("c1", 0, "r2", 200, BUDGET)
        assert ledger.release("c1", 0, "r1") is True
        assert ledger.spent("c1", 0) == 200
        assert ledger.release("c1", 0, "r1") is False  # once only
        assert ledger.reserve("c1", 0, "r1", 300, BUDGET)
        assert ledger.spent("c1", 0) == 500

    def test_release_of_an_unknown_reservation_or_another_day_changes_nothing(self):
        ledger = self.make_ledger()
        assert ledger.release("c1", 0, "r1") is False
        assert ledger.reserve("c1", 1, "r1", 300, BUDGET)
        assert ledger.release("c1", 0, "r1") is False
        assert ledger.release("c2", 1, "r1") is False
        assert ledger.spent("c1", 1) == 300

    def test_a_refund_gives_spend_back_on_the_current_day_only(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 1, "r1", 300, BUDGET)
        assert ledger.refund("c1", 1, 100) is True
        assert ledger.spent("c1", 1) == 200
        assert ledger.refund("c1", 0, 100) is False  # a past day: history, not budget
        assert ledger.refund("c2", 1, 100) is False
        assert ledger.spent("c1", 1) == 200
        assert ledger.reserve("c1", 1, "r2", BUDGET - 200, BUDGET)

    def test_released_budget_can_be_spent_again(self):
        ledger = self.make_ledger()
        assert ledger.reserve("c1", 0, "r1", BUDGET, BUDGET)
        assert not ledger.reserve("c1", 0, "r2", 1, BUDGET)
        assert ledger.release("c1", 0, "r1")
        assert ledger.reserve("c1", 0, "r2", BUDGET, BUDGET)

    @CONTRACT_SETTINGS
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["c1", "c2"]),
                st.integers(0, 3),  # day
                st.integers(0, 20),  # request id
                st.integers(-10, 4000),  # amount
            ),
            max_size=80,
        )
    )
    def test_matches_the_reference_model(self, steps: list[tuple[str, int, int, int]]):
        ledger = self.make_ledger()
        budget = 10_000
        days: dict[str, int] = {}
        reserved: dict[str, dict[str, int]] = {}
        for campaign, day, n, amount in steps:
            request_id = f"r{n}"
            current = days.get(campaign)
            if current is None or day > current:
                days[campaign], reserved[campaign] = day, {}
            if day < days[campaign]:
                expected = False
            elif request_id in reserved[campaign]:
                expected = True
            else:
                spent = sum(reserved[campaign].values())
                expected = amount >= 0 and spent + amount <= budget
                if expected:
                    reserved[campaign][request_id] = amount
            assert ledger.reserve(campaign, day, request_id, amount, budget) is expected
            for c, d in days.items():
                assert ledger.spent(c, d) == sum(reserved[c].values()) <= budget
            for query_day in range(4):
                names = ["c2", "c1", "c3", "c1"]
                assert list(ledger.spent_many(names, query_day)) == [
                    ledger.spent(name, query_day) for name in names
                ]
