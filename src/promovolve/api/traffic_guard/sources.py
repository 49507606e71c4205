"""Who sent a request, without knowing who: a salted hash of the client's address.

The salt is derived from the server's secret and the UTC day, so it rotates at midnight and
every process of the network computes the same source for the same client; the address
itself is never stored. `X-Forwarded-For` is believed only when the direct peer is a
trusted proxy (a load balancer), and then only up to the first address it did not add.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_DAY = 86400
_LABEL = b"promovolve/source-salt/v1/"


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks (`10.0.0.0/8`); a ValueError names a bad one."""
    out: list[Network] = []
    for item in items:
        text = item.strip()
        if text:
            out.append(ipaddress.ip_network(text, strict=False))
    return tuple(out)


class SourceHasher:
    def __init__(self, secret: bytes, trusted_proxies: Sequence[Network] = ()) -> None:
        self._secret = secret
        self._trusted = tuple(trusted_proxies)
        self._day = -1
        self._salt = b""

    def _trusted_address(self, address: str) -> bool:
        if not self._trusted:
            return False
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address: the peer's, or behind trusted proxies the first untrusted
        hop of `X-Forwarded-For` read from the right (the part the proxies appended)."""
        address = peer or ""
        if forwarded_for and self._trusted_address(address):
            for hop in reversed(forwarded_for.split(",")):
                address = hop.strip()
                if not self._trusted_address(address):
                    break
        return address

    def source(self, address: str, now: float) -> str:
        day = int(now // _DAY)
        if day != self._day:
            self._salt = hmac.digest(self._secret, _LABEL + str(day).encode(), "sha256")
            self._day = day
        return hashlib.blake2b(address.encode(), key=self._salt, digest_size=8).hexdigest()
