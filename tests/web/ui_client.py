"""Drives the dashboard like a browser would: cookies, the CSRF token, form posts."""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "page has no CSRF field"
    return found.group(1)


class UiClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token = ""

    async def get(self, path: str) -> httpx.Response:
        r = await self.http.get(path)
        if r.status_code == 200 and "text/html" in r.headers.get("content-type", ""):
            found = CSRF.search(r.text)
            if found:
                self.token = found.group(1)
        return r

    async def post(self, path: str, data: Mapping[str, str | list[str]]) -> httpx.Response:
        return await self.http.post(path, data={"csrf": self.token, **data})

    async def login(self, key: str) -> httpx.Response:
        await self.get("/ui/login")
        r = await self.post("/ui/login", {"apiKey": key})
        assert r.status_code == 303, r.text
        await self.get(r.headers["location"])
        return r
