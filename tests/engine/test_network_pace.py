"""The in-memory network pace passes the NetworkPace contract."""

from __future__ import annotations

from promovolve.engine.network_pace import InMemoryNetworkPace, NetworkPace
from tests.engine.network_pace_contract import NetworkPaceContract


class TestInMemoryNetworkPace(NetworkPaceContract):
    def make_pace(self) -> NetworkPace:
        return InMemoryNetworkPace()
