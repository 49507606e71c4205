"""The budget ledger: the only way a campaign's spend changes.

Every implementation (in memory now, Redis later) reserves atomically and
idempotently by request id, never lets a day's spend pass the budget, and starts
each campaign's day afresh when a reservation names a newer day.

Idempotency lasts for an idempotency window (as long as a retry can arrive), not for
the whole day, so memory does not grow with traffic. In Redis a reservation is one
script: a key per request id set only if absent with the window as its expiry, and the
day's spend incremented in the same step; a release deletes the key and gives the
amount back, also in one step.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Protocol

# Retries arrive within seconds, and a failed write's release within the SQLite busy timeout
# (30 s); memory holds up to two windows of reservations.
DEFAULT_IDEMPOTENCY_WINDOW_SECONDS = 60.0


class BudgetLedger(Protocol):
    def reserve(
        self,
        campaign_id: str,
        day: int,
        request_id: str,
        amount: int,
        budget: int,
        spent_before: int | None = None,
    ) -> bool:
        """Add `amount` to the campaign's spend for `day` if it stays within `budget`.

        `spent_before` is the campaign's spend before `day` that `budget` was worked out
        from (a lifetime budget's share of the day; None for a daily budget). A ledger
        shared by processes refuses it when the network counts more (then the caller's
        share is too large); one process's own ledger may ignore it, since that process
        counts every reservation itself.

        Repeating a request id that was reserved answers True and changes nothing,
        for at least the idempotency window after it was reserved (later it may count
        again); a request id that was refused may be tried again. A day older than the
        campaign's current day is refused.
        """
        ...

    def spent(self, campaign_id: str, day: int) -> int:
        """Spend of the campaign on `day` (0 for any day but its current one)."""
        ...

    def release(self, campaign_id: str, day: int, request_id: str) -> bool:
        """Take back an accepted reservation of `day` (its answer could not be recorded).

        Its amount returns to the budget and the request id may be reserved again;
        False, changing nothing, when there is no such reservation on that day (or it
        is older than the idempotency window).
        """
        ...

    def refund(self, campaign_id: str, day: int, amount: int) -> bool:
        """Give `amount` of `day`'s spend back to the budget (a reservation settled unviewed,
        long after its id was forgotten: the durable record makes it happen once); False,
        changing nothing of any day's spend, when `day` is not the campaign's current day
        (a shared ledger takes an earlier day's refund off its spend before that day)."""
        ...

    def spent_many(self, campaign_ids: Sequence[str], day: int) -> array[int]:
        """`spent` of each campaign, in order, as `array('q')` (one call for a whole
        candidate pool; the engine reads it as a buffer)."""
        ...


def fits_budget(spent: int, amount: int, budget: int) -> bool:
    return amount >= 0 and spent + amount <= budget
