"""Each campaign's spend over its life, split at its latest day.

A lifetime budget needs what a campaign spent before today. Every engine of the process
reports here what it reserves and gives back; at start it is loaded from the lifetime
aggregates. With several processes that is only this process's part: the ledger in Redis
then tells it the network's count (`learn`) with each answer, and `version` changes when a
share worked out from less than that was refused, so the pools built on it are rebuilt.
"""

from __future__ import annotations


class LifetimeSpend:
    def __init__(self) -> None:
        # campaign → [its latest day, spend before that day, spend on that day]
        self._rows: dict[str, list[int]] = {}
        self.version = 0

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

    def learn(self, campaign_id: str, day: int, before: int, on_day: int) -> None:
        """The network's count of the campaign on `day`, its current day there: spend
        before that day and on it. News of a day older than this process's is ignored."""
        row = self._rows.get(campaign_id)
        if row is None or day >= row[0]:
            self._rows[campaign_id] = [day, before, on_day]

    def share_refused(self) -> None:
        """A ledger refused a day's share worked out from less than the network's count
        (learnt just before): the pools, which carry each share, are built afresh. One
        worked out from more is only cautious, and waits for the next build."""
        self.version += 1

    def load(self, campaign_id: str, day: int, before: int, on_day: int) -> None:
        """Set a campaign from durable state: its latest day, spend before it and on it."""
        self._rows[campaign_id] = [day, before, on_day]
