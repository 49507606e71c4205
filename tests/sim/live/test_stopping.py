"""Stopping a live run: a stop cancels the step in progress, not the run."""

from __future__ import annotations

import asyncio

import pytest

from promovolve.sim.live.stopping import Stopper


async def test_a_step_runs_to_its_value() -> None:
    async def answer() -> int:
        return 42

    assert await Stopper(lambda: None, lambda: None).step(answer()) == 42


async def test_a_stop_cancels_the_step_in_progress_and_the_run_goes_on() -> None:
    stopper = Stopper(lambda: None, lambda: None)
    started = asyncio.Event()

    async def forever() -> int:
        started.set()
        await asyncio.sleep(3600)
        return 1

    async def stop_when_started() -> None:
        await started.wait()
        stopper.stop()

    stopping = asyncio.create_task(stop_when_started())
    assert await asyncio.wait_for(stopper.step(forever()), timeout=5) is None
    await stopping
    assert stopper.stopping

    async def after() -> str:
        return "summary"

    assert await stopper.step(after()) == "summary"  # later steps still run


async def test_cancelling_the_run_itself_is_not_swallowed() -> None:
    stopper = Stopper(lambda: None, lambda: None)
    stopper.stop()  # even after a stop, cancelling the run must cancel it
    run = asyncio.create_task(stopper.step(asyncio.sleep(3600)))
    await asyncio.sleep(0)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run


def test_the_first_ctrl_c_stops_and_the_second_abandons() -> None:
    calls: list[str] = []
    stopper = Stopper(lambda: calls.append("first"), lambda: calls.append("second"))
    stopper.interrupt()
    assert calls == ["first"] and stopper.stopping
    stopper.interrupt()
    assert calls == ["first", "second"]
