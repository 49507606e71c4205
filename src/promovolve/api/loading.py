"""State loading at start: the registries, the catalog and the ledger from SQL, and each
site engine from its snapshot plus today's durable reservations and events."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson

from promovolve.api.keys import Principal
from promovolve.api.state import ServerState, SiteState
from promovolve.domain.model import Outcome
from promovolve.engine.site import CampaignDay
from promovolve.store.loading import LoadedState

logger = logging.getLogger("promovolve.api.loading")

SELECTED = Outcome.SELECTED.value


def load_into(server: ServerState, state: LoadedState, now: float) -> None:
    keyring = server.keyring
    for publisher, key_hash in state.publishers:
        server.publishers[publisher.id] = publisher
        keyring.set(Principal("publisher", publisher.id), key_hash, publisher.active)
    for advertiser, key_hash in state.advertisers:
        server.advertisers[advertiser.id] = advertiser
        keyring.set(Principal("advertiser", advertiser.id), key_hash, advertiser.active)
    for publisher_id, domains in state.blocklists.items():
        server.blocklists[publisher_id] = frozenset(domains)
    for site_id, pins in state.pins.items():
        server.pins[site_id] = dict(pins)
    for ad in state.house_ads:  # before their sites, which serve them
        server.house_ads[ad.id] = ad
    for creative in state.creatives:  # before their campaigns, which publish them
        server.put_creative(creative)
    for campaign in state.campaigns:
        server.put_campaign(campaign)
    server.ledger.open([c.id for c in state.campaigns])  # before loading: it keeps what is there
    for campaign_id, d in state.ledger_days.items():
        server.ledger.load(campaign_id, d.day, d.spent, d.recent, d.before)
        server.lifetime_spend.load(campaign_id, d.day, d.before, d.spent)
    server.campaign_last_site.update(state.last_site)
    for site, origin in state.sites:
        site_state = server.add_site(site, origin, now, started=False)
        for creative_id, status in state.approvals.get(site.id, {}).items():
            site_state.engine.set_approval(creative_id, status)
        restore_engine(site_state, state, now)


def restore_engine(site_state: SiteState, state: LoadedState, now: float) -> None:
    engine, origin = site_state.engine, site_state.clock_origin
    site_id = engine.site.id
    raw = state.snapshots.get(site_id)
    snapshot: Mapping[str, Any] = {}
    if raw:
        try:
            loaded = orjson.loads(raw)
            snapshot = loaded if isinstance(loaded, dict) else {}
        except orjson.JSONDecodeError:
            logger.warning("ignoring unreadable snapshot of site %s", site_id)
    engine_snapshot = snapshot.get("engine")
    if isinstance(engine_snapshot, dict):
        try:
            engine.restore({**engine_snapshot, "origin": origin})
        except (KeyError, TypeError, ValueError):
            logger.warning("ignoring snapshot of site %s that does not fit", site_id)
    engine.start(now)
    controller = engine.controller
    day = controller.day_index if controller.day_index is not None else 0
    # Today's delivery on this site, from the durable reservations.
    today = state.site_days.get(site_id, {}).get(day, {})
    engine.campaign_days = {
        cid: CampaignDay(impressions_served=n, spend=spend) for cid, (n, spend) in today.items()
    }
    outcomes_today = snapshot.get("todayOutcomes")
    if snapshot.get("todayDay") == day and isinstance(outcomes_today, dict):
        for name, value in outcomes_today.items():
            if name in engine.today.outcomes and isinstance(value, int):
                engine.today.outcomes[name] = value
    engine.today.outcomes[SELECTED] = sum(n for n, _ in today.values())
    engine.lifetime.outcomes[SELECTED] = state.site_selected.get(site_id, 0)
    # Thompson statistics and click/impression counters, from the events.
    counts = state.creative_events.get(site_id, {})
    engine.creative_stats.load({cid: (c.impressions, c.clicks) for cid, c in counts.items()})
    engine.lifetime.impressions = sum(c.impressions for c in counts.values())
    engine.lifetime.clicks = sum(c.clicks for c in counts.values())
    imps, clicks = state.event_days.get(site_id, {}).get(day, (0, 0))
    engine.today.impressions, engine.today.clicks = imps, clicks
