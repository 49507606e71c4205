"""Prometheus metrics, one registry per app (so tests can build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip
# Finer where a serve's waits fall, so their p99 can be read from the buckets.
WAIT_BUCKETS = (
    0.00025, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05,
    0.1, 0.25, 1.0,
)  # fmt: skip


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "promovolve_http_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "promovolve_http_request_duration_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.outcomes = Counter(
            "promovolve_serve_outcomes",
            "Serve decisions per slot by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.house_fills = Counter(
            "promovolve_house_fills",
            "Slots that paid demand left empty, filled with a house ad (never charged)",
            registry=self.registry,
        )
        self.spend = Counter(
            "promovolve_spend_usd",
            "Spend reserved by answered selections, in dollars",
            registry=self.registry,
        )
        self.beacons = Counter(
            "promovolve_beacons",
            "Tracking beacons by kind and result (counted, replay, rejected)",
            ["kind", "result"],
            registry=self.registry,
        )
        self.write_batch = Histogram(
            "promovolve_write_batch_rows",
            "Rows per group commit",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=self.registry,
        )
        self.serve_waits = Histogram(
            "promovolve_serve_wait_seconds",
            "Time a serve that selected an ad waited, by what for (network: the budget "
            "ledger confirming its reserves; commit: the durable write of its spend)",
            ["wait"],
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.page_reads = Counter(
            "promovolve_page_reads",
            "Served pages that sent text, by what they were matched on (pinned, cached, "
            "classified in time, late: served on what they sent, skipped: too many under way)",
            ["source"],
            registry=self.registry,
        )
        self.sites = Gauge("promovolve_sites", "Site engines loaded", registry=self.registry)
