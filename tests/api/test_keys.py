"""The key ring: exactly each enabled account's latest key resolves, to that account."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from promovolve.api.keys import KeyRing, Principal, hash_key

ACCOUNTS = [
    Principal("publisher", "p1"),
    Principal("publisher", "p2"),
    Principal("advertiser", "p1"),
]
KEYS = [f"key-{i}" for i in range(6)]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.sampled_from(range(3)), st.sampled_from(KEYS)),
        st.tuples(st.just("enable"), st.sampled_from(range(3)), st.booleans()),
    ),
    max_size=30,
)


@given(operations)
def test_only_the_latest_key_of_an_enabled_account_resolves(
    ops: list[tuple[str, int, object]],
) -> None:
    ring = KeyRing("admin-key")
    latest: dict[Principal, str] = {}
    enabled: dict[Principal, bool] = {}
    for op, index, value in ops:
        account = ACCOUNTS[index]
        if op == "set":
            assert isinstance(value, str)
            # Keys are unique per account in the database; an account keeps one at a time.
            if any(k == value and a != account for a, k in latest.items()):
                continue
            ring.set(account, hash_key(value), enabled.get(account, True))
            latest[account] = value
            enabled.setdefault(account, True)
        elif account in latest:
            assert isinstance(value, bool)
            ring.enable(account, value)
            enabled[account] = value
    for key in KEYS:
        owners = [a for a, k in latest.items() if k == key and enabled[a]]
        assert ring.resolve(key) == (owners[0] if owners else None)
    assert ring.resolve("admin-key") == Principal("admin")
