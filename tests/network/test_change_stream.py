"""The change stream on a real Redis: records, heartbeats that acknowledge them, and who is
behind; and the feed's rule that a process which cannot hear the stream does not serve."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from promovolve.api.feed import EXPIRY_SECONDS, ChangeFeed, NotInForceError
from promovolve.network.changes import (
    APPROVAL,
    CAMPAIGN,
    Change,
    ChangeStream,
    RegistryTooYoung,
)
from tests.network.redisutil import REDIS_URL, fresh_prefix, require_redis

INTERVAL_MS = 1  # registry age after which it is trusted (the servers use a second)


@pytest.fixture
async def stream() -> AsyncIterator[ChangeStream]:
    require_redis()
    client = aioredis.Redis.from_url(REDIS_URL)
    yield ChangeStream(client, prefix=fresh_prefix())
    await client.aclose()


async def test_records_come_back_in_order_with_their_site(stream: ChangeStream) -> None:
    first = await stream.publish([Change(CAMPAIGN, "c1")])
    last = await stream.publish([Change(APPROVAL, "cr1", "s1"), Change(CAMPAIGN, "c2")])
    read = await stream.read("0-0", block_ms=1)
    assert read[0][0] == first and read[-1][0] == last
    assert [c for _, c in read] == [
        Change(CAMPAIGN, "c1"),
        Change(APPROVAL, "cr1", "s1"),
        Change(CAMPAIGN, "c2"),
    ]
    assert await stream.read(last, block_ms=1) == []
    assert await stream.last_id() == last


async def test_behind_names_the_live_processes_that_have_not_applied_a_record(
    stream: ChangeStream,
) -> None:
    early = await stream.publish([Change(CAMPAIGN, "c1")])
    record = await stream.publish([Change(CAMPAIGN, "c2")])
    assert await stream.heartbeat("p1", None, 10_000)  # new to the registry
    assert not await stream.heartbeat("p1", early, 10_000)  # known from then on
    await stream.heartbeat("p2", record, 10_000)
    await asyncio.sleep(0.01)  # the registry is older than INTERVAL_MS
    assert await stream.behind(early, INTERVAL_MS) == []
    assert await stream.behind(record, INTERVAL_MS) == ["p1"]
    await stream.heartbeat("p1", record, 10_000)
    assert await stream.behind(record, INTERVAL_MS) == []


async def test_a_process_that_stops_beating_or_leaves_is_not_waited_for(
    stream: ChangeStream,
) -> None:
    record = await stream.publish([Change(CAMPAIGN, "c1")])
    await stream.heartbeat("silent", None, 50)
    await stream.heartbeat("leaving", None, 10_000)
    await asyncio.sleep(0.01)
    assert sorted(await stream.behind(record, INTERVAL_MS)) == ["leaving", "silent"]
    await stream.leave("leaving")
    await asyncio.sleep(0.1)  # past the silent one's expiry
    assert await stream.behind(record, INTERVAL_MS) == []
    # Dropped from the registry: its next beat finds it unknown.
    assert await stream.heartbeat("silent", record, 10_000)


async def test_a_young_registry_is_not_trusted_to_list_every_process(
    stream: ChangeStream,
) -> None:
    # A new or emptied Redis: processes that have not beaten since are missing from it.
    record = await stream.publish([Change(CAMPAIGN, "c1")])
    with pytest.raises(RegistryTooYoung):
        await stream.behind(record, 60_000)
    await stream.heartbeat("p1", record, 10_000)
    with pytest.raises(RegistryTooYoung):
        await stream.behind(record, 60_000)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class NoApplier:
    """Nothing to reload in these tests; counts full reloads."""

    def __init__(self) -> None:
        self.reloads = 0
        self.applied: list[Change] = []

    async def apply(self, change: Change) -> None:
        self.applied.append(change)

    async def reload_all(self) -> None:
        self.reloads += 1


async def test_the_feed_serves_only_while_its_heartbeat_is_fresh(stream: ChangeStream) -> None:
    clock = Clock()
    feed = ChangeFeed(stream, clock=clock)
    applier = NoApplier()
    await feed.mark()
    await feed.beat(applier)
    assert feed.in_force() and applier.reloads == 0
    clock.now += EXPIRY_SECONDS  # no beat for as long as Redis keeps one
    assert not feed.in_force()
    await feed.beat(applier)
    # It may have missed changes meanwhile: everything reloaded before serving again.
    assert feed.in_force() and applier.reloads == 1


async def test_the_feed_applies_records_of_other_processes(stream: ChangeStream) -> None:
    feed = ChangeFeed(stream)
    applier = NoApplier()
    await feed.mark()
    await feed.beat(applier)
    c1, approval = Change(CAMPAIGN, "c1"), Change(APPROVAL, "x", "s")
    await stream.publish([c1, c1, approval])
    await feed.beat(applier)
    # Two records of one campaign in a batch: one reload.
    assert applier.applied == [c1, approval]


async def test_without_redis_the_feed_does_not_serve_and_strict_changes_are_503() -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    feed = ChangeFeed(ChangeStream(client, prefix=fresh_prefix()))
    await feed.mark()
    await feed.start(NoApplier())
    try:
        assert not feed.in_force()
        with pytest.raises(NotInForceError):
            await feed.announce([Change(CAMPAIGN, "c1")], strict=True)
        await feed.announce([Change(CAMPAIGN, "c2")], strict=False)  # kept to send later
    finally:
        await feed.stop()
        await client.aclose()


async def test_beats_drop_expired_processes(stream: ChangeStream) -> None:
    await stream.heartbeat("gone", None, 20)
    await asyncio.sleep(0.05)
    await stream.heartbeat("alive", None, 10_000)
    procs = stream._registry[0]
    assert await stream._client.zrange(procs, 0, -1) == [b"alive"]
