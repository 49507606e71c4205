"""The server's runtime: starts and stops its parts, each in a module of its own.

- `state`: the hot state, one SiteEngine per site (api/state.py);
- `serving`: serve decisions and beacons (api/serve_path.py), writing through
  `recorder` (api/recording.py) and the group-commit writer (api/writer.py);
- state loading at start (api/loading.py, from the aggregates of each latest day and the
  reservations of the idempotency window), snapshots (api/snapshots.py), the retention task
  that prunes old raw rows (store/retention.py);
- `services`: what the management routes call (api/services/);
- `settler`: releases reservations never viewed within the window (api/settlement.py);
- `guard`: marks invalid traffic before serving or counting it (api/traffic_guard/).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from time import perf_counter
from typing import TypeVar

import redis
import redis.asyncio as aioredis
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from promovolve.api.changes import ChangeApplier
from promovolve.api.feed import ChangeFeed
from promovolve.api.keys import KeyRing
from promovolve.api.ledger_repair import LedgerRepair
from promovolve.api.loading import load_into
from promovolve.api.metrics import Metrics
from promovolve.api.network_sync import NetworkSync
from promovolve.api.page_reader import PageReader
from promovolve.api.recording import Recorder
from promovolve.api.serve_path import ServePath
from promovolve.api.services import ServiceContext, Services
from promovolve.api.settlement import Settler
from promovolve.api.snapshots import Snapshotter
from promovolve.api.state import ServerState
from promovolve.api.ticker import Ticker
from promovolve.api.tracking import TrackingSigner
from promovolve.api.traffic_guard.guard import TrafficGuard
from promovolve.api.traffic_guard.hosts import TrackingBase
from promovolve.api.traffic_guard.setup import build_guard, build_tracking_base
from promovolve.api.writer import GroupCommitWriter
from promovolve.engine import kernels
from promovolve.engine.lifetime_spend import LifetimeSpend
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.engine.network_pace import InMemoryNetworkPace
from promovolve.network.batched_ledger import BatchedRedisLedger
from promovolve.network.changes import ChangeStream
from promovolve.network.lease import Lease
from promovolve.network.ledger import RedisBudgetLedger
from promovolve.network.pace import RedisNetworkPace
from promovolve.network.serving import NetworkServing
from promovolve.settings import Settings, ensure_admin_key
from promovolve.store import database, load_state, repository
from promovolve.store.batch import batch_store_for
from promovolve.store.retention import Retention, kept_seconds

logger = logging.getLogger("promovolve.api.runtime")

TRACKING_SECRET_KEY = "tracking_secret"
REDIS_TIMEOUT = 2.0  # seconds
NUMBA_CACHE = "numba"  # the compiled serve loops, cached under the data dir
T = TypeVar("T")


class NotStartedError(RuntimeError):
    """A part of the runtime was used before `start`."""


class Runtime:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.metrics = Metrics()
        self.db: AsyncEngine | None = None
        self.writer: GroupCommitWriter | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._state: ServerState | None = None
        self._serving: ServePath | None = None
        self._snapshots: Snapshotter | None = None
        self._ticker: Ticker | None = None
        self._retention: Retention | None = None
        self._settler: Settler | None = None
        self._services: Services | None = None
        self._pages: PageReader | None = None
        self._redis: redis.Redis | None = None
        self._aredis: aioredis.Redis | None = None
        self._lease: Lease | None = None
        self._guard: TrafficGuard | None = None
        self.tracking_base: TrackingBase = build_tracking_base(settings)
        self._feed: ChangeFeed | None = None
        self._feed_redis: aioredis.Redis | None = None  # its blocking reads wait longer
        self._repair: LedgerRepair | None = None

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()  # gives back the lease and whatever else had started
            raise

    async def _start(self) -> None:
        settings = self.settings
        keyring = KeyRing(ensure_admin_key(settings))
        url = settings.resolved_database_url
        self.db = database.create_engine(url, settings.database_schema)
        if not settings.redis_url:
            self._lease = Lease(self.db, settings.database_schema)
            await self._lease.acquire()
        await database.migrate(self.db, settings.database_schema)
        sessions = self._sessions = database.session_factory(self.db)
        if settings.redis_url:
            # Changes from other processes: those committed after this mark are applied on
            # top of the state loaded below (docs/scale-out.md).
            # Timeouts, so that a Redis that vanished fails calls instead of hanging them.
            self._feed_redis = aioredis.Redis.from_url(
                settings.redis_url, socket_connect_timeout=2.0, socket_timeout=5.0
            )
            self._feed = ChangeFeed(ChangeStream(self._feed_redis))
            await self._feed.mark()
        async with sessions.begin() as session:
            secret = await repository.get_or_create_setting(
                session, TRACKING_SECRET_KEY, secrets.token_hex(32)
            )
            kernels.warm_up(settings.data_dir / NUMBA_CACHE)
            now = self.clock()
            loading_started = perf_counter()
            loaded = await load_state(session, now, settings.idempotency_window_seconds)
        window = settings.idempotency_window_seconds
        ledger: InMemoryBudgetLedger | BatchedRedisLedger = InMemoryBudgetLedger(window)
        network: NetworkServing | None = None
        pace: RedisNetworkPace | None = None
        lifetime = LifetimeSpend()  # told the network's count by the Redis ledger
        if settings.redis_url:
            self._redis = redis.Redis.from_url(settings.redis_url)
            # A Redis that stops answering refuses reserves after this, instead of hanging.
            self._aredis = aioredis.Redis.from_url(
                settings.redis_url,
                socket_timeout=REDIS_TIMEOUT,
                socket_connect_timeout=REDIS_TIMEOUT,
            )
            sync = RedisBudgetLedger(
                self._redis,
                idempotency_window_seconds=window,
                open_campaigns_only=True,
                lifetime=lifetime,
            )
            ledger = BatchedRedisLedger(sync, self._aredis, idempotency_window_seconds=window)
            self._repair = LedgerRepair(ledger, sessions, window, self.clock)
            waited = self.metrics.serve_waits.labels("network").observe
            network = NetworkServing(ledger, self._aredis, waited)
            pace = RedisNetworkPace(secrets.token_hex(6))
        shared = InMemoryNetworkPace() if pace is None else pace
        state = self._state = ServerState(
            keyring, self.metrics, ledger=ledger, network=shared, lifetime_spend=lifetime
        )
        load_into(state, loaded, now)
        loaded_in = perf_counter() - loading_started
        self.writer = GroupCommitWriter(
            batch_store_for(self.db), self.metrics, settings.write_batch_rows
        )
        self.writer.start()
        snapshots = self._snapshots = Snapshotter(
            state, sessions, settings.snapshot_interval_seconds, self.clock
        )
        pages = self._pages = PageReader(self.clock, state.pins, self.metrics)
        guard = self._guard = build_guard(settings, bytes.fromhex(secret), sessions, self._redis)
        self._serving = ServePath(
            state,
            Recorder(self.writer),
            TrackingSigner(bytes.fromhex(secret)),
            self.metrics,
            snapshots.dirty,
            settings.tracking_ttl_seconds,
            self.clock,
            pages,
            guard,
            network,
        )
        feed = self._feed
        announce = feed.announce if feed is not None else None
        context = ServiceContext(
            state,
            sessions,
            self.clock,
            snapshots.dirty,
            blocklist_max=settings.blocklist_max,
            announce=announce,
        )
        self._services = Services.on(context)
        if feed is not None:
            await feed.start(ChangeApplier(state, sessions, self.clock))
        snapshots.start()
        exchange = None
        if pace is not None and self._aredis is not None and network is not None:
            exchange = NetworkSync(state, pace, network.ledger, self._aredis, self.clock)
        ticker = self._ticker = Ticker(state, snapshots.dirty, self.clock, exchange=exchange)
        ticker.start()
        settler = self._settler = Settler(
            state, sessions, settings.settlement_window, self.clock, snapshots.dirty
        )
        settler.start()
        if self._repair is not None:
            self._repair.start()
        window = settings.idempotency_window_seconds
        kept = kept_seconds(settings.retention_days, settings.tracking_ttl_seconds, window)
        self._retention = Retention(self.db, kept)
        self._retention.start()
        logger.info(
            "promovolve runtime started: %d sites on %s (state loaded in %.3f s)",
            len(state.sites),
            _safe(url),
            loaded_in,
        )

    def in_force(self) -> bool:
        """Whether this process may serve paid ads: always alone; with Redis, while it
        hears the network's changes (api/feed.py)."""
        return self._feed is None or self._feed.in_force()

    def not_ready(self) -> str | None:
        """Why a load balancer should send this process no traffic now (None: ready). Both
        reasons pass by themselves, so liveness stays up: a restart would not help."""
        if not self.in_force():
            return "this server cannot hear the network's changes (Redis unreachable?); retry"
        if self._repair is not None and self._repair.pending:
            return "the budget ledger lost campaigns and is rebuilding them from the database"
        return None

    async def stop(self) -> None:
        if self._feed is not None:
            await self._feed.stop()
        if self._retention is not None:
            await self._retention.stop()
        if self._ticker is not None:
            await self._ticker.stop()
        if self._repair is not None:
            await self._repair.stop()
        if self._settler is not None:
            await self._settler.stop()
        if self.writer is not None:
            await self.writer.close()
        if self._snapshots is not None:
            await self._snapshots.stop()
        if self._lease is not None:
            await self._lease.release()
        if self.db is not None:
            await self.db.dispose()
        if self._pages is not None:
            self._pages.close()
        if self._redis is not None:
            self._redis.close()
        for client in (self._aredis, self._feed_redis):
            if client is not None:
                await client.aclose()
        logger.info("promovolve runtime stopped")

    @property
    def session(self) -> async_sessionmaker[AsyncSession]:
        return _started(self._sessions)

    @property
    def state(self) -> ServerState:
        return _started(self._state)

    @property
    def serving(self) -> ServePath:
        return _started(self._serving)

    @property
    def guard(self) -> TrafficGuard:
        return _started(self._guard)

    @property
    def snapshots(self) -> Snapshotter:
        return _started(self._snapshots)

    @property
    def pages(self) -> PageReader:
        return _started(self._pages)

    @property
    def settler(self) -> Settler:
        return _started(self._settler)

    @property
    def services(self) -> Services:
        return _started(self._services)


def _started(part: T | None) -> T:
    if part is None:
        raise NotStartedError("the runtime has not started")
    return part


def _safe(url: str) -> str:
    """The database URL without its password, for logs."""
    return make_url(url).render_as_string(hide_password=True)
