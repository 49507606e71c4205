"""Coordinates a site's pacing state across requests and day boundaries."""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from promovolve.pacing.clock import SECONDS_PER_BUCKET, DayClock
from promovolve.pacing.config import BUCKETS_PER_DAY
from promovolve.pacing.observer import TrafficObserver
from promovolve.pacing.shape import TrafficShapeTracker

logger = logging.getLogger(__name__)

SNAPSHOTS_KEPT = 14
# A first day observed for less than this share of its traffic still counts as this much,
# so a site started just before midnight does not extrapolate a day from a few requests.
MIN_OBSERVED_SHARE_OF_DAY = 0.05


@dataclass(frozen=True, slots=True)
class DaySummary:
    """What one finished day looked like, with the shape learned at its rollover."""

    day_index: int
    is_weekend: bool
    requests: int
    shape: tuple[float, ...]
    # Share of the day's traffic in the part of it observed (a site started mid-day: less).
    observed_share: float = 1.0

    @property
    def total(self) -> int:
        """The day's requests, the unobserved part included."""
        if self.observed_share >= 1.0:
            return self.requests
        return round(self.requests / max(self.observed_share, MIN_OBSERVED_SHARE_OF_DAY))


@dataclass(frozen=True, slots=True)
class EndedDay:
    """The day that ended last, as it was just before its rollover: its final hourly counts
    and the tracker's learned state without it (what the network's learning of that day,
    network/shapes.py, needs once this process has rolled it over on its own)."""

    day_index: int
    is_weekend: bool
    counts: tuple[int, ...]
    learned_before: dict[str, object]
    observed_from: float  # where its counts began (0: the whole day)


class PacingController:
    """Tracks the day start, detects day boundaries, rolls the traffic shape over.

    The owner calls `observe_request` for every request (warmup included) and resets
    its strategy when it returns True.
    """

    def __init__(
        self,
        clock: DayClock,
        tracker: TrafficShapeTracker,
        observer: TrafficObserver,
    ) -> None:
        self.clock = clock
        self.tracker = tracker
        self.observer = observer
        self.day_index: int | None = None
        self.day_start: float | None = None
        self._day_end = -math.inf
        # Day-clock seconds per real second (the clock never changes), and in hourly buckets.
        self._time_scale = clock.time_scale
        self._buckets_per_second = self._time_scale / SECONDS_PER_BUCKET
        self.requests_today = 0
        # Seconds between the latest request and the one before it (inf for the first).
        self.gap_before_request = math.inf
        self.history: deque[DaySummary] = deque(maxlen=SNAPSHOTS_KEPT)
        self.ended: EndedDay | None = None
        # (day, counts) a snapshot brought in: another process counted (and shared) them.
        self.restored_counts: tuple[int, tuple[int, ...]] | None = None
        # Started without a day (`begin_day(observed_from_now=True)`): the first request
        # marks where the site's counts begin.
        self._counts_begin_at_a_request = False

    def has_new_day_started(self, now: float) -> bool:
        return self.day_index is not None and self.clock.day_index(now) > self.day_index

    def begin_day(self, now: float, observed_from_now: bool = False) -> bool:
        """Enter the day containing `now`; True when that is a new day (the first one too).

        `observed_from_now`: the site's counts begin at `now` (a site or process started
        mid-day), or later at its first request (a new site's tag goes live after it is
        created): the hours before are unseen rather than empty. Days never go back: a late
        request stamped in an earlier day stays in the current one.
        """
        first = self.day_index is None
        index = self.clock.day_index(now)
        if self.day_index is not None and index <= self.day_index:
            return False
        if self.day_index is not None:
            logger.debug("Day rollover detected, resetting pacing for new day")
            tracker = self.tracker
            self.ended = EndedDay(
                self.day_index,
                tracker.is_weekend,
                tuple(tracker.today_count),
                tracker.snapshot(),
                tracker.observed_from,
            )
            observed_share = tracker.rollover_day()
            self.history.append(
                DaySummary(
                    day_index=self.day_index,
                    is_weekend=self.tracker.is_weekend,
                    requests=self.requests_today,
                    shape=tuple(self.tracker.shape),
                    observed_share=observed_share,
                )
            )
        self.day_index = index
        self.day_start = self.clock.day_start(now)
        self._day_end = self.clock.day_start(now) + self.clock.day_duration_seconds
        self.requests_today = 0
        self.tracker.set_day_type(self.clock.is_weekend(now))
        if first and observed_from_now:
            self.tracker.observe_from(self.clock.scaled_elapsed_seconds(now))
            self._counts_begin_at_a_request = True
        return True

    def observe_request(self, now: float) -> bool:
        """Record one request; True when it began a new day."""
        start = self.day_start
        if start is not None and start <= now < self._day_end:
            new_day = False
        else:
            new_day = self.begin_day(now)
            start = self.day_start if self.day_start is not None else now
        self.gap_before_request = self.observer.seconds_since_last_request(now)
        if self._counts_begin_at_a_request:
            self._counts_begin_at_a_request = False
            self.tracker.observe_from(max(0.0, now - start) * self._time_scale)
        bucket = int(max(0.0, now - start) * self._buckets_per_second)
        self.tracker.record_request(bucket if bucket < BUCKETS_PER_DAY else BUCKETS_PER_DAY - 1)
        self.observer.record_request(now)
        self.requests_today += 1
        return new_day

    def expected_fraction(self, now: float) -> float:
        """Share of today's observed traffic the learned shape expects before `now` (of the
        whole day's, unless the day's counts began after its start)."""
        start = self.day_start
        if start is None or now >= self._day_end:
            return self.tracker.observed_part_before(self.clock.scaled_elapsed_seconds(now))
        # A late request from an earlier day counts as the start of the current one.
        return self.tracker.observed_part_before(max(0.0, now - start) * self._time_scale)

    def past_day_requests(self, is_weekend: bool) -> list[int]:
        """Past days' totals of one type (a partly observed day's as a whole day)."""
        return [d.total for d in self.history if d.is_weekend == is_weekend]

    def snapshot(self) -> dict[str, object]:
        return {
            "dayIndex": self.day_index,
            "dayStart": self.day_start,
            "requestsToday": self.requests_today,
            "countsBeginAtARequest": self._counts_begin_at_a_request,
            "tracker": self.tracker.snapshot(),
            "history": [
                {
                    "dayIndex": d.day_index,
                    "isWeekend": d.is_weekend,
                    "requests": d.requests,
                    "shape": list(d.shape),
                    "observedShare": d.observed_share,
                }
                for d in self.history
            ],
        }

    def restore(self, data: Mapping[str, object]) -> None:
        tracker = data.get("tracker")
        if isinstance(tracker, Mapping):
            self.tracker.restore(tracker)
        index, start = data.get("dayIndex"), data.get("dayStart")
        self.day_index = index if isinstance(index, int) else None
        self.day_start = float(start) if isinstance(start, int | float) else None
        self._day_end = (
            -math.inf
            if self.day_start is None
            else self.day_start + self.clock.day_duration_seconds
        )
        if self.day_index is not None:
            self.restored_counts = (self.day_index, tuple(self.tracker.today_count))
        requests = data.get("requestsToday", 0)
        self.requests_today = requests if isinstance(requests, int) else 0
        self._counts_begin_at_a_request = data.get("countsBeginAtARequest") is True
        self.history.clear()
        history = data.get("history", [])
        if isinstance(history, list):
            for item in history:
                if isinstance(item, Mapping):
                    self.history.append(
                        DaySummary(
                            day_index=int(item["dayIndex"]),
                            is_weekend=bool(item["isWeekend"]),
                            requests=int(item["requests"]),
                            shape=tuple(float(v) for v in item["shape"]),
                            observed_share=float(item.get("observedShare", 1.0)),
                        )
                    )
