"""`benchmarks.serve_waits`: the serve-wait histogram read back from a real registry's
exposition text, its buckets subtracted between readings, quantiles estimated in buckets."""

from __future__ import annotations

import itertools
import math

from benchmarks.serve_waits import OVER_MS, parse_waits, quantile, waits_between
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import generate_latest

from promovolve.api.metrics import WAIT_BUCKETS, Metrics


def _text(network: list[float], commit: list[float]) -> str:
    metrics = Metrics()
    for wait, values in (("network", network), ("commit", commit)):
        child = metrics.serve_waits.labels(wait)
        for value in values:
            child.observe(value)
    return generate_latest(metrics.registry).decode()


def test_the_waits_between_two_readings_are_those_observed_between_them() -> None:
    before = parse_waits(_text([0.0004], [0.002]))
    after = parse_waits(_text([0.0004, 0.0008, 0.003, 0.007], [0.002, 0.02]))
    waits = waits_between([before], [after])
    assert waits["network"].count == 3
    assert waits["commit"].count == 1
    assert waits["network"].over_5ms_share == round(1 / 3, 4)
    assert waits["commit"].over_5ms_share == 1.0
    # One of the three in (0.5, 1] ms, one in (2, 3], one in (5, 7.5]: rank 1.5 of 3 is
    # half-way up the (2, 3] bucket, rank 2.97 is 97 % up the (5, 7.5] one.
    assert waits["network"].p50_ms == 2.5
    assert waits["network"].p99_ms == 7.425


def test_servers_are_added_together() -> None:
    empty = parse_waits(_text([], []))
    one = parse_waits(_text([0.001], []))
    two = parse_waits(_text([0.001, 0.02], [0.03]))
    waits = waits_between([empty, empty], [one, two])
    assert waits["network"].count == 3
    assert waits["commit"].count == 1


def test_no_waits_give_zeros() -> None:
    waits = waits_between([parse_waits(_text([], []))], [parse_waits(_text([], []))])
    assert waits["network"].count == 0
    assert waits["network"].p99_ms == 0.0
    assert waits["network"].over_5ms_share == 0.0


def _bucket_of(value: float) -> tuple[float, float]:
    bounds = (0.0, *WAIT_BUCKETS, math.inf)
    for lower, upper in itertools.pairwise(bounds):
        if value <= upper:
            return lower, upper
    raise AssertionError(value)


@given(
    st.lists(st.floats(min_value=1e-5, max_value=0.9), min_size=1, max_size=200),
    st.sampled_from([0.5, 0.9, 0.99]),
)
def test_a_quantile_lies_in_the_bucket_of_the_true_one(values: list[float], q: float) -> None:
    rows = parse_waits(_text(values, []))["network"]
    estimate = quantile(rows, q)
    true = sorted(values)[max(0, math.ceil(q * len(values)) - 1)]
    lower, upper = _bucket_of(true)
    assert lower <= estimate <= min(upper, WAIT_BUCKETS[-1])
    share = waits_between([parse_waits(_text([], []))], [parse_waits(_text(values, []))])
    over = sum(1 for v in values if v > OVER_MS / 1000) / len(values)
    assert share["network"].over_5ms_share == round(over, 4)
