"""A lean HTTP/1.1 keep-alive load generator (the fallback when ``wrk`` is not installed).

Run as its own process (``python -m benchmarks.loadgen URL --seconds 10``) so it does not
share an interpreter with the server. Each of ``--connections`` coroutines keeps one socket
open and sends the next request as soon as the previous answer is read; latencies are
measured per request. Prints one JSON document on stdout:
``{"tool", "requests", "seconds", "requestsPerSecond", "p50Ms", "p99Ms", "errors"}``.
It uses uvloop when available, raw asyncio streams, and parses only what it must.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from urllib.parse import urlsplit


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(q / 100.0 * len(sorted_values))))
    return sorted_values[rank - 1]


def build_request(url: str, method: str, body: bytes | None) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    return host, port, head + (body or b"")


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one response; returns its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    index = lower.find(b"\r\ncontent-length:")
    if index >= 0:
        end = lower.find(b"\r\n", index + 2)
        length = int(lower[index + 17 : end].strip())
        if length:
            await reader.readexactly(length)
    elif b"transfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _worker(
    host: str,
    port: int,
    request: bytes,
    start: float,
    deadline: float,
    latencies: list[float],
    counters: list[int],
    schedule: tuple[float, float] | None = None,
) -> None:
    """`schedule` (first send, interval): send at fixed times instead of back to back, and
    measure each latency from the time the request was due (a late send counts as slow)."""
    clock = time.perf_counter
    due = schedule[0] if schedule is not None else 0.0
    while clock() < deadline:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            counters[1] += 1
            await asyncio.sleep(0.05)
            continue
        try:
            while True:
                sent = clock()
                if schedule is not None:
                    if due > sent:
                        await asyncio.sleep(due - sent)
                    sent, due = due, due + schedule[1]
                if sent >= deadline:
                    return
                writer.write(request)
                status = await _read_response(reader)
                done = clock()
                if done <= deadline and sent >= start:
                    latencies.append(done - sent)
                    if status >= 400:
                        counters[1] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            counters[1] += 1
        finally:
            writer.close()


async def run_load(
    url: str | list[str],
    seconds: float,
    connections: int,
    method: str = "GET",
    body: bytes | None = None,
    rate: float = 0.0,
) -> dict[str, object]:
    """Connections are spread round robin over the URLs (servers behind no balancer);
    `rate` > 0 sends that many requests a second in all, evenly spaced."""
    urls = [url] if isinstance(url, str) else url
    targets = [build_request(u, method, body) for u in urls]
    start = time.perf_counter()
    deadline = start + seconds
    latencies: list[float] = []
    counters = [0, 0]  # unused, errors
    interval = connections / rate if rate > 0 else 0.0

    def schedule(i: int) -> tuple[float, float] | None:
        return (start + i / rate, interval) if rate > 0 else None

    await asyncio.gather(
        *(
            _worker(*targets[i % len(targets)], start, deadline, latencies, counters, schedule(i))
            for i in range(connections)
        )
    )
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "tool": "python",
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "requestsPerSecond": len(latencies) / seconds if seconds > 0 else 0.0,
        "p50Ms": percentile(latencies, 50) * 1000.0,
        "p99Ms": percentile(latencies, 99) * 1000.0,
        "errors": counters[1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url", nargs="+", help="one or more; connections spread over them")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default=None, help="request body (JSON text)")
    parser.add_argument("--rate", type=float, default=0.0, help="requests/s in all (0: max)")
    args = parser.parse_args(argv)
    body = args.body.encode("utf-8") if args.body is not None else None
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        pass
    result = asyncio.run(
        run_load(args.url, args.seconds, args.connections, args.method, body, args.rate)
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
