"""The live simulator: drives a running Promovolve server over HTTP with a scenario's traffic.

It creates the scenario's world plan on the server (:mod:`.world`), then follows the traffic
schedule (:mod:`.schedule`) in real time: it posts ``/v1/serve`` for each arrival
(:mod:`.sender`), fires the beacons of every selected slot (:mod:`.beacons`), applies churn
and events at their times, and prints the seed's periodic report every ``reportEvery``
requests (:mod:`.report`) under a Rich Live status line, then a summary (:mod:`.display`).
Ctrl-C at any point stops the run and prints the summary (:mod:`.stopping`). It resets
nothing on the server.

Only HTTP is used here (DESIGN.md: live mode talks HTTP only).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx
from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from promovolve.sim.live.api import Api, ApiError
from promovolve.sim.live.beacons import Beacons
from promovolve.sim.live.counters import SimCounters, SimResult
from promovolve.sim.live.display import day_line, live_status, print_summary
from promovolve.sim.live.measure import LiveMeasure
from promovolve.sim.live.peers import wait_for_peers
from promovolve.sim.live.report import Counts, PacingReporter, StatsSample
from promovolve.sim.live.schedule import Action, DayClosing, Schedule, server_day_start
from promovolve.sim.live.sender import ErrorLog, Sender
from promovolve.sim.live.stopping import Stopper
from promovolve.sim.live.values import json_object
from promovolve.sim.live.world import SimWorld, WorldBuilder, apply_action
from promovolve.sim.plan import build_plan
from promovolve.sim.scenario import Scenario

DEFAULT_CONCURRENCY = 64
# After the last day, time for the server's rollover (its engines tick every second) and,
# through several processes, for the network's learning of the day, three ticks later.
ROLLOVER_WAIT_SECONDS = 5.0

T = TypeVar("T")


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
        urls: Sequence[str] = ("",),
        trace_path: Path | None = None,
        lab_report: bool = False,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.scenario = scenario
        self.client = client
        self.api = Api(client)
        self.console = console or Console()
        self.continuous = continuous or scenario.continuous
        self.run_id = run_id or secrets.token_hex(3)
        self.live_display = live_display
        self.counters = SimCounters()
        self.reporter = PacingReporter()
        self.plan = build_plan(scenario, prefix=f"sim-{self.run_id}-")
        self.builder = WorldBuilder(self.api, admin_key, self.plan)
        self.urls, self.lab_report = list(urls), lab_report
        measuring = trace_path is not None or lab_report
        self.measure = LiveMeasure(self.plan, trace_path, lab_report) if measuring else None
        # The site's own traffic: its arrivals and shapes (a plain scenario's are its own).
        self.traffic = self.builder.site.traffic
        self.schedule = Schedule(self.traffic, self.continuous, random.Random(scenario.seed))
        self.errors = ErrorLog(self.counters, self._print)
        beacons = Beacons(
            client,
            self.counters,
            self._click_rate,
            random.Random(scenario.seed + 7919),
            self.errors.note,
        )
        self.sender = Sender(
            client,
            self.counters,
            beacons,
            self.errors,
            concurrency,
            self._answered,
            self._server_gone,
            self.urls,
            self.measure,
        )
        self.started = 0.0  # wall clock (epoch seconds) when traffic began
        self.reports = 0
        self.last_ratio: float | None = None
        self.last_learned: list[float] | None = None
        self.day_end_stats: tuple[dict[str, Any] | None, dict[str, Any] | None] | None = None
        # The server's day index of the simulator's day 1 (None until known).
        self.server_day0: int | None = None
        self._report_task: asyncio.Task[None] | None = None
        self._fatal: str | None = None
        self.stopper = Stopper(self._interrupted, self.sender.abandon)

    @property
    def world(self) -> SimWorld | None:
        return self.builder.world

    @property
    def day(self) -> int:
        return self.schedule.day

    def _click_rate(self, creative_id: str) -> float:
        world = self.world
        default = self.scenario.click_rate
        return world.ctr_by_creative.get(creative_id, default) if world else default

    async def setup(self) -> SimWorld:
        """Create the scenario's world on the server (see :class:`WorldBuilder`)."""
        return await self.builder.build()

    async def fetch_stats(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(``/test/site-stats``, per-site ``/v1`` stats); a failure is noted, not raised."""
        world = self.world
        if world is None:
            return None, None
        results: list[dict[str, Any] | None] = []
        for path in (f"/test/site-stats/{world.site_id}", world.site_path("/stats")):
            try:
                results.append(json_object(await self.api.get(path, world.publisher_key)))
            except ApiError as error:
                self.errors.note(str(error))
                results.append(None)
        return results[0], results[1]

    def _request_limit_reached(self) -> bool:
        limit = self.scenario.max_requests
        return not self.continuous and limit is not None and self.counters.dispatched >= limit

    async def _dispatch(self, world: SimWorld, first_day_start: float) -> None:
        async with contextlib.aclosing(self.schedule.events(first_day_start)) as events:
            async for event in events:
                if self._fatal is not None:
                    return
                if isinstance(event, Action):
                    await self._apply(world, event)
                elif isinstance(event, DayClosing):
                    await self._close_day(event.day)
                else:
                    if self._request_limit_reached():
                        return
                    await self.sender.send(world, event.day)

    async def _close_day(self, day: int) -> None:
        # The day's last beacons land in the next day, as a reader's would.
        await self.sender.drain(beacons=False)
        self.day_end_stats = await self.fetch_stats()
        if self.measure is not None and day > 1:
            self.measure.note_learned(day - 1, self.day_end_stats[1])
        server_day = None if self.server_day0 is None else self.server_day0 + day - 1
        spend = self.sender.day_spend[day]
        line = day_line(day, self.counters, self.world, spend, server_day, *self.day_end_stats)
        self._print(Text(line, style="dim"))

    async def _apply(self, world: SimWorld, action: Action) -> None:
        for campaign, what in await apply_action(self.api, world, action, self.errors.note):
            self.counters.actions += 1
            self._print(Text(f"Day {self.day}: {campaign.label} → {what}", style="cyan"))

    def _answered(self) -> None:
        if self.counters.requests % self.scenario.report_every == 0:
            self._schedule_report()

    def _server_gone(self, message: str) -> None:
        if self._fatal is None:
            self._fatal = message
            self.stop()

    def _schedule_report(self) -> None:
        if self._report_task is not None and not self._report_task.done():
            return  # one at a time; the next multiple of reportEvery reports again
        outcomes = self.counters.outcomes
        counts = Counts(
            self.counters.requests,
            outcomes["selected"],
            outcomes["pacingSkipped"],
            outcomes["budgetExhausted"],
            outcomes["noCandidates"],
        )
        self._report_task = asyncio.create_task(self.report(counts, time.time()))
        self._report_task.add_done_callback(self._report_done)

    def _report_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (failure := task.exception()) is not None:
            self.errors.note(f"report: {type(failure).__name__}: {failure}")

    async def report(self, counts: Counts, now: float) -> None:
        """Print the seed's report for ``counts`` (taken at ``now``) with the server's stats."""
        test_stats, site_stats = await self.fetch_stats()
        weekend = self.traffic.is_weekend(self.day)
        sample = StatsSample.from_stats(now - self.started, test_stats, site_stats, weekend)
        lines = self.reporter.report(
            counts,
            sample,
            self.world.active_budget() if self.world else 0.0,
            now - self.schedule.day_start,
            self.traffic.shape_for_day(self.day),
            self.schedule.bucket(now),
            self.day,
            self.world.configured_shape(weekend) if self.world else None,
        )
        self.reports += 1
        self.last_ratio = self.reporter.last_ratio
        if sample.learned_shape is not None:
            self.last_learned = sample.learned_shape
        self._print(Text("\n".join(lines)))

    def _print(self, renderable: RenderableType) -> None:
        self.console.print(renderable)

    def stop(self) -> None:
        """Stop the run where it is (setting up or sending); in-flight requests finish,
        then the summary is printed."""
        self.stopper.stop()

    def interrupt(self) -> None:
        """What Ctrl-C does: the first stops the run, a second abandons what is in flight."""
        self.stopper.interrupt()

    def _interrupted(self) -> None:
        self._print(Text("Interrupted: finishing in-flight requests…", style="yellow"))

    def status(self) -> RenderableType:
        """The Live display: where the run is, right now."""
        now = time.time()
        weekend = self.traffic.is_weekend(self.day)
        return live_status(
            self.counters,
            elapsed=max(now - self.started, 1e-9) if self.started else 0.0,
            day=self.day,
            days="∞" if self.continuous else str(self.scenario.stop_after_days),
            hour=self.schedule.bucket(now) if self.started else 0,
            in_flight=len(self.sender.tasks),
            ratio=self.last_ratio,
            learned=self.last_learned,
            actual=self.traffic.shape_for_day(self.day),
            configured=self.world.configured_shape(weekend) if self.world else None,
        )

    async def _server_day_start(self) -> float:
        """The site's current day start (epoch seconds) from its stats, else now."""
        _, site_stats = await self.fetch_stats()
        start, self.server_day0 = server_day_start(
            site_stats, time.time(), self.traffic.day_duration_seconds
        )
        return start

    async def run(self) -> SimResult:
        begin = time.time()
        with self.stopper.ctrl_c():
            error = await self._setup_and_send()
            if self.schedule.completed and self.day_end_stats is not None:
                # The run ended with its last day: report that day, not the new one's start.
                stats = self.day_end_stats
            elif self.world is None:
                stats = None
            else:
                stats = await self.stopper.step(self.fetch_stats())
            report = await self._lab_report(time.time() - (self.started or begin))
        test_stats, site_stats = stats or (None, None)
        result = SimResult(
            self.world,
            self.counters,
            self.reports,
            self.day,
            time.time() - (self.started or begin),
            self.stopper.stopping and self._fatal is None,
            error,
            test_stats,
            site_stats,
            self.schedule.max_lag,
            self.last_ratio,
            self.last_learned,
            report,
        )
        print_summary(self.console, self.traffic, result)
        return result

    async def _lab_report(self, wall_seconds: float) -> dict[str, Any] | None:
        """Close the trace; the lab's report of the run when asked for."""
        if (measure := self.measure) is not None:
            measure.close()
        if measure is None or not self.lab_report:
            return None
        if self.schedule.completed:  # the last day's learned shape, after its rollover
            await self.stopper.step(asyncio.sleep(ROLLOVER_WAIT_SECONDS))
            _, site_stats = await self.stopper.step(self.fetch_stats()) or (None, None)
            measure.note_learned(self.day, site_stats)
        return measure.report(wall_seconds, self.urls)

    async def _setup_and_send(self) -> str | None:
        """Build the world, then send the traffic; the error that ended the run, if any."""
        try:
            world = await self.stopper.step(self.setup())
            if world is None:
                return None
            shape = "configured" if world.configured_shapes else "learned from traffic"
            self._print(
                Text(
                    f"Created publisher {world.publisher_id}, site {world.site_id} "
                    f"({world.domain}; shape {shape}), {len(world.advertisers)} "
                    f"advertisers, {len(world.campaigns)} campaigns, {world.creative_count} "
                    "creatives (all approved)",
                    style="green",
                )
            )
            peers = wait_for_peers(self.api, self.urls, world.site_path(), self.builder.admin_key)
            if await self.stopper.step(peers) is None:
                return None
            first_day_start = await self.stopper.step(self._server_day_start())
            if first_day_start is None:
                return None
            self.started = time.time()
            self.schedule.day_start = first_day_start
            if self.measure is not None:
                self.measure.start(first_day_start, self.server_day0)
            await self._traffic(world, first_day_start)
        except ApiError as failure:
            return str(failure)
        return self._fatal

    async def _traffic(self, world: SimWorld, first_day_start: float) -> None:
        """Run the schedule under the Live display until it ends or the run is stopped."""
        live = Live(
            get_renderable=self.status,
            console=self.console,
            refresh_per_second=4,
            transient=True,
            auto_refresh=self.live_display,
        )
        with live if self.live_display else contextlib.nullcontext():
            await self.stopper.step(self._dispatch(world, first_day_start))
            await self.sender.drain()
            if self._report_task is not None:
                await asyncio.gather(self._report_task, return_exceptions=True)
