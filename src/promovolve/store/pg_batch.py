"""The group-commit writer's batches on PostgreSQL, straight on the asyncpg connection.

Through SQLAlchemy's async adapter each statement of a batch costs a greenlet switch and
the ORM-level executemany machinery on the serving thread: about 4 ms of CPU per batch on
the serve benchmark, which capped a Redis-backed process far below the embedded one. Here
each statement is the repository's own SQLAlchemy statement compiled once for PostgreSQL,
its VALUES row turned into `SELECT * FROM unnest($1::type[], ...)`: one statement text per
kind whatever the batch size (so asyncpg prepares it once), one column array per parameter,
and a whole batch in one transaction of a few statements. A batch of serves only (the hot
path) is one statement: the reservations and their aggregates in one `WITH`, one round
trip.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from promovolve.store import aggregates, repository
from promovolve.store.errors import WriteInDoubtError
from promovolve.store.repository import EventKey

logger = logging.getLogger("promovolve.store.pg_batch")

Rows = Sequence[dict[str, object]]
_PARAM = re.compile(r"\$(\d+)::([A-Z][A-Z ]*)")


# Batches committing at once, one connection each (of the engine's pool of 10 + 10).
COMMITS_IN_FLIGHT = 3


class AsyncpgStore:
    """Batches on connections of the engine's pool, each kept between batches: up to
    `commits_in_flight` batches commit at once, so a batch does not wait for the disk
    flush of the one before it (the database merges the flushes of concurrent commits)."""

    def __init__(self, engine: AsyncEngine, commits_in_flight: int = COMMITS_IN_FLIGHT) -> None:
        self._engine = engine
        self.commits_in_flight = commits_in_flight
        self._idle: list[tuple[AsyncConnection, Any]] = []
        self._busy: list[AsyncConnection] = []

    async def _connection(self) -> tuple[AsyncConnection, Any]:
        if self._idle:
            return self._idle.pop()
        # From the engine's pool: its connect arguments (search_path) apply.
        conn = await self._engine.connect()
        raw = await conn.get_raw_connection()
        return conn, raw.driver_connection

    async def write(self, reservations: Rows, pending: Rows, events: Rows) -> set[EventKey]:
        held, conn = await self._connection()
        self._busy.append(held)
        try:
            new = await _write_batch(conn, reservations, pending, events)
        except Exception as exc:
            # The connection may be broken: the next batch opens a new one.
            await _close(held)
            if self.refused(exc):
                raise
            raise WriteInDoubtError(str(exc)) from exc
        finally:
            self._busy.remove(held)
        self._idle.append((held, conn))
        return new

    def refused(self, exc: BaseException) -> bool:
        return isinstance(exc, asyncpg.IntegrityConstraintViolationError | asyncpg.DataError)

    async def close(self) -> None:
        held = [c for c, _ in self._idle] + self._busy
        self._idle, self._busy = [], []
        for conn in held:
            await _close(conn)


async def _write_batch(conn: Any, reservations: Rows, pending: Rows, events: Rows) -> set[EventKey]:
    new: set[EventKey] = set()
    if not pending and not events:  # a batch of serves: one statement, one round trip
        if reservations:
            await conn.execute(*_flat(_spend(reservations)))
        return new
    async with conn.transaction():
        if reservations:
            await conn.execute(*_flat(_spend(reservations)))
        if pending:
            await conn.execute(*_flat(_unnest("approvals", pending)))
        new_events: list[tuple[Any, ...]] = []
        if events:
            for row in await conn.fetch(*_flat(_unnest("events", events))):
                new.add((row[0], row[1], row[2]))
                new_events.append(tuple(row)[3:])
        for what, rows in aggregates.event_rollup(new_events).items():
            if rows:
                await conn.execute(*_flat(_unnest(what, rows)))
    return new


async def _close(conn: AsyncConnection) -> None:
    try:
        await conn.close()
    except Exception as exc:  # a broken connection may fail to close; dropped anyway
        logger.debug("closing a writer's connection failed: %s", exc)


def _flat(statement: tuple[str, list[list[object]]]) -> tuple[Any, ...]:
    sql, params = statement
    return (sql, *params)


def _spend(rows: Rows) -> tuple[str, list[list[object]]]:
    """The reservations and the spend aggregates of those inserted, as one statement."""
    sql, names = _spend_statement(tuple(rows[0]))
    return sql, [[row[n] for row in rows] for n in names]


@functools.cache
def _spend_statement(columns: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """Insert the reservations (a replayed id is skipped) and add what was inserted to the
    daily and per-site aggregates, as `aggregates.spend_rollup` does, in one statement.

    The aggregates are upserted in key order, as `aggregates.add` does: batches of several
    processes (and several of one process) lock the same rows, and in different orders
    they would deadlock."""
    inserted, names = _statement("reservations", columns)
    daily_head, daily_tail = _parts("spend_daily", _DAILY)
    totals_head, totals_tail = _parts("site_campaign_totals", _TOTALS)
    sql = (
        f"WITH ins AS ({inserted}), "
        f"daily AS ({daily_head} SELECT day_index, site_id, campaign_id, count(*), "
        f"sum(amount_micros) FROM ins GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 {daily_tail}), "
        f"totals AS ({totals_head} SELECT site_id, campaign_id, count(*), sum(amount_micros), "
        f"max(ts), (array_agg(day_index ORDER BY ts DESC, day_index DESC))[1] "
        f"FROM ins GROUP BY 1, 2 ORDER BY 1, 2 {totals_tail}) "
        "SELECT count(*) FROM ins"
    )
    return sql, names


_DAILY = ("day_index", "site_id", "campaign_id", "selected", "spend_micros")
_TOTALS = ("site_id", "campaign_id", "selected", "spend_micros", "last_ts", "last_day")


def _parts(what: str, columns: tuple[str, ...]) -> tuple[str, str]:
    """The aggregate upsert's `INSERT INTO t (columns)` and its `ON CONFLICT ...` clause."""
    dialect = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
    compiled: Any = aggregates.upsert("postgresql", what).compile(
        dialect=dialect, column_keys=list(columns)
    )
    head, _, rest = str(compiled).partition(" VALUES ")
    return head, rest[rest.index(")") + 1 :].strip()


def _unnest(what: str, rows: Rows) -> tuple[str, list[list[object]]]:
    """The statement for `what` and one array per parameter, in order."""
    sql, names = _statement(what, tuple(rows[0]))
    return sql, [[row[n] for row in rows] for n in names]


@functools.cache
def _statement(what: str, columns: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    if what == "reservations":
        statement: Any = repository.reservations_returning("postgresql")
    elif what in aggregates.TABLES:
        statement = aggregates.upsert("postgresql", what)
    else:
        statement = repository.insert_ignoring("postgresql", what)
    dialect = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(columns))
    head, _, rest = str(compiled).partition(" VALUES ")
    group_end = rest.index(")") + 1
    group, tail = rest[:group_end], rest[group_end:]
    arrays = _PARAM.sub(lambda m: f"${m.group(1)}::{m.group(2)}[]", group[1:-1])
    return f"{head} SELECT * FROM unnest({arrays}){tail}", tuple(compiled.positiontup)
