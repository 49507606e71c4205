"""``simulate``: one live run of a scenario against a server, or spread over several
processes of one network, on an HTTP client of its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import httpx
from rich.console import Console

from promovolve.sim.live.counters import SimResult
from promovolve.sim.live.simulator import DEFAULT_CONCURRENCY, LiveSimulator
from promovolve.sim.scenario import Scenario


async def simulate(
    scenario: Scenario,
    url: str | Sequence[str],
    admin_key: str,
    *,
    continuous: bool = False,
    console: Console | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    transport: httpx.AsyncBaseTransport | None = None,
    live_display: bool = True,
    run_id: str | None = None,
    trace_path: Path | None = None,
    lab_report: bool = False,
) -> SimResult:
    """Run ``scenario`` against the server at ``url``, or spread over several processes of
    one network; prints reports and a summary. ``trace_path`` gets the lab's trace; with
    ``lab_report`` the result carries the lab's JSON report of the run."""
    urls = [url] if isinstance(url, str) else list(url)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=urls[0],
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
            urls=urls,
            trace_path=trace_path,
            lab_report=lab_report,
        )
        return await simulator.run()
