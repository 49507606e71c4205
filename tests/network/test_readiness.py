"""Readiness: `/healthz?ready=true` answers 503 while a process cannot hear the network's
changes (real processes, Redis behind a stopped proxy) or while its budget ledger is being
rebuilt after Redis lost its data (an in-process app on the real Redis), and 200 again by
itself; liveness (`/healthz`) answers 200 throughout, so Kubernetes takes the process out
of the Service without restarting it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jsonschema_rs

from tests.api.harness import Harness
from tests.network.faults import network
from tests.network.proxy import TcpProxy
from tests.network.redisutil import REDIS_URL, one_process_settings, require_redis

REBUILDING = "the budget ledger lost campaigns and is rebuilding them from the database"

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


async def test_not_ready_while_the_ledger_is_rebuilt_after_redis_lost_its_data(
    tmp_path: Path,
) -> None:
    client = require_redis()
    client.flushdb()  # our database only
    api = await Harness(one_process_settings(tmp_path)).start()
    try:
        await api.unpaced_ad()
        served = (await api.serve("site-1", "https://example.com/a")).json()
        assert served["slots"][0]["outcome"] == "selected"
        assert (await api.http.get("/healthz?ready=true")).status_code == 200

        client.flushdb()  # the campaign's hash is gone: found at the next spend read
        reasons: list[str] = []
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            answer = await api.http.get("/healthz?ready=true")
            if answer.status_code == 503:
                reasons.append(answer.json()["message"])
            elif REBUILDING in reasons:
                break  # rebuilt, and ready again
            assert (await api.http.get("/healthz")).status_code == 200
            await asyncio.sleep(0.02)
        assert REBUILDING in reasons
        assert (await api.http.get("/healthz?ready=true")).status_code == 200
        served = (await api.serve("site-1", "https://example.com/b")).json()
        assert served["slots"][0]["outcome"] == "selected"  # its spend rebuilt, it sells
    finally:
        await api.stop()
