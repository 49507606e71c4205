"""One source floods `/v1/serve` and fires every impression URL it got at once: how much
of a campaign's budget does it move into settled spend?

``python -m benchmarks.flood [--seconds 10]`` starts ``promovolve serve`` (a short
settlement window, 127.0.0.1 as a trusted proxy so that each client names its address in
``X-Forwarded-For``), sets up one $100/day campaign at a $2 CPM on one site, and runs for
that long: the flooder with many concurrent requests, and beside it a well-behaved reader
(two page views a second, each impression beacon 1.5 s after its serve, as a viewable ad's
comes). Then the flooder fires every impression URL it got, all at once; once the
settlement window has passed, it prints one JSON line: the flood's settled spend (what it
moved), the reservations still held, what the reader got, and the invalid counts.
``PROMOVOLVE_BENCH_SOURCE=DIR`` runs the server from another checkout's ``src`` (the same
command measures the code before a change).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from benchmarks.beacon_load import read_response
from benchmarks.server import ServerProcess, running_server
from benchmarks.stalled import source_env

FLOODER = "203.0.113.7"
READER = "198.51.100.20"
BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
BUDGET_USD = 100.0
CPM_USD = 2.0
# Past the flood and its beacons (they must land within it to be charged), then short.
WINDOW_AFTER_FLOOD = 8.0
SITE, CAMPAIGN = "flood-site", "flood-campaign"
SERVE_BODY = {
    "siteId": SITE,
    "url": "https://news.example/articles/1",
    "slots": [{"id": "top", "width": 300, "height": 250}],
}


@dataclass(slots=True)
class FloodReport:
    seconds: float
    flood_serves: int = 0
    flood_selected: int = 0
    flood_beacons_fired: int = 0
    flood_settled_usd: float = 0.0  # what the flood moved into settled spend
    flood_share_of_budget: float = 0.0
    reserved_usd_after: float = 0.0  # still held once the window passed
    reader_serves: int = 0
    reader_selected: int = 0
    reader_beacons_counted: int = 0
    reader_settled_usd: float = 0.0
    bot_selected: int = 0
    settled_usd: float = 0.0
    invalid: dict[str, Any] = field(default_factory=dict)


def _headers(address: str, agent: str = BROWSER_UA) -> dict[str, str]:
    return {"X-Forwarded-For": address, "User-Agent": agent}


def setup(server: ServerProcess) -> tuple[str, str]:
    """The network: one site, one campaign ($100/day, $2 CPM, asap), one approved creative;
    the publisher's and the advertiser's keys."""
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    with httpx.Client(base_url=server.url, timeout=30.0) as c:

        def ok(r: httpx.Response) -> dict[str, Any]:
            assert r.status_code < 300, r.text
            return r.json() if r.content else {}

        pub = ok(c.post("/v1/publishers", json={"id": "flood-pub", "name": "P"}, headers=admin))
        pub_h = {"Authorization": f"Bearer {pub['apiKey']}"}
        adv = ok(c.post("/v1/advertisers", json={"id": "flood-adv", "name": "A"}, headers=admin))
        adv_h = {"Authorization": f"Bearer {adv['apiKey']}"}
        ok(
            c.post(
                "/v1/publishers/flood-pub/sites",
                json={"id": SITE, "domain": "news.example"},
                headers=pub_h,
            )
        )
        pacing = {"dayDurationSeconds": 86400, "testThrottleOverride": 0.0}
        ok(c.put(f"/v1/publishers/flood-pub/sites/{SITE}/pacing", json=pacing, headers=pub_h))
        campaign = {
            "id": CAMPAIGN,
            "name": "Flooded",
            "dailyBudget": BUDGET_USD,
            "cpm": CPM_USD,
            "categories": [],
            "keywords": [],
            "status": "active",
            "deliveryMode": "asap",
        }
        ok(c.post("/v1/advertisers/flood-adv/campaigns", json=campaign, headers=adv_h))
        creative = {
            "id": "flood-cr",
            "assetUrl": "https://cdn.example/ad.png",
            "landingUrl": "https://shop.example/",
            "width": 300,
            "height": 250,
        }
        path = f"/v1/advertisers/flood-adv/campaigns/{CAMPAIGN}/creatives"
        ok(c.post(path, json=creative, headers=adv_h))
        approve = f"/v1/publishers/flood-pub/sites/{SITE}/approvals/flood-cr/approve"
        ok(c.post(approve, headers=pub_h))
    return pub["apiKey"], adv["apiKey"]


def _selected(answer: httpx.Response) -> list[dict[str, Any]]:
    if answer.status_code != 200:
        return []
    return [s for s in answer.json()["slots"] if s["outcome"] == "selected"]


def _raw(method: str, server: ServerProcess, path: str, body: bytes | None = None) -> bytes:
    """A keep-alive request from the flooder, as raw bytes (httpx is far slower to send)."""
    host = server.url.removeprefix("http://")
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        f"X-Forwarded-For: {FLOODER}",
        f"User-Agent: {BROWSER_UA}",
    ]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + (body or b"")


async def _connect(server: ServerProcess) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = server.url.removeprefix("http://").split(":")
    return await asyncio.open_connection(host, int(port))


async def _flood(server: ServerProcess, until: float, report: FloodReport) -> list[str]:
    """32 keep-alive connections posting serves back to back; the impression paths got."""
    paths: list[str] = []
    request = _raw("POST", server, "/v1/serve", orjson.dumps(SERVE_BODY))

    async def worker() -> None:
        reader, writer = await _connect(server)
        try:
            while time.monotonic() < until:
                writer.write(request)
                status, body = await read_response(reader)
                report.flood_serves += 1
                if status != 200:
                    continue
                for slot in orjson.loads(body)["slots"]:
                    if slot["outcome"] == "selected":
                        report.flood_selected += 1
                        parts = urlsplit(slot["impressionUrl"])
                        paths.append(f"{parts.path}?{parts.query}")
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(32)))
    return paths


async def _reader(client: httpx.AsyncClient, until: float, report: FloodReport) -> None:
    """Two page views a second; each viewable beacon 1.5 s after its serve."""
    headers = _headers(READER)
    beacons: list[asyncio.Task[None]] = []

    async def beacon(url: str, price: float) -> None:
        await asyncio.sleep(1.5)
        if (await client.get(url, headers=headers)).status_code == 200:
            report.reader_beacons_counted += 1
            report.reader_settled_usd += price

    while time.monotonic() < until:
        answer = await client.post("/v1/serve", json=SERVE_BODY, headers=headers)
        report.reader_serves += 1
        for slot in _selected(answer):
            report.reader_selected += 1
            beacons.append(
                asyncio.create_task(beacon(slot["impressionUrl"], slot["priceCpm"] / 1000))
            )
        await asyncio.sleep(0.5)
    await asyncio.gather(*beacons)


async def _fire_all(server: ServerProcess, paths: list[str]) -> int:
    """Every impression path at once, over 64 connections; how many the server took (200)."""
    queue = list(reversed(paths))
    fired = 0

    async def worker() -> None:
        nonlocal fired
        reader, writer = await _connect(server)
        try:
            while queue:
                writer.write(_raw("GET", server, queue.pop()))
                status, _ = await read_response(reader)
                fired += status == 200
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(64)))
    return fired


async def _campaign_today(client: httpx.AsyncClient, adv_key: str) -> dict[str, Any]:
    path = f"/v1/advertisers/flood-adv/campaigns/{CAMPAIGN}/stats"
    stats = (await client.get(path, headers={"Authorization": f"Bearer {adv_key}"})).json()
    today: dict[str, Any] = stats["today"]
    return today


async def measure(server: ServerProcess, seconds: float) -> FloodReport:
    pub_key, adv_key = setup(server)
    report = FloodReport(seconds)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=server.url, timeout=30.0, limits=limits) as client:
        bot = await client.post("/v1/serve", json=SERVE_BODY, headers=_headers("192.0.2.1", BOT_UA))
        report.bot_selected = len(_selected(bot))
        until = time.monotonic() + seconds
        urls, _ = await asyncio.gather(
            _flood(server, until, report), _reader(client, until, report)
        )
        report.flood_beacons_fired = await _fire_all(server, urls)
        window = seconds + WINDOW_AFTER_FLOOD
        deadline = until + window + 30
        await asyncio.sleep(max(0.0, until + window + 1 - time.monotonic()))
        today = await _campaign_today(client, adv_key)
        while today["reservedSpend"] > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            today = await _campaign_today(client, adv_key)
        site_path = f"/v1/publishers/flood-pub/sites/{SITE}/stats"
        site = (await client.get(site_path, headers={"Authorization": f"Bearer {pub_key}"})).json()
    report.settled_usd = today["settledSpend"]
    report.reserved_usd_after = today["reservedSpend"]
    report.reader_settled_usd = round(report.reader_settled_usd, 6)
    report.flood_settled_usd = round(report.settled_usd - report.reader_settled_usd, 6)
    report.flood_share_of_budget = round(report.flood_settled_usd / BUDGET_USD, 4)
    report.invalid = site["today"].get("invalid", {})
    return report


def run(seconds: float = 10.0) -> FloodReport:
    env = {
        **source_env(),
        "PROMOVOLVE_SETTLEMENT_WINDOW": str(seconds + WINDOW_AFTER_FLOOD),
        "PROMOVOLVE_TRUSTED_PROXIES": "127.0.0.1",
        "PROMOVOLVE_RATE_LIMIT": "20",
    }
    with running_server(env) as server:
        return asyncio.run(measure(server, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(json.dumps(asdict(run(args.seconds))))


if __name__ == "__main__":
    main()
