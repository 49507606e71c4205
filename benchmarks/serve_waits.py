"""What a serve waited for, read from the servers' own `/metrics` around a measurement.

`promovolve_serve_wait_seconds` (by `wait`: `network`, the budget ledger confirming the
reserves; `commit`, the durable write of the spend) times each wait inside the server, so
a benchmark can tell how much of a request's latency seen by the client is these waits and
how much is everything else (the HTTP server, the event loop, the load generator, the cores).
Quantiles come from the histogram's buckets as Prometheus estimates them: linear within
the bucket they fall in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from benchmarks.serve_bench import metrics_text

WAIT_HISTOGRAM = "promovolve_serve_wait_seconds"
OVER_MS = 5.0  # the half-rate p99 target: the share of waits longer than this is reported

# wait → the cumulative count at each bucket's upper bound, in seconds (+Inf last)
Buckets = dict[str, list[tuple[float, float]]]


@dataclass(frozen=True, slots=True)
class WaitSummary:
    count: int
    p50_ms: float
    p99_ms: float
    over_5ms_share: float  # of the waits, the share longer than OVER_MS


def parse_waits(metrics_text: str) -> Buckets:
    """The serve-wait histogram's cumulative buckets, by wait, from `/metrics` text."""
    buckets: Buckets = {}
    for family in text_string_to_metric_families(metrics_text):
        if family.name != WAIT_HISTOGRAM:
            continue
        for sample in family.samples:
            if sample.name == WAIT_HISTOGRAM + "_bucket":
                bound = float(sample.labels["le"])
                buckets.setdefault(sample.labels["wait"], []).append((bound, sample.value))
    return {wait: sorted(rows) for wait, rows in buckets.items()}


def waits_now(server_url: str) -> Buckets:
    return parse_waits(metrics_text(server_url))


def waits_between(before: Sequence[Buckets], after: Sequence[Buckets]) -> dict[str, WaitSummary]:
    """The waits observed between two readings of each server, all servers together."""
    totals: dict[str, dict[float, float]] = {}
    for first, last in zip(before, after, strict=True):
        for wait, rows in last.items():
            earlier = dict(first.get(wait, []))
            into = totals.setdefault(wait, {})
            for bound, count in rows:
                into[bound] = into.get(bound, 0.0) + count - earlier.get(bound, 0.0)
    return {wait: _summary(sorted(rows.items())) for wait, rows in sorted(totals.items())}


def quantile(rows: Sequence[tuple[float, float]], q: float) -> float:
    """The q-quantile in seconds of cumulative buckets, linear within its bucket; a
    quantile in the +Inf bucket is the highest finite bound."""
    total = rows[-1][1] if rows else 0.0
    if total <= 0:
        return 0.0
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in rows:
        if count >= rank:
            if bound == float("inf"):
                return lower
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower


def _summary(rows: Sequence[tuple[float, float]]) -> WaitSummary:
    total = rows[-1][1] if rows else 0.0
    within = dict(rows).get(OVER_MS / 1000, total)
    return WaitSummary(
        count=round(total),
        p50_ms=round(quantile(rows, 0.5) * 1000, 3),
        p99_ms=round(quantile(rows, 0.99) * 1000, 3),
        over_5ms_share=round((total - within) / total, 4) if total > 0 else 0.0,
    )
