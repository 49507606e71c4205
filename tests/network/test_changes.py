"""A change made through one `promovolve serve` process is in force on the others: three real
processes on one PostgreSQL schema and one Redis. What takes money or access away (revoke,
reject, pause, budget cut, key rotation, deactivation, a block) is in force everywhere when
its call answers, so the very next request to another process already obeys it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from benchmarks.networld import SLOT, Network, build, call
from benchmarks.server import ServerProcess, running_server

from tests.api.dbutil import drop_schema, new_schema, require_pg
from tests.network.networld import network_env
from tests.network.redisutil import require_redis


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    require_pg()
    require_redis()
    schema = new_schema()
    try:
        yield network_env(schema, str(tmp_path_factory.mktemp("changes")))
    finally:
        drop_schema(schema)


@pytest.fixture(scope="module")
def servers(env: dict[str, str]) -> Iterator[list[ServerProcess]]:
    with ExitStack() as stack:
        yield [stack.enter_context(running_server(env)) for _ in range(3)]


@pytest.fixture
def network(servers: list[ServerProcess], env: dict[str, str]) -> Network:
    return build(servers[0].url, env["PROMOVOLVE_ADMIN_KEY"])


def _others(servers: list[ServerProcess]) -> list[str]:
    return [s.url for s in servers[1:]]


def test_what_one_process_creates_serves_on_the_others(
    servers: list[ServerProcess], network: Network
) -> None:
    # Publisher, key, site, pacing, advertiser, campaign, creative and approval were all
    # made through the first process; the others serve them at once.
    for url in _others(servers):
        assert network.serve(url)["outcome"] == "selected"
        site = call(url, "GET", network.site_path, network.publisher_key)
        assert site["domain"] == network.domain


def test_revoke_and_reject_are_in_force_everywhere_when_they_answer(
    servers: list[ServerProcess], network: Network
) -> None:
    a, b, c = (s.url for s in servers)
    assert network.serve(b)["outcome"] == "selected"
    approvals = f"{network.site_path}/approvals/{network.creative_id}"
    call(a, "POST", approvals + "/revoke", network.publisher_key)
    assert network.serve(b)["outcome"] != "selected"
    assert network.serve(c)["outcome"] != "selected"
    call(c, "POST", approvals + "/approve", network.publisher_key)
    assert network.serve(b)["outcome"] == "selected"
    call(b, "POST", approvals + "/reject", network.publisher_key)
    assert network.serve(a)["outcome"] != "selected"
    assert network.serve(c)["outcome"] != "selected"


def test_a_rotated_key_is_refused_everywhere_when_the_rotation_answers(
    servers: list[ServerProcess], network: Network
) -> None:
    a = servers[0].url
    path = f"/v1/advertisers/{network.advertiser_id}"
    rotated = call(a, "POST", path + "/rotate-key", network.advertiser_key)
    for url in _others(servers):
        old = httpx.get(url + path, headers={"Authorization": f"Bearer {network.advertiser_key}"})
        assert old.status_code == 401
        assert call(url, "GET", path, rotated["apiKey"])["id"] == network.advertiser_id


def test_pause_and_resume_through_one_process(
    servers: list[ServerProcess], network: Network
) -> None:
    a, b, c = (s.url for s in servers)
    call(a, "PATCH", network.campaign_path, network.advertiser_key, {"status": "paused"})
    assert network.serve(b)["outcome"] != "selected"
    assert network.serve(c)["outcome"] != "selected"
    call(a, "PATCH", network.campaign_path, network.advertiser_key, {"status": "active"})
    assert network.serve(b)["outcome"] == "selected"


def test_a_budget_cut_is_in_force_everywhere_when_it_answers(
    servers: list[ServerProcess], network: Network
) -> None:
    a, b, c = (s.url for s in servers)
    prices = [network.serve(b)["priceCpm"] for _ in range(3)]
    spent = sum(prices) / 1000  # priceCpm is per 1000 impressions
    call(a, "PATCH", network.campaign_path, network.advertiser_key, {"dailyBudget": spent})
    assert network.serve(b)["outcome"] == "budgetExhausted"
    assert network.serve(c)["outcome"] == "budgetExhausted"


def test_deactivation_and_blocks_are_in_force_everywhere_when_they_answer(
    servers: list[ServerProcess], network: Network
) -> None:
    a, b, c = (s.url for s in servers)
    blocklist = f"/v1/publishers/{network.publisher_id}/blocklist"
    call(a, "POST", blocklist, network.publisher_key, {"domains": ["shop.example"]})
    assert network.serve(b)["outcome"] != "selected"
    call(b, "DELETE", blocklist + "/shop.example", network.publisher_key)
    assert network.serve(c)["outcome"] == "selected"
    path = f"/v1/advertisers/{network.advertiser_id}"
    call(c, "POST", path + "/deactivate", network.admin_key)
    assert network.serve(a)["outcome"] != "selected"
    assert network.serve(b)["outcome"] != "selected"
    refused = httpx.get(b + path, headers={"Authorization": f"Bearer {network.advertiser_key}"})
    assert refused.status_code == 401


def test_a_new_process_starts_with_what_the_others_made(
    servers: list[ServerProcess], network: Network, env: dict[str, str]
) -> None:
    # The running ones made the network; a process that starts later loads it, then follows.
    with running_server(env) as late:
        assert network.serve(late.url)["outcome"] == "selected"
        approvals = f"{network.site_path}/approvals/{network.creative_id}"
        call(servers[0].url, "POST", approvals + "/revoke", network.publisher_key)
        assert network.serve(late.url)["outcome"] != "selected"


def test_a_process_that_cannot_reach_redis_serves_no_paid_ad(tmp_path: Path) -> None:
    require_pg()
    schema = new_schema()
    env = network_env(schema, str(tmp_path)) | {"PROMOVOLVE_REDIS_URL": "redis://127.0.0.1:1/0"}
    try:
        with running_server(env) as server:
            # Changes still commit (the records wait to be sent); serves are refused.
            network = build(server.url, env["PROMOVOLVE_ADMIN_KEY"])
            body = {
                "siteId": network.site_id,
                "url": f"https://{network.domain}/story",
                "slots": [SLOT],
            }
            answer = httpx.post(server.url + "/v1/serve", json=body, timeout=10.0)
            assert answer.status_code == 503
            assert answer.json()["error"] == "unavailable"
            # Taking something away cannot be promised everywhere: 503, though committed.
            approvals = f"{network.site_path}/approvals/{network.creative_id}"
            revoke = httpx.post(
                server.url + approvals + "/revoke",
                headers={"Authorization": f"Bearer {network.publisher_key}"},
            )
            assert revoke.status_code == 503
            listed = call(
                server.url, "GET", f"{network.site_path}/approvals", network.publisher_key
            )
            assert [a["status"] for a in listed] == ["pending"]
    finally:
        drop_schema(schema)


def test_a_house_ad_made_or_archived_through_one_process_is_in_force_on_the_others(
    servers: list[ServerProcess], network: Network
) -> None:
    a, b, c = (s.url for s in servers)
    approvals = f"{network.site_path}/approvals/{network.creative_id}"
    call(a, "POST", approvals + "/revoke", network.publisher_key)  # no paid demand left
    house_ads = f"{network.site_path}/house-ads"
    ad = {
        "id": "house-1",
        "assetUrl": f"https://{network.domain}/house.png",
        "landingUrl": f"https://{network.domain}/subscribe",
        "width": SLOT["width"],
        "height": SLOT["height"],
    }
    call(a, "POST", house_ads, network.publisher_key, ad)
    for url in (b, c):
        slot = network.serve(url)
        assert slot["outcome"] == "house" and slot["creative"]["id"] == "house-1"
    call(b, "DELETE", f"{house_ads}/house-1", network.publisher_key)
    for url in (a, c):
        assert network.serve(url)["outcome"] != "house"
    call(c, "POST", approvals + "/approve", network.publisher_key)
