"""An in-process server for API tests: the real app over httpx's ASGI transport."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import FastAPI

from promovolve.api.app import create_app
from promovolve.api.runtime import Runtime
from promovolve.settings import Settings

ADMIN_KEY = "test-admin-key"
BASE_URL = "http://testserver"

SEED_PACING_BODY = """{
"dayDurationSeconds": 600,
"weekdayShapeVolumes":
[0.3,0.2,1.0,0.2,0.0,0.3,0.5,2.5,0.1,2.0,1.5,2.0,2.5,3.0,2.5,2.0,1.5,1.2,1.2,1.0,0.4,2.0,5.0,0.4],
"weekendShapeVolumes":
[0.3,0.2,0.1,0.1,0.1,0.2,0.3,0.5,0.8,1.2,1.5,1.8,2.0,2.2,2.3,2.2,2.0,1.8,2.0,2.5,2.8,2.0,1.2,0.5]
}"""


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


ADMIN = bearer(ADMIN_KEY)


class Harness:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app: FastAPI | None = None
        self._lifespan: AbstractAsyncContextManager[Any] | None = None
        self.client: httpx.AsyncClient | None = None
        # The server's clock; a test may replace it (it is read at every call).
        self.now: Callable[[], float] = time.time

    @property
    def http(self) -> httpx.AsyncClient:
        assert self.client is not None
        return self.client

    @property
    def runtime(self) -> Runtime:
        assert self.app is not None
        runtime = self.app.state.runtime
        assert isinstance(runtime, Runtime)
        return runtime

    async def start(self) -> Harness:
        self.app = create_app(self.settings, clock=lambda: self.now())
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=BASE_URL
        )
        return self

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self._lifespan is not None:
            await self._lifespan.__aexit__(None, None, None)
            self._lifespan = None

    def advance(self, seconds: float) -> None:
        """Move the server's clock on: a beacon then comes as late as a real viewer's (a
        viewable one a second after its serve, a click after its impression)."""
        before = self.now
        self.now = lambda: before() + seconds

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # Shortcuts: one call per setup step, asserting it succeeded.
    async def publisher(self, pid: str, name: str = "Publisher") -> str:
        r = await self.http.post("/v1/publishers", json={"id": pid, "name": name}, headers=ADMIN)
        assert r.status_code == 201, r.text
        return str(r.json()["apiKey"])

    async def advertiser(self, aid: str, name: str = "Advertiser") -> str:
        r = await self.http.post("/v1/advertisers", json={"id": aid, "name": name}, headers=ADMIN)
        assert r.status_code == 201, r.text
        return str(r.json()["apiKey"])

    async def site(self, key: str, pid: str, sid: str, domain: str) -> dict[str, Any]:
        r = await self.http.post(
            f"/v1/publishers/{pid}/sites", json={"id": sid, "domain": domain}, headers=bearer(key)
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def campaign(self, key: str, aid: str, cid: str, **fields: Any) -> dict[str, Any]:
        body = {"id": cid, "name": cid, "dailyBudget": 100, "cpm": 2.5, **fields}
        r = await self.http.post(f"/v1/advertisers/{aid}/campaigns", json=body, headers=bearer(key))
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def creative(
        self, key: str, aid: str, cid: str, crid: str, width: int = 300, height: int = 250
    ) -> dict[str, Any]:
        body = {
            "id": crid,
            "assetUrl": f"https://cdn.example.net/{crid}.png",
            "landingUrl": f"https://shop-{aid}.example.org/{crid}",
            "width": width,
            "height": height,
        }
        r = await self.http.post(
            f"/v1/advertisers/{aid}/campaigns/{cid}/creatives", json=body, headers=bearer(key)
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def approve(self, key: str, pid: str, sid: str, crid: str) -> None:
        r = await self.http.post(
            f"/v1/publishers/{pid}/sites/{sid}/approvals/{crid}/approve", headers=bearer(key)
        )
        assert r.status_code == 200, r.text

    async def pacing(self, key: str, pid: str, sid: str, body: dict[str, Any]) -> None:
        r = await self.http.put(
            f"/v1/publishers/{pid}/sites/{sid}/pacing", json=body, headers=bearer(key)
        )
        assert r.status_code == 200, r.text

    async def unpaced_ad(self, approved: bool = True) -> tuple[str, str]:
        """pub-1's site-1 on example.com, unthrottled (`testThrottleOverride` 0), and adv-1's
        cmp-1 with creative cr-1, approved there unless told not; (publisher, advertiser)
        keys."""
        pub, adv = await self.publisher("pub-1"), await self.advertiser("adv-1")
        await self.site(pub, "pub-1", "site-1", "example.com")
        await self.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
        await self.campaign(adv, "adv-1", "cmp-1")
        await self.creative(adv, "adv-1", "cmp-1", "cr-1")
        if approved:
            await self.approve(pub, "pub-1", "site-1", "cr-1")
        return pub, adv

    async def serve(
        self, sid: str, url: str, slots: list[tuple[str, int, int]] | None = None, **extra: Any
    ) -> httpx.Response:
        body = {
            "siteId": sid,
            "url": url,
            "slots": [
                {"id": s, "width": w, "height": h} for s, w, h in (slots or [("top", 300, 250)])
            ],
            **extra,
        }
        return await self.http.post("/v1/serve", json=body)
