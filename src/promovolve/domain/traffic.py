"""Invalid traffic: the rules that mark a serve or a beacon invalid, and the token bucket
that caps a source's rate. Pure functions of the times given; no clock, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The serve outcome of a request that gets no paid ad because its traffic is invalid.
INVALID_TRAFFIC = "invalidTraffic"

# MRC: a display ad is viewable once half of it was on screen for one continuous second,
# so its viewable-impression beacon cannot come sooner after the serve.
MIN_VIEW_SECONDS = 1.0
# No person clicks an ad within 100 ms of seeing it.
MIN_CLICK_SECONDS = 0.1
# A source that went over its cap stays over it this long after its last refused request:
# a flood's beacons for the few ads it got before the cap bit are invalid too.
PENALTY_SECONDS = 60.0
# The bucket holds this many seconds of the rate: a page view's burst of calls passes.
BURST_SECONDS = 2.0


class InvalidReason(StrEnum):
    BOT = "bot"  # a known crawler's user agent
    OVER_CAP = "overCap"  # the source is over its rate cap
    BEFORE_VIEWABLE = "beforeViewable"  # a viewable beacon less than a second after its serve
    CLICK_WITHOUT_IMPRESSION = "clickWithoutImpression"
    CLICK_TOO_FAST = "clickTooFast"  # a click within 100 ms of its impression


SERVE_REASONS = (InvalidReason.BOT, InvalidReason.OVER_CAP)
REASONS = tuple(InvalidReason)


def impression_reason(served_at: float, now: float) -> InvalidReason | None:
    """Why a viewable-impression beacon at `now` of an ad served at `served_at` is invalid."""
    if now - served_at < MIN_VIEW_SECONDS:
        return InvalidReason.BEFORE_VIEWABLE
    return None


def click_reason(impression_at: float | None, now: float) -> InvalidReason | None:
    """Why a click at `now` is invalid, given when its (valid) impression was counted."""
    if impression_at is None:
        return InvalidReason.CLICK_WITHOUT_IMPRESSION
    if now - impression_at < MIN_CLICK_SECONDS:
        return InvalidReason.CLICK_TOO_FAST
    return None


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    updated: float
    blocked_until: float = 0.0


def burst_of(rate: float) -> float:
    return max(1.0, rate * BURST_SECONDS)


def take(bucket: Bucket | None, now: float, rate: float) -> tuple[Bucket, bool]:
    """Take one token for a request at `now`: the bucket after it, and whether it passed.

    A refused request (no token, or within the penalty) pushes the penalty out again, so a
    flood stays refused until it has been quiet for `PENALTY_SECONDS`.
    """
    burst = burst_of(rate)
    if bucket is None:
        bucket = Bucket(burst, now)
    elapsed = max(0.0, now - bucket.updated)
    tokens = min(burst, bucket.tokens + elapsed * rate)
    if now < bucket.blocked_until or tokens < 1.0:
        return Bucket(tokens, now, now + PENALTY_SECONDS), False
    return Bucket(tokens - 1.0, now, bucket.blocked_until), True


def blocked(bucket: Bucket | None, now: float) -> bool:
    return bucket is not None and now < bucket.blocked_until
