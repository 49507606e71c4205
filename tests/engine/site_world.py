"""The site engine tests' world: campaigns, creatives, an engine on a short day, requests."""

from __future__ import annotations

from random import Random

from promovolve.domain.ledger import BudgetLedger
from promovolve.domain.model import (
    ApprovalStatus,
    Campaign,
    CampaignStatus,
    Creative,
    CreativeStatus,
    PageContext,
    Site,
    SlotSpec,
)
from promovolve.engine.catalog import Catalog
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.engine.policies import policy_named
from promovolve.engine.site import ServeRequest, ServeResult, SiteEngine
from promovolve.pacing.config import PacingConfig

DAY = 600  # a simulated 10-minute day: times 0..599 are day 0
SHORT_DAY = PacingConfig(day_duration_seconds=DAY)
SEED_STATS_FIELDS = {
    "siteId",
    "selected",
    "pacingSkipped",
    "budgetExhausted",
    "noCandidates",
    "totalSpend",
    "elapsedHours",
    "expectedSpendFraction",
}


def campaign(
    cid: str = "c1",
    budget: int = 30_000_000,
    cpm: int = 2_500_000,
    categories: frozenset[str] = frozenset(),
    status: CampaignStatus = CampaignStatus.ACTIVE,
) -> Campaign:
    return Campaign(
        id=cid,
        advertiser_id="adv-1",
        name=f"campaign {cid}",
        daily_budget_micros=budget,
        cpm_micros=cpm,
        categories=categories,
        status=status,
    )


def creative(
    crid: str = "cr1",
    cid: str = "c1",
    landing: str = "https://shop.example.com/sale",
    width: int = 300,
    height: int = 250,
    status: CreativeStatus = CreativeStatus.ACTIVE,
) -> Creative:
    return Creative(
        id=crid,
        campaign_id=cid,
        advertiser_id="adv-1",
        asset_url=f"https://cdn.example/{crid}.png",
        landing_url=landing,
        width=width,
        height=height,
        status=status,
    )


def make_engine(
    campaigns: list[Campaign],
    creatives: list[Creative],
    approve: bool = True,
    policy: str = "fixed:0",
    pacing: PacingConfig = SHORT_DAY,
    ledger: BudgetLedger | None = None,
) -> SiteEngine:
    catalog = Catalog()
    for c in campaigns:
        catalog.put_campaign(c)
    for cr in creatives:
        catalog.put_creative(cr)
    site = Site(id="site-123", publisher_id="pub-1", domain="news.example", pacing=pacing)
    engine = SiteEngine(
        site,
        catalog,
        ledger if ledger is not None else InMemoryBudgetLedger(),
        policy=policy_named(policy),
    )
    if approve:
        for cr in creatives:
            engine.set_approval(cr.id, ApprovalStatus.APPROVED)
    return engine


def request(
    rid: str,
    slots: tuple[tuple[str, int, int], ...] = (("s1", 300, 250),),
    categories: frozenset[str] = frozenset(),
) -> ServeRequest:
    return ServeRequest(
        request_id=rid,
        page=PageContext(url="https://news.example/a", categories=categories),
        slots=tuple(SlotSpec(sid, w, h) for sid, w, h in slots),
    )


def outcomes(result: ServeResult) -> list[str]:
    return [d.outcome for d in result.slots]


def serve_many(
    engine: SiteEngine, n: int, start: float = 1.0, rng: Random | None = None
) -> list[str]:
    rng = rng if rng is not None else Random(42)
    found: list[str] = []
    for i in range(n):
        found.extend(outcomes(engine.serve(request(f"r{start}-{i}"), start + i * 0.1, rng)))
    return found


def ledger_of(engine: SiteEngine) -> InMemoryBudgetLedger:
    assert isinstance(engine.ledger, InMemoryBudgetLedger)
    return engine.ledger


# -- approval ----------------------------------------------------------------------------------
