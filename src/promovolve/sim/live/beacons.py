"""The live simulator's tracking beacons: the impression of every selected slot, then a
click with the creative's click rate (the scenario's ``ctrs``, else ``clickRate``).

They come as late as a reader's: the impression once the ad has been viewable for a second,
the click a moment later (sooner, the server marks them invalid traffic)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from promovolve.sim.live.api import describe_transport_error, error_from_response
from promovolve.sim.live.counters import SimCounters

VIEW_DELAY_SECONDS = 1.1  # the MRC second on screen, and a little
CLICK_DELAY_SECONDS = 0.3


class Beacons:
    """Fires a served slot's beacons as a browser would; counts them in ``counters``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        counters: SimCounters,
        click_rate: Callable[[str], float],
        rng: random.Random,
        note_error: Callable[[str], None],
    ) -> None:
        self.client = client
        self.counters = counters
        self.click_rate = click_rate
        self.rng = rng
        self.note_error = note_error

    async def fire(self, slot: Mapping[str, Any], headers: Mapping[str, str]) -> None:
        if slot.get("outcome") != "selected":
            return
        await asyncio.sleep(VIEW_DELAY_SECONDS)
        creative = slot.get("creative")
        creative_id = str(creative.get("id")) if isinstance(creative, Mapping) else ""
        impression_url = slot.get("impressionUrl")
        if isinstance(impression_url, str) and impression_url:
            if await self._get("impression", impression_url, headers):
                self.counters.impressions += 1
            else:
                return  # no impression, so no click
        click_url = slot.get("clickUrl")
        if (
            isinstance(click_url, str)
            and click_url
            and self.rng.random() < self.click_rate(creative_id)
        ):
            await asyncio.sleep(CLICK_DELAY_SECONDS)
            if not await self._get("click", click_url, headers):
                return
            self.counters.clicks += 1

    async def _get(self, kind: str, url: str, headers: Mapping[str, str]) -> bool:
        try:
            response = await self.client.get(url, headers=headers, follow_redirects=False)
        except httpx.HTTPError as error:
            self.counters.beacon_errors += 1
            self.note_error(f"{kind} beacon: {describe_transport_error(error)}")
            return False
        if response.status_code >= 400:
            self.counters.beacon_errors += 1
            path = url.split("?", 1)[0]
            self.note_error(f"{kind} beacon: {error_from_response('GET', path, response)}")
            return False
        return True
