"""Each campaign's spend over its life, split at its latest day.

A lifetime budget needs what a campaign spent before today. The budget ledger keeps only a
campaign's current day, so every engine of the process reports here what it reserves and
gives back; at start it is loaded from the lifetime aggregates.
"""

from __future__ import annotations


class LifetimeSpend:
    def __init__(self) -> None:
        # campaign → [its latest day, spend before that day, spend on that day]
        self._rows: dict[str, list[int]] = {}

    def add(self, campaign_id: str, day: int, amount: int) -> None:
        """`amount` (negative: given back) spent by the campaign on `day`."""
        row = self._rows.get(campaign_id)
        if row is None:
            self._rows[campaign_id] = [day, 0, amount]
        elif day == row[0]:
            row[2] += amount
        elif day > row[0]:
            row[0], row[1], row[2] = day, row[1] + row[2], amount
        else:  # a past day's spend given back late
            row[1] += amount

    def before(self, campaign_id: str, day: int) -> int:
        """What the campaign spent before `day` (for its latest day or a later one)."""
        row = self._rows.get(campaign_id)
        if row is None:
            return 0
        return row[1] if day <= row[0] else row[1] + row[2]

    def total(self, campaign_id: str) -> int:
        row = self._rows.get(campaign_id)
        return 0 if row is None else row[1] + row[2]

    def load(self, campaign_id: str, day: int, before: int, on_day: int) -> None:
        """Set a campaign from durable state: its latest day, spend before it and on it."""
        self._rows[campaign_id] = [day, before, on_day]
