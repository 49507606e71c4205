"""A publisher's say over what runs: the blocklist of landing domains, and approvals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from promovolve.api.services.context import ServiceContext
from promovolve.api.services.errors import ConflictError, InvalidError, NotFoundError
from promovolve.api.services.sites import SiteService
from promovolve.domain.model import ApprovalStatus, Campaign, Creative
from promovolve.network.changes import APPROVAL, BLOCKLIST, Change
from promovolve.store import Repositories


@dataclass(frozen=True, slots=True)
class Approval:
    creative: Creative
    campaign: Campaign | None
    status: ApprovalStatus


class ModerationService:
    def __init__(self, context: ServiceContext, sites: SiteService) -> None:
        self._ctx = context
        self._sites = sites

    def _publisher(self, publisher_id: str) -> None:
        if publisher_id not in self._ctx.state.publishers:
            raise NotFoundError("publisher", "publisherId")

    def blocklist(self, publisher_id: str) -> frozenset[str]:
        self._publisher(publisher_id)
        return self._ctx.state.blocklists.get(publisher_id, frozenset())

    def _within_cap(self, size: int) -> None:
        cap = self._ctx.blocklist_max
        if size > cap:
            raise InvalidError(
                f"a blocklist holds at most {cap} domains (this would make it {size})", "domains"
            )

    async def replace_blocklist(self, publisher_id: str, domains: list[str]) -> frozenset[str]:
        async def write(stored: Repositories) -> None:
            await stored.blocklists.replace(publisher_id, domains)

        return await self._change(publisher_id, lambda _: frozenset(domains), write, grows=True)

    async def block(self, publisher_id: str, domains: list[str]) -> frozenset[str]:
        async def write(stored: Repositories) -> None:
            await stored.blocklists.add(publisher_id, domains)

        added = frozenset(domains)
        return await self._change(publisher_id, lambda old: old | added, write, grows=True)

    async def unblock(self, publisher_id: str, domains: list[str]) -> frozenset[str]:
        async def write(stored: Repositories) -> None:
            await stored.blocklists.remove(publisher_id, domains)

        gone = frozenset(domains)
        return await self._change(publisher_id, lambda old: old - gone, write, grows=False)

    async def _change(
        self,
        publisher_id: str,
        after: Callable[[frozenset[str]], frozenset[str]],
        write: Callable[[Repositories], Awaitable[None]],
        grows: bool,
    ) -> frozenset[str]:
        """One blocklist write: `after` the list as it becomes, `write` the stored change. A
        write that may add domains is capped and strict (in force everywhere on answering)."""
        self._publisher(publisher_id)
        ctx = self._ctx
        async with ctx.lock:
            new = after(ctx.state.blocklists.get(publisher_id, frozenset()))
            if grows:
                self._within_cap(len(new))
            async with ctx.writes("blocklist entry") as stored:
                await write(stored)
            ctx.state.set_blocklist(publisher_id, new)
        await ctx.changed(Change(BLOCKLIST, publisher_id), strict=grows)
        return self.blocklist(publisher_id)

    def _approval(self, creative: Creative, status: ApprovalStatus) -> Approval:
        return Approval(creative, self._ctx.state.campaigns.get(creative.campaign_id), status)

    def approvals(
        self, publisher_id: str, site_id: str, status: ApprovalStatus | None = None
    ) -> list[Approval]:
        """The site's creatives by approval status; archived creatives are left out."""
        engine = self._sites.state_of(publisher_id, site_id).engine
        creatives = self._ctx.state.creatives
        found = []
        for creative_id, s in sorted(engine.approvals.items()):
            creative = creatives.get(creative_id)
            if creative is not None and not creative.archived and status in (None, s):
                found.append(self._approval(creative, s))
        return found

    async def decide(
        self, publisher_id: str, site_id: str, creative_id: str, status: ApprovalStatus
    ) -> Approval:
        """Approve, reject or send back to pending; any existing creative may be decided."""
        self._publisher(publisher_id)
        ctx = self._ctx
        creative = ctx.state.creatives.get(creative_id)
        if creative is None:
            raise NotFoundError("creative", "creativeId")
        if creative.archived:
            raise ConflictError("creative is archived", "creativeId")
        async with ctx.lock:
            engine = self._sites.state_of(publisher_id, site_id).engine
            async with ctx.writes("approval") as stored:
                await stored.approvals.decide(site_id, creative_id, status, ctx.clock())
            engine.set_approval(creative_id, status)
        # A reject or revoke is the publisher's guarantee: in force everywhere on answer.
        strict = status is not ApprovalStatus.APPROVED
        await ctx.changed(Change(APPROVAL, creative_id, site_id), strict=strict)
        return self._approval(creative, status)
