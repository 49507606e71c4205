"""CORS: an ad tag on the publisher's page may call the public endpoints, only those."""

from __future__ import annotations

import pytest

from tests.api.harness import ADMIN, Harness

PAGE_ORIGIN = {"Origin": "https://news.example.com"}


@pytest.mark.parametrize(("path", "method"), [("/v1/serve", "POST"), ("/v1/imp", "GET")])
async def test_a_preflight_to_a_public_endpoint_is_allowed(
    api: Harness, path: str, method: str
) -> None:
    r = await api.http.options(
        path,
        headers={
            **PAGE_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == method
    assert r.headers["access-control-allow-headers"] == "content-type"
    assert "access-control-allow-credentials" not in r.headers


async def test_serve_answers_and_errors_carry_the_cors_header(api: Harness) -> None:
    pub_key = await api.publisher("pub-1")
    await api.site(pub_key, "pub-1", "site-1", "news.example.com")
    body = {"siteId": "site-1", "url": "https://news.example.com/a", "slots": [{"id": "s"}]}
    r = await api.http.post("/v1/serve", json=body, headers=PAGE_ORIGIN)
    assert r.status_code == 422  # the slot has no size: the tag can still read why
    assert r.headers["access-control-allow-origin"] == "*"
    body["slots"] = [{"id": "s", "width": 300, "height": 250}]
    r = await api.http.post("/v1/serve", json=body, headers=PAGE_ORIGIN)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"


async def test_management_endpoints_are_not_opened_to_other_origins(api: Harness) -> None:
    r = await api.http.options(
        "/v1/publishers", headers={**PAGE_ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in r.headers
    r = await api.http.post("/v1/publishers", json={"name": "x"}, headers={**ADMIN, **PAGE_ORIGIN})
    assert r.status_code == 201
    assert "access-control-allow-origin" not in r.headers


async def test_no_cors_header_without_an_origin(api: Harness) -> None:
    r = await api.http.get("/v1/imp")
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
