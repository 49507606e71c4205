"""Serve requests followed by their beacons, as a page would send them (its own process).

``python -m benchmarks.beacon_load URL BODY --requests N``: each of ``--connections``
keep-alive sockets posts the serve body, reads the answer, fetches the impression URL of
every selected slot and, every ``--click-every`` impressions, the click URL too; until N
serve requests were answered in all. Prints a JSON line every ``--progress`` serves and
one at the end: ``{"serves", "beacons", "errors", "seconds"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson

from benchmarks.loadgen import build_request


@dataclass(slots=True)
class Counts:
    serves: int = 0
    beacons: int = 0
    errors: int = 0
    clicks_due: int = 0
    next_report: int = 0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length (all the server sends): status, body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    index = lower.find(b"\r\ncontent-length:")
    if index < 0:
        return status, b""
    end = lower.find(b"\r\n", index + 2)
    length = int(lower[index + 17 : end].strip())
    return status, await reader.readexactly(length) if length else b""


def beacon_paths(body: bytes, click_every: int, counts: Counts) -> list[str]:
    """The beacon paths a page sends after this serve answer."""
    paths: list[str] = []
    for slot in orjson.loads(body).get("slots", []):
        impression = slot.get("impressionUrl")
        if impression is None:
            continue
        parts = urlsplit(impression)
        paths.append(f"{parts.path}?{parts.query}")
        counts.clicks_due += 1
        if click_every > 0 and counts.clicks_due % click_every == 0:
            parts = urlsplit(slot["clickUrl"])
            paths.append(f"{parts.path}?{parts.query}")
    return paths


def get_request(host: str, port: int, path: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n").encode(
        "ascii"
    )


async def _worker(
    url: str, body: bytes, total: int, click_every: int, counts: Counts, progress: int
) -> None:
    host, port, serve = build_request(url, "POST", body)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while counts.serves < total:
            writer.write(serve)
            status, answer = await read_response(reader)
            counts.serves += 1
            if progress > 0 and counts.serves >= counts.next_report:
                counts.next_report += progress
                _report(counts)
            if status != 200:
                counts.errors += 1
                continue
            for path in beacon_paths(answer, click_every, counts):
                writer.write(get_request(host, port, path))
                beacon_status, _ = await read_response(reader)
                counts.beacons += 1
                counts.errors += beacon_status >= 400
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


_started = time.perf_counter()


def _report(counts: Counts) -> None:
    line = {
        "serves": counts.serves,
        "beacons": counts.beacons,
        "errors": counts.errors,
        "seconds": round(time.perf_counter() - _started, 3),
    }
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


async def run(
    url: str, body: bytes, total: int, connections: int, click_every: int, progress: int
) -> Counts:
    counts = Counts(next_report=progress)
    await asyncio.gather(
        *(_worker(url, body, total, click_every, counts, progress) for _ in range(connections))
    )
    _report(counts)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url", help="the serve endpoint, e.g. http://127.0.0.1:8080/v1/serve")
    parser.add_argument("body", help="the serve request body (JSON text)")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--click-every", type=int, default=50)
    parser.add_argument("--progress", type=int, default=20_000)
    args = parser.parse_args(argv)
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    counts = asyncio.run(
        run(
            args.url,
            args.body.encode("utf-8"),
            args.requests,
            args.connections,
            args.click_every,
            args.progress,
        )
    )
    return 1 if counts.errors else 0


if __name__ == "__main__":
    sys.exit(main())
