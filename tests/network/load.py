"""Load for the fault tests: serve requests from a few concurrent clients, spread round
robin over several server processes, in a thread of its own while the test makes a fault."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field

import httpx

from promovolve.sim.live.world import SimWorld


@dataclass(frozen=True, slots=True)
class Selected:
    reservation_id: str  # the ledger's and spend_reservations' id: request/slot
    campaign_id: str
    price_micros: int


@dataclass(frozen=True, slots=True)
class Answer:
    at: float  # time.monotonic() when the answer arrived
    url: str
    status: int  # 0: no answer (connection refused, reset or timed out)
    selected: tuple[Selected, ...] = ()


@dataclass(slots=True)
class Load:
    urls: list[str]
    world: SimWorld
    clients: int = 6
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()

    def stop(self) -> list[Answer]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        return self.answers

    async def _run(self) -> None:
        targets = itertools.cycle(self.urls)
        limits = httpx.Limits(max_connections=self.clients * len(self.urls))
        async with httpx.AsyncClient(timeout=5.0, limits=limits) as client:
            await asyncio.gather(*(self._client(client, targets) for _ in range(self.clients)))

    async def _client(self, client: httpx.AsyncClient, targets: itertools.cycle[str]) -> None:
        world = self.world
        for n in itertools.count():
            if self._stop.is_set():
                return
            url = next(targets)
            body = {
                "siteId": world.site_id,
                "url": world.page_url or f"https://{world.domain}/articles/{n}",
                "slots": [{"id": "top", "width": 300, "height": 250}],
                "categories": list(world.categories),
            }
            try:
                response = await client.post(url + "/v1/serve", json=body)
            except httpx.HTTPError:
                self.answers.append(Answer(time.monotonic(), url, 0))
                await asyncio.sleep(0.05)  # a dead process: do not spin on it
                continue
            self.answers.append(
                Answer(time.monotonic(), url, response.status_code, _picks(response))
            )


def _picks(response: httpx.Response) -> tuple[Selected, ...]:
    if response.status_code != 200:
        return ()
    answer = response.json()
    return tuple(
        Selected(
            f"{answer['requestId']}/{slot['id']}",
            slot["creative"]["campaignId"],
            round(slot["priceCpm"] * 1000),
        )
        for slot in answer["slots"]
        if slot["outcome"] == "selected"
    )


def selected(answers: list[Answer]) -> list[Selected]:
    return [s for a in answers for s in a.selected]


def first_selected_after(answers: list[Answer], at: float) -> float | None:
    """When the first answer with an ad arrived after `at` (None: none did)."""
    times = [a.at for a in answers if a.at > at and a.selected]
    return min(times) if times else None
