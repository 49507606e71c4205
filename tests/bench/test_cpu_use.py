"""The benchmark's CPU split: a busy server process and a finished load generator show up
in their parts, and the ceiling is cores over CPU per request."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from benchmarks.cpu_use import CpuSplit, ceiling_requests_per_second, cores, snapshot

BURN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"


def test_a_busy_server_and_a_finished_load_generator_are_counted_apart() -> None:
    with subprocess.Popen([sys.executable, "-c", BURN + "time.sleep(30)"]) as server:
        try:
            before = snapshot([server.pid])
            subprocess.run([sys.executable, "-c", BURN], check=True)  # a "load generator"
            for _ in range(600):  # the server has burnt its 0.4 s once it sleeps
                used = snapshot([server.pid]) - before
                if used.servers >= 0.3:
                    break
                time.sleep(0.05)
        finally:
            server.kill()
    assert used.load_generators >= 0.35
    assert used.servers < 1.0 and used.load_generators < 1.0


def test_the_ceiling_is_cores_over_cpu_per_request() -> None:
    used = CpuSplit(servers=0.6, redis=0.1, postgres=0.2, load_generators=0.1)
    # 1 CPU second for 5,000 requests: 200 µs each, so each core answers 5,000 a second.
    assert ceiling_requests_per_second(used, 5000) == pytest.approx(cores() * 5000)
    assert used.per_request_micros(5000) == {
        "servers": 120.0,
        "redis": 20.0,
        "postgres": 40.0,
        "loadGenerators": 20.0,
        "total": 200.0,
    }
