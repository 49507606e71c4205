"""Daily and lifetime aggregates of spend and events, written with the raw rows.

Each batch adds the rows it actually inserted (a replayed key adds nothing) to the
aggregates, in the same transaction, so they always agree with the raw rows written. Restart
reads these small tables instead of scanning the raw rows, and the raw rows can be pruned
after the retention period without losing a count.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from promovolve.store.models import (
    EventDailyRow,
    SiteCampaignTotalRow,
    SiteCreativeTotalRow,
    SpendDailyRow,
)

Rows = list[dict[str, object]]
# An inserted reservation: (site, day, campaign, amount, ts); an inserted event: (site, day,
# creative, kind, invalid reason or None).
SpendFact = tuple[Any, ...]
EventFact = tuple[Any, ...]

RELEASE_TS = -1.0
IMPRESSION_KIND = "imp"
CLICK_KIND = "click"

SPEND_COLUMNS = ("site_id", "day_index", "campaign_id", "amount_micros", "ts")
EVENT_COLUMNS = ("site_id", "day_index", "creative_id", "kind", "invalid_reason")

_MODELS: dict[str, type[Any]] = {
    "spend_daily": SpendDailyRow,
    "event_daily": EventDailyRow,
    "site_campaign_totals": SiteCampaignTotalRow,
    "site_creative_totals": SiteCreativeTotalRow,
}
TABLES = tuple(_MODELS)
_KEYS = {
    "spend_daily": ("day_index", "site_id", "campaign_id"),
    "event_daily": ("day_index", "site_id", "creative_id"),
    "site_campaign_totals": ("site_id", "campaign_id"),
    "site_creative_totals": ("site_id", "creative_id"),
}
_SUMMED = {
    "spend_daily": ("selected", "spend_micros"),
    "event_daily": ("impressions", "clicks"),
    "site_campaign_totals": ("selected", "spend_micros"),
    "site_creative_totals": ("impressions", "clicks"),
}


def spend_rollup(inserted: Iterable[SpendFact]) -> dict[str, Rows]:
    """The aggregate rows that `inserted` reservations add, by table."""
    daily: dict[tuple[Any, ...], list[int]] = {}
    totals: dict[tuple[Any, ...], list[Any]] = {}
    for site_id, day, campaign_id, amount, ts in inserted:
        day_row = daily.get((day, site_id, campaign_id))
        if day_row is None:
            day_row = daily[(day, site_id, campaign_id)] = [0, 0]
        day_row[0] += 1
        day_row[1] += amount
        total = totals.get((site_id, campaign_id))
        if total is None:
            total = totals[(site_id, campaign_id)] = [0, 0, ts, day]
        total[0] += 1
        total[1] += amount
        # The latest reservation names the campaign's current day there (ties: the later day).
        if (ts, day) >= (total[2], total[3]):
            total[2], total[3] = ts, day
    return {
        "spend_daily": [
            {"day_index": d, "site_id": s, "campaign_id": c, "selected": n, "spend_micros": m}
            for (d, s, c), (n, m) in daily.items()
        ],
        "site_campaign_totals": [
            {
                "site_id": s,
                "campaign_id": c,
                "selected": n,
                "spend_micros": m,
                "last_ts": ts,
                "last_day": d,
            }
            for (s, c), (n, m, ts, d) in totals.items()
        ],
    }


def release_rollup(released: Iterable[tuple[str, int, str, int]]) -> dict[str, Rows]:
    """What released reservations (site, day, campaign, amount) take off the spend: they
    were served (the counts stay) but cost nothing."""
    daily: dict[tuple[Any, ...], int] = {}
    totals: dict[tuple[Any, ...], int] = {}
    for site_id, day, campaign_id, amount in released:
        daily[(day, site_id, campaign_id)] = daily.get((day, site_id, campaign_id), 0) - amount
        totals[(site_id, campaign_id)] = totals.get((site_id, campaign_id), 0) - amount
    return {
        "spend_daily": [
            {"day_index": d, "site_id": s, "campaign_id": c, "selected": 0, "spend_micros": m}
            for (d, s, c), m in daily.items()
        ],
        # An older timestamp than any reservation's: the campaign's latest day stays.
        "site_campaign_totals": [
            {
                "site_id": s,
                "campaign_id": c,
                "selected": 0,
                "spend_micros": m,
                "last_ts": RELEASE_TS,
                "last_day": 0,
            }
            for (s, c), m in totals.items()
        ],
    }


def event_rollup(inserted: Iterable[EventFact]) -> dict[str, Rows]:
    """The aggregate rows that `inserted` events add, by table (invalid ones add nothing),
    in key order (see `add`)."""
    daily: dict[tuple[Any, ...], list[int]] = {}
    totals: dict[tuple[Any, ...], list[int]] = {}
    for site_id, day, creative_id, kind, invalid_reason in inserted:
        if invalid_reason is not None:
            continue
        column = 0 if kind == IMPRESSION_KIND else 1 if kind == CLICK_KIND else None
        if column is None:
            continue
        for counts, key in (
            (daily, (day, site_id, creative_id)),
            (totals, (site_id, creative_id)),
        ):
            row = counts.get(key)
            if row is None:
                row = counts[key] = [0, 0]
            row[column] += 1
    return {
        "event_daily": [
            {"day_index": d, "site_id": s, "creative_id": c, "impressions": i, "clicks": k}
            for (d, s, c), (i, k) in sorted(daily.items())
        ],
        "site_creative_totals": [
            {"site_id": s, "creative_id": c, "impressions": i, "clicks": k}
            for (s, c), (i, k) in sorted(totals.items())
        ],
    }


@functools.cache
def upsert(dialect: str, what: str) -> Any:
    """An insert into aggregate table `what` that adds to the row already there."""
    table = _MODELS[what].__table__
    assert isinstance(table, Table)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    excluded = stmt.excluded
    values: dict[str, Any] = {c: table.c[c] + excluded[c] for c in _SUMMED[what]}
    if what == "site_campaign_totals":
        newer = excluded.last_ts >= table.c.last_ts
        values["last_ts"] = case((newer, excluded.last_ts), else_=table.c.last_ts)
        values["last_day"] = case((newer, excluded.last_day), else_=table.c.last_day)
    return stmt.on_conflict_do_update(index_elements=list(_KEYS[what]), set_=values)


async def add(conn: AsyncSession | AsyncConnection, dialect: str, rollup: dict[str, Rows]) -> None:
    """Add a rollup to the aggregate tables (in the caller's transaction).

    Tables in one fixed order and rows sorted by key: several processes write the same
    aggregate rows at once, and transactions that lock them in different orders deadlock.
    """
    for what in TABLES:
        rows = rollup.get(what)
        if rows:
            await conn.execute(upsert(dialect, what), sorted(rows, key=_key_of(what)))


def _key_of(what: str) -> Any:
    columns = _KEYS[what]
    return lambda row: tuple(row[c] for c in columns)
