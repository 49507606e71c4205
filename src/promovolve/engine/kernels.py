"""Compiled loops of the serve decision (numba): one call per step of a request.

In the server every numpy call costs a few microseconds, so deciding a pool of a hundred
campaigns with array operations (about thirty per request) cost more than everything else
a serve does, and drawing creative by creative in Python cost about a microsecond each.
Each function here is one call that walks the pool once.

They work in place on the engine's flat tables (`array.array` buffers or numpy arrays) and
draw random numbers from a SplitMix64 state the caller owns, so a seeded engine makes the
same decisions on every run. Compiled code is cached next to this module (`cache=True`), or
where `warm_up` is told; the first use after an install compiles it (about a second each).

The engine calls them through `entry_of`: the compiled code for its one set of argument
types, without numba's dispatcher, which types every argument on every call (at one
campaign, four calls' typing cost more than the whole decision in Python had).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeAlias, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt
from numba.core.dispatcher import Dispatcher

from promovolve.engine.candidates import (
    BoolArray,
    FloatArray,
    FloatTable,
    IndexArray,
    IntArray,
    IntTable,
)

RandomState = npt.NDArray[np.uint64]
CountTable: TypeAlias = "array[int]"  # array("b")
Kernel = TypeVar("Kernel", bound=Callable[..., object])
Params = ParamSpec("Params")
Result = TypeVar("Result")

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_TWO_TO_MINUS_53 = 1.0 / 9007199254740992.0
_LOG4 = math.log(4.0)
_ONE_PLUS_LOG5 = 1.0 + math.log(5.0)


def _compiled(function: Kernel) -> Dispatcher[Kernel]:
    """Compiled without numba's reference-counting runtime (`_nrt`, not in numba's typed
    options): these functions allocate nothing, and without it each array argument is
    unboxed as a pointer, not into a heap-allocated wrapper (ten array arguments: a quarter
    of a microsecond per call instead of a microsecond, measured)."""
    return numba.njit(function, cache=True, _nrt=False)  # type: ignore[call-overload, no-any-return]


def new_random_state(seed: int) -> RandomState:
    """A SplitMix64 state for the functions below, from a 64-bit seed."""
    return np.array([seed & 0xFFFF_FFFF_FFFF_FFFF], dtype=np.uint64)


@_compiled
def uniform(state: RandomState) -> float:
    """A double in [0, 1): the top 53 bits of SplitMix64's next output."""
    z = state[0] + _GOLDEN
    state[0] = z
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    z = z ^ (z >> np.uint64(31))
    return float((z >> np.uint64(11)) * _TWO_TO_MINUS_53)


@_compiled
def beta(a: float, b: float, state: RandomState) -> float:
    """One exact draw from Beta(a, b), for a, b ≥ 1.

    Beta(1, b) and Beta(a, 1) by their closed-form inverse CDF (one uniform, no rejection),
    the rest by R. C. H. Cheng's rejection algorithm BB (1978), which needs one exp and one
    log per try and accepts most tries.
    """
    if a == 1.0:
        return float(1.0 - uniform(state) ** (1.0 / b))
    if b == 1.0:
        return float(uniform(state) ** (1.0 / a))
    small, large = (a, b) if a <= b else (b, a)
    alpha = small + large
    spread = math.sqrt((alpha - 2.0) / (2.0 * small * large - alpha))
    gamma = small + 1.0 / spread
    while True:
        u1 = uniform(state)
        if u1 <= 0.0:
            continue
        u2 = uniform(state)
        v = spread * math.log(u1 / (1.0 - u1))
        w = small * math.exp(v) if v < 700.0 else math.inf
        z = u1 * u1 * u2
        r = gamma * v - _LOG4
        s = small + r - w
        if s + _ONE_PLUS_LOG5 >= 5.0 * z:
            break
        t = math.log(z) if z > 0.0 else -math.inf
        if s >= t:
            break
        if r + alpha * math.log(alpha / (large + w)) >= t:
            break
    if math.isinf(w):
        return 1.0 if small == a else 0.0
    return w / (large + w) if small == a else large / (large + w)


@_compiled
def thompson_pick(
    impressions: IntTable,
    clicks: IntTable,
    rows: IndexArray,
    multipliers: FloatArray,
    owners: IndexArray,
    admitted: BoolArray,
    state: RandomState,
) -> tuple[int, float, float]:
    """The creative with the highest sampled CTR × multiplier (its index, −1 if none), its
    sampled CTR and the runner-up's score: the best score of another candidate (a campaign
    does not bid against itself), −1 when there is none.

    Creative i has statistics row `rows[i]` and belongs to candidate `owners[i]`; only the
    candidates with `admitted[owner]` compete. CTR ~ Beta(clicks + 1, impressions − clicks + 1).
    """
    best = -1.0
    best_ctr = 0.0
    best_owner = -1
    runner_up = -1.0
    winner = -1
    for i in range(len(rows)):
        owner = owners[i]
        if not admitted[owner]:
            continue
        row = rows[i]
        shown = impressions[row]
        clicked = min(clicks[row], shown)
        ctr = beta(clicked + 1.0, shown - clicked + 1.0, state)
        score = ctr * multipliers[i]
        if score > best:
            if owner != best_owner:
                # The old best was the highest so far of any candidate but this one.
                runner_up = best
            best = score
            best_ctr = ctr
            best_owner = owner
            winner = i
        elif owner != best_owner and score > runner_up:
            runner_up = score
    return winner, best_ctr, runner_up


@_compiled
def gather_spent(
    rows: IndexArray, days: IntTable, spent: IntTable, day: int, out: IntTable
) -> None:
    """`out[i]` = the spend of ledger row `rows[i]` on `day` (0 unless it is the row's day)."""
    for i in range(len(rows)):
        row = rows[i]
        out[i] = spent[row] if days[row] == day else 0


@_compiled
def fund(
    budgets: IntArray,
    spent: IntTable,
    bids: IntArray,
    paid_rows: IndexArray,
    averages: FloatTable,
    remaining: IntArray,
    funded: BoolArray,
    expected: IntArray,
) -> tuple[int, int]:
    """Fills each candidate's `remaining` budget today, whether it still pays for one
    impression at its bid (`funded`) and the price it is `expected` to pay (pacing divides
    budgets by it): its average paid price (row `paid_rows[i]` of `averages`, rounded, at
    least one micro), its bid before any win. Returns how many are funded and what they
    have left together."""
    count = 0
    total = 0
    for i in range(len(budgets)):
        left = budgets[i] - spent[i]
        remaining[i] = left
        funded[i] = left >= bids[i]
        if funded[i]:
            count += 1
            total += left
        average = averages[paid_rows[i]]
        expected[i] = max(1, round(average)) if average > 0.0 else bids[i]
    return count, total


@_compiled
def forecast_admit(
    remaining: IntArray,
    prices: IntArray,
    funded: BoolArray,
    pace_rows: IndexArray,
    seen: CountTable,
    eligible: IntTable,
    pass_rate: FloatTable,
    credit_of: IntTable,
    credit: FloatTable,
    credit_since: FloatTable,
    day_start: float,
    entry_of: IntTable,
    expected: FloatTable,
    ring: IntTable,
    requests: int,
    remaining_requests: float,
    max_credit: float,
    admitted: BoolArray,
) -> tuple[int, int]:
    """The default gate for every funded candidate of a pool (the only implementation).

    Each candidate counts one eligible request on this site, publishes its forecast of
    eligible requests still to come here (`remaining_requests` × its share of this site's
    requests today) and earns `impressions its budget buys / eligible requests still to
    come on all its sites` of its credit (row `credit_of[row]` of `credit`, shared by every
    site); it passes while that holds a whole credit. Fills `admitted`; returns (candidates
    asked, candidates admitted).
    """
    asked = 0
    passed = 0
    for i in range(len(pace_rows)):
        admitted[i] = False
        if not funded[i]:
            continue
        asked += 1
        row = pace_rows[i]
        if seen[row] == 0:
            # First seen today (or mid-day: after a restart, or created or resumed since):
            # eligible for all of today's traffic so far, or its share would look tiny.
            seen[row] = 1
            eligible[row] = max(0, requests - 1)
            pass_rate[row] = 0.0
        slot = credit_of[row]
        if credit_since[slot] < day_start:
            # Its first eligible request today on any site: yesterday's credit is not
            # today's. (Only a later day resets it, so sites whose days start at other
            # times reset it once at each of their starts, never back and forth.)
            credit_since[slot] = day_start
            credit[slot] = 0.0
        count = eligible[row] + 1
        eligible[row] = count
        share = count / requests if requests > 0 else 1.0
        entry = entry_of[row]
        expected[entry] = remaining_requests * share
        to_come = expected[entry]
        other = ring[entry]
        while other != entry:
            to_come += expected[other]
            other = ring[other]
        left = remaining[i] / prices[i]
        rate = 1.0 if to_come <= left else left / to_come
        pass_rate[row] = rate
        total = credit[slot] + rate
        total = total if total < max_credit else max_credit
        credit[slot] = total
        if total >= 1.0:
            admitted[i] = True
            passed += 1
    return asked, passed


@_compiled
def publish_expected(
    seen: CountTable,
    eligible: IntTable,
    prior_share: FloatTable,
    entry_of: IntTable,
    expected: FloatTable,
    requests: int,
    remaining_requests: float,
) -> None:
    """A site's forecast of every campaign's eligible requests still to come, without a
    request: today's share once the campaign was eligible today, yesterday's before."""
    for row in range(len(entry_of)):
        entry = entry_of[row]
        if entry < 0:
            continue
        share = eligible[row] / requests if seen[row] and requests > 0 else prior_share[row]
        expected[entry] = remaining_requests * share


COMPILED = (thompson_pick, gather_spent, fund, forecast_admit, publish_expected)


def _samples(name: str) -> tuple[object, ...]:
    """Arguments of the types the engine passes the kernel `name` (its one signature)."""
    state = new_random_state(0)
    counts, money = array("q", [0]), np.zeros(1, dtype=np.int64)
    flags, rows = np.ones(1, dtype=bool), np.zeros(1, dtype=np.intp)
    reals, flag_table = array("d", [0.0]), array("b", [0])
    forecast = (
        money, money, flags, rows, flag_table, counts, reals, counts, reals, reals, 0.0,
        counts, reals, counts, 1, 1.0, 2.0, flags,
    )  # fmt: skip
    samples: dict[str, tuple[object, ...]] = {
        "thompson_pick": (counts, counts, rows, np.ones(1), rows, flags, state),
        "gather_spent": (rows, counts, counts, 0, counts),
        "fund": (money, counts, money, rows, reals, money, flags, money),
        "forecast_admit": forecast,
        "publish_expected": (flag_table, counts, reals, counts, reals, 1, 1.0),
    }
    return samples[name]


def signature_of(kernel: Dispatcher[Callable[..., object]]) -> tuple[numba.types.Type, ...]:
    """The numba types of the arguments the engine passes `kernel`."""
    samples = _samples(kernel.py_func.__name__)
    return tuple(numba.typeof(value) for value in samples)  # type: ignore[no-untyped-call]


_entries: dict[str, Callable[..., object]] = {}


def entry_of(kernel: Dispatcher[Callable[Params, Result]]) -> Callable[Params, Result]:
    """`kernel`'s compiled code for the argument types the engine passes, called without
    the dispatcher (which types every argument on every call: at one campaign that cost more
    than the loops). Compiled, or loaded from the cache, on the first call.

    The types are not checked per call: a caller passes exactly the types of
    `signature_of` (the engine's flat tables and arrays; a test checks every call site).
    """
    name = kernel.py_func.__name__
    entry = _entries.get(name)
    if entry is None:
        entry = _entries[name] = kernel.compile(signature_of(kernel))
    return cast(Callable[Params, Result], entry)


def warm_up(cache_dir: Path | None = None) -> None:
    """Compile every function above (or load it from the cache) for the argument types the
    engine passes, so that no request waits for the compiler.

    With `cache_dir` (the server passes one under its data dir) the compiled code is cached
    there instead of next to this module, so a read-only install compiles once, not at
    every start; NUMBA_CACHE_DIR, when set, takes precedence.
    """
    if cache_dir is not None and not numba.config.CACHE_DIR:  # type: ignore[attr-defined]
        # NUMBA_CACHE_DIR, when set (a container image compiles at build time), wins.
        cache_dir.mkdir(parents=True, exist_ok=True)
        numba.config.CACHE_DIR = str(cache_dir)  # type: ignore[attr-defined]
        for dispatcher in COMPILED:
            dispatcher.enable_caching()
    for kernel in COMPILED:
        entry_of(kernel)
