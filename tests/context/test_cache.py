"""The bounded TTL cache: entries expire, the least recently used go first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promovolve.context.cache import TtlCache


def test_entries_expire_after_their_ttl() -> None:
    cache: TtlCache[str, int] = TtlCache(10, ttl_seconds=60)
    cache.put("a", 1, now=100)
    assert cache.get("a", now=159.9) == 1
    assert cache.get("a", now=160) is None
    assert len(cache) == 0


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: TtlCache[str, int] = TtlCache(2, ttl_seconds=60)
    cache.put("a", 1, 0)
    cache.put("b", 2, 0)
    assert cache.get("a", 1) == 1  # "b" is now the least recently used
    cache.put("c", 3, 2)
    assert cache.get("b", 3) is None
    assert (cache.get("a", 3), cache.get("c", 3)) == (1, 3)


def test_a_cache_needs_room_and_a_positive_ttl() -> None:
    with pytest.raises(ValueError):
        TtlCache(0, 1)
    with pytest.raises(ValueError):
        TtlCache(1, 0)


@given(
    st.integers(1, 8),
    st.lists(st.tuples(st.sampled_from("abcdefghij"), st.integers(0, 5)), max_size=60),
)
def test_never_more_than_its_bound_and_the_last_put_is_kept(
    bound: int, puts: list[tuple[str, int]]
) -> None:
    cache: TtlCache[str, int] = TtlCache(bound, ttl_seconds=1_000)
    for now, (key, value) in enumerate(puts):
        cache.put(key, value, now)
        assert len(cache) <= bound
        assert cache.get(key, now) == value
