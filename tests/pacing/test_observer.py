"""TrafficObserver: EMA-smoothed request arrival rate."""

from __future__ import annotations

import itertools
import math
from random import Random

import pytest

from promovolve.pacing.observer import TrafficObserver


def poisson_stream(observer: TrafficObserver, rate: float, seconds: float, rng: Random) -> float:
    """Feed Poisson arrivals from t=0 to `seconds`; answer the last arrival time."""
    t = 0.0
    last = 0.0
    while True:
        t += rng.expovariate(rate)
        if t >= seconds:
            return last
        observer.record_request(t)
        last = t


def test_no_requests_means_no_rate():
    observer = TrafficObserver()
    assert observer.rate(100.0) == 0.0
    assert observer.smoothed_rate == 0.0
    assert observer.request_count == 0
    assert observer.last_request_time is None
    assert observer.seconds_since_last_request(5.0) == math.inf


def test_each_request_adds_one_over_tau_to_a_decaying_level():
    observer = TrafficObserver(time_constant_seconds=10.0)
    observer.record_request(0.0)
    assert observer.rate(0.0) == pytest.approx(0.1)
    observer.record_request(10.0)
    assert observer.rate(10.0) == pytest.approx(0.1 * math.exp(-1) + 0.1)
    assert observer.request_count == 2
    assert observer.last_request_time == 10.0


@pytest.mark.parametrize(("rate", "tolerance"), [(0.5, 0.2), (20.0, 0.05), (300.0, 0.03)])
def test_converges_to_a_steady_poisson_rate(rate: float, tolerance: float):
    observer = TrafficObserver(time_constant_seconds=10.0)
    rng = Random(1234)
    samples: list[float] = []
    # Sample the estimate once a second from 60 s (6 time constants) to 300 s.
    t = 0.0
    for second in range(1, 301):
        while True:
            gap = rng.expovariate(rate)
            if t + gap >= second:
                # Memorylessness: restarting the clock at the sampling instant keeps it Poisson.
                t = float(second)
                break
            t += gap
            observer.record_request(t)
        if second >= 60:
            samples.append(observer.rate(float(second)))
    mean = sum(samples) / len(samples)
    assert mean == pytest.approx(rate, rel=tolerance)


def test_rate_tracks_a_change_of_traffic():
    observer = TrafficObserver(time_constant_seconds=5.0)
    rng = Random(99)
    t = 0.0
    while t < 100.0:
        t += rng.expovariate(10.0)
        observer.record_request(t)
    before = observer.rate(100.0)
    while t < 200.0:
        t += rng.expovariate(100.0)
        observer.record_request(t)
    after = observer.rate(200.0)
    assert 6.0 < before < 14.0
    assert 80.0 < after < 120.0


def test_rate_decays_while_idle():
    observer = TrafficObserver(time_constant_seconds=10.0)
    last = poisson_stream(observer, 50.0, 120.0, Random(5))
    level = observer.rate(last)
    assert level == observer.smoothed_rate
    # exp(−dt/τ) decay from the last request.
    assert observer.rate(last + 10.0) == pytest.approx(level * math.exp(-1))
    assert observer.rate(last + 30.0) == pytest.approx(level * math.exp(-3))
    values = [observer.rate(last + dt) for dt in (0.0, 1.0, 5.0, 20.0, 100.0, 1000.0)]
    assert all(a > b for a, b in itertools.pairwise(values))
    assert values[-1] < 1e-30
    # Reading the rate does not change the state: the level at the last request is kept.
    assert observer.smoothed_rate == level
    assert observer.seconds_since_last_request(last + 7.5) == pytest.approx(7.5)


def test_idle_gap_then_new_request_starts_from_the_decayed_level():
    observer = TrafficObserver(time_constant_seconds=10.0)
    for i in range(100):
        observer.record_request(i * 0.1)
    level = observer.rate(9.9)
    observer.record_request(29.9)
    assert observer.rate(29.9) == pytest.approx(level * math.exp(-2) + 0.1)


def test_a_late_request_counts_but_does_not_move_time_back():
    observer = TrafficObserver(time_constant_seconds=10.0)
    observer.record_request(100.0)
    observer.record_request(99.0)  # stamped a second before the previous one
    assert observer.request_count == 2
    assert observer.last_request_time == 100.0
    assert observer.rate(100.0) == pytest.approx(0.2)
    assert observer.seconds_since_last_request(100.5) == pytest.approx(0.5)
    assert observer.rate(110.0) == pytest.approx(0.2 * math.exp(-1))
