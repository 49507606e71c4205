"""The invalid-traffic rules and the token bucket, as plain functions of time."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from promovolve.domain.traffic import (
    MIN_CLICK_SECONDS,
    MIN_VIEW_SECONDS,
    PENALTY_SECONDS,
    Bucket,
    InvalidReason,
    burst_of,
    click_reason,
    impression_reason,
    take,
)

gaps = st.lists(st.floats(min_value=0.0, max_value=0.5), min_size=1, max_size=300)


def _admitted(times: list[float], rate: float) -> list[bool]:
    bucket: Bucket | None = None
    out = []
    for t in times:
        bucket, passed = take(bucket, t, rate)
        out.append(passed)
    return out


def _times(gap_list: list[float]) -> list[float]:
    now, out = 1000.0, []
    for gap in gap_list:
        now += gap
        out.append(now)
    return out


@given(gaps, st.floats(min_value=0.5, max_value=50.0))
def test_a_source_never_gets_more_than_its_burst_and_its_rate(gap_list, rate):
    times = _times(gap_list)
    passed = sum(_admitted(times, rate))
    assert passed <= burst_of(rate) + rate * (times[-1] - times[0]) + 1e-9


@given(st.integers(min_value=1, max_value=200), st.floats(min_value=1.0, max_value=50.0))
def test_a_source_within_its_rate_is_never_refused(n, rate):
    times = [1000.0 + i / rate for i in range(n)]
    assert all(_admitted(times, rate))


def test_a_refused_source_stays_refused_until_quiet_for_the_penalty():
    rate = 10.0
    times = [100.0 + i * 0.001 for i in range(int(burst_of(rate)) + 1)]
    bucket: Bucket | None = None
    for t in times:
        bucket, passed = take(bucket, t, rate)
    assert not passed
    assert bucket is not None
    # Refilled long ago, but within the penalty: still refused, and the penalty moves on.
    later = times[-1] + PENALTY_SECONDS - 1
    bucket, passed = take(bucket, later, rate)
    assert not passed
    bucket, passed = take(bucket, later + PENALTY_SECONDS + 0.01, rate)
    assert passed


@given(st.floats(min_value=0, max_value=10))
def test_a_viewable_beacon_needs_a_second_after_its_serve(elapsed):
    expected = InvalidReason.BEFORE_VIEWABLE if elapsed < MIN_VIEW_SECONDS else None
    assert impression_reason(1000.0, 1000.0 + elapsed) is expected


def test_click_rules():
    assert click_reason(None, 5.0) is InvalidReason.CLICK_WITHOUT_IMPRESSION
    assert click_reason(5.0, 5.0 + MIN_CLICK_SECONDS / 2) is InvalidReason.CLICK_TOO_FAST
    assert click_reason(5.0, 5.0 + MIN_CLICK_SECONDS * 1.01) is None
