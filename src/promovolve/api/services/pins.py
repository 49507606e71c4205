"""Publisher pins: the categories of one page of a site, or of the whole site.

A pin wins over the classifier: a pinned page is matched on its pin (plus what its caller
sent) and is not classified.
"""

from __future__ import annotations

from promovolve.api.services.context import ServiceContext
from promovolve.api.services.errors import InvalidError
from promovolve.api.services.sites import SiteService
from promovolve.context import taxonomy
from promovolve.domain.model import host_of
from promovolve.network.changes import PINS, Change

SITE_WIDE = ""


class PinService:
    def __init__(self, context: ServiceContext, sites: SiteService) -> None:
        self._ctx = context
        self._sites = sites

    def of_site(self, publisher_id: str, site_id: str) -> dict[str, tuple[str, ...]]:
        self._sites.state_of(publisher_id, site_id)
        return dict(self._ctx.state.pins.get(site_id, {}))

    async def put(
        self, publisher_id: str, site_id: str, url: str | None, categories: list[str]
    ) -> tuple[str, ...]:
        """Pin the page at `url` (None: the whole site) to these categories (ids or names)."""
        key = self._key(publisher_id, site_id, url)
        known = taxonomy.load()
        ids: list[str] = []
        for term in categories:
            category = known.find(term)
            if category is None:
                raise InvalidError(f"{term!r} is no category of the Content Taxonomy", "categories")
            if category.id not in ids:
                ids.append(category.id)
        ctx = self._ctx
        async with ctx.lock:
            async with ctx.writes("pin") as stored:
                await stored.pins.put(site_id, key, frozenset(ids))
            ctx.state.pins.setdefault(site_id, {})[key] = tuple(sorted(ids))
        await ctx.changed(Change(PINS, site_id))
        return tuple(sorted(ids))

    async def remove(self, publisher_id: str, site_id: str, url: str | None) -> None:
        key = self._key(publisher_id, site_id, url)
        ctx = self._ctx
        async with ctx.lock:
            async with ctx.writes("pin") as stored:
                await stored.pins.remove(site_id, key)
            ctx.state.pins.get(site_id, {}).pop(key, None)
        await ctx.changed(Change(PINS, site_id))

    def _key(self, publisher_id: str, site_id: str, url: str | None) -> str:
        domain = self._sites.state_of(publisher_id, site_id).site.domain
        if url is None:
            return SITE_WIDE
        host = host_of(url)
        if host != domain and not host.endswith("." + domain):
            raise InvalidError("the page is not on the site's domain", "url")
        return url
