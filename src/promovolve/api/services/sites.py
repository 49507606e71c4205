"""Sites and their pacing config."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from promovolve.api.services.context import ServiceContext, new_id
from promovolve.api.services.errors import (
    ConflictError,
    InvalidError,
    NotFoundError,
    UnusableConfigError,
)
from promovolve.api.state import SiteState
from promovolve.domain.model import Site
from promovolve.engine.policies import policy_named
from promovolve.engine.site import SiteEngine
from promovolve.network.changes import SITE, Change
from promovolve.pacing.config import PacingConfig

_UNUSABLE_VOLUMES = "volumes are too large or too small to form a traffic shape"


class SiteService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def _publisher(self, publisher_id: str) -> None:
        if publisher_id not in self._ctx.state.publishers:
            raise NotFoundError("publisher", "publisherId")

    def state_of(self, publisher_id: str, site_id: str) -> SiteState:
        """The site's state (archived ones too), if the publisher owns it."""
        self._publisher(publisher_id)
        state = self._ctx.state.sites.get(site_id)
        if state is None or state.site.publisher_id != publisher_id:
            raise NotFoundError("site", "siteId")
        return state

    def _live(self, publisher_id: str, site_id: str) -> SiteState:
        state = self.state_of(publisher_id, site_id)
        if state.site.archived:
            raise ConflictError("site is archived", "siteId")
        return state

    def of_publisher(self, publisher_id: str, include_archived: bool = False) -> list[Site]:
        self._publisher(publisher_id)
        sites = [
            s.site
            for s in self._ctx.state.sites.values()
            if s.site.publisher_id == publisher_id and (include_archived or not s.site.archived)
        ]
        return sorted(sites, key=lambda s: s.id)

    async def create(
        self, publisher_id: str, site_id: str | None, domain: str, name: str, bid_weight: float
    ) -> Site:
        self._publisher(publisher_id)
        ctx = self._ctx
        site = Site(site_id or new_id("site"), publisher_id, domain, name, bid_weight)
        async with ctx.lock:
            if site.id in ctx.state.sites:
                raise ConflictError("site already exists", "id")
            now = ctx.clock()
            async with ctx.writes("site") as stored:
                await stored.sites.add(site, now, now)
            ctx.state.add_site(site, now, now)
        await ctx.changed(Change(SITE, site.id))
        return site

    async def update(
        self,
        publisher_id: str,
        site_id: str,
        domain: str | None = None,
        name: str | None = None,
        bid_weight: float | None = None,
        floor_cpm: int | None = None,
        category_floors: Mapping[str, int] | None = None,
    ) -> Site:
        """Change domain, name, bid weight or floors; absent values stay as they are."""
        ctx = self._ctx
        async with ctx.lock:
            state = self._live(publisher_id, site_id)
            site = state.site
            if floor_cpm is not None:
                self._check_floor(floor_cpm, "floorCpm")
            for floor in (category_floors or {}).values():
                self._check_floor(floor, "categoryFloors")
            new = replace(
                site,
                domain=domain if domain is not None else site.domain,
                name=name if name is not None else site.name,
                bid_weight=bid_weight if bid_weight is not None else site.bid_weight,
                floor_cpm_micros=floor_cpm if floor_cpm is not None else site.floor_cpm_micros,
                category_floors=(
                    dict(category_floors) if category_floors is not None else site.category_floors
                ),
            )
            async with ctx.writes("site") as stored:
                await stored.sites.update(new)
            ctx.state.update_site(state, new, ctx.clock())
        # A new domain or a higher floor takes away what other processes would still serve.
        await ctx.changed(Change(SITE, site_id), strict=True)
        return new

    def _check_floor(self, floor: int, field: str) -> None:
        """A floor above every live campaign's bid would leave the site without paid ads."""
        bids = [
            c.cpm_micros
            for c in self._ctx.state.catalog.campaigns.values()
            if c.is_active and not c.archived
        ]
        if bids and floor > max(bids):
            raise InvalidError(f"{field} is above every campaign's bid: no ad could serve", field)

    async def archive(self, publisher_id: str, site_id: str) -> None:
        """Stop serving the site for good; it, its stats and its spend history stay."""
        ctx = self._ctx
        async with ctx.lock:
            state = self.state_of(publisher_id, site_id)
            if state.site.archived:
                return
            now = ctx.clock()
            async with ctx.writes("site") as stored:
                await stored.sites.archive(site_id, now)
            ctx.state.update_site(state, replace(state.site, archived=True), now)
        await ctx.changed(Change(SITE, site_id), strict=True)

    async def set_pacing(self, publisher_id: str, site_id: str, config: PacingConfig) -> None:
        """Replace the pacing config; a new day length restarts the site's day clock."""
        ctx = self._ctx
        async with ctx.lock:
            state = self._live(publisher_id, site_id)
            engine = state.engine
            self.check_pacing(engine.site, config)
            now = ctx.clock()
            origin = state.clock_origin
            if config.day_duration_seconds != engine.site.pacing.day_duration_seconds:
                origin = now
            async with ctx.writes("site") as stored:
                await stored.sites.set_pacing(site_id, config, origin)
            ctx.state.update_site(state, replace(engine.site, pacing=config), now)
            state.clock_origin = origin
            ctx.dirty.add(site_id)
        await ctx.changed(Change(SITE, site_id))

    def check_pacing(self, site: Site, config: PacingConfig) -> None:
        """Refuse a pacing config the site's engine could not run with.

        PacingConfig validates each value; this also catches volumes that are each fine but
        cannot be normalized into a shape (a sum that overflows, a mean that underflows), by
        trying them on a throwaway tracker and engine, before anything is written.
        """
        policy = policy_named("default")
        for name, volumes in (
            ("weekdayShapeVolumes", config.weekday_shape_volumes),
            ("weekendShapeVolumes", config.weekend_shape_volumes),
        ):
            if volumes is None:
                continue
            tracker = policy.make_tracker()
            try:
                tracker.configure(volumes, volumes)
            except (ArithmeticError, ValueError) as exc:
                raise UnusableConfigError(_UNUSABLE_VOLUMES, name) from exc
            if not all(math.isfinite(v) for v in (*tracker.weekday_shape, *tracker.weekend_shape)):
                raise UnusableConfigError(_UNUSABLE_VOLUMES, name)
        state = self._ctx.state
        try:
            SiteEngine(replace(site, pacing=config), state.catalog, state.ledger, policy, 0.0)
        except (ArithmeticError, ValueError) as exc:
            raise UnusableConfigError(f"pacing config cannot be used: {exc}") from exc
