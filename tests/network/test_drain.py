"""SIGTERM drains a real server under load: requests in flight complete, then it exits, and
every `selected` it answered is in spend_reservations (the group-commit writer flushed)."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest
from benchmarks.networld import SLOT, Network, build
from benchmarks.server import running_server

from tests.api.dbutil import drop_schema, new_schema, pg_fetch, require_pg
from tests.network.networld import network_env
from tests.network.redisutil import require_redis

CLIENTS = 8
LOAD_SECONDS = 1.5


def _load(url: str, network: Network, answered: list[str], stop: threading.Event) -> None:
    """Serve until the server is gone; keeps the reservation id of each answered `selected`."""
    body = {
        "siteId": network.site_id,
        "url": f"https://{network.domain}/story",
        "slots": [SLOT],
        "categories": ["shared"],
    }
    with httpx.Client(base_url=url, timeout=30.0) as client:
        while not stop.is_set():
            try:
                answer = client.post("/v1/serve", json=body)
            except httpx.TransportError:
                if stop.wait(0.01):
                    return
                continue
            assert answer.status_code == 200, answer.text
            slot = answer.json()["slots"][0]
            if slot["outcome"] == "selected":
                answered.append(f"{answer.json()['requestId']}/{slot['id']}")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigterm_drains_and_loses_nothing_answered(tmp_path: Path, backend: str) -> None:
    schema = None
    if backend == "postgresql":
        require_pg()
        require_redis()
        schema = new_schema()
        env = network_env(schema, str(tmp_path))
    else:
        env = {"PROMOVOLVE_DATA_DIR": str(tmp_path), "PROMOVOLVE_ADMIN_KEY": "admin-drain"}
    try:
        with running_server(env) as server:
            network = build(server.url, env["PROMOVOLVE_ADMIN_KEY"], budget=1000.0)
            answered: list[str] = []
            stop = threading.Event()
            threads = [
                threading.Thread(target=_load, args=(server.url, network, answered, stop))
                for _ in range(CLIENTS)
            ]
            for thread in threads:
                thread.start()
            time.sleep(LOAD_SECONDS)
            before = len(answered)
            server.process.send_signal(signal.SIGTERM)
            code = server.process.wait(timeout=30)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            log = server.log.read_text()
        # uvicorn re-raises the signal once it has shut down, as a process killed by it would.
        assert code in (0, -signal.SIGTERM)
        assert "promovolve runtime stopped" in log
        assert before > 0
        if schema is not None:
            rows = pg_fetch(schema, "SELECT reservation_id FROM spend_reservations")
        else:
            with sqlite3.connect(tmp_path / "promovolve.db") as db:
                rows = db.execute("SELECT reservation_id FROM spend_reservations").fetchall()
        recorded = {r for (r,) in rows}
        assert set(answered) <= recorded
        assert len(answered) == len(set(answered))
    finally:
        if schema is not None:
            drop_schema(schema)
