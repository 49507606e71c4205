"""The commit-latency probe measures real commits and leaves no table behind."""

from __future__ import annotations

from benchmarks.commit_floor import commit_latency_ms

from tests.api.dbutil import PG_URL, pg_fetch, require_pg


def test_commits_are_timed_and_their_table_dropped() -> None:
    require_pg()
    p50, p99 = commit_latency_ms(PG_URL, commits=50)
    assert 0 < p50 <= p99
    left = pg_fetch(
        "public", "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'commit_floor_%'"
    )
    assert left == [(0,)]
