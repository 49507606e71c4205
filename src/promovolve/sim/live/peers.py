"""Several processes of one network: the world is created through the first URL, and the
run starts once every other one knows it (a change made through one process reaches the
others within a second; without change propagation, only when they restart)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from promovolve.sim.live.api import Api, ApiError

PEERS_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.5


async def wait_for_peers(
    api: Api,
    urls: Sequence[str],
    site_path: str,
    admin_key: str,
    timeout: float = PEERS_WAIT_SECONDS,
) -> bool:
    """True once each of ``urls[1:]`` answers the site at ``site_path``; raises ApiError
    naming the first that does not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    for url in urls[1:]:
        path = f"{url.rstrip('/')}{site_path}"
        while True:
            try:
                await api.get(path, admin_key)
                break
            except ApiError as error:
                if time.monotonic() > deadline:
                    message = (
                        f"{error.message}: the world was created through {urls[0]}, "
                        f"and {url} did not know it within {timeout:.0f} s"
                    )
                    raise ApiError("GET", path, error.status, error.code, message) from None
            await asyncio.sleep(POLL_SECONDS)
    return True
