"""The one-process lease: without Redis, the hot state (budgets, engines, keys) lives in one
process's memory, so a second process on the same database would spend every budget again.
The running process holds a lock that the operating system or the database drops when the
process ends, cleanly or not, so a crash leaves nothing stale behind:

- PostgreSQL: a session advisory lock named after the schema, on a connection kept open;
- SQLite: an exclusive `flock` on a file next to the database file.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from promovolve.store.database import create_engine, sqlite_file

MESSAGE = (
    "another promovolve process is serving this database; without PROMOVOLVE_REDIS_URL "
    "only one may run (stop it, or share state through Redis)"
)


class LeaseHeldError(RuntimeError):
    def __init__(self) -> None:
        super().__init__(MESSAGE)


class Lease:
    """Held from `acquire` to `release`; `acquire` raises LeaseHeldError when taken."""

    def __init__(self, db: AsyncEngine, schema: str | None) -> None:
        self._db = db
        self._name = f"promovolve:{schema or ''}"
        self._connection: AsyncConnection | None = None
        self._file: int | None = None

    async def acquire(self) -> None:
        if self._db.url.get_backend_name() == "sqlite":
            database = sqlite_file(self._db.url)
            if database is not None:  # an in-memory database is one process's anyway
                self._lock_file(database)
            return
        connection = await self._db.connect()
        query = text("SELECT pg_try_advisory_lock(hashtext(:name))")
        taken = (await connection.execute(query, {"name": self._name})).scalar()
        await connection.commit()
        if not taken:
            await connection.close()
            raise LeaseHeldError()
        self._connection = connection

    def _lock_file(self, database: Path) -> None:
        database.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LeaseHeldError() from None
        self._file = fd

    async def release(self) -> None:
        if self._connection is not None:
            query = text("SELECT pg_advisory_unlock(hashtext(:name))")
            await self._connection.execute(query, {"name": self._name})
            await self._connection.close()
            self._connection = None
        if self._file is not None:
            os.close(self._file)  # closing drops the flock
            self._file = None


async def is_free(url: str, schema: str | None) -> bool:
    """Whether the lease could be taken now (taken and given back at once); the CLI asks
    before starting the server so that a refusal is one line, not a startup traceback."""
    db = create_engine(url, schema)
    lease = Lease(db, schema)
    try:
        await lease.acquire()
    except LeaseHeldError:
        return False
    finally:
        await lease.release()
        await db.dispose()
    return True
