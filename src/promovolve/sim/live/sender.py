"""The live simulator's serve requests: sent concurrently (at most ``concurrency`` in
flight), each answer's outcomes counted, and the beacons of its selected slots fired."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

import httpx
from rich.text import Text

from promovolve.sim.live.api import describe_transport_error, error_from_response
from promovolve.sim.live.beacons import Beacons
from promovolve.sim.live.counters import SimCounters
from promovolve.sim.live.measure import LiveMeasure
from promovolve.sim.live.values import number
from promovolve.sim.live.world import SimWorld
from promovolve.sim.plan import SLOT_HEIGHT, SLOT_ID, SLOT_WIDTH
from promovolve.sim.trace import OUTCOMES

# This many consecutive connection failures means the server is gone: stop the run.
MAX_CONSECUTIVE_FAILURES = 25
# How many distinct error messages are printed as they happen (all are counted).
MAX_PRINTED_ERRORS = 10


class ErrorLog:
    """Counts every error message; prints the first few distinct ones as they happen."""

    def __init__(self, counters: SimCounters, show: Callable[[Text], None]) -> None:
        self.counters = counters
        self.show = show
        self.printed = 0

    def note(self, message: str) -> None:
        self.counters.errors[message] += 1
        if self.counters.errors[message] == 1 and self.printed < MAX_PRINTED_ERRORS:
            self.printed += 1
            self.show(Text(f"error: {message}", style="bold red"))


class Sender:
    """Sends one ``/v1/serve`` per arrival as a task, to each of ``urls`` in turn (several
    processes of one network); ``on_answer`` runs after each answer is counted, ``on_gone``
    once when the servers stop answering at all. Each answered slot goes to ``measure``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        counters: SimCounters,
        beacons: Beacons,
        errors: ErrorLog,
        concurrency: int,
        on_answer: Callable[[], None],
        on_gone: Callable[[str], None],
        urls: Sequence[str] = ("",),
        measure: LiveMeasure | None = None,
    ) -> None:
        self.client = client
        self.measure = measure
        self._targets = itertools.cycle([u.rstrip("/") for u in urls])
        self.counters = counters
        self.beacons = beacons
        self.errors = errors
        self.on_answer = on_answer
        self.on_gone = on_gone
        # Dollars the answered selections carried, by the simulator's day of the request.
        self.day_spend: defaultdict[int, float] = defaultdict(float)
        self.tasks: set[asyncio.Task[None]] = set()
        self.beacon_tasks: set[asyncio.Task[None]] = set()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._consecutive_failures = 0

    async def send(self, world: SimWorld, day: int) -> None:
        """Start the next request once fewer than ``concurrency`` are in flight."""
        await self._semaphore.acquire()
        self.counters.dispatched += 1
        task = asyncio.create_task(self._request(world, self.counters.dispatched, day))
        self.tasks.add(task)
        task.add_done_callback(self._done)

    async def drain(self, beacons: bool = True) -> None:
        """Wait for the requests in flight (and, unless told not to, their beacons, which
        come a viewable second later)."""
        if self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        if beacons and self.beacon_tasks:
            await asyncio.gather(*list(self.beacon_tasks), return_exceptions=True)

    def abandon(self) -> None:
        for task in [*self.tasks, *self.beacon_tasks]:
            task.cancel()

    def _beacon_done(self, task: asyncio.Task[None]) -> None:
        self.beacon_tasks.discard(task)
        self._done(task)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (failure := task.exception()) is not None:
            self.errors.note(f"simulator: {type(failure).__name__}: {failure}")

    async def _request(self, world: SimWorld, number_: int, day: int) -> None:
        body = {
            "siteId": world.site_id,
            "url": f"{world.page_url}/{number_}",
            "slots": [{"id": SLOT_ID, "width": SLOT_WIDTH, "height": SLOT_HEIGHT}],
            "categories": list(world.categories),
        }
        # Each page view is a reader of its own: the server (trusting the simulator as a
        # proxy) caps and checks readers, not the one machine they are simulated on.
        headers = {"X-Forwarded-For": reader_address(number_)}
        try:
            try:
                response = await self.client.post(
                    f"{next(self._targets)}/v1/serve", json=body, headers=headers
                )
            except httpx.HTTPError as error:
                self.counters.serve_errors += 1
                self._failure(f"POST /v1/serve: {describe_transport_error(error)}")
                return
            self._consecutive_failures = 0
            if response.status_code >= 400:
                self.counters.serve_errors += 1
                self.errors.note(str(error_from_response("POST", "/v1/serve", response)))
                return
            try:
                answer = response.json()
            except ValueError:
                self.counters.serve_errors += 1
                self.errors.note("POST /v1/serve: the answer is not JSON")
                return
            self.counters.requests += 1
            answered_at = time.time()
            slots = answer.get("slots") if isinstance(answer, Mapping) else None
            slots = [s for s in slots if isinstance(s, Mapping)] if isinstance(slots, list) else []
            for slot in slots:  # count the outcomes before any await, so reports agree
                outcome = str(slot.get("outcome", "unknown"))
                self.counters.outcomes[outcome] += 1
                price = number(slot.get("priceCpm"))
                if outcome == "selected" and price is not None:
                    self.day_spend[day] += price / 1000
                if self.measure is not None and outcome in OUTCOMES:
                    self._measure(answered_at, outcome, slot, price)
            self.on_answer()
            # The beacons come a second later, as a viewable ad's do: tasks of their own, so
            # neither the next request nor a day's close waits for them (the end does).
            for slot in slots:
                if slot.get("outcome") == "selected":
                    task = asyncio.create_task(self.beacons.fire(slot, headers))
                    self.beacon_tasks.add(task)
                    task.add_done_callback(self._beacon_done)
        finally:
            self._semaphore.release()

    def _measure(
        self, at: float, outcome: str, slot: Mapping[str, object], price: float | None
    ) -> None:
        assert self.measure is not None
        creative = slot.get("creative")
        campaign = creative.get("campaignId") if isinstance(creative, Mapping) else None
        if outcome == "selected" and isinstance(campaign, str) and price is not None:
            # priceCpm is per thousand slots: the slot's price in micros is priceCpm × 1000.
            day = _beacon_day(slot.get("impressionUrl"))
            self.measure.record(at, outcome, campaign, round(price * 1000), day)
        else:
            self.measure.record(at, outcome, None, None)

    def _failure(self, message: str) -> None:
        self.errors.note(message)
        self._consecutive_failures += 1
        if self._consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
            self.on_gone(f"stopping: {self._consecutive_failures} requests in a row failed")


def reader_address(number_: int) -> str:
    """A reader's address in 10.0.0.0/8 (documentation of no one), one per page view."""
    n = number_ % (1 << 24)
    return f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}"


def _beacon_day(url: object) -> int | None:
    """The server's day index a signed impression URL names (the day that paid)."""
    if not isinstance(url, str):
        return None
    day = httpx.URL(url).params.get("day")
    return int(day) if day is not None and day.isdigit() else None
