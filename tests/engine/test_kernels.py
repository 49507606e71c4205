"""The compiled serve-path loops: exact Beta draws, funding and the default pacing gate."""

from __future__ import annotations

import os
import pathlib
import statistics
import subprocess
import sys
from array import array
from random import Random
from typing import Any

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.engine import kernels
from promovolve.engine.gates import ForecastGate
from promovolve.engine.network_pace import InMemoryNetworkPace
from promovolve.pacing.forecast import ForecastPacing
from tests.engine.reference_pacing import ReferenceNetwork, ReferencePacing
from tests.engine.site_world import campaign, creative, make_engine, request


def ks_distance(xs: list[float], ys: list[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic."""
    xs, ys = sorted(xs), sorted(ys)
    i = j = 0
    distance = 0.0
    while i < len(xs) and j < len(ys):
        if xs[i] <= ys[j]:
            i += 1
        else:
            j += 1
        distance = max(distance, abs(i / len(xs) - j / len(ys)))
    return distance


def test_uniforms_are_uniform_and_follow_from_the_seed() -> None:
    draws = [kernels.uniform(kernels.new_random_state(7)) for _ in range(3)]
    assert draws[0] == draws[1] == draws[2]  # the same seed, the same first draw
    state = kernels.new_random_state(7)
    many = [kernels.uniform(state) for _ in range(20_000)]
    assert many[0] == draws[0]
    assert all(0.0 <= u < 1.0 for u in many)
    assert len(set(many)) == len(many)
    reference = Random(1)
    assert ks_distance(many, [reference.random() for _ in range(20_000)]) < 1.63 * (1e-4) ** 0.5


@pytest.mark.parametrize(
    ("a", "b"), [(1, 1), (1, 500), (40, 1), (51, 951), (3, 200), (200, 3), (2.0, 2.0), (1.5, 7.0)]
)
def test_beta_matches_betavariate_and_the_moments(a: float, b: float) -> None:
    state = kernels.new_random_state(42)
    n = 20_000
    ours = [kernels.beta(a, b, state) for _ in range(n)]
    rng = Random(42)
    reference = [rng.betavariate(a, b) for _ in range(n)]
    # 1.63 * sqrt(2/n) is the 1% critical value of the two-sample KS test.
    assert ks_distance(ours, reference) < 1.63 * (2 / n) ** 0.5
    mean = a / (a + b)
    variance = a * b / ((a + b) ** 2 * (a + b + 1))
    assert statistics.fmean(ours) == pytest.approx(mean, abs=4 * (variance / n) ** 0.5)
    assert statistics.pvariance(ours) == pytest.approx(variance, rel=0.05)


@settings(max_examples=200, deadline=None)
@given(
    a=st.floats(min_value=1.0, max_value=1e6),
    b=st.floats(min_value=1.0, max_value=1e6),
    seed=st.integers(0, 2**64 - 1),
)
def test_beta_is_always_a_probability(a: float, b: float, seed: int) -> None:
    assert 0.0 <= kernels.beta(a, b, kernels.new_random_state(seed)) <= 1.0


@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**9),
            st.integers(0, 10**9),
            st.integers(1, 10**6),
            st.one_of(st.just(0.0), st.floats(0.01, 1e7)),  # average paid, 0: none yet
        ),
        max_size=20,
    )
)
def test_fund_leaves_the_remaining_budget_who_pays_for_one_more_impression_and_the_price(
    rows: list[tuple[int, int, int, float]],
) -> None:
    budgets = np.array([b for b, _, _, _ in rows], dtype=np.int64)
    spent = array("q", [s for _, s, _, _ in rows])  # what the ledger gives
    prices = np.array([p for _, _, p, _ in rows], dtype=np.int64)
    # The paid-price table holds the averages in reverse order of the candidates.
    averages = array("d", [a for _, _, _, a in reversed(rows)])
    paid_rows = np.arange(len(rows) - 1, -1, -1, dtype=np.intp)
    remaining = np.empty(len(rows), dtype=np.int64)
    funded = np.empty(len(rows), dtype=bool)
    expected = np.empty(len(rows), dtype=np.int64)
    count, total = kernels.fund(
        budgets, spent, prices, paid_rows, averages, remaining, funded, expected
    )
    assert remaining.tolist() == [b - s for b, s, _, _ in rows]
    assert funded.tolist() == [b - s >= p for b, s, p, _ in rows]
    assert count == sum(funded.tolist())
    assert total == sum(b - s for b, s, p, _ in rows if b - s >= p)
    assert expected.tolist() == [max(1, round(a)) if a > 0 else p for _, _, p, a in rows]


requests_of_a_day = st.lists(
    st.tuples(
        st.sampled_from(["s1", "s2"]),  # the site the request arrives at
        st.lists(st.integers(0, 10**6), min_size=6, max_size=6),  # remaining budgets
        st.floats(0.0, 1e6),  # that site's forecast of the requests still to come
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=100, deadline=None)
@given(requests_of_a_day, st.lists(st.integers(1, 10**5), min_size=6, max_size=6))
def test_forecast_admit_decides_exactly_as_its_plain_python_reference(
    requests: list[tuple[str, list[int], float]], prices: list[int]
) -> None:
    # Two sites share one network pace; as in the engine, only funded campaigns (remaining
    # budget ≥ price) reach the gate.
    ids = [f"c{i}" for i in range(6)]
    network, reference_network = InMemoryNetworkPace(), ReferenceNetwork()
    gates = {s: ForecastGate(ForecastPacing(), network, s) for s in ("s1", "s2")}
    references = {s: ReferencePacing(s, reference_network) for s in ("s1", "s2")}
    counts = dict.fromkeys(gates, 0)
    for site, remaining, remaining_requests in requests:
        counts[site] += 1
        n = counts[site]
        gate, reference = gates[site], references[site]
        funded = [r >= p for r, p in zip(remaining, prices, strict=True)]
        expected = [
            f and reference.admit(c, r, p, n, remaining_requests)
            for c, f, r, p in zip(ids, funded, remaining, prices, strict=True)
        ]
        admitted = np.empty(6, dtype=bool)
        paces = gate.pacing.paces
        asked, passed = kernels.forecast_admit(
            np.array(remaining, dtype=np.int64),
            np.array(prices, dtype=np.int64),
            np.array(funded),
            np.array([gate.row(c) for c in ids], dtype=np.intp),
            paces.seen,
            paces.eligible,
            paces.pass_rate,
            gate.credit_of,
            network.credit,
            network.credit_since,
            0.0,
            gate.entry_of,
            network.expected,
            network.ring,
            n,
            remaining_requests,
            gate.pacing.max_credit,
            admitted,
        )
        assert admitted.tolist() == expected
        assert (asked, passed) == (sum(funded), sum(expected))
        for c in ids:
            pace = paces.today(c)
            assert (pace is None) == (c not in reference.eligible)
            if pace is not None:
                assert pace.pass_rate == reference.pass_rate.get(c, 0.0)
            if c in reference_network.credit:
                credit = network.credit[gate.credit_of[gate.row(c)]]
                assert credit == reference_network.credit[c]
            assert network.total(c) == pytest.approx(reference_network.total(c), rel=1e-12)


def test_every_call_site_passes_the_types_the_entry_points_were_compiled_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The entry points do not check their arguments' types (a wrong dtype would be read as
    # another): serve through engines with every gate and pool size, and tick them, with
    # every argument's type checked against the kernel's signature.
    calls: dict[str, int] = {}
    entry_of = kernels.entry_of

    def checked(kernel: Any) -> Any:
        entry, signature = entry_of(kernel), kernels.signature_of(kernel)
        name = kernel.py_func.__name__

        def call(*args: object) -> object:
            types = tuple(numba.typeof(a) for a in args)  # type: ignore[no-untyped-call]
            assert types == signature, name
            calls[name] = calls.get(name, 0) + 1
            return entry(*args)

        return call

    monkeypatch.setattr(kernels, "entry_of", checked)
    campaigns = [campaign(f"c{i}") for i in range(40)]
    creatives = [creative(f"cr{i}", f"c{i}") for i in range(40)]
    for policy in ("default", "fixed:0"):
        for pool in (campaigns, campaigns[:2], campaigns[:1]):
            engine = make_engine(pool, creatives[: len(pool)], policy=policy)
            results = [engine.serve(request(f"r{i}"), 1.0 + i, Random(i)) for i in range(5)]
            assert any(d.outcome == "selected" for r in results for d in r.slots)
            engine.tick(7.0)
    assert set(calls) == {f.py_func.__name__ for f in kernels.COMPILED}


def cached_functions(cache_dir: str | None, env_cache: str | None) -> set[str]:
    """Warm up in a fresh process, as a server starts (nothing compiled in memory yet);
    the names of the functions cached in `env_cache` or else `cache_dir`."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    if env_cache is not None:
        env["NUMBA_CACHE_DIR"] = env_cache
    code = "import sys, pathlib; from promovolve.engine import kernels; "
    code += "kernels.warm_up(pathlib.Path(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, str(cache_dir)], check=True, env=env)
    where = pathlib.Path(env_cache if env_cache is not None else str(cache_dir))
    return {p.name.split(".")[1].split("-")[0] for p in where.rglob("*.nbi")}


COMPILED_NAMES = {"thompson_pick", "gather_spent", "fund", "forecast_admit", "publish_expected"}


def test_warm_up_caches_the_compiled_code_where_it_is_told(tmp_path) -> None:
    assert cached_functions(str(tmp_path / "numba"), None) >= COMPILED_NAMES


def test_numba_cache_dir_wins_over_the_servers_choice(tmp_path) -> None:
    image = tmp_path / "image-cache"
    assert cached_functions(str(tmp_path / "data"), str(image)) >= COMPILED_NAMES
    assert not (tmp_path / "data").exists()
