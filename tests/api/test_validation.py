"""Bad input: a 4xx with `{"error", "message", "field"}`, nothing written, never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import Message

from tests.api.harness import ADMIN, SEED_PACING_BODY, Harness, bearer

JSON_TYPE = {"Content-Type": "application/json"}


def _error(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "message", "field"}
    if field is not None:
        assert body["field"] == field, body
    return dict(body)


async def _setup(api: Harness) -> tuple[str, str]:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.campaign(adv, "adv-1", "cmp-1")
    return pub, adv


BAD_CAMPAIGNS: list[tuple[dict[str, Any], str]] = [
    ({"name": "x", "dailyBudget": -5, "cpm": 1}, "dailyBudget"),
    ({"name": "x", "dailyBudget": 0, "cpm": 1}, "dailyBudget"),
    ({"name": "x", "dailyBudget": 1e15, "cpm": 1}, "dailyBudget"),
    ({"name": "x", "dailyBudget": "ten", "cpm": 1}, "dailyBudget"),
    ({"name": "x", "dailyBudget": True, "cpm": 1}, "dailyBudget"),
    ({"name": "x", "dailyBudget": 1.0000001, "cpm": 1}, "dailyBudget"),
    ({"name": "x", "dailyBudget": 10, "cpm": -1}, "cpm"),
    ({"name": "x", "dailyBudget": 10, "cpm": 0.0001}, "cpm"),
    ({"name": "x", "dailyBudget": 10, "cpm": 1e9}, "cpm"),
    ({"name": "x", "dailyBudget": 10, "cpm": "NaN"}, "cpm"),
    ({"dailyBudget": 10, "cpm": 1}, "name"),
    ({"name": "x", "dailyBudget": 10, "cpm": 1, "status": "deleted"}, "status"),
    ({"name": "x", "dailyBudget": 10, "cpm": 1, "categories": "sports"}, "categories"),
    ({"name": "x", "dailyBudget": 10, "cpm": 1, "budget": 5}, "budget"),
    ({"id": "bad id!", "name": "x", "dailyBudget": 10, "cpm": 1}, "id"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CAMPAIGNS)
async def test_bad_campaigns_are_refused_and_nothing_is_written(
    api: Harness, body: dict[str, Any], field: str
) -> None:
    _, adv = await _setup(api)
    r = await api.http.post("/v1/advertisers/adv-1/campaigns", json=body, headers=bearer(adv))
    _error(r, 422, field)
    r = await api.http.get("/v1/advertisers/adv-1/campaigns", headers=bearer(adv))
    assert [c["id"] for c in r.json()] == ["cmp-1"]


async def test_bad_creatives_and_patches(api: Harness) -> None:
    _, adv = await _setup(api)
    path = "/v1/advertisers/adv-1/campaigns/cmp-1/creatives"
    good = {
        "assetUrl": "https://cdn.example.net/a.png",
        "landingUrl": "https://example.org/",
        "width": 300,
        "height": 250,
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "assetUrl": "http://cdn.example.net/a.png"}, "assetUrl"),
        ({**good, "assetUrl": "ftp://cdn.example.net/a.png"}, "assetUrl"),
        ({**good, "assetUrl": "https:///nohost"}, "assetUrl"),
        ({**good, "landingUrl": "javascript:alert(1)"}, "landingUrl"),
        ({**good, "width": 0}, "width"),
        ({**good, "height": "250"}, "height"),
        ({**good, "width": 10**30}, "width"),
    ]
    for body, field in cases:
        _error(await api.http.post(path, json=body, headers=bearer(adv)), 422, field)
    assert (await api.http.get(path, headers=bearer(adv))).json() == []
    patch = "/v1/advertisers/adv-1/campaigns/cmp-1"
    _error(await api.http.patch(patch, json={"cpm": -3}, headers=bearer(adv)), 422, "cpm")
    _error(await api.http.patch(patch, json={"cpn": 3}, headers=bearer(adv)), 422, "cpn")
    r = await api.http.get(patch, headers=bearer(adv))
    assert r.json()["cpm"] == 2.5


async def test_pacing_validation(api: Harness) -> None:
    pub, _ = await _setup(api)
    path = "/v1/publishers/pub-1/sites/site-1/pacing"
    too_long = {**json.loads(SEED_PACING_BODY), "dayDurationSeconds": 86401}
    body = _error(await api.http.put(path, json=too_long, headers=bearer(pub)), 400)
    assert body["message"] == "dayDurationSeconds cannot exceed 86400 (24 hours)"
    assert body["field"] == "dayDurationSeconds"
    for bad, field in [
        ({"dayDurationSeconds": 0}, "dayDurationSeconds"),
        ({"dayDurationSeconds": "600"}, "dayDurationSeconds"),
        ({"weekdayShapeVolumes": [1.0] * 23}, "weekdayShapeVolumes"),
        ({"weekdayShapeVolumes": [1.0] * 23 + [-1]}, "weekdayShapeVolumes[23]"),
        ({"weekdayShapeVolumes": [1.0] * 23 + [10**400]}, None),
        ({"testThrottleOverride": 2}, "testThrottleOverride"),
        ({"warmupMode": "yes"}, "warmupMode"),
    ]:
        r = await api.http.put(path, json=bad, headers=bearer(pub))
        assert 400 <= r.status_code < 500, (bad, r.text)
        _error(r, r.status_code, field)
    r = await api.http.put(path, content=b"[1, 2]", headers=bearer(pub))
    _error(r, 422)
    r = await api.http.get(path, headers=bearer(pub))
    assert r.json()["dayDurationSeconds"] == 86400


async def test_malformed_and_oversized_bodies(api: Harness) -> None:
    pub, adv = await _setup(api)
    r = await api.http.post(
        "/v1/advertisers/adv-1/campaigns",
        content=b'{"name": "x", "dailyBudget": ',
        headers={"Content-Type": "application/json", **bearer(adv)},
    )
    assert _error(r, 400)["error"] == "invalid_json"
    r = await api.http.post("/v1/serve", content=b"{not json")
    assert _error(r, 400)["error"] == "invalid_json"
    big = {"siteId": "site-1", "url": "https://example.com/", "slots": [], "x": "a" * 70_000}
    r = await api.http.post("/v1/serve", json=big)
    assert _error(r, 413)["error"] == "payload_too_large"
    r = await api.http.put(
        "/v1/publishers/pub-1/blocklist",
        json={"domains": [f"d{i}.example.com" for i in range(5000)]},
        headers=bearer(pub),
    )
    _error(r, 413)
    r = await api.http.get("/v1/publishers/pub-1/blocklist", headers=bearer(pub))
    assert r.json()["domains"] == []


async def test_bad_serve_requests(api: Harness) -> None:
    await _setup(api)
    good = {
        "siteId": "site-1",
        "url": "https://example.com/",
        "slots": [{"id": "a", "width": 1, "height": 1}],
    }
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({**good, "slots": []}, "slots"),
        ({**good, "url": "example.com"}, "url"),
        ({**good, "slots": [{"id": "a", "width": -1, "height": 1}]}, "slots.0.width"),
        ({**good, "slots": [{"id": "a", "width": 1, "height": 1}] * 2}, "slots"),
        ({**good, "siteId": 5}, "siteId"),
        ({**good, "categories": [1, 2]}, "categories.0"),
    ]
    for body, field in cases:
        r = await api.http.post("/v1/serve", json=body)
        assert r.status_code == 422, (body, r.text)
        _error(r, 422, field)
    _error(await api.http.post("/v1/serve", json=[good]), 422)
    r = await api.http.get("/v1/imp?site=site-1")
    _error(r, 403)
    _error(await api.http.get("/v1/nothing-here"), 404)
    _error(await api.http.delete("/v1/serve"), 405)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "siteId": st.sampled_from(["site-1", "nope", ""]) | JSON,
        "url": st.sampled_from(["https://example.com/x", "http://a.b/", "x"]) | JSON,
        "slots": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "id": st.text(max_size=5) | JSON,
                    "width": st.integers(-5, 400) | JSON,
                    "height": st.integers(-5, 400) | JSON,
                },
            ),
            max_size=3,
        )
        | JSON,
        "name": st.text(max_size=5) | JSON,
        "dailyBudget": st.decimals(allow_nan=True).map(str) | JSON,
        "cpm": st.floats() | JSON,
        "categories": st.lists(st.text(max_size=5)) | JSON,
        "dayDurationSeconds": st.integers() | JSON,
        "weekdayShapeVolumes": st.lists(st.floats(), min_size=23, max_size=25) | JSON,
        "testThrottleOverride": st.floats() | JSON,
        "domains": st.lists(st.text(max_size=10)) | JSON,
        "assetUrl": st.text(max_size=10).map(lambda t: "https://cdn.example.net/" + t) | JSON,
        "landingUrl": st.text(max_size=10).map(lambda t: "https://example.org/" + t) | JSON,
        "width": st.integers(-5, 5000) | JSON,
        "height": st.integers(-5, 5000) | JSON,
    },
)


async def test_no_input_produces_a_500(api: Harness) -> None:
    pub, adv = await _setup(api)
    targets = [
        ("POST", "/v1/serve", {}),
        ("POST", "/v1/advertisers/adv-1/campaigns", bearer(adv)),
        ("PATCH", "/v1/advertisers/adv-1/campaigns/cmp-1", bearer(adv)),
        ("PUT", "/v1/publishers/pub-1/sites/site-1/pacing", bearer(pub)),
        ("PUT", "/v1/publishers/pub-1/blocklist", bearer(pub)),
        ("POST", "/v1/publishers/pub-1/sites", bearer(pub)),
        ("POST", "/v1/publishers", ADMIN),
        ("PATCH", "/v1/publishers/pub-1/sites/site-1", bearer(pub)),
        ("POST", "/v1/advertisers/adv-1/campaigns/cmp-1/creatives", bearer(adv)),
    ]
    seen: list[int] = []

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(targets), FIELDS | JSON)
    def check(target: tuple[str, str, dict[str, str]], body: Any) -> None:
        seen.append(1)
        bodies.append((target, body))

    bodies: list[tuple[tuple[str, str, dict[str, str]], Any]] = []
    check()
    for (method, path, headers), body in bodies:
        try:
            content = json.dumps(body, allow_nan=True).encode()
        except (ValueError, TypeError):
            continue
        r = await api.http.request(
            method, path, content=content, headers={"Content-Type": "application/json", **headers}
        )
        assert r.status_code < 500, (method, path, body, r.text)
        if r.status_code >= 400:
            assert set(r.json()) == {"error", "message", "field"}


async def test_control_characters_in_text_are_refused(api: Harness) -> None:
    """NUL and other control characters are refused on every backend (PostgreSQL cannot
    store NUL in text, so accepting it there was a 500, and on the serve path a failed
    spend write)."""
    pub, adv = await _setup(api)
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    creative = {
        "assetUrl": "https://cdn.example.net/a.png",
        "landingUrl": "https://example.org/",
        "width": 300,
        "height": 250,
    }
    serve = {
        "siteId": "site-1",
        "url": "https://example.com/",
        "slots": [{"id": "top", "width": 300, "height": 250}],
    }
    cases: list[tuple[str, str, dict[str, str], dict[str, Any], str]] = [
        ("POST", "/v1/publishers", ADMIN, {"name": "a\u0000b"}, "name"),
        ("POST", "/v1/advertisers", ADMIN, {"name": "\u0000"}, "name"),
        (
            "POST",
            "/v1/publishers/pub-1/sites",
            bearer(pub),
            {"domain": "b.example.com", "name": "x\u0000"},
            "name",
        ),
        ("PATCH", "/v1/publishers/pub-1/sites/site-1", bearer(pub), {"name": "\u0007"}, "name"),
        (
            "POST",
            "/v1/advertisers/adv-1/campaigns",
            bearer(adv),
            {"name": "x\u0000", "dailyBudget": 1, "cpm": 1},
            "name",
        ),
        (
            "POST",
            "/v1/advertisers/adv-1/campaigns",
            bearer(adv),
            {"name": "x", "dailyBudget": 1, "cpm": 1, "keywords": ["ru\u0000n"]},
            "keywords.0",
        ),
        ("PATCH", "/v1/advertisers/adv-1/campaigns/cmp-1", bearer(adv), {"name": "\u001f"}, "name"),
        (
            "POST",
            "/v1/advertisers/adv-1/campaigns/cmp-1/creatives",
            bearer(adv),
            {**creative, "assetUrl": "https://cdn.example.net/a\u0000.png"},
            "assetUrl",
        ),
        (
            "POST",
            "/v1/advertisers/adv-1/campaigns/cmp-1/creatives",
            bearer(adv),
            {**creative, "landingUrl": "https://example.org/\u0000"},
            "landingUrl",
        ),
        (
            "POST",
            "/v1/serve",
            {},
            {**serve, "slots": [{"id": "t\u0000", "width": 300, "height": 250}]},
            "slots.0.id",
        ),
        ("POST", "/v1/serve", {}, {**serve, "siteId": "site-1\u0000"}, "siteId"),
        ("POST", "/v1/serve", {}, {**serve, "url": "https://example.com/\u0000"}, "url"),
    ]
    for method, path, headers, body, field in cases:
        r = await api.http.request(method, path, json=body, headers=headers)
        _error(r, 422, field)
    r = await api.http.get("/v1/publishers/pub-1/sites", headers=bearer(pub))
    assert [(s["id"], s["name"]) for s in r.json()] == [("site-1", "")]
    r = await api.http.get("/v1/advertisers/adv-1/campaigns", headers=bearer(adv))
    assert [(c["id"], c["name"]) for c in r.json()] == [("cmp-1", "cmp-1")]
    r = await api.http.get("/v1/advertisers/adv-1/campaigns/cmp-1/creatives", headers=bearer(adv))
    assert [c["id"] for c in r.json()] == ["cr-1"]
    r = await api.http.get("/v1/advertisers/adv-1/campaigns/cmp-1/stats", headers=bearer(adv))
    assert r.json()["spendToday"] == 0
    # Ordinary unicode is fine.
    r = await api.http.post("/v1/publishers", json={"name": "Zürich 日本 😀"}, headers=ADMIN)
    assert r.status_code == 201, r.text


async def test_pacing_shapes_that_cannot_be_normalized_are_refused(api: Harness) -> None:
    """Volumes whose sum overflows or whose mean underflows are a 400, written nowhere,
    and the server still starts afterwards (they used to be stored, then crash every
    start of the server)."""
    pub, _ = await _setup(api)
    path = "/v1/publishers/pub-1/sites/site-1/pacing"
    seed = json.loads(SEED_PACING_BODY)
    assert (await api.http.put(path, json=seed, headers=bearer(pub))).status_code == 200
    for field, volumes in [
        ("weekdayShapeVolumes", [1e308] * 24),
        ("weekendShapeVolumes", [1e308, 1e308] + [0.0] * 22),
        ("weekendShapeVolumes", [5e-324] + [0.0] * 23),
    ]:
        r = await api.http.put(path, json={**seed, field: volumes}, headers=bearer(pub))
        _error(r, 400, field)
    assert (await api.http.get(path, headers=bearer(pub))).json() == seed | {
        "warmupMode": False,
        "testThrottleOverride": None,
    }
    await api.restart()
    r = await api.http.get(path, headers=bearer(pub))
    assert r.json()["weekdayShapeVolumes"] == seed["weekdayShapeVolumes"]


async def test_pacing_unknown_fields_are_refused(api: Harness) -> None:
    """A misspelt field is an error, not a silent reset of the site's pacing to defaults."""
    pub, _ = await _setup(api)
    path = "/v1/publishers/pub-1/sites/site-1/pacing"
    r = await api.http.put(path, content=SEED_PACING_BODY, headers={**bearer(pub), **JSON_TYPE})
    assert r.status_code == 200, r.text
    r = await api.http.put(path, json={"dayDurationSecond": 300}, headers=bearer(pub))
    _error(r, 422, "dayDurationSecond")
    assert (await api.http.get(path, headers=bearer(pub))).json()["dayDurationSeconds"] == 600


async def test_bodies_without_a_length_are_limited_too(api: Harness) -> None:
    """A chunked body (no Content-Length) over the limit is a 413 on every endpoint."""
    pub, _ = await _setup(api)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"domains": ['
        for i in range(5000):
            yield f'"d{i}.example.com",'.encode()
        yield b'"last.example.com"]}'

    for method, path in [
        ("PUT", "/v1/publishers/pub-1/blocklist"),
        ("POST", "/v1/publishers/pub-1/blocklist"),
        ("POST", "/v1/serve"),
    ]:
        r = await api.http.request(
            method, path, content=chunks(), headers={**bearer(pub), **JSON_TYPE}
        )
        assert "content-length" not in r.request.headers
        assert _error(r, 413)["error"] == "payload_too_large"
    r = await api.http.get("/v1/publishers/pub-1/blocklist", headers=bearer(pub))
    assert r.json()["domains"] == []


async def test_a_client_gone_mid_body_is_not_a_server_error(api: Harness) -> None:
    """The client disconnecting before its serve body arrives is its problem, not a 500."""
    await _setup(api)
    assert api.app is not None
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/serve",
        "raw_path": b"/v1/serve",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await api.app(scope, receive, send)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert starts and 400 <= starts[0]["status"] < 500, sent
