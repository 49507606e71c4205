"""Load generators for the serve benchmark, each run as a separate process: ``wrk`` when it
is installed, else :mod:`benchmarks.loadgen`; and the parsing of what they print."""

from __future__ import annotations

import json
import math
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


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
        return parse(_generate(command, seconds))

    def run_paced(
        self, urls: list[str], seconds: float, rate: float, method: str, body: str | None
    ) -> LoadResult:
        """`rate` requests a second in all, spread over `urls`, latency from when each was
        due (wrk sends as fast as it can, so this is always the Python generator)."""
        command = [sys.executable, "-m", "benchmarks.loadgen", *urls, "--seconds", str(seconds)]
        command += ["--connections", str(self.connections), "--method", method]
        command += ["--rate", str(rate)]
        if body is not None:
            command += ["--body", body]
        return parse_loadgen_output(_generate(command, seconds))

    def close(self) -> None:
        shutil.rmtree(self._scripts, ignore_errors=True)


def _generate(command: list[str], seconds: float) -> str:
    """Run a load generator for about `seconds`; its standard output."""
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
    return done.stdout
