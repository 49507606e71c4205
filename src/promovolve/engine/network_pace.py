"""A campaign's traffic still to come, over every site where it competes.

The default gate paces a campaign by `impressions its budget still buys / eligible requests
still to come`. The denominator is the network's: each site publishes its own forecast of
the campaign's eligible requests still to come today (the site's remaining traffic times the
share of it the campaign is eligible for), and every site divides by the sum. Each site then
applies that one rate to its own requests, so K sites together buy at the campaign's pace,
not K times it.

A site's figure is one entry, written only by that site's engine (a plain store, never an
increment), so a shared implementation can combine many processes' entries without a
read-modify-write: each process sets the entries of the sites it serves and reads the rest.
The entries of one campaign are linked in a ring (`ring[e]` is the next entry of the same
campaign), so compiled code sums them without a lookup.

The campaign's credit (what the gate lets it buy; `pacing/forecast.py`) is one per campaign,
shared by every site of the process: it is earned on each site's eligible requests and spent
by a win on any of them. A site where higher bids take the requests the campaign is admitted
for then leaves its share to the campaign's other sites at the same hours, so the campaign
still buys along the traffic of all its sites. Credits change on every request, so they are
never shared across processes: each process's credits pace its share of every site's
traffic.
"""

from __future__ import annotations

import math
from array import array
from typing import Protocol

from promovolve.engine.candidates import FloatTable, IntTable, RowTable
from promovolve.engine.paid_prices import PaidPrices


class NetworkPace(Protocol):
    """Per (campaign, site) forecasts of eligible requests still to come today."""

    @property
    def expected(self) -> FloatTable: ...

    @property
    def ring(self) -> IntTable: ...

    def site(self, site_id: str) -> RowTable:
        """The entries one site writes: `row(campaign_id)` is the campaign's entry there."""
        ...

    def total(self, campaign_id: str) -> float:
        """The campaign's eligible requests still to come, summed over its sites."""
        ...

    def clear_site(self, site_id: str) -> None:
        """A site that stops serving (removed, archived) expects nothing more."""
        ...

    @property
    def credit(self) -> FloatTable: ...

    @property
    def credit_since(self) -> FloatTable: ...

    def credit_row(self, campaign_id: str) -> int:
        """The campaign's row in `credit`: one per campaign, shared by every site here."""
        ...

    @property
    def paid_prices(self) -> PaidPrices:
        """Each campaign's recent average paid price over every site here."""
        ...


class SiteEntries:
    """One site's entries in an in-memory network pace."""

    __slots__ = ("_network", "_rows", "site_id")

    def __init__(self, network: InMemoryNetworkPace, site_id: str) -> None:
        self._network = network
        self.site_id = site_id
        self._rows: dict[str, int] = {}

    def row(self, campaign_id: str) -> int:
        entry = self._rows.get(campaign_id)
        if entry is None:
            entry = self._rows[campaign_id] = self._network.add_entry(campaign_id)
        return entry

    def entries(self) -> list[int]:
        return list(self._rows.values())

    def items(self) -> list[tuple[str, int]]:
        """(campaign id, entry) of every campaign the site has an entry for."""
        return list(self._rows.items())


class InMemoryNetworkPace:
    """The network pace of one process: every site engine of the process shares it."""

    __slots__ = (
        "_any_entry",
        "_credit_rows",
        "_sites",
        "credit",
        "credit_since",
        "expected",
        "paid_prices",
        "ring",
    )

    def __init__(self) -> None:
        self.expected: FloatTable = array("d")
        self.ring: IntTable = array("q")
        self._any_entry: dict[str, int] = {}  # campaign id → one of its entries
        self._sites: dict[str, SiteEntries] = {}
        # A campaign's credit, earned on every site's eligible requests and spent by a win
        # on any of them, and the start of the day it was earned on (a new day starts from
        # none).
        self.credit: FloatTable = array("d")
        self.credit_since: FloatTable = array("d")
        self._credit_rows: dict[str, int] = {}
        # The price a credit buys: one average per campaign over all its sites, so every
        # site adds the same impressions to the credit for the same request.
        self.paid_prices = PaidPrices()

    def credit_row(self, campaign_id: str) -> int:
        row = self._credit_rows.get(campaign_id)
        if row is None:
            row = self._credit_rows[campaign_id] = len(self.credit)
            self.credit.append(0.0)
            self.credit_since.append(-math.inf)
        return row

    def site(self, site_id: str) -> SiteEntries:
        entries = self._sites.get(site_id)
        if entries is None:
            entries = self._sites[site_id] = SiteEntries(self, site_id)
        return entries

    def add_entry(self, campaign_id: str) -> int:
        entry = len(self.expected)
        self.expected.append(0.0)
        other = self._any_entry.get(campaign_id)
        if other is None:
            self._any_entry[campaign_id] = entry
            self.ring.append(entry)
        else:
            self.ring.append(self.ring[other])
            self.ring[other] = entry
        return entry

    def total(self, campaign_id: str) -> float:
        first = self._any_entry.get(campaign_id)
        if first is None:
            return 0.0
        total, entry = self.expected[first], self.ring[first]
        while entry != first:
            total += self.expected[entry]
            entry = self.ring[entry]
        return total

    def clear_site(self, site_id: str) -> None:
        entries = self._sites.get(site_id)
        if entries is not None:
            for entry in entries.entries():
                self.expected[entry] = 0.0
