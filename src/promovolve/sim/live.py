"""The live simulator: drives a running Promovolve server over HTTP with a scenario's traffic.

It creates the accounts, site, pacing config, campaigns and creatives through the public API,
approves the creatives, then sends real-time traffic shaped as the scenario says: arrival
times come from :func:`promovolve.sim.traffic.generate_day_arrivals`, aligned to the
server's day start; it sleeps until each arrival, posts ``/v1/serve``, fires the impression
beacon of every selected slot and the click beacon with the scenario's click rate, applies
churn and events at their times, and prints the seed's periodic report every
``reportEvery`` requests under a Rich Live status line. It resets nothing on the server.

Only HTTP is used here (DESIGN.md: live mode talks HTTP only).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from promovolve.sim.live_api import Api, ApiError, describe_transport_error, error_from_response
from promovolve.sim.live_report import Counts, PacingReporter, StatsSample, shape_lines
from promovolve.sim.scenario import HOURS_PER_DAY, Scenario
from promovolve.sim.traffic import generate_day_arrivals

DEFAULT_CONCURRENCY = 64
SLOT_ID = "slot-1"
SLOT_WIDTH, SLOT_HEIGHT = 300, 250
CDN_HOST = "cdn.promovolve-sim.example"
# This many consecutive connection failures means the server is gone: stop the run.
MAX_CONSECUTIVE_FAILURES = 25
# How many distinct error messages are printed as they happen (all are counted).
MAX_PRINTED_ERRORS = 10


class SimulationError(Exception):
    """The simulation could not run (setup refused, server unreachable); one-line message."""


@dataclass(slots=True)
class SimCampaign:
    advertiser: int
    index: int
    id: str
    advertiser_id: str
    key: str
    budget: float
    cpm: float
    active: bool = True
    creatives: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"adv-{self.advertiser}-camp-{self.index}"


@dataclass(slots=True)
class SimWorld:
    """Everything the simulator created on the server."""

    run_id: str
    publisher_id: str
    publisher_key: str
    site_id: str
    domain: str
    advertisers: dict[int, tuple[str, str]] = field(default_factory=dict)  # a → (id, key)
    campaigns: list[SimCampaign] = field(default_factory=list)
    ctr_by_creative: dict[str, float] = field(default_factory=dict)

    def active_budget(self) -> float:
        return sum(c.budget for c in self.campaigns if c.active)

    @property
    def creative_count(self) -> int:
        return sum(len(c.creatives) for c in self.campaigns)


@dataclass(frozen=True, slots=True)
class Action:
    """A churn entry or scheduled event: ``campaign`` None means all of the advertiser's."""

    action: str
    advertiser: int
    campaign: int | None = None
    budget: float | None = None


@dataclass(slots=True)
class SimCounters:
    dispatched: int = 0
    requests: int = 0  # answered serve requests
    serve_errors: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    impressions: int = 0
    clicks: int = 0
    beacon_errors: int = 0
    actions: int = 0
    skipped_before_start: int = 0
    max_lag: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class SimResult:
    world: SimWorld | None
    counters: SimCounters
    reports: int
    days: int
    elapsed: float
    interrupted: bool
    error: str | None
    test_stats: dict[str, Any] | None = None
    site_stats: dict[str, Any] | None = None


def _as_dict(value: object) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


class LiveSimulator:
    """One run of a scenario against a server. Create, then ``await run()``."""

    def __init__(
        self,
        scenario: Scenario,
        client: httpx.AsyncClient,
        admin_key: str,
        *,
        console: Console | None = None,
        continuous: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        run_id: str | None = None,
        live_display: bool = True,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.scenario = scenario
        self.client = client
        self.api = Api(client)
        self.admin_key = admin_key
        self.console = console or Console()
        self.continuous = continuous or scenario.continuous
        self.concurrency = concurrency
        self.run_id = run_id or secrets.token_hex(3)
        self.live_display = live_display
        self.counters = SimCounters()
        self.reporter = PacingReporter()
        self.world: SimWorld | None = None
        self.click_rng = random.Random(scenario.seed + 7919)
        self.arrival_rng = random.Random(scenario.seed)
        self.started = 0.0  # wall clock (epoch seconds) when traffic began
        self.day = 1
        self.day_start = 0.0
        self.reports = 0
        self.last_ratio: float | None = None
        self.last_learned: list[float] | None = None
        self._report_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._consecutive_failures = 0
        self._fatal: str | None = None
        self._stopping = False
        self._dispatcher: asyncio.Task[None] | None = None
        self._printed_errors = 0
        self.completed = False  # ran all of stopAfterDays
        self.day_end_stats: tuple[dict[str, Any] | None, dict[str, Any] | None] | None = None
        # Dollars the answered selections carried, by the simulator's day of the request.
        self.day_spend: defaultdict[int, float] = defaultdict(float)
        # The server's day index of the simulator's day 1 (None until known).
        self.server_day0: int | None = None

    # -- setup ------------------------------------------------------------------------------
    def _id(self, suffix: str) -> str:
        return f"sim-{self.run_id}-{suffix}"

    async def setup(self) -> SimWorld:
        """Create publisher, site, pacing config, advertisers, campaigns, creatives; approve."""
        s = self.scenario
        api = self.api
        created = await api.post(
            "/v1/publishers",
            self.admin_key,
            {"id": self._id("pub"), "name": f"Simulator publisher ({s.name})"},
        )
        publisher_id, publisher_key = _account(created, self._id("pub"), "/v1/publishers")
        domain = f"sim-{self.run_id}.example"
        site = await api.post(
            f"/v1/publishers/{publisher_id}/sites",
            publisher_key,
            {"id": self._id("site"), "domain": domain, "name": f"Simulated site ({s.name})"},
        )
        site_id = str((_as_dict(site) or {}).get("id") or self._id("site"))
        world = SimWorld(self.run_id, publisher_id, publisher_key, site_id, domain)
        self.world = world
        await api.put(
            f"/v1/publishers/{publisher_id}/sites/{site_id}/pacing",
            publisher_key,
            {
                "dayDurationSeconds": s.day_duration_seconds,
                "weekdayShapeVolumes": list(s.weekday_shape),
                "weekendShapeVolumes": list(s.weekend_shape),
                "warmupMode": False,
            },
        )
        creative_index = 0
        for a in range(1, s.advertisers + 1):
            created = await api.post(
                "/v1/advertisers",
                self.admin_key,
                {"id": self._id(f"adv-{a}"), "name": f"Simulated advertiser {a}"},
            )
            advertiser_id, advertiser_key = _account(
                created, self._id(f"adv-{a}"), "/v1/advertisers"
            )
            world.advertisers[a] = (advertiser_id, advertiser_key)
            for c in range(1, s.campaigns_per_advertiser + 1):
                label = f"adv-{a}-camp-{c}"
                base = f"/v1/advertisers/{advertiser_id}/campaigns"
                body = {
                    "id": self._id(label),
                    "name": f"{label} ({s.name})",
                    "dailyBudget": s.advertiser_budget(a),
                    "cpm": s.advertiser_cpm(a),
                    "categories": list(s.categories),
                    "keywords": [],
                    "status": "active",
                }
                answer = _as_dict(await api.post(base, advertiser_key, body)) or {}
                campaign = SimCampaign(
                    a,
                    c,
                    str(answer.get("id") or self._id(label)),
                    advertiser_id,
                    advertiser_key,
                    s.advertiser_budget(a),
                    s.advertiser_cpm(a),
                )
                world.campaigns.append(campaign)
                for k in range(1, s.creatives_per_campaign + 1):
                    creative_body = {
                        "id": self._id(f"{label}-cr-{k}"),
                        "assetUrl": f"https://{CDN_HOST}/{self.run_id}/{label}/creative-{k}.png",
                        "landingUrl": f"https://advertiser-{a}.example/landing/{c}/{k}",
                        "width": SLOT_WIDTH,
                        "height": SLOT_HEIGHT,
                    }
                    answer = (
                        _as_dict(
                            await api.post(
                                f"{base}/{campaign.id}/creatives", advertiser_key, creative_body
                            )
                        )
                        or {}
                    )
                    creative_id = str(answer.get("id") or creative_body["id"])
                    campaign.creatives.append(creative_id)
                    world.ctr_by_creative[creative_id] = s.creative_ctr(creative_index)
                    creative_index += 1
        approvals = f"/v1/publishers/{publisher_id}/sites/{site_id}/approvals"
        for campaign in world.campaigns:
            for creative_id in campaign.creatives:
                await api.post(f"{approvals}/{creative_id}/approve", publisher_key)
        return world

    # -- stats ------------------------------------------------------------------------------
    async def fetch_stats(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(``/test/site-stats``, per-site ``/v1`` stats); a failure is noted, not raised."""
        world = self.world
        if world is None:
            return None, None
        results: list[dict[str, Any] | None] = []
        for path in (
            f"/test/site-stats/{world.site_id}",
            f"/v1/publishers/{world.publisher_id}/sites/{world.site_id}/stats",
        ):
            try:
                results.append(_as_dict(await self.api.get(path, world.publisher_key)))
            except ApiError as error:
                self._note_error(str(error))
                results.append(None)
        return results[0], results[1]

    # -- traffic ------------------------------------------------------------------------------
    def _bucket(self, now: float) -> int:
        length = self.scenario.day_duration_seconds
        fraction = (now - self.day_start) / length
        return min(HOURS_PER_DAY - 1, max(0, int(fraction * HOURS_PER_DAY)))

    def _timeline(self, day: int) -> list[tuple[float, int, Action | None]]:
        """The day's arrivals (kind 1) and churn/events (kind 0, applied first at a tie)."""
        s = self.scenario
        length = s.day_duration_seconds
        items: list[tuple[float, int, Action | None]] = []
        for churn in s.churn:
            if churn.day == day:
                items.append((0.0, 0, Action(churn.action, churn.advertiser)))
        for event in s.events:
            if event.day == day:
                when = event.hour * length / HOURS_PER_DAY
                action = Action(event.action, event.advertiser, event.campaign, event.budget)
                items.append((when, 0, action))
        items.extend((t, 1, None) for t in generate_day_arrivals(s, day, self.arrival_rng))
        items.sort(key=lambda item: (item[0], item[1]))
        return items

    def _request_limit_reached(self) -> bool:
        limit = self.scenario.max_requests
        return not self.continuous and limit is not None and self.counters.dispatched >= limit

    async def _dispatch(self, first_day_start: float) -> None:
        s = self.scenario
        length = s.day_duration_seconds
        self.day = 1
        while True:
            self.day_start = first_day_start + (self.day - 1) * length
            cutoff = time.time() if self.day == 1 else float("-inf")
            for offset, kind, payload in self._timeline(self.day):
                target = self.day_start + offset
                if kind == 1 and target < cutoff:
                    self.counters.skipped_before_start += 1
                    continue
                delay = target - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    self.counters.max_lag = max(self.counters.max_lag, -delay)
                if self._fatal is not None:
                    return
                if payload is not None:
                    await self._apply_action(payload)
                    continue
                if self._request_limit_reached():
                    return
                await self._semaphore.acquire()
                self.counters.dispatched += 1
                task = asyncio.create_task(self._one_request(self.counters.dispatched, self.day))
                self._tasks.add(task)
                task.add_done_callback(self._task_done)
            # The day's arrivals are over: take the day's closing stats just before its end
            # (the server's "today" resets at the boundary), then the next day begins.
            day_end = self.day_start + length
            margin = min(1.0, length * 0.005)
            delay = day_end - margin - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            self.day_end_stats = await self.fetch_stats()
            self._print(Text(self._day_line(*self.day_end_stats), style="dim"))
            delay = day_end - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self.continuous and self.day >= s.stop_after_days:
                self.completed = True
                return
            self.day += 1

    def _day_line(
        self, test_stats: Mapping[str, Any] | None, site_stats: Mapping[str, Any] | None = None
    ) -> str:
        c = self.counters
        line = (
            f"Day {self.day} ended: {c.requests} requests so far, {c.outcomes['selected']} selected"
        )
        spend = _number((test_stats or {}).get("totalSpend"))
        source = ""
        server_day = _number((site_stats or {}).get("dayIndex"))
        if (
            spend is None
            or self.server_day0 is None
            or server_day != self.server_day0 + self.day - 1
        ):
            # The stats are not the server's account of this day (it rolled over before they
            # were taken, or they are missing): the answers' prices are the day's spend.
            spend = self.day_spend.get(self.day, 0.0)
            source = " (from the answers)"
        budget = self.world.active_budget() if self.world else 0.0
        if budget > 0:
            line += (
                f"; the day's spend ${spend:.4f}{source} of ${budget:.2f} ({spend / budget:.1%})"
            )
        return line

    async def _one_request(self, number: int, day: int) -> None:
        world = self.world
        assert world is not None
        body = {
            "siteId": world.site_id,
            "url": f"https://{world.domain}/articles/{number}",
            "slots": [{"id": SLOT_ID, "width": SLOT_WIDTH, "height": SLOT_HEIGHT}],
            "categories": list(self.scenario.categories),
        }
        try:
            try:
                response = await self.client.post("/v1/serve", json=body)
            except httpx.HTTPError as error:
                self.counters.serve_errors += 1
                self._failure(f"POST /v1/serve: {describe_transport_error(error)}")
                return
            if response.status_code >= 400:
                self.counters.serve_errors += 1
                self._consecutive_failures = 0
                self._note_error(str(error_from_response("POST", "/v1/serve", response)))
                return
            self._consecutive_failures = 0
            try:
                answer = response.json()
            except ValueError:
                self.counters.serve_errors += 1
                self._note_error("POST /v1/serve: the answer is not JSON")
                return
            self.counters.requests += 1
            slots = answer.get("slots") if isinstance(answer, Mapping) else None
            slots = [s for s in slots if isinstance(s, Mapping)] if isinstance(slots, list) else []
            for slot in slots:  # count the outcomes before any await, so reports agree
                outcome = str(slot.get("outcome", "unknown"))
                self.counters.outcomes[outcome] += 1
                price = _number(slot.get("priceCpm"))
                if outcome == "selected" and price is not None:
                    self.day_spend[day] += price / 1000
            if self.counters.requests % self.scenario.report_every == 0:
                self._schedule_report()
            for slot in slots:
                await self._handle_slot(slot)
        finally:
            self._semaphore.release()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (failure := task.exception()) is not None:
            self._note_error(f"simulator: {type(failure).__name__}: {failure}")

    async def _handle_slot(self, slot: Mapping[str, Any]) -> None:
        if slot.get("outcome") != "selected":
            return
        creative = slot.get("creative")
        creative_id = str(creative.get("id")) if isinstance(creative, Mapping) else ""
        impression_url = slot.get("impressionUrl")
        if isinstance(impression_url, str) and impression_url:
            if await self._beacon("impression", impression_url):
                self.counters.impressions += 1
            else:
                return  # no impression, so no click
        ctr = (
            self.world.ctr_by_creative.get(creative_id, self.scenario.click_rate)
            if self.world
            else self.scenario.click_rate
        )
        click_url = slot.get("clickUrl")
        if (
            isinstance(click_url, str)
            and click_url
            and self.click_rng.random() < ctr
            and await self._beacon("click", click_url)
        ):
            self.counters.clicks += 1

    async def _beacon(self, kind: str, url: str) -> bool:
        try:
            response = await self.client.get(url, follow_redirects=False)
        except httpx.HTTPError as error:
            self.counters.beacon_errors += 1
            self._note_error(f"{kind} beacon: {describe_transport_error(error)}")
            return False
        if response.status_code >= 400:
            self.counters.beacon_errors += 1
            path = url.split("?", 1)[0]
            self._note_error(f"{kind} beacon: {error_from_response('GET', path, response)}")
            return False
        return True

    async def _apply_action(self, payload: Action) -> None:
        world = self.world
        assert world is not None
        action, advertiser, campaign_index, budget = (
            payload.action,
            payload.advertiser,
            payload.campaign,
            payload.budget,
        )
        targets = [
            c
            for c in world.campaigns
            if c.advertiser == advertiser and (campaign_index is None or c.index == campaign_index)
        ]
        for campaign in targets:
            path = f"/v1/advertisers/{campaign.advertiser_id}/campaigns/{campaign.id}"
            body: dict[str, object]
            if action == "setBudget" and budget is not None:
                body = {"dailyBudget": budget}
            elif action in ("pause", "resume"):
                body = {"status": "paused" if action == "pause" else "active"}
            else:
                continue
            try:
                await self.api.patch(path, campaign.key, body)
            except ApiError as error:
                self._note_error(str(error))
                continue
            self.counters.actions += 1
            if action == "setBudget" and budget is not None:
                campaign.budget = budget
            else:
                campaign.active = action == "resume"
            what = f"budget ${budget:.2f}" if action == "setBudget" else action
            self._print(Text(f"Day {self.day}: {campaign.label} → {what}", style="cyan"))

    # -- reports --------------------------------------------------------------------------------
    def _schedule_report(self) -> None:
        if self._report_task is not None and not self._report_task.done():
            return  # one at a time; the next multiple of reportEvery reports again
        counts = Counts(
            self.counters.requests,
            self.counters.outcomes["selected"],
            self.counters.outcomes["pacingSkipped"],
        )
        self._report_task = asyncio.create_task(self.report(counts, time.time()))
        self._report_task.add_done_callback(self._report_done)

    def _report_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (failure := task.exception()) is not None:
            self._note_error(f"report: {type(failure).__name__}: {failure}")

    async def report(self, counts: Counts, now: float) -> None:
        """Print the seed's report for ``counts`` (taken at ``now``) with the server's stats."""
        test_stats, site_stats = await self.fetch_stats()
        sample = StatsSample.from_stats(
            now - self.started, test_stats, site_stats, self.scenario.is_weekend(self.day)
        )
        lines = self.reporter.report(
            counts,
            sample,
            self.world.active_budget() if self.world else 0.0,
            now - self.day_start,
            self.scenario.shape_for_day(self.day),
            self._bucket(now),
            self.day,
        )
        self.reports += 1
        self.last_ratio = self.reporter.last_ratio
        if sample.learned_shape is not None:
            self.last_learned = sample.learned_shape
        self._print(Text("\n".join(lines)))

    # -- errors and output ------------------------------------------------------------------------
    def _print(self, renderable: RenderableType) -> None:
        self.console.print(renderable)

    def _note_error(self, message: str) -> None:
        self.counters.errors[message] += 1
        if self.counters.errors[message] == 1 and self._printed_errors < MAX_PRINTED_ERRORS:
            self._printed_errors += 1
            self._print(Text(f"error: {message}", style="bold red"))

    def _failure(self, message: str) -> None:
        self._note_error(message)
        self._consecutive_failures += 1
        if self._consecutive_failures >= MAX_CONSECUTIVE_FAILURES and self._fatal is None:
            self._fatal = f"stopping: {self._consecutive_failures} requests in a row failed"
            self.stop()

    def stop(self) -> None:
        """Stop sending (Ctrl-C): in-flight requests finish, then the summary is printed."""
        self._stopping = True
        if self._dispatcher is not None and not self._dispatcher.done():
            self._dispatcher.cancel()

    def status(self) -> RenderableType:
        """The Live display: where the run is, right now."""
        c = self.counters
        now = time.time()
        elapsed = max(now - self.started, 1e-9) if self.started else 0.0
        rate = c.requests / elapsed if elapsed else 0.0
        days = "∞" if self.continuous else str(self.scenario.stop_after_days)
        hour = self._bucket(now) if self.started else 0
        line = Text.assemble(
            ("● live ", "bold green"),
            f"day {self.day}/{days} · hour {hour:02d} · {c.requests} requests ({rate:.1f}/s) · "
            f"selected {c.outcomes['selected']} · skipped {c.outcomes['pacingSkipped']} · "
            f"in flight {len(self._tasks)} · errors {c.serve_errors + c.beacon_errors}",
        )
        ratio = "n/a" if self.last_ratio is None else f"{self.last_ratio:.2f}x"
        lines: list[RenderableType] = [line, Text(f"  spend ratio {ratio}", style="dim")]
        lines.extend(
            Text(text, style="dim")
            for text in shape_lines(self.last_learned, self.scenario.shape_for_day(self.day), hour)
        )
        return Group(*lines)

    # -- the run --------------------------------------------------------------------------------
    async def _server_day_start(self) -> float:
        """The site's current day start (epoch seconds) from its stats, else now."""
        _, site_stats = await self.fetch_stats()
        start = _number((site_stats or {}).get("dayStart"))
        index = _number((site_stats or {}).get("dayIndex"))
        now = time.time()
        length = self.scenario.day_duration_seconds
        if start is None or start > now + 5 or now - start > length * 2:
            return now
        while now - start >= length:  # the server has not rolled over without traffic
            start += length
            index = None if index is None else index + 1
        self.server_day0 = None if index is None else int(index)
        return start

    async def run(self) -> SimResult:
        error: str | None = None
        interrupted = False
        begin = time.time()
        try:
            world = await self.setup()
            self.console.print(
                Text(
                    f"Created publisher {world.publisher_id}, site {world.site_id} "
                    f"({world.domain}), {len(world.advertisers)} advertisers, "
                    f"{len(world.campaigns)} campaigns, {world.creative_count} creatives "
                    "(all approved)",
                    style="green",
                )
            )
            first_day_start = await self._server_day_start()
            self.started = time.time()
            self.day_start = first_day_start
            interrupted = await self._traffic(first_day_start)
        except ApiError as failure:
            error = str(failure)
        if self._fatal is not None and error is None:
            error = self._fatal
        if self.completed and self.day_end_stats is not None:
            # The run ended with its last day: report that day, not the new one's first second.
            test_stats, site_stats = self.day_end_stats
        else:
            test_stats, site_stats = await self.fetch_stats() if self.world else (None, None)
        result = SimResult(
            self.world,
            self.counters,
            self.reports,
            self.day,
            time.time() - (self.started or begin),
            interrupted,
            error,
            test_stats,
            site_stats,
        )
        self.print_summary(result)
        return result

    async def _traffic(self, first_day_start: float) -> bool:
        """Run the dispatcher under the Live display; True if it was stopped (Ctrl-C)."""
        loop = asyncio.get_running_loop()
        handler_installed = False
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, self._on_interrupt)
            handler_installed = True
        interrupted = False
        live = Live(
            get_renderable=self.status,
            console=self.console,
            refresh_per_second=4,
            transient=True,
            auto_refresh=self.live_display,
        )
        try:
            with live if self.live_display else contextlib.nullcontext():
                self._dispatcher = asyncio.create_task(self._dispatch(first_day_start))
                try:
                    await self._dispatcher
                except asyncio.CancelledError:
                    if not self._stopping:
                        raise
                    interrupted = self._fatal is None
                if self._tasks:
                    await asyncio.gather(*list(self._tasks), return_exceptions=True)
                if self._report_task is not None:
                    await asyncio.gather(self._report_task, return_exceptions=True)
        finally:
            if handler_installed:
                loop.remove_signal_handler(signal.SIGINT)
        return interrupted

    def _on_interrupt(self) -> None:
        if self._stopping:
            # A second Ctrl-C: abandon the in-flight requests too.
            for task in list(self._tasks):
                task.cancel()
            return
        self._print(Text("Interrupted: finishing in-flight requests…", style="yellow"))
        self.stop()

    def _campaign_table(self, result: SimResult) -> Table | None:
        """Today's spend per campaign, from the per-site stats (None if it has none)."""
        rows = _campaign_rows(result.site_stats)
        if not rows:
            return None
        labels = {c.id: c.label for c in result.world.campaigns} if result.world else {}
        table = Table(title="Campaigns today (server)")
        for name in ("campaign", "budget", "spend", "utilization", "spend ratio"):
            table.add_column(name, justify="left" if name == "campaign" else "right")
        for row in rows:
            cid = str(row.get("campaignId", "?"))
            budget, spend = _number(row.get("dailyBudget")), _number(row.get("spendToday"))
            ratio = _number(row.get("spendRatio"))
            table.add_row(
                labels.get(cid, cid),
                _money(budget),
                _money(spend),
                f"{spend / budget:.1%}" if spend is not None and budget else "—",
                "—" if ratio is None else f"{ratio:.2f}x",
            )
        return table

    def print_summary(self, result: SimResult) -> None:
        c = result.counters
        if result.world is None or (result.error is not None and c.dispatched == 0):
            # Nothing ran (setup failed): the error is the whole story.
            self.console.print(Text(f"error: {result.error}", style="bold red"))
            return
        table = Table(title=f"Simulation summary · {self.scenario.name}", show_header=False)
        table.add_column("what", style="bold")
        table.add_column("value")
        world = result.world
        if world is not None:
            table.add_row("Site", f"{world.site_id} ({world.domain})")
            table.add_row("Publisher", world.publisher_id)
            table.add_row(
                "Campaigns",
                f"{len(world.campaigns)} ({world.creative_count} creatives, "
                f"active budget ${world.active_budget():.2f}/day)",
            )
        rate = c.requests / result.elapsed if result.elapsed > 0 else 0.0
        table.add_row("Duration", f"{result.elapsed:.1f}s (ended on day {result.days})")
        table.add_row("Requests", f"{c.requests} ({rate:.1f}/sec), {c.serve_errors} failed")
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(c.outcomes.items())) or "none"
        table.add_row("Outcomes", outcomes)
        share = 100.0 * c.outcomes["selected"] / c.requests if c.requests else 0.0
        table.add_row("Selected", f"{c.outcomes['selected']} ({share:.1f}%)")
        table.add_row("Beacons", f"{c.impressions} impressions, {c.clicks} clicks")
        if c.actions:
            table.add_row("Churn/events", f"{c.actions} campaign changes")
        if c.max_lag > 0.5:
            table.add_row("Max lag", f"{c.max_lag:.2f}s behind schedule")
        stats = result.test_stats
        if stats is not None:
            table.add_row(
                "Server site stats",
                ", ".join(
                    f"{k} {_show(stats[k])}"
                    for k in (
                        "selected",
                        "pacingSkipped",
                        "budgetExhausted",
                        "noCandidates",
                        "totalSpend",
                        "expectedSpendFraction",
                    )
                    if k in stats
                ),
            )
        site = result.site_stats or {}
        ratio = _number(site.get("spendRatio"))
        if ratio is None:
            ratio = self.last_ratio
        if ratio is not None:
            table.add_row("Spend ratio", f"{ratio:.2f}x")
        table.add_row("Reports", str(result.reports))
        errors = sum(c.errors.values())
        if errors:
            worst = ", ".join(f"{msg} (×{n})" for msg, n in c.errors.most_common(3))
            table.add_row("Errors", f"{errors}: {worst}")
        if result.interrupted:
            table.add_row("Stopped", "interrupted (Ctrl-C)")
        self.console.print(table)
        campaigns = self._campaign_table(result)
        if campaigns is not None:
            self.console.print(campaigns)
        sample = StatsSample.from_stats(
            result.elapsed, result.test_stats, result.site_stats, self.scenario.is_weekend(self.day)
        )
        learned = sample.learned_shape or self.last_learned
        for line in shape_lines(learned, self.scenario.shape_for_day(self.day), None):
            self.console.print(line)
        if result.error:
            self.console.print(Text(f"error: {result.error}", style="bold red"))


def _campaign_rows(site_stats: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    rows = (site_stats or {}).get("campaigns")
    return [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _money(value: object) -> str:
    number = _number(value)
    return "—" if number is None else f"${number:,.4f}"


def _account(answer: object, fallback_id: str, path: str) -> tuple[str, str]:
    """(id, apiKey) from an account creation answer."""
    data = _as_dict(answer) or {}
    key = data.get("apiKey")
    if not isinstance(key, str) or not key:
        raise ApiError("POST", path, 0, "no-api-key", "the answer holds no apiKey")
    return str(data.get("id") or fallback_id), key


async def simulate(
    scenario: Scenario,
    url: str,
    admin_key: str,
    *,
    continuous: bool = False,
    console: Console | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    transport: httpx.AsyncBaseTransport | None = None,
    live_display: bool = True,
    run_id: str | None = None,
) -> SimResult:
    """Run ``scenario`` against the server at ``url``; prints reports and a summary."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url,
        timeout=httpx.Timeout(10.0),
        limits=limits,
        transport=transport,
    ) as client:
        simulator = LiveSimulator(
            scenario,
            client,
            admin_key,
            console=console,
            continuous=continuous,
            concurrency=concurrency,
            live_display=live_display,
            run_id=run_id,
        )
        return await simulator.run()
