"""Kill a real `promovolve serve` with SIGKILL under load; after restart nothing is lost or doubled.

Every `selected` answer the client received is in the durable spend exactly once, today's
spend is the sum of those answers (plus at most the requests cut off mid-flight), the
learned traffic shape and the Thompson statistics come back, and serving continues.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.dbutil import BACKENDS, PG_URL, drop_schema, new_schema, pg_fetch, require_pg

ADMIN_KEY = "crash-test-admin"
PRICE_MICROS = 1000  # $1 CPM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path, schema: str | None = None) -> None:
        self.data_dir = data_dir
        self.schema = schema  # a PostgreSQL schema, or None for the SQLite default
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "PROMOVOLVE_ADMIN_KEY": ADMIN_KEY,
            "PROMOVOLVE_SNAPSHOT_INTERVAL": "0.3",
            "PROMOVOLVE_RATE_LIMIT": "0",  # one client, at load on purpose
        }
        env.pop("PROMOVOLVE_DATABASE_URL", None)
        env.pop("PROMOVOLVE_DATABASE_SCHEMA", None)
        if self.schema is not None:
            env["PROMOVOLVE_DATABASE_URL"] = PG_URL
            env["PROMOVOLVE_DATABASE_SCHEMA"] = self.schema
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "promovolve.cli.main",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=log,
            stderr=log,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            assert self.proc.poll() is None, (self.data_dir / "server.log").read_text()
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def reservations(self, campaign_id: str) -> list[tuple[str, int, int]]:
        """(reservation id, day, amount) of a campaign, straight from the database."""
        query = (
            "SELECT reservation_id, day_index, amount_micros FROM spend_reservations "
            "WHERE campaign_id = $1"
        )
        if self.schema is None:
            db = sqlite3.connect(self.data_dir / "promovolve.db")
            try:
                rows = db.execute(query.replace("$1", "?"), (campaign_id,)).fetchall()
            finally:
                db.close()
            return [(str(r), int(d), int(a)) for r, d, a in rows]
        return [(str(r), int(d), int(a)) for r, d, a in pg_fetch(self.schema, query, campaign_id)]


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    schema = None
    if request.param == "postgresql":
        require_pg()
        schema = new_schema()
    srv = Server(tmp_path, schema)
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()
        if schema is not None:
            drop_schema(schema)


def _ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


SERVE = {
    "siteId": "site-1",
    "url": "https://example.com/page",
    "slots": [{"id": "top", "width": 300, "height": 250}],
}


def test_sigkill_under_load_loses_and_doubles_nothing(server: Server) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    c = httpx.Client(base_url=server.url, timeout=10)
    pub = {
        "Authorization": "Bearer "
        + _ok(c.post("/v1/publishers", json={"id": "pub-1", "name": "P"}, headers=admin), 201)[
            "apiKey"
        ]
    }
    adv = {
        "Authorization": "Bearer "
        + _ok(c.post("/v1/advertisers", json={"id": "adv-1", "name": "A"}, headers=admin), 201)[
            "apiKey"
        ]
    }
    _ok(
        c.post(
            "/v1/publishers/pub-1/sites",
            json={"id": "site-1", "domain": "example.com"},
            headers=pub,
        ),
        201,
    )
    _ok(
        c.post(
            "/v1/advertisers/adv-1/campaigns",
            json={"id": "cmp-1", "name": "C", "dailyBudget": 1000, "cpm": 1},
            headers=adv,
        ),
        201,
    )
    for crid in ("cr-1", "cr-2"):
        _ok(
            c.post(
                "/v1/advertisers/adv-1/campaigns/cmp-1/creatives",
                json={
                    "id": crid,
                    "assetUrl": f"https://cdn.example.net/{crid}.png",
                    "landingUrl": "https://shop.example.org/",
                    "width": 300,
                    "height": 250,
                },
                headers=adv,
            ),
            201,
        )
        _ok(c.post(f"/v1/publishers/pub-1/sites/site-1/approvals/{crid}/approve", headers=pub))

    # Phase 1: short (2 s) days, so the site learns a traffic shape; beacons train Thompson.
    pacing = "/v1/publishers/pub-1/sites/site-1/pacing"
    _ok(c.put(pacing, json={"dayDurationSeconds": 2, "testThrottleOverride": 0.0}, headers=pub))
    end = time.time() + 5
    n = 0
    # Beacons come as late as a viewer's: impressions 1.1 s after the serve, clicks later.
    beacons: deque[tuple[float, str, int]] = deque()
    while time.time() < end:
        slot = _ok(c.post("/v1/serve", json=SERVE))["slots"][0]
        n += 1
        now = time.time()
        if slot["outcome"] == "selected" and n % 2 == 0:
            beacons.append((now + 1.1, slot["impressionUrl"], 200))
            if n % 10 == 0:
                beacons.append((now + 1.3, slot["clickUrl"], 302))
        while beacons and beacons[0][0] <= now:
            _, url, status = beacons.popleft()
            assert c.get(url).status_code == status
        if n % 3 == 0:
            time.sleep(0.01)  # uneven traffic gives the shape some texture
    # Real days from here on: the learned shape is kept and stays put within the day.
    _ok(c.put(pacing, json={"dayDurationSeconds": 86400, "testThrottleOverride": 0.0}, headers=pub))
    first = _ok(c.post("/v1/serve", json=SERVE))  # begins the real day (and its day type)
    time.sleep(1.0)  # > the snapshot interval
    stats_before = _ok(c.get("/v1/publishers/pub-1/sites/site-1/stats", headers=pub))
    learned = stats_before["learnedShape"]
    assert learned["weekdayDaysLearned"] + learned["weekendDaysLearned"] >= 1
    assert sum(cr["impressions"] for cr in stats_before["creatives"]) > 0

    # Phase 2: load from several threads, SIGKILL in the middle of it.
    # Today's answered serves, the one that began the day included.
    answered: list[tuple[str, str, int]] = [
        (first["requestId"], s["id"], round(s["priceCpm"] * 1000))
        for s in first["slots"]
        if s["outcome"] == "selected"
    ]
    failures = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            while not stop.is_set():
                try:
                    r = client.post("/v1/serve", json=SERVE)
                except httpx.HTTPError:
                    with lock:
                        failures[0] += 1
                    if stop.is_set():
                        return
                    time.sleep(0.05)
                    continue
                if r.status_code != 200:
                    continue
                body = r.json()
                for s in body["slots"]:
                    if s["outcome"] == "selected":
                        price = round(s["priceCpm"] * 1000)  # micros per impression
                        with lock:
                            answered.append((body["requestId"], s["id"], price))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    with lock:
        count_at_kill = len(answered)
    server.kill()
    stop.set()
    for t in threads:
        t.join(10)
    assert count_at_kill > 50, "the load did not get going"

    # The durable spend, straight from the database file.
    rows = server.reservations("cmp-1")
    by_id: dict[str, list[int]] = {}
    for reservation_id, _day, amount in rows:
        by_id.setdefault(reservation_id, []).append(amount)
    for request_id, slot_id, price in answered:
        amounts = by_id.get(f"{request_id}/{slot_id}")
        assert amounts == [price], (request_id, slot_id, amounts)
    today = int(time.time() // 86400)
    today_rows = [r for r in rows if r[1] == today]
    durable_today = sum(r[2] for r in today_rows)
    answered_sum = sum(p for _, _, p in answered)
    in_flight = len(today_rows) - len(answered)
    assert 0 <= in_flight <= 8  # at most one cut-off request per client thread
    assert durable_today == answered_sum + in_flight * PRICE_MICROS

    # Restart: today's spend, the learned shape and Thompson statistics are back.
    server.start()
    c = httpx.Client(base_url=server.url, timeout=10)
    campaign = _ok(c.get("/v1/advertisers/adv-1/campaigns/cmp-1/stats", headers=adv))
    assert round(campaign["spendToday"] * 1_000_000) == durable_today
    stats_after = _ok(c.get("/v1/publishers/pub-1/sites/site-1/stats", headers=pub))
    assert stats_after["learnedShape"] == learned
    assert stats_after["creatives"] == stats_before["creatives"]
    assert stats_after["dayIndex"] == today
    assert round(stats_after["totalSpend"] * 1_000_000) == durable_today
    assert stats_after["outcomes"]["selected"] == len(rows)  # lifetime
    assert stats_after["selected"] == len(today_rows)

    # Serving continues, and spend keeps adding up from where it was.
    slot = _ok(c.post("/v1/serve", json=SERVE))["slots"][0]
    assert slot["outcome"] == "selected"
    campaign = _ok(c.get("/v1/advertisers/adv-1/campaigns/cmp-1/stats", headers=adv))
    assert round(campaign["spendToday"] * 1_000_000) == durable_today + PRICE_MICROS
