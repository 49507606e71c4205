"""A small network on real server processes: one publisher with a site, one advertiser
with a campaign and an approved creative, made through the public API of one process
(the multi-process tests and the change benchmark use it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

SLOT = {"id": "top", "width": 300, "height": 250}


def call(url: str, method: str, path: str, key: str | None, body: object = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    answer = httpx.request(method, url + path, json=body, headers=headers, timeout=30.0)
    assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


@dataclass(slots=True)
class Network:
    admin_key: str
    publisher_id: str
    publisher_key: str
    site_id: str
    domain: str
    advertiser_id: str
    advertiser_key: str
    campaign_id: str
    creative_id: str

    @property
    def site_path(self) -> str:
        return f"/v1/publishers/{self.publisher_id}/sites/{self.site_id}"

    @property
    def campaign_path(self) -> str:
        return f"/v1/advertisers/{self.advertiser_id}/campaigns/{self.campaign_id}"

    def serve(self, url: str) -> dict[str, Any]:
        """The one slot's decision of a serve on the process at `url`."""
        body = {
            "siteId": self.site_id,
            "url": f"https://{self.domain}/story",
            "slots": [SLOT],
            "categories": ["shared"],
        }
        answer = httpx.post(url + "/v1/serve", json=body, timeout=10.0)
        assert answer.status_code == 200, answer.text
        slot: dict[str, Any] = answer.json()["slots"][0]
        return slot


def build(url: str, admin_key: str, budget: float = 10.0, cpm: float = 2.0) -> Network:
    run = uuid.uuid4().hex[:8]
    publisher = call(url, "POST", "/v1/publishers", admin_key, {"id": f"pub-{run}", "name": "P"})
    pub_key = publisher["apiKey"]
    domain = f"news-{run}.example"
    site = call(url, "POST", f"/v1/publishers/{publisher['id']}/sites", pub_key, {"domain": domain})
    site_path = f"/v1/publishers/{publisher['id']}/sites/{site['id']}"
    pacing = {"dayDurationSeconds": 86400, "warmupMode": False, "testThrottleOverride": 0.0}
    call(url, "PUT", site_path + "/pacing", pub_key, pacing)
    advertiser = call(url, "POST", "/v1/advertisers", admin_key, {"id": f"adv-{run}", "name": "A"})
    adv_key = advertiser["apiKey"]
    campaigns = f"/v1/advertisers/{advertiser['id']}/campaigns"
    campaign = call(
        url,
        "POST",
        campaigns,
        adv_key,
        {
            "name": "C",
            "dailyBudget": budget,
            "cpm": cpm,
            "categories": ["shared"],
            "keywords": [],
            "status": "active",
        },
    )
    creative = call(
        url,
        "POST",
        f"{campaigns}/{campaign['id']}/creatives",
        adv_key,
        {
            "assetUrl": "https://cdn.example/a.png",
            "landingUrl": "https://shop.example/",
            "width": 300,
            "height": 250,
        },
    )
    call(url, "POST", f"{site_path}/approvals/{creative['id']}/approve", pub_key)
    return Network(
        admin_key,
        publisher["id"],
        pub_key,
        site["id"],
        domain,
        advertiser["id"],
        adv_key,
        campaign["id"],
        creative["id"],
    )
