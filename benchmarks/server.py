"""A real ``promovolve serve`` subprocess for benchmarks: a free port, a temporary data dir
(SQLite) and a known admin key; stopped and cleaned up on exit."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


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
def running_server(
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
    ready_timeout: float = 30.0,
    http_server: str = "uvicorn",
) -> Iterator[ServerProcess]:
    """``promovolve serve`` on ``port`` (default: a free one) with a temporary SQLite data
    dir, once it answers /healthz (within ``ready_timeout`` seconds); with
    ``http_server="granian"`` the same app on Granian instead of uvicorn, to compare them."""
    data_dir = Path(tempfile.mkdtemp(prefix="promovolve-bench-"))
    port = free_port() if port is None else port
    admin_key = "bench-" + secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if k != "PROMOVOLVE_DATABASE_URL"}
    env.update(
        PROMOVOLVE_DATA_DIR=str(data_dir),
        PROMOVOLVE_ADMIN_KEY=admin_key,
        # A load generator is one source sending far more than a reader: uncapped here
        # (benchmarks.flood measures the cap).
        PROMOVOLVE_RATE_LIMIT="0",
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
    if http_server == "granian":
        command = [
            *(sys.executable, "-m", "granian", "--interface", "asgi", "--loop", "uvloop"),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--factory", "promovolve.cli.serve:worker_app"),
        ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = ServerProcess(f"http://127.0.0.1:{port}", admin_key, process, log)
    try:
        _wait_ready(server, ready_timeout)
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
                f"the server exited with {server.process.returncode}:\n{tail(server.log)}"
            )
        try:
            if httpx.get(server.url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not become ready in {timeout:.0f}s:\n{tail(server.log)}")


def tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-size:]
    except OSError:
        return "(no log)"
