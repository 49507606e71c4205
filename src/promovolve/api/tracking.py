"""HMAC-SHA256 signed impression and click URLs.

One HMAC of the canonical query signs both URLs of a served slot: the impression URL
carries the first half of the 32-byte tag and the click URL the second (128 bits each, a
standard truncation). Either half tells nothing of the other, so an impression URL cannot
be turned into a click URL, and a serve computes one HMAC instead of two.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from promovolve.api.errors import ApiError

IMPRESSION = "imp"
CLICK = "click"
_FIELDS = ("site", "request", "slot", "creative", "campaign", "price", "day", "exp", "at")
_KEY_LABEL = b"promovolve/tracking/v3"
_HALF = hashlib.sha256().digest_size // 2
_SAFE = re.compile(r"[A-Za-z0-9._~-]*")


def _q(value: str) -> str:
    return value if _SAFE.fullmatch(value) else quote(value, safe="")


# Site, creative and campaign ids repeat in every URL of a busy site.
_q_id = functools.lru_cache(maxsize=4096)(_q)


@dataclass(frozen=True, slots=True)
class Beacon:
    site: str
    request: str
    slot: str
    creative: str
    campaign: str
    price: int  # micros paid for the impression
    day: int  # the site's day index when served
    exp: int  # epoch seconds after which the URL is refused
    # Epoch milliseconds of the serve: a viewable beacon sooner than a second after it is
    # invalid (signed, so a client cannot move it).
    at: int = 0

    def query(self) -> str:
        """The url-encoded query in a fixed order (`_FIELDS`): what the signature covers."""
        return (
            f"site={_q_id(self.site)}&request={_q(self.request)}&slot={_q(self.slot)}"
            f"&creative={_q_id(self.creative)}&campaign={_q_id(self.campaign)}"
            f"&price={self.price}&day={self.day}&exp={self.exp}&at={self.at}"
        )


class TrackingSigner:
    """Signs the canonical (url-encoded, fixed-order) query together with the beacon kind."""

    def __init__(self, server_secret: bytes) -> None:
        self._key = hmac.new(server_secret, _KEY_LABEL, hashlib.sha256).digest()

    def _signatures(self, query: str) -> tuple[str, str]:
        """The impression and the click signature of a canonical query."""
        mac = hmac.digest(self._key, query.encode(), "sha256")
        return _b64(mac[:_HALF]), _b64(mac[_HALF:])

    def _signature(self, kind: str, query: str) -> str:
        impression, click = self._signatures(query)
        return impression if kind == IMPRESSION else click

    def urls(self, base: str, beacon: Beacon) -> tuple[str, str]:
        """The impression and click URLs of one served slot."""
        query = beacon.query()
        impression, click = self._signatures(query)
        return (
            f"{base}/v1/{IMPRESSION}?{query}&sig={impression}",
            f"{base}/v1/{CLICK}?{query}&sig={click}",
        )

    def verify(self, kind: str, params: Mapping[str, str], now: float) -> Beacon:
        """The beacon a signed query describes; 403 if anything is missing or altered."""
        missing = [f for f in (*_FIELDS, "sig") if not params.get(f)]
        if missing:
            raise ApiError(403, "bad_signature", "tracking URL is missing parameters", missing[0])
        try:
            beacon = Beacon(
                site=params["site"],
                request=params["request"],
                slot=params["slot"],
                creative=params["creative"],
                campaign=params["campaign"],
                price=int(params["price"]),
                day=int(params["day"]),
                exp=int(params["exp"]),
                at=int(params["at"]),
            )
        except ValueError as exc:
            raise ApiError(403, "bad_signature", "tracking URL is malformed") from exc
        expected = self._signature(kind, beacon.query())
        if not hmac.compare_digest(expected.encode(), params["sig"].encode()):
            raise ApiError(403, "bad_signature", "tracking URL signature does not match", "sig")
        if now > beacon.exp:
            raise ApiError(403, "expired", "tracking URL has expired", "exp")
        return beacon


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
