"""Serve-path benchmark (issue 3, section 8).

Starts a real ``promovolve serve`` subprocess on a free port with a temporary data dir
(SQLite), sets up one site per candidate-pool size (N campaigns that all match the page,
each with approved creatives, big budgets, ``testThrottleOverride`` 0 so every serve
selects), then measures with a load generator in a separate process — ``wrk`` when it is
installed, else :mod:`benchmarks.loadgen` — both ``POST /v1/serve`` and the trivial
``GET /healthz`` of the same server in the same run: throughput and p50/p99 latency.
The figure of merit is serve throughput / healthz throughput (target ≥ 0.5).
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

TARGET_RATIO = 0.5
SLOT = {"id": "slot-1", "width": 300, "height": 250}
CREATIVES_PER_CAMPAIGN = 2
BIG_BUDGETS = (1_000_000.0, 100_000.0, 10_000.0)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """One load-generator run against one endpoint."""

    tool: str
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int = 0


@dataclass(frozen=True, slots=True)
class Round:
    """One healthz run and the serve run right after it: the pair a ratio compares."""

    healthz: LoadResult
    serve: LoadResult
    selected_share: float  # of the slots served during the serve run

    @property
    def ratio(self) -> float:
        trivial = self.healthz.requests_per_second
        return self.serve.requests_per_second / trivial if trivial > 0 else 0.0


@dataclass(frozen=True, slots=True)
class PoolResult:
    """All rounds of one pool size. A shared machine drifts and stalls, so each round pairs
    the two endpoints back to back and the figures are the median round's."""

    pool_size: int
    rounds: tuple[Round, ...]

    def _median_by(self, key: Any) -> Round:
        ordered = sorted(self.rounds, key=key)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def ratio(self) -> float:
        return self._median_by(lambda r: r.ratio).ratio

    @property
    def ratios(self) -> list[float]:
        return [r.ratio for r in self.rounds]

    @property
    def serve(self) -> LoadResult:
        return self._median_by(lambda r: r.serve.requests_per_second).serve

    @property
    def healthz(self) -> LoadResult:
        return self._median_by(lambda r: r.healthz.requests_per_second).healthz

    @property
    def selected_share(self) -> float:
        return min(r.selected_share for r in self.rounds)


# -- parsing --------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = re.compile(r"^([0-9]*\.?[0-9]+)(us|ms|s|m|h)$")


def parse_duration_ms(text: str) -> float:
    """wrk's duration format (``850.00us``, ``1.23ms``, ``2.00s``, ``1.00m``) in milliseconds."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk_output(text: str) -> LoadResult:
    """Read ``wrk --latency`` output: requests, duration, req/s, p50, p99, errors."""
    total = re.search(r"^\s*(\d+) requests in ([0-9.]+\w+),", text, re.MULTILINE)
    rps = re.search(r"^Requests/sec:\s*([0-9.]+)", text, re.MULTILINE)
    p50 = re.search(r"^\s*50(?:\.0+)?%\s+(\S+)", text, re.MULTILINE)
    p99 = re.search(r"^\s*99(?:\.0+)?%\s+(\S+)", text, re.MULTILINE)
    if total is None or rps is None or p50 is None or p99 is None:
        raise ValueError("unrecognized wrk output:\n" + text[-2000:])
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return LoadResult(
        tool="wrk",
        requests=int(total.group(1)),
        seconds=parse_duration_ms(total.group(2)) / 1000.0,
        requests_per_second=float(rps.group(1)),
        p50_ms=parse_duration_ms(p50.group(1)),
        p99_ms=parse_duration_ms(p99.group(1)),
        errors=errors,
    )


def parse_loadgen_output(text: str) -> LoadResult:
    """Read :mod:`benchmarks.loadgen`'s JSON line."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise ValueError("the load generator printed nothing")
    data = json.loads(lines[-1])
    return LoadResult(
        tool=str(data.get("tool", "python")),
        requests=int(data["requests"]),
        seconds=float(data["seconds"]),
        requests_per_second=float(data["requestsPerSecond"]),
        p50_ms=float(data["p50Ms"]),
        p99_ms=float(data["p99Ms"]),
        errors=int(data.get("errors", 0)),
    )


# -- load generators -------------------------------------------------------------------------


def wrk_script(method: str, body: str | None) -> str:
    """A wrk Lua script that sends ``body`` as JSON with ``method``."""
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        if "]==]" in body:
            raise ValueError("body must not contain ]==]")
        lines.append(f"wrk.body = [==[{body}]==]")
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    return "\n".join(lines) + "\n"


class LoadGenerator:
    """Runs ``wrk`` (preferred) or the Python fallback in a separate process."""

    def __init__(self, connections: int = 32, threads: int = 1, force_python: bool = False):
        self.connections = connections
        self.threads = threads
        self.wrk = None if force_python else shutil.which("wrk")
        self._scripts = Path(tempfile.mkdtemp(prefix="promovolve-wrk-"))

    @property
    def tool(self) -> str:
        return "wrk" if self.wrk else "python asyncio (benchmarks.loadgen)"

    def run(
        self, url: str, seconds: float, method: str = "GET", body: str | None = None
    ) -> LoadResult:
        if self.wrk:
            script = self._scripts / f"{method.lower()}-{secrets.token_hex(4)}.lua"
            script.write_text(wrk_script(method, body), encoding="utf-8")
            command = [
                self.wrk,
                f"-t{self.threads}",
                f"-c{self.connections}",
                f"-d{max(1, math.ceil(seconds))}s",
                "--latency",
                "-s",
                str(script),
                url,
            ]
            parse = parse_wrk_output
        else:
            command = [
                sys.executable,
                "-m",
                "benchmarks.loadgen",
                url,
                "--seconds",
                str(seconds),
                "--connections",
                str(self.connections),
                "--method",
                method,
            ]
            if body is not None:
                command += ["--body", body]
            parse = parse_loadgen_output
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )
        if done.returncode != 0:
            raise RuntimeError(f"load generator failed ({done.returncode}): {done.stderr[-1000:]}")
        return parse(done.stdout)

    def close(self) -> None:
        shutil.rmtree(self._scripts, ignore_errors=True)


# -- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(slots=True)
class ServerProcess:
    url: str
    admin_key: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def running_server(extra_env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """``promovolve serve`` on a free port with a temporary SQLite data dir."""
    data_dir = Path(tempfile.mkdtemp(prefix="promovolve-bench-"))
    port = free_port()
    admin_key = "bench-" + secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if k != "PROMOVOLVE_DATABASE_URL"}
    env.update(
        PROMOVOLVE_DATA_DIR=str(data_dir),
        PROMOVOLVE_ADMIN_KEY=admin_key,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})
    log = data_dir / "server.log"
    command = [
        sys.executable,
        "-m",
        "promovolve.cli.main",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = ServerProcess(f"http://127.0.0.1:{port}", admin_key, process, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def _wait_ready(server: ServerProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"the server exited with {server.process.returncode}:\n{_tail(server.log)}"
            )
        try:
            if httpx.get(server.url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not become ready in {timeout:.0f}s:\n{_tail(server.log)}")


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-size:]
    except OSError:
        return "(no log)"


# -- setup through the API ------------------------------------------------------------------------


class SetupError(RuntimeError):
    pass


def _call(
    client: httpx.Client, method: str, path: str, key: str, body: object = None
) -> dict[str, Any]:
    response = client.request(method, path, json=body, headers={"Authorization": f"Bearer {key}"})
    if response.status_code >= 400:
        raise SetupError(f"{method} {path} → HTTP {response.status_code}: {response.text[:300]}")
    data = response.json() if response.content else {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True, slots=True)
class BenchSite:
    pool_size: int
    site_id: str
    domain: str
    category: str

    def serve_body(self) -> str:
        return json.dumps(
            {
                "siteId": self.site_id,
                "url": f"https://{self.domain}/articles/benchmark",
                "slots": [SLOT],
                "categories": [self.category],
            },
            separators=(",", ":"),
        )


def setup_pool(
    client: httpx.Client, admin_key: str, run: str, pool_size: int, default_pacing: bool = False
) -> BenchSite:
    """A site whose page matches exactly ``pool_size`` campaigns, all approved and funded.

    Paced by ``testThrottleOverride`` 0 (a site-level gate that passes every request), or
    with ``default_pacing`` by the default per-campaign gate (budgets are big enough that
    it passes nearly every request too).
    """
    pacing: dict[str, object] = {"dayDurationSeconds": 86400, "warmupMode": False}
    if not default_pacing:
        pacing["testThrottleOverride"] = 0.0
    publisher = _call(
        client,
        "POST",
        "/v1/publishers",
        admin_key,
        {"id": f"bench-{run}-pub-{pool_size}", "name": f"Bench publisher {pool_size}"},
    )
    pub_id, pub_key = str(publisher["id"]), str(publisher["apiKey"])
    domain = f"bench-{run}-{pool_size}.example"
    site = _call(
        client,
        "POST",
        f"/v1/publishers/{pub_id}/sites",
        pub_key,
        {"id": f"bench-{run}-site-{pool_size}", "domain": domain, "name": "Benchmark"},
    )
    site_id = str(site.get("id") or f"bench-{run}-site-{pool_size}")
    _call(
        client,
        "PUT",
        f"/v1/publishers/{pub_id}/sites/{site_id}/pacing",
        pub_key,
        pacing,
    )
    category = f"bench{pool_size}"
    advertiser = _call(
        client,
        "POST",
        "/v1/advertisers",
        admin_key,
        {"id": f"bench-{run}-adv-{pool_size}", "name": f"Bench advertiser {pool_size}"},
    )
    adv_id, adv_key = str(advertiser["id"]), str(advertiser["apiKey"])
    creatives: list[str] = []
    for c in range(1, pool_size + 1):
        campaign = _create_campaign(client, adv_id, adv_key, run, pool_size, c, category)
        for k in range(1, CREATIVES_PER_CAMPAIGN + 1):
            creative = _call(
                client,
                "POST",
                f"/v1/advertisers/{adv_id}/campaigns/{campaign}/creatives",
                adv_key,
                {
                    "id": f"{campaign}-cr-{k}",
                    "assetUrl": f"https://cdn.bench.example/{campaign}/{k}.png",
                    "landingUrl": f"https://advertiser-{c}.bench.example/landing/{k}",
                    "width": SLOT["width"],
                    "height": SLOT["height"],
                },
            )
            creatives.append(str(creative.get("id") or f"{campaign}-cr-{k}"))
    for creative_id in creatives:
        _call(
            client,
            "POST",
            f"/v1/publishers/{pub_id}/sites/{site_id}/approvals/{creative_id}/approve",
            pub_key,
        )
    return BenchSite(pool_size, site_id, domain, category)


def _create_campaign(
    client: httpx.Client, adv_id: str, adv_key: str, run: str, pool: int, c: int, category: str
) -> str:
    last: SetupError | None = None
    for budget in BIG_BUDGETS:  # the biggest budget the server accepts
        try:
            campaign = _call(
                client,
                "POST",
                f"/v1/advertisers/{adv_id}/campaigns",
                adv_key,
                {
                    "id": f"bench-{run}-p{pool}-camp-{c}",
                    "name": f"Bench campaign {c} of {pool}",
                    "dailyBudget": budget,
                    "cpm": round(1.0 + (c % 10) * 0.5, 2),
                    "categories": [category],
                    "keywords": [],
                    "status": "active",
                },
            )
        except SetupError as error:
            last = error
            continue
        return str(campaign.get("id") or f"bench-{run}-p{pool}-camp-{c}")
    assert last is not None
    raise last


OUTCOME_COUNTER = "promovolve_serve_outcomes"


def parse_outcomes(metrics_text: str) -> dict[str, float]:
    """Serve outcome counters (by ``outcome`` label) from the server's `/metrics` text."""
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(metrics_text)
        if family.name == OUTCOME_COUNTER and family.type == "counter"
        for sample in family.samples
        if sample.name == OUTCOME_COUNTER + "_total" and "outcome" in sample.labels
    }


def selected_between(before: dict[str, float], after: dict[str, float]) -> float:
    """Share of the slots decided between two readings that were `selected`."""
    decided = sum(after.values()) - sum(before.values())
    selected = after.get("selected", 0.0) - before.get("selected", 0.0)
    return selected / decided if decided > 0 else 0.0


def outcomes_now(server_url: str) -> dict[str, float]:
    response = httpx.get(server_url + "/metrics", timeout=30.0)
    response.raise_for_status()
    return parse_outcomes(response.text)


# -- the benchmark ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BenchConfig:
    seconds: float = 10.0
    warmup_seconds: float = 2.0
    settle_seconds: float = 2.0  # idle time before each pool, so background writes drain
    pool_sizes: Sequence[int] = (1, 10, 100)
    rounds: int = 3  # healthz-then-serve pairs per pool size
    connections: int = 32
    threads: int = 1
    force_python: bool = False
    default_pacing: bool = False

    @property
    def pacing(self) -> str:
        return "default" if self.default_pacing else "testThrottleOverride 0"


def run_benchmark(config: BenchConfig, progress: Any = None) -> tuple[str, list[PoolResult]]:
    """Start a server, set up the pools, measure; returns (load tool, results)."""

    def say(message: str) -> None:
        if progress is not None:
            progress(message)

    generator = LoadGenerator(config.connections, config.threads, config.force_python)
    results: list[PoolResult] = []
    try:
        with running_server() as server:
            say(f"server up at {server.url}; load generator: {generator.tool}")
            run = secrets.token_hex(3)
            with httpx.Client(base_url=server.url, timeout=30.0) as client:
                sites = []
                for size in config.pool_sizes:
                    say(f"setting up a pool of {size} campaigns")
                    sites.append(
                        setup_pool(client, server.admin_key, run, size, config.default_pacing)
                    )
            health = server.url + "/healthz"
            serve = server.url + "/v1/serve"
            for site in sites:
                time.sleep(config.settle_seconds)
                body = site.serve_body()
                if config.warmup_seconds > 0:
                    generator.run(serve, config.warmup_seconds, "POST", body)
                rounds = []
                for number in range(1, config.rounds + 1):
                    say(
                        f"pool {site.pool_size}, round {number}/{config.rounds}: "
                        f"GET /healthz, then POST /v1/serve, {config.seconds:g}s each"
                    )
                    health_result = generator.run(health, config.seconds)
                    before = outcomes_now(server.url)
                    serve_result = generator.run(serve, config.seconds, "POST", body)
                    share = selected_between(before, outcomes_now(server.url))
                    rounds.append(Round(health_result, serve_result, share))
                results.append(PoolResult(site.pool_size, tuple(rounds)))
            if server.process.poll() is not None:
                raise RuntimeError(f"the server died during the run:\n{_tail(server.log)}")
    finally:
        generator.close()
    return generator.tool, results


def results_json(tool: str, config: BenchConfig, results: Sequence[PoolResult]) -> dict[str, Any]:
    return {
        "loadGenerator": tool,
        "seconds": config.seconds,
        "rounds": config.rounds,
        "connections": config.connections,
        "targetRatio": TARGET_RATIO,
        "pacing": config.pacing,
        "pools": [
            {
                "poolSize": r.pool_size,
                "serve": _camel(asdict(r.serve)),
                "healthz": _camel(asdict(r.healthz)),
                "ratio": round(r.ratio, 4),
                "roundRatios": [round(ratio, 4) for ratio in r.ratios],
                "selectedShare": r.selected_share,
                "meetsTarget": r.ratio >= TARGET_RATIO,
            }
            for r in results
        ],
    }


def _camel(data: dict[str, Any]) -> dict[str, Any]:
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.capitalize() for part in rest)

    return {camel(k): v for k, v in data.items()}
