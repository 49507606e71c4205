"""The server's runtime: starts and stops its parts, each in a module of its own.

- `state`: the hot state, one SiteEngine per site (api/state.py);
- `serving`: serve decisions and beacons (api/serve_path.py), writing through
  `recorder` (api/recording.py) and the group-commit writer (api/writer.py);
- state loading at start (api/loading.py, from the aggregates of each latest day and the
  reservations of the idempotency window), snapshots (api/snapshots.py), the retention task
  that prunes old raw rows (store/retention.py);
- `services`: what the management routes call (api/services/);
- `settler`: releases reservations never viewed within the window (api/settlement.py).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from promovolve.api.keys import KeyRing
from promovolve.api.loading import load_into
from promovolve.api.metrics import Metrics
from promovolve.api.page_reader import PageReader
from promovolve.api.recording import Recorder
from promovolve.api.serve_path import ServePath
from promovolve.api.services import ServiceContext, Services
from promovolve.api.settlement import Settler
from promovolve.api.snapshots import Snapshotter
from promovolve.api.state import ServerState
from promovolve.api.ticker import Ticker
from promovolve.api.tracking import TrackingSigner
from promovolve.api.writer import GroupCommitWriter
from promovolve.engine import kernels
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.network.lease import Lease
from promovolve.settings import Settings, ensure_admin_key
from promovolve.store import database, load_state, repository
from promovolve.store.batch import batch_store_for
from promovolve.store.retention import Retention, kept_seconds

if TYPE_CHECKING:  # Redis is imported only by a server that is given one (see _start)
    import redis

    from promovolve.network.ledger import RedisBudgetLedger

logger = logging.getLogger("promovolve.api.runtime")

TRACKING_SECRET_KEY = "tracking_secret"
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
        self._lease: Lease | None = None

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
        async with sessions.begin() as session:
            secret = await repository.get_or_create_setting(
                session, TRACKING_SECRET_KEY, secrets.token_hex(32)
            )
            kernels.warm_up(settings.data_dir / NUMBA_CACHE)
            now = self.clock()
            loading_started = perf_counter()
            loaded = await load_state(session, now, settings.idempotency_window_seconds)
        window = settings.idempotency_window_seconds
        ledger: InMemoryBudgetLedger | RedisBudgetLedger = InMemoryBudgetLedger(window)
        if settings.redis_url:
            import redis

            from promovolve.network.ledger import RedisBudgetLedger

            self._redis = redis.Redis.from_url(settings.redis_url)
            ledger = RedisBudgetLedger(self._redis, idempotency_window_seconds=window)
        state = self._state = ServerState(keyring, self.metrics, ledger=ledger)
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
        self._serving = ServePath(
            state,
            Recorder(self.writer),
            TrackingSigner(bytes.fromhex(secret)),
            self.metrics,
            snapshots.dirty,
            settings.tracking_ttl_seconds,
            self.clock,
            pages,
        )
        self._services = Services.on(ServiceContext(state, sessions, self.clock, snapshots.dirty))
        snapshots.start()
        ticker = self._ticker = Ticker(state, snapshots.dirty, self.clock)
        ticker.start()
        settler = self._settler = Settler(
            state, sessions, settings.settlement_window, self.clock, snapshots.dirty
        )
        settler.start()
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

    async def stop(self) -> None:
        if self._retention is not None:
            await self._retention.stop()
        if self._ticker is not None:
            await self._ticker.stop()
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
