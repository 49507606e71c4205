"""With Redis, a served ad waits twice, and `/metrics` times both: for the network's
confirmation of its reserve and for the commit of its spend (the serve benchmark reads
these to tell the serve path's own waits from the rest of a request's latency)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.api.harness import Harness
from tests.network.redisutil import one_process_settings, require_redis


def _waits(text: str) -> dict[str, tuple[float, float]]:
    """wait label -> (count, sum in seconds)."""
    counts: dict[str, float] = {}
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "promovolve_serve_wait_seconds":
            continue
        for s in family.samples:
            if s.name.endswith("_count"):
                counts[s.labels["wait"]] = s.value
            elif s.name.endswith("_sum"):
                sums[s.labels["wait"]] = s.value
    return {wait: (count, sums[wait]) for wait, count in counts.items()}


async def test_a_served_ad_times_the_network_and_the_commit(tmp_path: Path) -> None:
    client = require_redis()
    client.flushdb()  # our database only
    api = await Harness(one_process_settings(tmp_path)).start()
    try:
        pub, _ = await api.unpaced_ad(approved=False)
        for page in ("a", "b"):
            # Not approved yet: nothing selected, nothing to wait for.
            served = (await api.serve("site-1", f"https://example.com/{page}")).json()
            assert served["slots"][0]["outcome"] != "selected"
        assert all(
            count == 0 for count, _ in _waits((await api.http.get("/metrics")).text).values()
        )

        await api.approve(pub, "pub-1", "site-1", "cr-1")
        for page in ("c", "d", "e"):
            served = (await api.serve("site-1", f"https://example.com/{page}")).json()
            assert served["slots"][0]["outcome"] == "selected"
        waits = _waits((await api.http.get("/metrics")).text)
        assert waits["network"][0] == 3
        assert waits["commit"][0] == 3
        assert waits["network"][1] > 0 and waits["commit"][1] > 0  # a round trip each
    finally:
        await api.stop()
        client.flushdb()
