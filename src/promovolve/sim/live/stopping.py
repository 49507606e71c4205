"""Stopping a live run: by Ctrl-C (at any point, setup and summary included) or when the
server is gone. The step in progress is cancelled and the run goes on to its summary."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class Stopper:
    """Runs the steps of a run so that a stop cancels the one in progress.

    A first Ctrl-C calls ``on_first`` and stops; a second calls ``on_second`` (abandon
    what is in flight) and cancels whatever step is running then, such as the final stats.
    """

    def __init__(self, on_first: Callable[[], None], on_second: Callable[[], None]) -> None:
        self.on_first = on_first
        self.on_second = on_second
        self.stopping = False
        self._step: asyncio.Future[Any] | None = None

    def stop(self) -> None:
        self.stopping = True
        if self._step is not None:
            self._step.cancel()

    def interrupt(self) -> None:
        (self.on_second if self.stopping else self.on_first)()
        self.stop()

    async def step(self, work: Coroutine[Any, Any, T]) -> T | None:
        """Run one step of the run; None when a stop cancelled it."""
        step = asyncio.ensure_future(work)
        self._step = step
        try:
            return await step
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not self.stopping or (current is not None and current.cancelling()):
                raise  # the run itself was cancelled, not stopped
            return None
        finally:
            self._step = None

    @contextlib.contextmanager
    def ctrl_c(self) -> Iterator[None]:
        """Ctrl-C calls :meth:`interrupt` while inside."""
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, self.interrupt)
        except (NotImplementedError, RuntimeError, ValueError):
            yield  # no signal handling here (not the main thread): Ctrl-C raises as usual
            return
        try:
            yield
        finally:
            loop.remove_signal_handler(signal.SIGINT)
