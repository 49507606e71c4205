"""Signed tracking URLs: what is signed round-trips, and any change is refused."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.api.errors import ApiError
from promovolve.api.tracking import CLICK, IMPRESSION, Beacon, TrackingSigner

text = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=20)
beacons = st.builds(
    Beacon,
    site=text,
    request=text,
    slot=text,
    creative=text,
    campaign=text,
    price=st.integers(0, 10**9),
    day=st.integers(0, 10**5),
    exp=st.integers(0, 2**40),
)
SIGNER = TrackingSigner(b"a server secret of some length")


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


@settings(max_examples=200, deadline=None)
@given(beacons)
def test_a_signed_url_verifies_back_to_its_beacon(beacon: Beacon) -> None:
    impression, click = SIGNER.urls("https://ads.example", beacon)
    assert urlsplit(impression).path == "/v1/imp" and urlsplit(click).path == "/v1/click"
    assert SIGNER.verify(IMPRESSION, query_of(impression), now=0) == beacon
    assert SIGNER.verify(CLICK, query_of(click), now=0) == beacon


@settings(max_examples=100, deadline=None)
@given(beacons, st.sampled_from(["site", "request", "slot", "creative", "campaign"]), text)
def test_changing_any_field_breaks_the_signature(beacon: Beacon, field: str, value: str) -> None:
    params = query_of(SIGNER.urls("https://ads.example", beacon)[0])
    if params[field] == value:
        return
    params[field] = value
    with pytest.raises(ApiError) as error:
        SIGNER.verify(IMPRESSION, params, now=0)
    assert error.value.status == 403


def test_an_impression_url_is_not_a_click_url() -> None:
    beacon = Beacon("s", "r", "slot", "cr", "c", 1500, 3, 10**10)
    params = query_of(SIGNER.urls("https://ads.example", beacon)[0])
    with pytest.raises(ApiError, match="signature"):
        SIGNER.verify(CLICK, params, now=0)


def test_the_two_urls_of_a_slot_carry_different_signatures() -> None:
    beacon = Beacon("s", "r", "slot", "cr", "c", 1500, 3, 10**10)
    impression, click = (query_of(url)["sig"] for url in SIGNER.urls("https://a.example", beacon))
    assert impression != click
    assert len(impression) == len(click) == 22  # 128 bits each, base64url without padding
    assert SIGNER.urls("https://a.example", beacon)[1].endswith(f"&sig={click}")


@pytest.mark.parametrize("sig", ["é" * 22, "\u2603", "x"])
def test_a_malformed_signature_is_refused_not_an_error(sig: str) -> None:
    params = query_of(
        SIGNER.urls("https://ads.example", Beacon("s", "r", "t", "cr", "c", 1, 0, 9))[0]
    )
    params["sig"] = sig
    with pytest.raises(ApiError) as error:
        SIGNER.verify(IMPRESSION, params, now=0)
    assert error.value.status == 403


def test_the_query_is_the_documented_fixed_order() -> None:
    beacon = Beacon("site-1", "r1", "top slot", "cr:1", "c1", 1500, 3, 99)
    assert beacon.query() == (
        "site=site-1&request=r1&slot=top%20slot&creative=cr%3A1&campaign=c1&price=1500&day=3&exp=99"
        "&at=0"
    )
