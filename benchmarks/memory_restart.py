"""Memory and restart benchmark (issue 9, section 5).

Starts a real ``promovolve serve`` process on a temporary SQLite data dir, sets up one
site whose page matches a pool of campaigns (every serve selects), and drives it with
:mod:`benchmarks.beacon_load` in another process: serve requests, each followed by its
impression beacon and every 50th by a click. The server's resident memory (RSS) is read
from /proc as the requests go. Then the server is stopped and started again on the same
data, and the time until it answers is measured, next to a start on an empty data dir.

Targets: RSS growth under 50 MB per million serve requests after warm-up (a least-squares
slope over the samples after it); restart under 5 s after 2 million requests. Warm-up is
the first ``--warmup`` requests and at least two idempotency windows of traffic (the
ledger holds up to two windows of reservation ids, then stays flat).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from benchmarks.serve_bench import BenchSite, setup_pool
from benchmarks.server import running_server

TARGET_GROWTH_MB_PER_MILLION = 50.0
TARGET_RESTART_SECONDS = 5.0


async def _setup(url: str, admin_key: str, pool_size: int) -> BenchSite:
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        return await setup_pool(client, admin_key, secrets.token_hex(3), pool_size)


@dataclass(frozen=True, slots=True)
class Sample:
    serves: int
    beacons: int
    seconds: float
    rss_mb: float


@dataclass(frozen=True, slots=True)
class Config:
    requests: int = 2_000_000
    warmup: int = 200_000
    window_seconds: float = 60.0
    connections: int = 16
    pool_size: int = 10
    click_every: int = 50
    progress: int = 50_000


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for process {pid}")


def after_warmup(samples: Sequence[Sample], warmup: int, warmup_seconds: float) -> list[Sample]:
    return [s for s in samples if s.serves >= warmup and s.seconds >= warmup_seconds]


def growth_per_million(samples: Sequence[Sample]) -> float | None:
    """Least-squares slope of RSS against serve requests, in MB per million (None if fewer
    than two samples)."""
    if len(samples) < 2:
        return None
    n = len(samples)
    mean_x = sum(s.serves for s in samples) / n
    mean_y = sum(s.rss_mb for s in samples) / n
    spread = sum((s.serves - mean_x) ** 2 for s in samples)
    if spread == 0:
        return None
    slope = sum((s.serves - mean_x) * (s.rss_mb - mean_y) for s in samples) / spread
    return slope * 1_000_000


def drive(
    url: str, pid: int, body: str, config: Config, say: Callable[[str], None]
) -> list[Sample]:
    """Run the load process to the end, sampling the server's RSS at each progress line."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.beacon_load",
        url + "/v1/serve",
        body,
        "--requests",
        str(config.requests),
        "--connections",
        str(config.connections),
        "--click-every",
        str(config.click_every),
        "--progress",
        str(config.progress),
    ]
    samples = [Sample(0, 0, 0.0, rss_mb(pid))]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    ) as load:
        assert load.stdout is not None
        for line in load.stdout:
            data = json.loads(line)
            sample = Sample(data["serves"], data["beacons"], data["seconds"], rss_mb(pid))
            samples.append(sample)
            say(
                f"{sample.serves:>9,} serves {sample.beacons:>9,} beacons "
                f"{sample.seconds:>7.0f} s  RSS {sample.rss_mb:7.1f} MB  errors {data['errors']}"
            )
    if load.returncode != 0:
        raise RuntimeError(f"the load process failed ({load.returncode})")
    return samples


_STATE_LOADED = re.compile(r"state loaded in ([0-9.]+) s")


def timed_start(env: dict[str, str]) -> tuple[float, float | None]:
    """Seconds from starting a server process until it answers /healthz, and the seconds it
    logged for loading its state."""
    started = time.perf_counter()
    with running_server(env) as server:
        ready = time.perf_counter() - started
        match = _STATE_LOADED.search(server.log.read_text(encoding="utf-8", errors="replace"))
    return ready, float(match.group(1)) if match else None


def run(config: Config, say: Callable[[str], None]) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="promovolve-memory-"))
    empty_dir = Path(tempfile.mkdtemp(prefix="promovolve-empty-"))
    env = {
        "PROMOVOLVE_DATA_DIR": str(data_dir),
        "PROMOVOLVE_IDEMPOTENCY_WINDOW": str(config.window_seconds),
    }
    try:
        with running_server(env) as server:
            site = asyncio.run(_setup(server.url, server.admin_key, config.pool_size))
            say(f"server up at {server.url}; {config.requests:,} serve requests with beacons")
            samples = drive(server.url, server.process.pid, site.serve_body(), config, say)
            stopping = time.perf_counter()
        stop_seconds = time.perf_counter() - stopping
        database = data_dir / "promovolve.db"
        say(f"stopped in {stop_seconds:.2f} s; database {database.stat().st_size / 1e6:.0f} MB")
        restart_seconds, restart_loading = timed_start(env)
        empty_seconds, _ = timed_start({"PROMOVOLVE_DATA_DIR": str(empty_dir)})
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(empty_dir, ignore_errors=True)
    warm = after_warmup(samples, config.warmup, 2 * config.window_seconds)
    growth = growth_per_million(warm)
    return {
        "config": asdict(config),
        "samples": [asdict(s) for s in samples],
        "rssAfterWarmupMb": warm[0].rss_mb if warm else None,
        "rssAtEndMb": samples[-1].rss_mb,
        "growthMbPerMillion": growth,
        "restartSeconds": restart_seconds,
        "restartStateLoadingSeconds": restart_loading,
        "emptyStartSeconds": empty_seconds,
        "stopSeconds": stop_seconds,
        "meetsGrowthTarget": growth is not None and growth < TARGET_GROWTH_MB_PER_MILLION,
        "meetsRestartTarget": restart_seconds < TARGET_RESTART_SECONDS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    defaults = Config()
    parser.add_argument("--requests", type=int, default=defaults.requests)
    parser.add_argument("--warmup", type=int, default=defaults.warmup)
    parser.add_argument("--window", type=float, default=defaults.window_seconds)
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--pool-size", type=int, default=defaults.pool_size)
    parser.add_argument("--progress", type=int, default=defaults.progress)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    config = Config(
        requests=args.requests,
        warmup=args.warmup,
        window_seconds=args.window,
        connections=args.connections,
        pool_size=args.pool_size,
        progress=args.progress,
    )

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    result = run(config, say)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    growth = result["growthMbPerMillion"]
    print(
        f"RSS after warm-up {result['rssAfterWarmupMb']} MB, at the end "
        f"{result['rssAtEndMb']:.1f} MB; growth "
        + (f"{growth:.1f}" if isinstance(growth, float) else "n/a")
        + f" MB per million (target < {TARGET_GROWTH_MB_PER_MILLION:g})"
    )
    print(
        f"restart {result['restartSeconds']:.2f} s (target < {TARGET_RESTART_SECONDS:g}), "
        f"of which loading state {result['restartStateLoadingSeconds']} s; "
        f"start on an empty data dir {result['emptyStartSeconds']:.2f} s; "
        f"stop {result['stopSeconds']:.2f} s"
    )
    return 0 if result["meetsGrowthTarget"] and result["meetsRestartTarget"] else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
