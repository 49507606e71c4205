"""The real Redis the network tests use: its own database number, flushed only by us."""

from __future__ import annotations

import functools
import os
import uuid
from pathlib import Path

import pytest
import redis

from promovolve.settings import Settings
from tests.api.harness import ADMIN_KEY

REDIS_DB = 13
REDIS_URL = os.environ.get("PROMOVOLVE_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DB}")


@functools.cache
def _client() -> redis.Redis | None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        return None
    client.flushdb()
    return client


def require_redis() -> redis.Redis:
    """The test database's client; skips without Redis, except under CI where it fails."""
    client = _client()
    if client is None:
        message = f"Redis is unreachable at {REDIS_URL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return client


def fresh_prefix() -> str:
    """A key prefix no other test uses, so each ledger starts empty."""
    return f"test-{uuid.uuid4().hex}"


def one_process_settings(data_dir: Path) -> Settings:
    """A server on SQLite in `data_dir` whose network state is in the test Redis."""
    return Settings(
        data_dir=data_dir,
        admin_key=ADMIN_KEY,
        redis_url=REDIS_URL,
        allowed_hosts="testserver",
        rate_limit=0,
    )
