"""`/docs` works offline: the page and everything it loads come from this server."""

from __future__ import annotations

import re

from tests.api.harness import Harness

# Where a page names another resource: attributes, and the spec URL in the init script.
_REFERENCE = re.compile(r"""(?:src|href)="([^"]+)"|url: '([^']+)'""")


async def test_docs_reference_only_our_own_urls_and_they_answer(api: Harness) -> None:
    r = await api.http.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "http://" not in page and "https://" not in page
    assert '"validatorUrl": null' in page
    urls = [a or b for a, b in _REFERENCE.findall(page)]
    assert len(urls) == 4  # stylesheet, icon, script, spec
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = await api.http.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
    bundle = await api.http.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert bundle.headers["content-type"].startswith(("application/javascript", "text/javascript"))


async def test_no_cdn_backed_doc_pages_are_left(api: Harness) -> None:
    assert (await api.http.get("/redoc")).status_code == 404
