"""Named pacing policies: the gate and the shape tracker a site engine runs with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from promovolve.engine.gates import ForecastGate, OpenGate, PacingGate, StrategyGate
from promovolve.engine.network_pace import NetworkPace
from promovolve.pacing.shape import TrafficShapeTracker
from promovolve.pacing.strategy import FixedThrottlePacing, RateAwarePacing

DEFAULT_POLICY = "default"
POLICY_NAMES = ("default", "seed", "linear", "asap", "fixed:P", "oracle")


class UnknownPolicyError(ValueError):
    pass


# A gate for one site: (the network pace every site of the process shares, the site's id).
GateFactory = Callable[[NetworkPace, str], PacingGate]


@dataclass(frozen=True, slots=True)
class PacingPolicy:
    name: str
    make_gate: GateFactory
    make_tracker: Callable[[], TrafficShapeTracker]


def _site_level(make: Callable[[], PacingGate]) -> GateFactory:
    """A gate that paces each site on its own (the seed's strategies, the baselines)."""
    return lambda network, site_id: make()


def seed_tracker() -> TrafficShapeTracker:
    return TrafficShapeTracker()


def default_tracker() -> TrafficShapeTracker:
    # The intraday EMA compares a bucket with the trailing average of earlier buckets,
    # which measures local contrast rather than share of the day, so the default learns
    # only from whole days, with a running-mean start.
    return TrafficShapeTracker(alpha=0.0, adaptive_rollover=True)


def policy_named(name: str) -> PacingPolicy:
    """Look up a policy by its lab name; `oracle` is built by the lab itself."""
    if name == "default":
        return PacingPolicy(
            name, lambda network, site_id: ForecastGate(None, network, site_id), default_tracker
        )
    if name == "seed":
        return PacingPolicy(
            name, _site_level(lambda: StrategyGate(RateAwarePacing(label="seed"))), seed_tracker
        )
    if name == "linear":
        return PacingPolicy(
            name,
            _site_level(
                lambda: StrategyGate(RateAwarePacing(label="linear"), use_traffic_shape=False)
            ),
            seed_tracker,
        )
    if name == "asap":
        return PacingPolicy(name, _site_level(OpenGate), seed_tracker)
    if name.startswith("fixed:"):
        try:
            throttle = float(name.removeprefix("fixed:"))
            strategy = FixedThrottlePacing(throttle)
        except ValueError as exc:
            raise UnknownPolicyError(
                f"strategy {name!r}: fixed:P needs P, a throttle between 0 and 1"
            ) from exc
        return PacingPolicy(name, _site_level(lambda: StrategyGate(strategy)), seed_tracker)
    raise UnknownPolicyError(f"unknown strategy {name!r}; choose one of {', '.join(POLICY_NAMES)}")
