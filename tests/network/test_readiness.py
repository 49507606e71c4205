"""Readiness on real processes: `/healthz?ready=true` answers 503 while a process cannot
hear the network's changes (Redis behind a stopped proxy), and 200 again by itself once
Redis is back; liveness (`/healthz`) answers 200 throughout, so Kubernetes takes the
process out of the Service without restarting it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jsonschema_rs

from tests.network.faults import network
from tests.network.proxy import TcpProxy
from tests.network.redisutil import REDIS_URL, require_redis

DEADLINE_SECONDS = 30.0  # generous: a shared machine; the feed lapses within 2.5 s


def _status(url: str, path: str) -> int:
    return httpx.get(url + path, timeout=5.0).status_code


def _until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_readiness_follows_redis_and_liveness_stays_up(tmp_path: Path) -> None:
    require_redis()
    host_port = REDIS_URL.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    proxy = TcpProxy(host, int(port))
    proxy.start()
    proxied = REDIS_URL.replace(host_port, f"127.0.0.1:{proxy.port}")
    try:
        with network(tmp_path, processes=2, redis_url=proxied) as net:
            urls = net.urls
            spec = httpx.get(urls[0] + "/openapi.json").json()
            responses = spec["paths"]["/healthz"]["get"]["responses"]
            error = jsonschema_rs.validator_for(
                {**responses["503"]["content"]["application/json"]["schema"], **spec}
            )
            assert all(_status(u, "/healthz?ready=true") == 200 for u in urls)

            proxy.stop()
            assert _until(lambda: all(_status(u, "/healthz?ready=true") == 503 for u in urls))
            answer = httpx.get(urls[1] + "/healthz?ready=true", timeout=5.0)
            error.validate(answer.json())
            assert answer.json()["error"] == "unavailable"
            # Alive all along: a restart would not bring Redis back.
            assert all(_status(u, "/healthz") == 200 for u in urls)
            assert all(_status(u, "/healthz?ready=false") == 200 for u in urls)

            proxy.start()
            assert _until(lambda: all(_status(u, "/healthz?ready=true") == 200 for u in urls))
    finally:
        proxy.close()
