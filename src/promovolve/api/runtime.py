"""The server's runtime: one SiteEngine per site, the in-memory catalog and ledger, and
the durable write path (group commit for spend and events, periodic engine snapshots).

Hot state lives in memory and is touched only from the event loop's thread, so each
engine is used by one caller at a time without locks. Durable state lives in SQL:

- every answered `selected` slot is a row in `spend_reservations`, committed before the
  serve response is sent;
- every counted impression and click is a row in `tracking_events` (unique per request,
  slot and kind, so a replayed beacon counts once);
- each engine's pacing state (controller, learned shape, outcome counters) is snapshotted
  as JSON every few seconds and at shutdown.

Each batch also adds to daily and lifetime aggregates (`promovolve.store.aggregates`). At
start the ledger is rebuilt from each campaign's latest day in them (and the reservation ids
of the idempotency window), Thompson statistics from the lifetime event counts, and
controllers from the snapshots; the raw rows' history is never read.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import random
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from time import perf_counter
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from promovolve.api.auth import KeyRing, Principal
from promovolve.api.errors import ApiError, not_found
from promovolve.api.metrics import Metrics
from promovolve.api.schemas import ServeBody
from promovolve.api.tracking import IMPRESSION, Beacon, TrackingSigner
from promovolve.api.writer import GroupCommitWriter
from promovolve.domain.model import (
    Advertiser,
    ApprovalStatus,
    Campaign,
    CampaignStatus,
    Creative,
    CreativeStatus,
    Outcome,
    PageContext,
    Publisher,
    Site,
    SlotSpec,
    host_of,
)
from promovolve.domain.money import MICROS_PER_USD
from promovolve.engine import kernels
from promovolve.engine.catalog import Catalog
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.engine.policies import policy_named
from promovolve.engine.site import (
    CampaignDay,
    ServeRequest,
    SiteEngine,
    SlotDecision,
    reservation_id,
)
from promovolve.pacing.config import PacingConfig
from promovolve.settings import Settings, ensure_admin_key
from promovolve.store import database, loading, repository
from promovolve.store.batch import batch_store_for
from promovolve.store.models import CampaignRow, CreativeRow, SiteRow
from promovolve.store.retention import Retention, kept_seconds

logger = logging.getLogger("promovolve.api.runtime")

SELECTED = Outcome.SELECTED.value
_UNUSABLE_VOLUMES = "volumes are too large or too small to form a traffic shape"
TRACKING_SECRET_KEY = "tracking_secret"


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


@dataclass(slots=True)
class SiteState:
    engine: SiteEngine
    clock_origin: float


@dataclass(slots=True)
class Runtime:
    settings: Settings
    admin_key: str = ""
    db: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    metrics: Metrics = field(default_factory=Metrics)
    keyring: KeyRing | None = None
    signer: TrackingSigner | None = None
    writer: GroupCommitWriter | None = None
    catalog: Catalog = field(default_factory=Catalog)
    ledger: InMemoryBudgetLedger = field(default_factory=InMemoryBudgetLedger)
    publishers: dict[str, Publisher] = field(default_factory=dict)
    advertisers: dict[str, Advertiser] = field(default_factory=dict)
    sites: dict[str, SiteState] = field(default_factory=dict)
    creatives: dict[str, Creative] = field(default_factory=dict)
    blocklists: dict[str, frozenset[str]] = field(default_factory=dict)
    campaign_last_site: dict[str, str] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    rng: random.Random = field(default_factory=lambda: random.Random(secrets.randbits(64)))
    request_ids: RequestIds = field(default_factory=RequestIds)
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _snapshot_task: asyncio.Task[None] | None = None
    _retention: Retention | None = None
    _outcome_counters: dict[str, Any] = field(default_factory=dict)

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        settings = self.settings
        self.admin_key = ensure_admin_key(settings)
        self.keyring = KeyRing(self.admin_key)
        url = settings.resolved_database_url
        self.db = database.create_engine(url, settings.database_schema)
        await database.migrate(self.db, settings.database_schema)
        self.sessions = database.session_factory(self.db)
        kernels.warm_up()
        async with self.sessions.begin() as session:
            secret = await repository.get_or_create_setting(
                session, TRACKING_SECRET_KEY, secrets.token_hex(32)
            )
            now = time.time()
            loading_started = perf_counter()
            state = await loading.load_state(session, now, settings.idempotency_window_seconds)
        self.signer = TrackingSigner(bytes.fromhex(secret))
        self.ledger = InMemoryBudgetLedger(settings.idempotency_window_seconds)
        self._load(state, now)
        loaded_in = perf_counter() - loading_started
        self.writer = GroupCommitWriter(
            batch_store_for(self.db), self.metrics, settings.write_batch_rows
        )
        self.writer.start()
        window = settings.idempotency_window_seconds
        kept = kept_seconds(settings.retention_days, settings.tracking_ttl_seconds, window)
        self._retention = Retention(self.db, kept)
        self._retention.start()
        self._snapshot_task = asyncio.get_running_loop().create_task(
            self._snapshot_loop(), name="engine-snapshots"
        )
        logger.info(
            "promovolve runtime started: %d sites on %s (state loaded in %.3f s)",
            len(self.sites),
            _safe(url),
            loaded_in,
        )

    async def stop(self) -> None:
        if self._retention is not None:
            await self._retention.stop()
        if self._snapshot_task is not None:
            self._snapshot_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._snapshot_task
        if self.writer is not None:
            await self.writer.close()
        with contextlib.suppress(Exception):
            await self.snapshot_all(only_dirty=False)
        if self.db is not None:
            await self.db.dispose()

    @property
    def session(self) -> async_sessionmaker[AsyncSession]:
        assert self.sessions is not None
        return self.sessions

    # -- loading --------------------------------------------------------------------------
    def _load(self, state: loading.LoadedState, now: float) -> None:
        assert self.keyring is not None
        for p in state.publishers:
            self.publishers[p.id] = Publisher(p.id, p.name)
            self.keyring.add(p.api_key_hash, Principal("publisher", p.id))
        for a in state.advertisers:
            self.advertisers[a.id] = Advertiser(a.id, a.name)
            self.keyring.add(a.api_key_hash, Principal("advertiser", a.id))
        for publisher_id, domains in state.blocklists.items():
            self.blocklists[publisher_id] = frozenset(domains)
        for c in state.campaigns:
            self.catalog.put_campaign(campaign_from_row(c))
        for cr in state.creatives:
            creative = creative_from_row(cr)
            self.catalog.put_creative(creative)
            self.creatives[creative.id] = creative
        for campaign_id, ledger_day in state.ledger_days.items():
            self.ledger.load(campaign_id, ledger_day.day, ledger_day.spent, ledger_day.recent)
        self.campaign_last_site.update(state.last_site)
        approvals: dict[str, list[tuple[str, str]]] = {}
        for ap in state.approvals:
            approvals.setdefault(ap.site_id, []).append((ap.creative_id, ap.status))
        for row in state.sites:
            site_state = self._new_site_state(site_from_row(row), row.clock_origin, now)
            engine = site_state.engine
            for creative_id, status in approvals.get(row.id, []):
                engine.set_approval(creative_id, ApprovalStatus(status))
            self._restore_engine(engine, row.clock_origin, state, now)
            self.sites[row.id] = site_state
        self.metrics.sites.set(len(self.sites))

    def _new_site_state(self, site: Site, origin: float, now: float) -> SiteState:
        try:
            engine = SiteEngine(site, self.catalog, self.ledger, policy_named("default"), origin)
        except (ArithmeticError, ValueError) as exc:
            # A stored config the engine cannot use (written before it was checked) must not
            # keep the server from starting: run the site on learned shapes only.
            logger.error("site %s: ignoring configured traffic shapes: %s", site.id, exc)
            site = replace(
                site,
                pacing=replace(site.pacing, weekday_shape_volumes=None, weekend_shape_volumes=None),
            )
            engine = SiteEngine(site, self.catalog, self.ledger, policy_named("default"), origin)
        # Applying the settings once sets up the test-throttle gate when there is one.
        engine.update_site(site, now)
        engine.set_blocklist(self.blocklists.get(site.publisher_id, frozenset()))
        return SiteState(engine, origin)

    def _restore_engine(
        self, engine: SiteEngine, origin: float, state: loading.LoadedState, now: float
    ) -> None:
        site_id = engine.site.id
        raw = state.snapshots.get(site_id)
        snapshot: Mapping[str, Any] = {}
        if raw:
            try:
                loaded = orjson.loads(raw)
                snapshot = loaded if isinstance(loaded, dict) else {}
            except orjson.JSONDecodeError:
                logger.warning("ignoring unreadable snapshot of site %s", site_id)
        engine_snapshot = snapshot.get("engine")
        if isinstance(engine_snapshot, dict):
            try:
                engine.restore({**engine_snapshot, "origin": origin})
            except (KeyError, TypeError, ValueError):
                logger.warning("ignoring snapshot of site %s that does not fit", site_id)
        engine.start(now)
        controller = engine.controller
        day = controller.day_index if controller.day_index is not None else 0
        # Today's delivery on this site, from the durable reservations.
        today = state.site_days.get(site_id, {}).get(day, {})
        engine.campaign_days = {
            cid: CampaignDay(impressions_served=n, spend=spend) for cid, (n, spend) in today.items()
        }
        outcomes_today = snapshot.get("todayOutcomes")
        if snapshot.get("todayDay") == day and isinstance(outcomes_today, dict):
            for name, value in outcomes_today.items():
                if name in engine.today.outcomes and isinstance(value, int):
                    engine.today.outcomes[name] = value
        engine.today.outcomes[SELECTED] = sum(n for n, _ in today.values())
        engine.lifetime.outcomes[SELECTED] = state.site_selected.get(site_id, 0)
        # Thompson statistics and click/impression counters, from the events.
        counts = state.creative_events.get(site_id, {})
        engine.creative_stats.load({cid: (c.impressions, c.clicks) for cid, c in counts.items()})
        engine.lifetime.impressions = sum(c.impressions for c in counts.values())
        engine.lifetime.clicks = sum(c.clicks for c in counts.values())
        imps, clicks = state.event_days.get(site_id, {}).get(day, (0, 0))
        engine.today.impressions, engine.today.clicks = imps, clicks

    # -- snapshots ------------------------------------------------------------------------
    async def _snapshot_loop(self) -> None:
        interval = self.settings.snapshot_interval_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                await self.snapshot_all()
            except Exception:
                logger.exception("engine snapshot failed")

    def snapshot_of(self, engine: SiteEngine) -> bytes:
        return orjson.dumps(
            {
                "engine": engine.snapshot(),
                "todayDay": engine.controller.day_index,
                "todayOutcomes": dict(engine.today.outcomes),
            }
        )

    async def snapshot_all(self, only_dirty: bool = True) -> int:
        names = list(self.dirty) if only_dirty else list(self.sites)
        self.dirty.clear()
        now = time.time()
        data = [
            (site_id, self.snapshot_of(self.sites[site_id].engine).decode())
            for site_id in names
            if site_id in self.sites
        ]
        if not data:
            return 0
        async with self.session.begin() as session:
            for site_id, blob in data:
                await repository.upsert_snapshot(session, site_id, blob, now)
        return len(data)

    # -- serving --------------------------------------------------------------------------
    def _outcome_counter(self, outcome: str) -> Any:
        counter = self._outcome_counters.get(outcome)
        if counter is None:
            counter = self._outcome_counters[outcome] = self.metrics.outcomes.labels(outcome)
        return counter

    async def serve(self, body: ServeBody, base_url: str) -> dict[str, object]:
        site_state = self.sites.get(body.site_id)
        if site_state is None:
            raise not_found("site", "siteId")
        engine = site_state.engine
        domain = engine.site.domain
        host = host_of(body.url)
        if host != domain and not host.endswith("." + domain):
            raise ApiError(403, "forbidden", "page is not on the site's domain", "url")
        slot_ids = [s.id for s in body.slots]
        if len(set(slot_ids)) != len(slot_ids):
            raise ApiError(422, "invalid", "slot ids must be unique", "slots")
        request_id = self.request_ids.next()
        now = time.time()
        page = PageContext(body.url, frozenset(body.categories), frozenset(body.keywords))
        slots = tuple(SlotSpec(s.id, s.width, s.height) for s in body.slots)
        result = engine.serve(ServeRequest(request_id, page, slots), now, self.rng)
        self.dirty.add(body.site_id)
        writer = self.writer
        assert writer is not None and self.signer is not None
        pending = engine.drain_pending()
        for creative_id in pending:
            writer.submit_nowait(
                "pending",
                {
                    "site_id": body.site_id,
                    "creative_id": creative_id,
                    "status": ApprovalStatus.PENDING.value,
                    "updated_at": now,
                },
            )
        recorded: list[tuple[SlotDecision, asyncio.Future[bool]]] = []
        out: list[dict[str, object]] = []
        spend = 0
        expires = int(now) + self.settings.tracking_ttl_seconds
        for d in result.slots:
            self._outcome_counter(d.outcome).inc()
            creative, campaign = d.creative, d.campaign
            if d.outcome != SELECTED or creative is None or campaign is None:
                out.append({"id": d.slot_id, "outcome": d.outcome})
                continue
            row = {
                "campaign_id": campaign.id,
                "day_index": result.day_index,
                "reservation_id": reservation_id(request_id, d.slot_id),
                "amount_micros": d.price_micros,
                "site_id": body.site_id,
                "creative_id": creative.id,
                "ts": now,
            }
            recorded.append((d, writer.submit("reservation", row)))
            self.campaign_last_site[campaign.id] = body.site_id
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
            failed = await _unrecorded(recorded)
            if failed:
                # Nothing is shown, so nothing is spent: the budget gets these amounts back.
                # Slots that were recorded keep their spend (the database has them).
                for decision, error in failed:
                    engine.release(request_id, decision, result.day_index)
                    logger.error("could not record spend for request %s: %s", request_id, error)
                raise ApiError(503, "unavailable", "could not record the serve; retry")
            self.metrics.spend.inc(spend / MICROS_PER_USD)
        return {"requestId": request_id, "slots": out}

    async def track(self, kind: str, params: Mapping[str, str]) -> Beacon:
        """Verify a beacon, count it once (durably), and feed it to the site's engine."""
        assert self.signer is not None and self.writer is not None
        try:
            beacon = self.signer.verify(kind, params, time.time())
        except ApiError:
            self.metrics.beacons.labels(kind, "rejected").inc()
            raise
        site_state = self.sites.get(beacon.site)
        if site_state is None or beacon.creative not in self.creatives:
            raise not_found("site or creative")
        new = await self.writer.submit(
            "event",
            {
                "kind": kind,
                "request_id": beacon.request,
                "slot_id": beacon.slot,
                "site_id": beacon.site,
                "creative_id": beacon.creative,
                "campaign_id": beacon.campaign,
                "price_micros": beacon.price,
                "day_index": beacon.day,
                "ts": time.time(),
            },
        )
        if new:
            engine = site_state.engine
            if kind == IMPRESSION:
                engine.record_impression(beacon.creative)
            else:
                engine.record_click(beacon.creative)
            self.dirty.add(beacon.site)
        self.metrics.beacons.labels(kind, "counted" if new else "replay").inc()
        return beacon

    # -- management helpers -----------------------------------------------------------
    def site_state(self, site_id: str, publisher_id: str | None = None) -> SiteState:
        state = self.sites.get(site_id)
        if state is None or (
            publisher_id is not None and state.engine.site.publisher_id != publisher_id
        ):
            raise not_found("site", "siteId")
        return state

    def check_pacing(self, site: Site, config: PacingConfig) -> None:
        """Refuse (400) a pacing config the site's engine could not run with.

        PacingConfig validates each value; this also catches volumes that are each fine but
        cannot be normalized into a shape (a sum that overflows, a mean that underflows), by
        trying them on a throwaway tracker and engine, before anything is written.
        """
        policy = policy_named("default")
        for name, volumes in (
            ("weekdayShapeVolumes", config.weekday_shape_volumes),
            ("weekendShapeVolumes", config.weekend_shape_volumes),
        ):
            if volumes is None:
                continue
            tracker = policy.make_tracker()
            try:
                tracker.configure(volumes, volumes)
            except (ArithmeticError, ValueError) as exc:
                raise ApiError(400, "invalid", _UNUSABLE_VOLUMES, name) from exc
            if not all(math.isfinite(v) for v in (*tracker.weekday_shape, *tracker.weekend_shape)):
                raise ApiError(400, "invalid", _UNUSABLE_VOLUMES, name)
        try:
            SiteEngine(replace(site, pacing=config), self.catalog, self.ledger, policy, 0.0)
        except (ArithmeticError, ValueError) as exc:
            raise ApiError(400, "invalid", f"pacing config cannot be used: {exc}") from exc

    def add_site(self, site: Site, origin: float, now: float) -> SiteState:
        state = self._new_site_state(site, origin, now)
        state.engine.start(now)
        self.sites[site.id] = state
        self.metrics.sites.set(len(self.sites))
        return state

    def set_blocklist(self, publisher_id: str, domains: frozenset[str]) -> None:
        self.blocklists[publisher_id] = domains
        for state in self.sites.values():
            if state.engine.site.publisher_id == publisher_id:
                state.engine.set_blocklist(domains)


async def _unrecorded(
    recorded: list[tuple[SlotDecision, asyncio.Future[bool]]],
) -> list[tuple[SlotDecision, BaseException]]:
    """The selections whose durable write failed, with why (after all writes finished)."""
    if len(recorded) == 1:  # most pages: one slot, no gather bookkeeping
        decision, future = recorded[0]
        try:
            await future
        except Exception as exc:
            return [(decision, exc)]
        return []
    results = await asyncio.gather(*(f for _, f in recorded), return_exceptions=True)
    return [
        (decision, r)
        for (decision, _), r in zip(recorded, results, strict=True)
        if isinstance(r, BaseException)
    ]


def site_from_row(row: SiteRow) -> Site:
    pacing = PacingConfig.from_json(orjson.loads(row.pacing_json))
    return Site(row.id, row.publisher_id, row.domain, row.name, row.bid_weight, pacing)


def campaign_from_row(row: CampaignRow) -> Campaign:
    return Campaign(
        id=row.id,
        advertiser_id=row.advertiser_id,
        name=row.name,
        daily_budget_micros=row.daily_budget_micros,
        cpm_micros=row.cpm_micros,
        categories=frozenset(orjson.loads(row.categories_json)),
        keywords=frozenset(orjson.loads(row.keywords_json)),
        status=CampaignStatus(row.status),
    )


def creative_from_row(row: CreativeRow) -> Creative:
    return Creative(
        id=row.id,
        campaign_id=row.campaign_id,
        advertiser_id=row.advertiser_id,
        asset_url=row.asset_url,
        landing_url=row.landing_url,
        width=row.width,
        height=row.height,
        status=CreativeStatus(row.status),
    )


def _safe(url: str) -> str:
    """The database URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
