"""A request that fails writes nothing: not to the database, not to the server's state."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from promovolve.api.services import accounts as account_service
from promovolve.store.accounts import AccountRepository
from promovolve.store.sites import BlocklistRepository, SiteRepository
from tests.api.harness import ADMIN, Harness, bearer

PAGE = "https://example.com/a"


def _database_fails(*_args: object, **_kwargs: object) -> Any:
    raise OperationalError("UPDATE ...", {}, Exception("disk I/O error"))


async def _world(api: Harness) -> dict[str, str]:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    await api.campaign(adv, "adv-1", "cmp-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    return {"pub": pub, "adv": adv}


async def _blocklist(api: Harness, key: str) -> list[str]:
    r = await api.http.get("/v1/publishers/pub-1/blocklist", headers=bearer(key))
    assert r.status_code == 200, r.text
    return list(r.json()["domains"])


async def test_a_write_failing_halfway_is_rolled_back(
    api: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = await _world(api)
    pub = keys["pub"]
    path = "/v1/publishers/pub-1/blocklist"
    r = await api.http.put(path, json={"domains": ["a.example"]}, headers=bearer(pub))
    assert r.status_code == 200
    original_add = BlocklistRepository.add

    async def add_then_fail(self: BlocklistRepository, *args: Any) -> None:
        await original_add(self, *args)  # the old entries are deleted, the new inserted...
        _database_fails()  # ...and then the database fails before the commit

    monkeypatch.setattr(BlocklistRepository, "add", add_then_fail)
    r = await api.http.put(path, json={"domains": ["b.example"]}, headers=bearer(pub))
    assert r.status_code == 503 and r.json()["error"] == "unavailable"
    assert await _blocklist(api, pub) == ["a.example"]
    monkeypatch.undo()
    await api.restart()
    assert await _blocklist(api, pub) == ["a.example"]


async def test_a_failed_archive_leaves_the_site_serving(
    api: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = await _world(api)
    monkeypatch.setattr(SiteRepository, "archive", _database_fails)
    r = await api.http.delete("/v1/publishers/pub-1/sites/site-1", headers=bearer(keys["pub"]))
    assert r.status_code == 503
    monkeypatch.undo()
    for _ in range(2):
        r = await api.serve("site-1", PAGE)
        assert r.status_code == 200 and r.json()["slots"][0]["outcome"] == "selected"
        await api.restart()


async def test_a_refused_key_rotation_keeps_the_old_key(
    api: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = await _world(api)
    other = await api.publisher("pub-2")
    # The new key's hash collides with another account's: the database refuses it.
    monkeypatch.setattr(account_service, "new_key", lambda _kind: other)
    r = await api.http.post("/v1/publishers/pub-1/rotate-key", headers=ADMIN)
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    monkeypatch.undo()
    for _ in range(2):
        for key, account in ((keys["pub"], "pub-1"), (other, "pub-2")):
            r = await api.http.get(f"/v1/publishers/{account}", headers=bearer(key))
            assert r.status_code == 200, r.text
        await api.restart()


async def test_a_failed_deactivation_leaves_the_account_working(
    api: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = await _world(api)
    monkeypatch.setattr(AccountRepository, "set_active", _database_fails)
    r = await api.http.post("/v1/advertisers/adv-1/deactivate", headers=ADMIN)
    assert r.status_code == 503
    monkeypatch.undo()
    r = await api.http.get("/v1/advertisers/adv-1", headers=bearer(keys["adv"]))
    assert r.status_code == 200 and r.json()["active"] is True
    r = await api.serve("site-1", PAGE)
    assert r.json()["slots"][0]["outcome"] == "selected"


async def test_refused_requests_change_nothing(api: Harness) -> None:
    keys = await _world(api)
    adv = keys["adv"]
    other = await api.advertiser("adv-2")
    # Someone else's campaign: 404, and it still serves.
    r = await api.http.delete("/v1/advertisers/adv-1/campaigns/cmp-1", headers=bearer(other))
    assert r.status_code == 404
    # A duplicate id: 409, and the first campaign is as it was.
    r = await api.http.post(
        "/v1/advertisers/adv-1/campaigns",
        json={"id": "cmp-1", "name": "dup", "dailyBudget": 1, "cpm": 1},
        headers=bearer(adv),
    )
    assert r.status_code == 409 and r.json()["field"] == "id"
    # Bad input: 422 naming the field.
    r = await api.http.patch(
        "/v1/advertisers/adv-1/campaigns/cmp-1", json={"cpm": -1}, headers=bearer(adv)
    )
    assert r.status_code == 422 and r.json()["field"] == "cpm"
    # Deactivating an unknown account: 404.
    r = await api.http.post("/v1/advertisers/nobody/deactivate", headers=ADMIN)
    assert r.status_code == 404 and r.json()["field"] == "advertiserId"
    for _ in range(2):
        r = await api.http.get("/v1/advertisers/adv-1/campaigns/cmp-1", headers=bearer(adv))
        assert r.json()["name"] == "cmp-1" and r.json()["cpm"] == 2.5
        assert r.json()["archived"] is False
        r = await api.serve("site-1", PAGE)
        assert r.json()["slots"][0]["outcome"] == "selected"
        await api.restart()
