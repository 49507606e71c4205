"""Applying change records: reload what a record names from the database into this
process's hot state (the catalog, approvals, sites, blocklists, pins, keys and accounts).

Every apply reads the object as it is committed now, so applying records in any order, late
or twice, ends at the database's state. A record of this process's own change is applied
too (its services changed the hot state already; the reload changes nothing then), which
keeps the rule simple: after applying a record, the process has everything committed
before it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from promovolve.api.keys import Principal
from promovolve.api.state import ServerState
from promovolve.domain.model import Advertiser, Publisher, Site
from promovolve.network.changes import (
    ADVERTISER,
    APPROVAL,
    BLOCKLIST,
    CAMPAIGN,
    CREATIVE,
    HOUSE_AD,
    PINS,
    PUBLISHER,
    SITE,
    Change,
)
from promovolve.store import reload
from promovolve.store.loading import load_catalog


class ChangeApplier:
    def __init__(
        self,
        state: ServerState,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], float],
    ) -> None:
        self._state = state
        self._sessions = sessions
        self._clock = clock

    async def apply(self, change: Change) -> None:
        async with self._sessions() as session:
            await self._apply(session, change)

    async def _apply(self, session: AsyncSession, change: Change) -> None:
        state, kind, object_id = self._state, change.kind, change.id
        if kind in (PUBLISHER, ADVERTISER):
            account = await (reload.publisher if kind == PUBLISHER else reload.advertiser)(
                session, object_id
            )
            if account is not None:
                self._put_account(*account)
        elif kind == SITE:
            found = await reload.site(session, object_id)
            if found is not None:
                self._put_site(*found)
                if object_id in state.sites:
                    engine = state.sites[object_id].engine
                    decided = await reload.approvals(session, object_id)
                    for creative_id, decision in decided.items():
                        engine.set_approval(creative_id, decision)
        elif kind == CAMPAIGN:
            campaign = await reload.campaign(session, object_id)
            if campaign is not None:
                state.put_campaign(campaign)
        elif kind == CREATIVE:
            creative = await reload.creative(session, object_id)
            if creative is not None:
                state.put_creative(creative)
        elif kind == APPROVAL:
            site_state = state.sites.get(change.site)
            status = await reload.approval(session, change.site, object_id)
            if site_state is not None and status is not None:
                site_state.engine.set_approval(object_id, status)
        elif kind == BLOCKLIST:
            state.set_blocklist(object_id, await reload.blocklist(session, object_id))
        elif kind == PINS:
            state.pins[object_id] = await reload.pins(session, object_id)
        elif kind == HOUSE_AD:
            ad = await reload.house_ad(session, object_id)
            if ad is not None:
                state.put_house_ad(ad)
        else:
            raise ValueError(f"unknown change kind {kind!r}")

    def _put_account(self, account: Publisher | Advertiser, key_hash: str) -> None:
        # Putting an account walks its sites or campaigns: skipped when nothing changed.
        state = self._state
        if isinstance(account, Publisher):
            if state.publishers.get(account.id) != account:
                state.put_publisher(account)
            principal = Principal("publisher", account.id)
        else:
            if state.advertisers.get(account.id) != account:
                state.put_advertiser(account)
            principal = Principal("advertiser", account.id)
        state.keyring.set(principal, key_hash, account.active)

    def _put_site(self, site: Site, origin: float) -> None:
        state, now = self._state, self._clock()
        known = state.sites.get(site.id)
        if known is None:
            state.add_site(site, origin, now)
            return
        if known.site == site and known.clock_origin == origin:
            return
        # A new day length restarts the day clock where the change was made (`origin`).
        state.update_site(known, site, now, origin)
        known.clock_origin = origin

    async def reload_all(self) -> None:
        """Everything management calls change, for a process that may have missed records
        (it lost Redis for longer than its heartbeat, or Redis lost its data)."""
        async with self._sessions() as session:
            loaded = await load_catalog(session)
        state = self._state
        for publisher, key_hash in loaded.publishers:
            self._put_account(publisher, key_hash)
        for advertiser, key_hash in loaded.advertisers:
            self._put_account(advertiser, key_hash)
        for publisher_id in {*state.publishers, *loaded.blocklists}:
            domains = frozenset(loaded.blocklists.get(publisher_id, ()))
            if state.blocklists.get(publisher_id, frozenset()) != domains:
                state.set_blocklist(publisher_id, domains)
        state.pins.clear()
        state.pins.update({site_id: dict(pins) for site_id, pins in loaded.pins.items()})
        for creative in loaded.creatives:
            if state.creatives.get(creative.id) != creative:
                state.put_creative(creative)
        for campaign in loaded.campaigns:
            if state.campaigns.get(campaign.id) != campaign:
                state.put_campaign(campaign)
        for site, origin in loaded.sites:
            self._put_site(site, origin)
            engine = state.sites[site.id].engine
            for creative_id, status in loaded.approvals.get(site.id, {}).items():
                engine.set_approval(creative_id, status)
