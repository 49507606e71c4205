"""Where the group-commit writer's batches go: one transaction per batch.

Three stores with one behaviour. PostgreSQL writes on the asyncpg connection itself
(`store/pg_batch.py`); `SqlAlchemyStore`, through SQLAlchemy's async engine, is the
reference the others are tested against. An SQLite file gets its own connection on a
dedicated thread: a whole batch is one hop to that thread, where the async adapter would
make a hop, a greenlet switch and an event-loop wake-up per statement, all on the serving
thread (about 20 µs per served ad on the serve benchmark). Its SQL is compiled from the
same SQLAlchemy statements, so every store writes the same rows.

On that thread each statement carries many rows: the sqlite3 module lets go of the GIL
around every step of SQLite, and each time the thread wants it back the serving thread
must hand it over, which costs far more than the step itself (`executemany` of 20 rows
made the serve benchmark's main thread about 20% slower per request).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from promovolve.store import aggregates, repository
from promovolve.store.checkpoint import (
    CHECKPOINT_INTERVAL_SECONDS,
    WRITER_AUTOCHECKPOINT_PAGES,
    WalCheckpointer,
)
from promovolve.store.database import sqlite_file, sqlite_pragmas
from promovolve.store.pg_batch import AsyncpgStore
from promovolve.store.repository import EventKey

logger = logging.getLogger("promovolve.store.batch")

Rows = Sequence[dict[str, object]]

# Rows per INSERT on the SQLite thread. Each row count is its own statement text, so the cap
# keeps every size in the connection's statement cache (seven kinds × this many).
ROWS_PER_STATEMENT = 64
STATEMENT_KINDS = 3 + len(aggregates.TABLES)
_LAST_RESERVATION = "SELECT coalesce(max(id), 0) FROM spend_reservations"
_RESERVATIONS_AFTER = (
    f"SELECT {', '.join(aggregates.SPEND_COLUMNS)} FROM spend_reservations WHERE id > ?"
)


class BatchStore(Protocol):
    # How many batches may be written at once (each in its own transaction).
    commits_in_flight: int

    async def write(self, reservations: Rows, pending: Rows, events: Rows) -> set[EventKey]:
        """Write all rows in one transaction (existing keys are skipped); the new events."""
        ...

    def refused(self, exc: BaseException) -> bool:
        """Whether `exc` is about the rows written (a constraint), not the database itself."""
        ...

    async def close(self) -> None: ...


def batch_store_for(engine: AsyncEngine) -> BatchStore:
    database = sqlite_file(engine.url)
    if database is not None:
        return SqliteThreadStore(database)
    if engine.dialect.name == "postgresql":
        return AsyncpgStore(engine)
    return SqlAlchemyStore(engine)


class SqlAlchemyStore:
    """Batches through the async engine, on one connection kept between batches."""

    commits_in_flight = 1

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None

    async def write(self, reservations: Rows, pending: Rows, events: Rows) -> set[EventKey]:
        if self._conn is None:
            self._conn = await self._engine.connect()
        conn = self._conn
        try:
            async with conn.begin():
                await repository.insert_reservations(conn, reservations)
                await repository.insert_pending(conn, pending)
                return await repository.insert_events(conn, events)
        except Exception:
            # The connection may be broken: the next batch opens a new one.
            await self.close()
            raise

    def refused(self, exc: BaseException) -> bool:
        return (
            isinstance(exc, DBAPIError)
            and not exc.connection_invalidated
            and not isinstance(exc, OperationalError | InterfaceError)
        )

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception as exc:  # a broken connection may fail to close; dropped anyway
                logger.debug("closing the writer's connection failed: %s", exc)


class SqliteThreadStore:
    """Batches on a dedicated thread with its own connection to the SQLite file."""

    commits_in_flight = 1  # SQLite has one writer

    def __init__(
        self,
        path: Path,
        rows_per_statement: int = ROWS_PER_STATEMENT,
        checkpoint_interval: float = CHECKPOINT_INTERVAL_SECONDS,
    ) -> None:
        self._path = path
        self._rows_per_statement = rows_per_statement
        self._checkpoint_interval = checkpoint_interval
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="promovolve-sqlite-writer")
        self._conn: sqlite3.Connection | None = None
        self._checkpointer: WalCheckpointer | None = None

    async def write(self, reservations: Rows, pending: Rows, events: Rows) -> set[EventKey]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self._write, reservations, pending, events
        )

    def refused(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)

    # The methods below run on the writer thread.
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            # Autocommit mode: a lone statement is its own transaction; several are wrapped
            # in the explicit BEGIN/COMMIT below.
            conn = sqlite3.connect(
                self._path,
                timeout=30,
                isolation_level=None,
                cached_statements=STATEMENT_KINDS * self._rows_per_statement + 16,
            )
            sqlite_pragmas(conn, None)
            conn.execute(f"PRAGMA wal_autocheckpoint={WRITER_AUTOCHECKPOINT_PAGES}")
            self._conn = conn
            self._checkpointer = WalCheckpointer(self._path, self._checkpoint_interval)
            self._checkpointer.start()
        return self._conn

    def _write(self, reservations: Rows, pending: Rows, events: Rows) -> set[EventKey]:
        size = self._rows_per_statement
        spend_writes = _inserts("reservations", reservations, size)
        pending_writes = _inserts("approvals", pending, size)
        event_writes = _inserts("events", events, size)
        conn = self._connection()
        # Always one transaction: the aggregates are written after the rows they count.
        conn.execute("BEGIN IMMEDIATE")
        try:
            before = conn.execute(_LAST_RESERVATION).fetchone()[0] if reservations else 0
            inserted = 0
            for sql, params in spend_writes:
                inserted += conn.execute(sql, params).rowcount
            for sql, params in pending_writes:
                conn.execute(sql, params)
            new: set[EventKey] = set()
            new_events: list[tuple[object, ...]] = []
            for sql, params in event_writes:
                for row in conn.execute(sql, params):
                    new.add((row[0], row[1], row[2]))
                    new_events.append(row[3:])
            if inserted == len(reservations):
                spent = [tuple(r[c] for c in aggregates.SPEND_COLUMNS) for r in reservations]
            else:  # some were replays: count what this transaction inserted
                spent = conn.execute(_RESERVATIONS_AFTER, (before,)).fetchall()
            rollups = {**aggregates.spend_rollup(spent), **aggregates.event_rollup(new_events)}
            for what, rows in rollups.items():
                for sql, params in _inserts(what, rows, size):
                    conn.execute(sql, params)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return new

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _inserts(what: str, rows: Rows, size: int) -> list[tuple[str, list[object]]]:
    """`rows` as multi-row INSERTs of at most `size` rows: (SQL, flat parameters) each."""
    if not rows:
        return []
    columns = tuple(rows[0])
    out: list[tuple[str, list[object]]] = []
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        sql, names = _multi_row_insert(what, columns, len(chunk))
        out.append((sql, [row[n] for row in chunk for n in names]))
    return out


@functools.cache
def _multi_row_insert(
    what: str, columns: tuple[str, ...], count: int
) -> tuple[str, tuple[str, ...]]:
    """The repository's insert for `what` as SQLite SQL with `count` VALUES groups, and the
    column of each group's parameters in order."""
    statement = (
        aggregates.upsert("sqlite", what)
        if what in aggregates.TABLES
        else repository.insert_ignoring("sqlite", what)
    )
    compiled: Any = statement.compile(dialect=sqlite_dialect.dialect(), column_keys=list(columns))
    head, _, rest = str(compiled).partition(" VALUES ")
    group_end = rest.index(")") + 1
    group, tail = rest[:group_end], rest[group_end:]
    return f"{head} VALUES {', '.join([group] * count)}{tail}", tuple(compiled.positiontup)
