"""``python -m benchmarks.engine_serve``: the site engine's serve decision, timed in process.

No HTTP, no database: one ``SiteEngine`` per pool size with N campaigns that all match the
page (two approved creatives each, budgets that never run out, distinct bids), served one
single-slot request after another on a simulated clock (1,000 requests a second). What it
times is the decision the server makes per request (pool lookup, budgets, pacing gate,
Thompson sampling, second price, reservation), and prints microseconds of CPU time per
serve (the process's CPU time, so a busy shared machine's waits do not count) over
``--repeats`` timed runs of ``--requests`` serves each, after a warm-up. The mean, not the
median: runs alternate between cheap and dear ones (the ledger's idempotency generations and
the collector's older generations come round every few runs), and a median picks one kind.

Options: ``--pool-sizes 1,10,100``, ``--requests N``, ``--repeats R``, ``--policy NAME`` (a
lab policy: ``default``, ``fixed:0``, ...), ``--json``.

It uses only the engine's long-standing constructor and serve call, so the same file can
time an older checkout: run it by path with that checkout's interpreter.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from random import Random

from promovolve.domain.model import (
    ApprovalStatus,
    Campaign,
    Creative,
    PageContext,
    Site,
    SlotSpec,
)
from promovolve.engine.catalog import Catalog
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.engine.policies import policy_named
from promovolve.engine.site import ServeRequest, SiteEngine
from promovolve.pacing.config import PacingConfig

CREATIVES_PER_CAMPAIGN = 2
BIG_BUDGET_MICROS = 10**15  # never runs out during a run
REQUEST_GAP_SECONDS = 0.001
WARMUP_REQUESTS = 2_000
SLOT = SlotSpec("slot-1", 300, 250)
PAGE = PageContext(url="https://news.example/a", categories=frozenset({"IAB19"}))


@dataclass(frozen=True, slots=True)
class PoolTiming:
    pool_size: int
    microseconds_per_serve: float  # over all timed runs
    runs: tuple[float, ...]  # every run's microseconds per serve
    selected_share: float  # of all slots served, warm-up included


def build_engine(pool_size: int, policy: str) -> SiteEngine:
    catalog = Catalog()
    for i in range(pool_size):
        cid = f"c{i}"
        catalog.put_campaign(
            Campaign(
                id=cid,
                advertiser_id="adv-1",
                name=f"campaign {i}",
                daily_budget_micros=BIG_BUDGET_MICROS,
                cpm_micros=1_000_000 + 10_000 * i,
                categories=frozenset({"IAB19"}),
            )
        )
        for k in range(CREATIVES_PER_CAMPAIGN):
            catalog.put_creative(
                Creative(
                    id=f"{cid}-cr{k}",
                    campaign_id=cid,
                    advertiser_id="adv-1",
                    asset_url=f"https://cdn.example/{cid}-{k}.png",
                    landing_url="https://shop.example/sale",
                    width=SLOT.width,
                    height=SLOT.height,
                )
            )
    site = Site("site-1", "pub-1", "news.example", pacing=PacingConfig())
    engine = SiteEngine(site, catalog, InMemoryBudgetLedger(), policy=policy_named(policy))
    for campaign_id in catalog.campaigns:
        for creative in catalog.creatives_of(campaign_id):
            engine.set_approval(creative.id, ApprovalStatus.APPROVED)
    engine.start(0.0)
    return engine


def time_pool(pool_size: int, policy: str, requests: int, repeats: int) -> PoolTiming:
    gc.collect()  # what the pool sizes before this one left behind is not this one's cost
    engine = build_engine(pool_size, policy)
    rng = Random(7)
    total = WARMUP_REQUESTS + requests * repeats
    batch = [ServeRequest(f"r{i}", PAGE, (SLOT,)) for i in range(total)]
    serve = engine.serve
    selected = 0
    for i in range(WARMUP_REQUESTS):
        selected += serve(batch[i], i * REQUEST_GAP_SECONDS, rng).slots[0].outcome == "selected"
    runs: list[float] = []
    for r in range(repeats):
        start = WARMUP_REQUESTS + r * requests
        began = time.process_time()
        results = [
            serve(batch[i], i * REQUEST_GAP_SECONDS, rng) for i in range(start, start + requests)
        ]
        runs.append((time.process_time() - began) / requests * 1e6)
        selected += sum(result.slots[0].outcome == "selected" for result in results)
    return PoolTiming(pool_size, statistics.fmean(runs), tuple(runs), selected / total)


def parse_pool_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected e.g. 1,10,100, got {text!r}") from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("pool sizes must be at least 1")
    return sizes


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pool-sizes", type=parse_pool_sizes, default=(1, 10, 100))
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--policy", default="default")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    timings = [
        time_pool(size, args.policy, args.requests, args.repeats) for size in args.pool_sizes
    ]
    if args.json:
        print(json.dumps({"policy": args.policy, "pools": [asdict(t) for t in timings]}))
        return
    print(f"policy {args.policy}: CPU microseconds per serve (mean of {args.repeats} runs)")
    for t in timings:
        spread = f"{min(t.runs):.2f}–{max(t.runs):.2f}"
        print(
            f"  pool {t.pool_size:>5}: {t.microseconds_per_serve:7.2f} µs  "
            f"(runs {spread}; selected {t.selected_share:.0%})"
        )


if __name__ == "__main__":
    main()
