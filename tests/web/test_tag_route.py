"""`GET /tag.js`: the tag's bytes, JavaScript, cacheable, revalidated by ETag, small."""

from __future__ import annotations

import gzip

from tests.api.harness import Harness

MAX_GZIPPED = 3 * 1024


async def test_the_tag_is_served_as_cacheable_javascript(api: Harness) -> None:
    r = await api.http.get("/tag.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "max-age=" in r.headers["cache-control"]
    assert "public" in r.headers["cache-control"]
    assert "/v1/serve" in r.text and "IntersectionObserver" in r.text
    again = await api.http.get("/tag.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == r.headers["etag"]


async def test_the_tag_fits_in_3_kb_gzipped(api: Harness) -> None:
    r = await api.http.get("/tag.js")
    assert len(gzip.compress(r.content, 9)) <= MAX_GZIPPED


async def test_the_tag_stores_nothing_on_the_reader(api: Harness) -> None:
    text = (await api.http.get("/tag.js")).text
    for api_name in ("document.cookie", "localStorage", "sessionStorage", "indexedDB"):
        assert api_name not in text
