"""The environment every process of one test network shares."""

from __future__ import annotations

from tests.api.dbutil import PG_URL
from tests.network.redisutil import REDIS_URL, fresh_prefix


def network_env(schema: str, data_dir: str) -> dict[str, str]:
    """What every process of one test network shares: the schema, Redis, the admin key."""
    return {
        "PROMOVOLVE_DATABASE_URL": PG_URL,
        "PROMOVOLVE_DATABASE_SCHEMA": schema,
        "PROMOVOLVE_REDIS_URL": REDIS_URL,
        "PROMOVOLVE_DATA_DIR": data_dir,  # one numba cache for all
        "PROMOVOLVE_ADMIN_KEY": "admin-" + fresh_prefix(),
    }
