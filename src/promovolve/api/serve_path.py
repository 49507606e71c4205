"""Serving: `POST /v1/serve` decisions and the tracking beacons, on the site engines."""

from __future__ import annotations

import itertools
import logging
import random
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import Scope

from promovolve.api.errors import ApiError
from promovolve.api.metrics import Metrics
from promovolve.api.page_reader import PageReader
from promovolve.api.recording import Recorded, Recorder, unrecorded
from promovolve.api.schemas import ServeBody
from promovolve.api.services.errors import (
    ForbiddenError,
    InvalidError,
    NotFoundError,
    ServiceError,
    UnavailableError,
)
from promovolve.api.state import ServerState, SiteState
from promovolve.api.tracking import CLICK, IMPRESSION, Beacon, TrackingSigner
from promovolve.api.traffic_guard.guard import TrafficGuard
from promovolve.domain.model import HouseAd, Outcome, SlotSpec, host_of
from promovolve.domain.money import MICROS_PER_USD
from promovolve.domain.traffic import INVALID_TRAFFIC, InvalidReason
from promovolve.engine.site import ServeRequest
from promovolve.network.serving import NetworkServing
from promovolve.store.errors import WriteInDoubtError
from promovolve.store.settlement import HOUSE_CLICK, HOUSE_IMPRESSION

logger = logging.getLogger("promovolve.api.serve_path")

SELECTED = Outcome.SELECTED.value
# A house ad's beacons name this campaign (no id can start with "~"); their events are
# stored under kinds of their own, so they never settle or count as paid impressions.
HOUSE_CAMPAIGN = "~house"
HOUSE_KINDS = {IMPRESSION: HOUSE_IMPRESSION, CLICK: HOUSE_CLICK}


class RequestIds:
    """Unique serve request ids without a system call each (uuid4 reads /dev/urandom).

    A random 64-bit prefix per process, then a counter: unique within the process by
    construction, and across restarts unless two starts draw the same prefix (2^-64).
    """

    def __init__(self) -> None:
        self._prefix = f"{secrets.randbits(64):016x}"
        self._counter = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


class ServePath:
    def __init__(
        self,
        state: ServerState,
        recorder: Recorder,
        signer: TrackingSigner,
        metrics: Metrics,
        dirty: set[str],
        tracking_ttl_seconds: int,
        clock: Callable[[], float],
        pages: PageReader,
        guard: TrafficGuard,
        network: NetworkServing | None = None,
    ) -> None:
        self.state = state
        self.guard = guard
        # With Redis: reserves are confirmed by the network, beacons de-duplicated there.
        self.network = network
        self.pages = pages
        self.recorder = recorder
        self.signer = signer
        self.metrics = metrics
        # Sites whose engine changed since the last snapshot.
        self.dirty = dirty
        self.tracking_ttl_seconds = tracking_ttl_seconds
        self.clock = clock
        self.rng = random.Random(secrets.randbits(64))
        self.request_ids = RequestIds()
        self._outcome_counters: dict[str, Any] = {}
        self._commit_wait = metrics.serve_waits.labels("commit")

    def _outcome_counter(self, outcome: str) -> Any:
        counter = self._outcome_counters.get(outcome)
        if counter is None:
            counter = self._outcome_counters[outcome] = self.metrics.outcomes.labels(outcome)
        return counter

    async def serve(
        self, body: ServeBody, base_url: str, invalid: InvalidReason | None = None
    ) -> dict[str, object]:
        """Decide the slots of a page; `invalid` (the traffic guard's verdict) answers every
        slot `invalidTraffic` without touching the engine: no ad, no spend, no learning."""
        site_state = self.state.sites.get(body.site_id)
        if site_state is None or not site_state.serving:
            raise _not_serving(site_state)
        engine = site_state.engine
        domain = engine.site.domain
        host = host_of(body.url)
        if host != domain and not host.endswith("." + domain):
            raise ForbiddenError("page is not on the site's domain", "url")
        slot_ids = [s.id for s in body.slots]
        if len(set(slot_ids)) != len(slot_ids):
            raise InvalidError("slot ids must be unique", "slots")
        request_id = self.request_ids.next()
        if invalid is not None:
            return self._invalid(body, request_id, invalid)
        now = self.clock()
        page = await self.pages.page(
            body.site_id,
            body.url,
            body.categories,
            body.keywords,
            body.title,
            body.description,
            body.text,
        )
        slots = tuple(SlotSpec(s.id, s.width, s.height) for s in body.slots)
        result = engine.serve(ServeRequest(request_id, page, slots), now, self.rng)
        if self.network is not None:
            result, refused = await self.network.confirmed(result)
            for position in refused:  # another process spent the budget first
                engine.refuse(request_id, result.slots[position], result.day_index)
        self.dirty.add(body.site_id)
        recorder = self.recorder
        recorder.pending(body.site_id, engine.drain_pending(), now)
        recorded: Recorded = []
        out: list[dict[str, object]] = []
        spend = 0
        expires = int(now) + self.tracking_ttl_seconds
        for d in result.slots:
            self._outcome_counter(d.outcome).inc()
            if d.house is not None:
                ids = (body.site_id, request_id, d.slot_id, d.house.id, HOUSE_CAMPAIGN)
                beacon = Beacon(*ids, 0, result.day_index, expires, int(now * 1000))
                out.append(self._house_slot(d.outcome, d.house, base_url, beacon))
                continue
            creative, campaign = d.creative, d.campaign
            if d.outcome != SELECTED or creative is None or campaign is None:
                out.append({"id": d.slot_id, "outcome": d.outcome})
                continue
            future = recorder.reservation(body.site_id, request_id, result.day_index, d, now)
            recorded.append((d, future))
            self.state.campaign_last_site[campaign.id] = body.site_id
            spend += d.price_micros
            beacon = Beacon(
                body.site_id,
                request_id,
                d.slot_id,
                creative.id,
                campaign.id,
                d.price_micros,
                result.day_index,
                expires,
                int(now * 1000),
            )
            impression_url, click_url = self.signer.urls(base_url, beacon)
            out.append(
                {
                    "id": d.slot_id,
                    "outcome": d.outcome,
                    "creative": {
                        "id": creative.id,
                        "campaignId": campaign.id,
                        "advertiserId": creative.advertiser_id,
                        "assetUrl": creative.asset_url,
                        "landingUrl": creative.landing_url,
                        "width": creative.width,
                        "height": creative.height,
                    },
                    "priceCpm": d.price_micros * 1000 / MICROS_PER_USD,
                    "impressionUrl": impression_url,
                    "clickUrl": click_url,
                }
            )
        if recorded:
            waited_from = time.perf_counter()
            failed = await unrecorded(recorded)
            self._commit_wait.observe(time.perf_counter() - waited_from)
            if failed:
                # Nothing is shown, so nothing is spent: the budget gets these amounts back.
                # Slots that were recorded keep their spend (the database has them), and so
                # do those the database may have committed: sold again, they could overspend
                # (an unviewed one comes back at settlement).
                for decision, error in failed:
                    if not isinstance(error, WriteInDoubtError):
                        engine.release(request_id, decision, result.day_index)
                    logger.error("could not record spend for request %s: %s", request_id, error)
                raise UnavailableError("could not record the serve; retry")
            self.metrics.spend.inc(spend / MICROS_PER_USD)
        return {"requestId": request_id, "slots": out}

    def _house_slot(
        self, paid_outcome: str, ad: HouseAd, base_url: str, beacon: Beacon
    ) -> dict[str, object]:
        """A slot filled with a house ad: said so, priced 0, no reservation."""
        self.metrics.house_fills.inc()
        impression_url, click_url = self.signer.urls(base_url, beacon)
        return {
            "id": beacon.slot,
            "outcome": "house",
            "paidOutcome": paid_outcome,
            "creative": {
                "id": ad.id,
                "assetUrl": ad.asset_url,
                "landingUrl": ad.landing_url,
                "width": ad.width,
                "height": ad.height,
            },
            "priceCpm": 0.0,
            "impressionUrl": impression_url,
            "clickUrl": click_url,
        }

    def _invalid(
        self, body: ServeBody, request_id: str, reason: InvalidReason
    ) -> dict[str, object]:
        clock = self.state.sites[body.site_id].engine.controller.clock
        self.guard.count_serve(body.site_id, clock.day_index(self.clock()), reason)
        self._outcome_counter(INVALID_TRAFFIC).inc(len(body.slots))
        slots = [{"id": s.id, "outcome": INVALID_TRAFFIC} for s in body.slots]
        return {"requestId": request_id, "slots": slots}

    async def track(self, kind: str, params: Mapping[str, str], scope: Scope) -> Beacon:
        """Verify a beacon, record it once (durably), and feed a valid one to the site's
        engine; an invalid one is recorded with its reason and counts toward nothing.

        Beacons of archived objects still count: the ad was shown before it was archived.
        """
        try:
            beacon = self.signer.verify(kind, params, self.clock())
        except ApiError:
            self.metrics.beacons.labels(kind, "rejected").inc()
            raise
        site_state = self.state.sites.get(beacon.site)
        house = beacon.campaign == HOUSE_CAMPAIGN
        if house:
            # A house ad's beacons are counted apart: they cost nothing, teach Thompson nothing.
            ad = self.state.house_ads.get(beacon.creative)
            if site_state is None or ad is None or ad.site_id != beacon.site:
                raise NotFoundError("site or house ad")
        elif site_state is None or beacon.creative not in self.state.creatives:
            raise NotFoundError("site or creative")
        now = self.clock()
        reason = await self.guard.beacon_reason(kind, beacon, scope, now)
        new = await self._count_once(HOUSE_KINDS[kind] if house else kind, beacon, now, reason)
        if reason is not None:
            self.metrics.beacons.labels(kind, f"invalid:{reason}").inc()
            return beacon
        if new:
            engine = site_state.engine
            if house:
                engine.record_house(click=kind != IMPRESSION)
            elif kind == IMPRESSION:
                engine.record_impression(beacon.creative)
            else:
                engine.record_click(beacon.creative)
            self.dirty.add(beacon.site)
        self.metrics.beacons.labels(kind, "counted" if new else "replay").inc()
        return beacon

    def landing_url(self, beacon: Beacon) -> str:
        """Where a counted click goes: the creative's or house ad's landing page."""
        if beacon.campaign == HOUSE_CAMPAIGN:
            return self.state.house_ads[beacon.creative].landing_url
        return self.state.creatives[beacon.creative].landing_url

    async def _count_once(
        self, kind: str, beacon: Beacon, now: float, reason: InvalidReason | None
    ) -> bool:
        """Record a beacon once across the network: first claimed in Redis (with several
        processes), then written; False for a replay."""
        network = self.network
        if network is None:
            return await self.recorder.event(kind, beacon, now, reason)
        ttl = max(1, beacon.exp - int(now))
        if not await network.first_beacon(kind, beacon.request, beacon.slot, ttl):
            return False
        try:
            return await self.recorder.event(kind, beacon, now, reason)
        except BaseException:
            await network.forget_beacon(kind, beacon.request, beacon.slot)
            raise


def _not_serving(state: SiteState | None) -> ServiceError:
    if state is None or state.site.archived:
        return NotFoundError("site", "siteId")
    return ForbiddenError("the site's publisher is deactivated", "siteId")
