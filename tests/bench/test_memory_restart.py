"""The memory benchmark's arithmetic and its load client's parsing (the benchmark itself is
never run by the test suite)."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from benchmarks.beacon_load import Counts, beacon_paths, read_response
from benchmarks.memory_restart import Sample, after_warmup, growth_per_million


def samples(points: list[tuple[int, float]]) -> list[Sample]:
    return [Sample(serves, serves, serves / 1000, rss) for serves, rss in points]


def test_growth_is_the_least_squares_slope_per_million_requests():
    flat = samples([(0, 100.0), (500_000, 100.0), (1_000_000, 100.0)])
    assert growth_per_million(flat) == pytest.approx(0.0)
    rising = samples([(0, 100.0), (500_000, 110.0), (1_000_000, 120.0), (1_500_000, 130.0)])
    assert growth_per_million(rising) == pytest.approx(20.0)
    noisy = samples([(0, 100.0), (1_000_000, 104.0), (2_000_000, 100.0)])
    assert growth_per_million(noisy) == pytest.approx(0.0)
    assert growth_per_million(samples([(5, 1.0)])) is None
    assert growth_per_million(samples([(5, 1.0), (5, 2.0)])) is None


def test_warm_up_needs_both_the_requests_and_the_time():
    points = [Sample(n, 0, t, 1.0) for n, t in ((0, 0.0), (100, 50.0), (300, 90.0), (400, 130.0))]
    assert [s.serves for s in after_warmup(points, 200, 120.0)] == [400]
    assert [s.serves for s in after_warmup(points, 50, 60.0)] == [300, 400]


def test_beacon_paths_follow_selected_slots_and_click_every_nth():
    answer = orjson.dumps(
        {
            "requestId": "q",
            "slots": [
                {"id": "a", "outcome": "noCandidates"},
                {
                    "id": "b",
                    "outcome": "selected",
                    "impressionUrl": "http://127.0.0.1:1/v1/imp?t=1&s=x",
                    "clickUrl": "http://127.0.0.1:1/v1/click?t=1&s=y",
                },
            ],
        }
    )
    counts = Counts()
    assert beacon_paths(answer, 2, counts) == ["/v1/imp?t=1&s=x"]
    assert beacon_paths(answer, 2, counts) == ["/v1/imp?t=1&s=x", "/v1/click?t=1&s=y"]
    assert beacon_paths(b'{"slots": []}', 2, counts) == []


def test_read_response_returns_the_status_and_the_body():
    async def read(raw: bytes) -> tuple[int, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        return await read_response(reader)

    ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
    assert asyncio.run(read(ok)) == (200, b"{}")
    redirect = b"HTTP/1.1 302 Found\r\nlocation: https://x\r\ncontent-length: 0\r\n\r\n"
    assert asyncio.run(read(redirect)) == (302, b"")
