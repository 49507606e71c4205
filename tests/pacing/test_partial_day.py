"""A site's first day observed from part-way through (a site created, or a process
started, mid-day): the hours before its counts began are unseen, not empty."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.engine.policies import policy_named
from promovolve.engine.site_clock import pacing_controller
from promovolve.pacing.day_counts import denoised, filled_in, observed_weights
from promovolve.pacing.shape import TrafficShapeTracker

HOUR = 3600.0
DAY = 86_400
make_tracker = policy_named("default").make_tracker


def uniform_counts(tracker: TrafficShapeTracker, first_hour: int, per_hour: int) -> int:
    """Poisson-like flat traffic from `first_hour` on; answers the requests recorded."""
    rng = random.Random(7)
    total = 0
    for bucket in range(first_hour, 24):
        n = per_hour + rng.randint(-per_hour // 10, per_hour // 10)
        for _ in range(n):
            tracker.record_request(bucket)
        total += n
    return total


def test_a_first_day_seen_from_three_pm_learns_no_empty_morning() -> None:
    seen, unseen = make_tracker(), make_tracker()
    seen.observe_from(15 * HOUR)
    for tracker in (seen, unseen):
        uniform_counts(tracker, 15, 400)
    share = seen.rollover_day()
    unseen.rollover_day()
    # Flat traffic learnt flat: the unseen morning keeps the observed hours' level.
    assert min(seen.weekday_shape) > 0.9
    assert abs(share - 9 / 24) < 0.02
    # Without knowing where the counts began, the morning is learnt as a dead hour.
    assert max(unseen.weekday_shape[:15]) < 0.1


def test_a_configured_shape_is_refined_not_relearnt_by_a_partial_day() -> None:
    configured = [1.0 + (2.0 if 9 <= h < 17 else 0.0) for h in range(24)]
    tracker = make_tracker()
    tracker.configure(configured)
    before = list(tracker.weekday_shape)
    tracker.observe_from(15 * HOUR)
    for bucket in range(15, 24):
        for _ in range(int(200 * configured[bucket])):
            tracker.record_request(bucket)
    tracker.rollover_day()
    assert tracker.weekday_days == 5  # refined: four configured days and this one
    assert all(abs(a - b) < 0.05 for a, b in zip(tracker.weekday_shape, before, strict=True))


def test_a_site_started_mid_day_forecasts_its_next_day_from_a_whole_days_total() -> None:
    controller = pacing_controller(make_tracker(), DAY)
    controller.begin_day(18 * HOUR, observed_from_now=True)
    assert controller.expected_fraction(18 * HOUR) == 0.0
    assert abs(controller.expected_fraction(21 * HOUR) - 0.5) < 1e-9
    requests = 0
    for n in range(600):  # flat from 18:00 to midnight
        controller.observe_request(18 * HOUR + n * 36.0)
        requests += 1
    controller.begin_day(DAY + 1.0)
    assert controller.history[-1].requests == requests
    assert abs(controller.past_day_requests(False)[0] - 4 * requests) <= 0.02 * 4 * requests
    # It survives a restart.
    copy = pacing_controller(make_tracker(), DAY)
    copy.restore(controller.snapshot())
    assert copy.past_day_requests(False) == controller.past_day_requests(False)


def test_a_day_begun_by_its_first_request_counts_as_a_whole_day() -> None:
    controller = pacing_controller(make_tracker(), DAY)
    controller.observe_request(18 * HOUR)
    assert controller.tracker.observed_from == 0.0
    assert controller.expected_fraction(12 * HOUR) == 0.5


def test_the_observed_start_survives_a_restart() -> None:
    tracker = make_tracker()
    tracker.observe_from(15.5 * HOUR)
    copy = make_tracker()
    copy.restore(tracker.snapshot())
    assert copy.observed_from == 15.5 * HOUR


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 500), min_size=24, max_size=24),
    st.lists(st.floats(0.05, 5.0), min_size=24, max_size=24),
    st.floats(0.0, 24 * HOUR),
)
def test_filled_in_keeps_the_observed_counts_and_a_whole_day_is_as_before(
    counts: list[int], shape: list[float], observed_from: float
) -> None:
    weights = observed_weights(observed_from, 24)
    filled = filled_in(counts, weights, shape)
    assert all(v >= 0.0 for v in filled)
    for bucket, w in enumerate(weights):
        if w >= 1.0:
            assert filled[bucket] == counts[bucket]
    whole = filled_in(counts, observed_weights(0.0, 24), shape)
    assert whole == [float(c) for c in counts]
    tracker = make_tracker()
    tracker.today_count = list(counts)
    if sum(counts):  # a first whole day is learnt exactly as its denoised counts
        tracker.rollover_day()
        assert tracker.weekday_shape == denoised(counts)


def test_a_new_sites_counts_begin_at_its_first_request() -> None:
    """Created at 01:00, its tag live at 03:00 (the first request), even on a later day."""
    controller = pacing_controller(make_tracker(), DAY)
    controller.begin_day(1 * HOUR, observed_from_now=True)
    assert controller.tracker.observed_from == 1 * HOUR
    controller.observe_request(3 * HOUR)
    assert controller.tracker.observed_from == 3 * HOUR
    controller.observe_request(4 * HOUR)
    assert controller.tracker.observed_from == 3 * HOUR
    later = pacing_controller(make_tracker(), DAY)
    later.begin_day(23 * HOUR, observed_from_now=True)
    later.observe_request(DAY + 10 * HOUR)  # no request until 10:00 the next day
    assert later.day_index == 1
    assert later.tracker.observed_from == 10 * HOUR


def test_a_process_restored_before_the_first_request_still_waits_for_it() -> None:
    """Another process loads the site from a snapshot taken before any request: its counts
    too begin at its first request, not at the snapshot's day start."""
    first = pacing_controller(make_tracker(), DAY)
    first.begin_day(0.0, observed_from_now=True)
    loaded = pacing_controller(make_tracker(), DAY)
    loaded.restore(first.snapshot())
    loaded.observe_request(2 * HOUR)
    assert loaded.tracker.observed_from == 2 * HOUR
