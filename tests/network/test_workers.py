"""`promovolve serve --workers N`: N processes on one port, each a full peer that serves."""

from __future__ import annotations

from pathlib import Path

import httpx
from benchmarks.networld import SLOT, build
from benchmarks.server import running_server

from tests.api.dbutil import drop_schema, new_schema, require_pg
from tests.network.networld import network_env
from tests.network.redisutil import require_redis

WORKERS = 2
TRIES = 300  # serves on fresh connections; the kernel spreads them over the workers


def test_workers_share_the_port_and_all_serve(tmp_path: Path) -> None:
    require_pg()
    require_redis()
    schema = new_schema()
    env = network_env(schema, str(tmp_path)) | {"PROMOVOLVE_WORKERS": str(WORKERS)}
    try:
        with running_server(env) as server:
            network = build(server.url, env["PROMOVOLVE_ADMIN_KEY"])
            body = {
                "siteId": network.site_id,
                "url": f"https://{network.domain}/story",
                "slots": [SLOT],
                "categories": ["shared"],
            }
            # A request id starts with its process's random prefix (api/serve_path.py).
            processes: set[str] = set()
            for _ in range(TRIES):
                answer = httpx.post(server.url + "/v1/serve", json=body, timeout=10.0)
                assert answer.status_code == 200, answer.text
                assert answer.json()["slots"][0]["outcome"] == "selected"
                processes.add(answer.json()["requestId"][:16])
                if len(processes) == WORKERS:
                    break
            assert len(processes) == WORKERS
    finally:
        drop_schema(schema)
