"""What every service works with: the hot state, units of work, one write lock, the clock."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from promovolve.api.services.errors import ConflictError, UnavailableError
from promovolve.api.state import ServerState
from promovolve.network.changes import Change
from promovolve.store import ConstraintError, Repositories, StoreUnavailableError, unit_of_work

# Tells every other process of committed changes and waits until they have them (the
# change feed, api/feed.py); None: one process, nobody else to tell.
Announce = Callable[[list[Change], bool], Awaitable[None]]


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass(slots=True)
class ServiceContext:
    """Services change state in one pattern: under the write lock, check the hot state,
    write in one unit of work, and only after it committed change the hot state; a call
    that fails anywhere leaves both as they were."""

    state: ServerState
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], float]
    # Sites whose engine changed since the last snapshot.
    dirty: set[str]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Domains one publisher's blocklist may hold (PROMOVOLVE_BLOCKLIST_MAX).
    blocklist_max: int = 10_000
    announce: Announce | None = None

    async def changed(self, *changes: Change, strict: bool = False) -> None:
        """Announce committed changes; `strict` for those that take money or access away
        (revoke, reject, pause, archive, budget cut, key rotation, deactivation, a block):
        then a process that has not applied them within seconds makes this a 503."""
        if self.announce is not None:
            await self.announce(list(changes), strict)

    @asynccontextmanager
    async def writes(
        self, what: str = "object", field: str | None = "id"
    ) -> AsyncIterator[Repositories]:
        """A unit of work; a key that exists already is a ConflictError about `what`."""
        try:
            async with unit_of_work(self.sessions) as repositories:
                yield repositories
        except ConstraintError as exc:
            raise ConflictError(f"{what} already exists", field) from exc
        except StoreUnavailableError as exc:
            raise UnavailableError("the database is unavailable; nothing was changed") from exc
