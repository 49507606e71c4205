"""Without Redis one process serves a database: a second refuses to start with one line,
and the lease is free again after the first stops or is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.server import free_port, running_server

from promovolve.network.lease import Lease, LeaseHeldError, is_free
from promovolve.store.database import create_engine
from tests.api.dbutil import PG_URL, drop_schema, new_schema, require_pg


def _start_refused(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PROMOVOLVE_")} | env
    command = [sys.executable, "-m", "promovolve.cli.main", "serve", "--port", str(free_port())]
    return subprocess.run(command, env=full, capture_output=True, text=True, timeout=120)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest, tmp_path: Path):
    env = {"PROMOVOLVE_DATA_DIR": str(tmp_path), "PROMOVOLVE_ADMIN_KEY": "admin-lease-test"}
    if request.param == "sqlite":
        yield env
        return
    require_pg()
    schema = new_schema()
    yield env | {"PROMOVOLVE_DATABASE_URL": PG_URL, "PROMOVOLVE_DATABASE_SCHEMA": schema}
    drop_schema(schema)


def test_a_second_process_refuses_until_the_first_is_gone(database_env: dict[str, str]):
    with running_server(database_env) as first:
        refused = _start_refused(database_env)
        assert refused.returncode == 2
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "PROMOVOLVE_REDIS_URL" in lines[0], refused.stderr
        assert first.process.poll() is None  # the running one is untouched
    # Stopped cleanly: the lease is free.
    with running_server(database_env) as second:
        second.process.send_signal(signal.SIGKILL)
        second.process.wait()
    # Killed: the operating system or the database dropped its lock.
    with running_server(database_env) as third:
        assert third.process.poll() is None


def test_processes_on_other_schemas_do_not_block_each_other(tmp_path: Path):
    require_pg()
    schemas = [new_schema(), new_schema()]
    try:
        envs = [
            {
                "PROMOVOLVE_DATA_DIR": str(tmp_path / s),
                "PROMOVOLVE_DATABASE_URL": PG_URL,
                "PROMOVOLVE_DATABASE_SCHEMA": s,
            }
            for s in schemas
        ]
        with running_server(envs[0]), running_server(envs[1]) as other:
            assert other.process.poll() is None
    finally:
        for schema in schemas:
            drop_schema(schema)


async def test_a_released_lease_may_be_taken_again(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'promovolve.db'}"
    db = create_engine(url)
    try:
        first, second = Lease(db, None), Lease(db, None)
        await first.acquire()
        with pytest.raises(LeaseHeldError, match="PROMOVOLVE_REDIS_URL"):
            await second.acquire()
        assert not await is_free(url, None)
        await first.release()
        assert await is_free(url, None)
        await second.acquire()
        await second.release()
    finally:
        await db.dispose()
