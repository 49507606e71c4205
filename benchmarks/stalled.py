"""Stalled clients against a real server: do they take it down, and does it let them go?

``python -m benchmarks.stalled [--connections 5000]`` starts ``promovolve serve``, opens
that many connections that never finish a request (a third send nothing, a third half a
request line and some headers, a third whole headers and a body shorter than their
Content-Length), then asks ``/healthz`` on new connections while they are open and waits
for the server to close them. Prints one JSON line: the slowest ``/healthz`` answer, how
many stalled connections the server closed and when the last one went, and the server's
memory before and after. ``PROMOVOLVE_BENCH_SOURCE=DIR`` runs the server from another
checkout's ``src`` (to measure the code before a change with the same command).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from benchmarks.server import ServerProcess, running_server

PARTIAL_HEADERS = b"POST /v1/serve HTTP/1.1\r\nHost: x\r\nContent-Type: appl"
SHORT_BODY = b'POST /v1/serve HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"siteId"'


@dataclass(slots=True)
class StalledReport:
    connections: int
    opened: int
    healthz_max_seconds: float | None  # None: /healthz did not answer
    healthz_failures: int
    closed_by_server: int
    last_closed_after_seconds: float | None
    rss_before_mb: float
    rss_during_mb: float


def raise_own_file_limit(needed: int) -> None:
    """The benchmark's (and its server child's) soft open-files limit, up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _stall(
    host: str, port: int, kind: int, opened: list[float], closed: list[float], start: float
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return
    opened.append(time.monotonic())
    if kind == 1:
        writer.write(PARTIAL_HEADERS)
    elif kind == 2:
        writer.write(SHORT_BODY)
    try:
        while await reader.read(65536):
            pass  # a 4xx answer before the close is fine; the close is what counts
        closed.append(time.monotonic() - start)
    except OSError:
        closed.append(time.monotonic() - start)
    finally:
        writer.close()


async def _healthz_probe(url: str, until: float) -> tuple[float | None, int]:
    slowest: float | None = 0.0
    failures = 0
    while time.monotonic() < until:
        began = time.monotonic()
        try:
            # A new connection each time, as a load balancer's health check makes.
            async with httpx.AsyncClient(timeout=5.0) as client:
                ok = (await client.get(url + "/healthz")).status_code == 200
        except httpx.HTTPError:
            ok = False
        took = time.monotonic() - began
        if ok and slowest is not None:
            slowest = max(slowest, took)
        else:
            failures += 1
        await asyncio.sleep(0.25)
    return (slowest if failures == 0 else None), failures


async def measure(server: ServerProcess, connections: int, wait_seconds: float) -> StalledReport:
    host, port = server.url.removeprefix("http://").split(":")
    before = rss_mb(server.process.pid)
    opened: list[float] = []
    closed: list[float] = []
    start = time.monotonic()
    tasks = []
    for i in range(connections):
        tasks.append(asyncio.create_task(_stall(host, int(port), i % 3, opened, closed, start)))
        if i % 200 == 199:
            await asyncio.sleep(0.01)  # let the accepts keep up
    await asyncio.sleep(1.0)
    during = rss_mb(server.process.pid)
    probe = asyncio.create_task(_healthz_probe(server.url, time.monotonic() + 5.0))
    slowest, failures = await probe
    deadline = start + wait_seconds
    while len(closed) < len(opened) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return StalledReport(
        connections=connections,
        opened=len(opened),
        healthz_max_seconds=None if slowest is None else round(slowest, 3),
        healthz_failures=failures,
        closed_by_server=len(closed),
        last_closed_after_seconds=round(max(closed), 2) if closed else None,
        rss_before_mb=round(before, 1),
        rss_during_mb=round(during, 1),
    )


def source_env() -> dict[str, str]:
    source = os.environ.get("PROMOVOLVE_BENCH_SOURCE")
    return {"PYTHONPATH": str(Path(source) / "src")} if source else {}


def run(
    connections: int = 5000, wait_seconds: float = 60.0, max_connections: int | None = None
) -> StalledReport:
    raise_own_file_limit(2 * connections + 1024)
    env = source_env()
    if max_connections is not None:
        env["PROMOVOLVE_MAX_CONNECTIONS"] = str(max_connections)
    with running_server(env) as server:
        return asyncio.run(measure(server, connections, wait_seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for closes")
    parser.add_argument("--max-connections", type=int, help="the server's cap (its default)")
    args = parser.parse_args()
    report = run(args.connections, args.wait, args.max_connections)
    print(json.dumps(asdict(report)))


if __name__ == "__main__":
    main()
