"""A blocklist has a total size cap (a clear 422 past it, nothing written), and its writes
answer the size and the change instead of echoing the list."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from promovolve.settings import Settings
from tests.api.harness import Harness, bearer

CAP = 5
PATH = "/v1/publishers/pub-1/blocklist"


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Harness]:
    harness = await Harness(settings.model_copy(update={"blocklist_max": CAP})).start()
    try:
        yield harness
    finally:
        await harness.stop()


def _domains(n: int, start: int = 0) -> list[str]:
    return [f"d{i}.example" for i in range(start, start + n)]


async def test_the_blocklist_is_capped_and_writes_do_not_echo_it(api: Harness) -> None:
    headers = bearer(await api.publisher("pub-1"))
    r = await api.http.put(PATH, json={"domains": _domains(4)}, headers=headers)
    assert r.status_code == 200
    assert r.json() == {"publisherId": "pub-1", "size": 4, "changed": 4}
    r = await api.http.post(PATH, json={"domains": _domains(2, 3)}, headers=headers)
    assert r.status_code == 200 and r.json()["size"] == 5 and r.json()["changed"] == 1
    # One more would pass the cap: refused, nothing written.
    r = await api.http.post(PATH, json={"domains": ["new.example"]}, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "domains"
    assert "at most 5" in r.json()["message"]
    r = await api.http.put(PATH, json={"domains": _domains(6, 10)}, headers=headers)
    assert r.status_code == 422
    got = await api.http.get(PATH, headers=headers)
    assert got.json()["domains"] == sorted(_domains(5))
    r = await api.http.delete(f"{PATH}/d0.example", headers=headers)
    assert r.json() == {"publisherId": "pub-1", "size": 4, "changed": 1}
