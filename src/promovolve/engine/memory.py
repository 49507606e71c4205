"""In-memory implementations of the hot-state interfaces (the embedded default)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from promovolve.domain.ledger import fits_budget


@dataclass(slots=True)
class _Account:
    day: int
    spent: int = 0
    reservations: dict[str, int] = field(default_factory=dict)


class InMemoryBudgetLedger:
    """One process's ledger; atomic because the engine runs on one thread."""

    def __init__(self) -> None:
        self._accounts: dict[str, _Account] = {}

    def reserve(
        self, campaign_id: str, day: int, request_id: str, amount: int, budget: int
    ) -> bool:
        account = self._accounts.get(campaign_id)
        if account is None or day > account.day:
            account = self._accounts[campaign_id] = _Account(day)
        elif day < account.day:
            return False
        if request_id in account.reservations:
            return True
        if not fits_budget(account.spent, amount, budget):
            return False
        account.spent += amount
        account.reservations[request_id] = amount
        return True

    def release(self, campaign_id: str, day: int, request_id: str) -> bool:
        account = self._accounts.get(campaign_id)
        if account is None or account.day != day:
            return False
        amount = account.reservations.pop(request_id, None)
        if amount is None:
            return False
        account.spent -= amount
        return True

    def spent(self, campaign_id: str, day: int) -> int:
        account = self._accounts.get(campaign_id)
        return account.spent if account is not None and account.day == day else 0

    def spent_many(self, campaign_ids: Sequence[str], day: int) -> list[int]:
        get = self._accounts.get
        return [
            account.spent if (account := get(cid)) is not None and account.day == day else 0
            for cid in campaign_ids
        ]

    def load(self, campaign_id: str, day: int, reservations: dict[str, int]) -> None:
        """Rebuild a campaign's day from durable reservations (used at restart)."""
        self._accounts[campaign_id] = _Account(day, sum(reservations.values()), dict(reservations))
