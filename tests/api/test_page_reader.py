"""The page reader: pins first, then the per-URL cache, then a bounded wait for the classifier."""

from __future__ import annotations

import threading

import pytest

from promovolve.api import page_reader
from promovolve.api.page_reader import CACHE_TTL_SECONDS, PageReader
from promovolve.context.classifier import Classification, default_classifier

URL = "https://example.com/a"
TEXT = "The striker scored and the team won the league match in front of the fans."


class CountingClassifier:
    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls = 0
        self.gate = gate
        self.taxonomy = default_classifier().taxonomy

    def classify(self, title: str = "", description: str = "", text: str = "") -> Classification:
        self.calls += 1
        if self.gate is not None:
            assert self.gate.wait(10)
        return default_classifier().classify(title, description, text)


def _reader(now: list[float], classifier: CountingClassifier, wait: float = 10.0) -> PageReader:
    reader = PageReader(lambda: now[0], {}, wait_seconds=wait)
    reader.classifier = classifier  # type: ignore[assignment]
    return reader


async def test_a_classification_is_cached_until_its_ttl() -> None:
    now = [1000.0]
    classifier = CountingClassifier()
    reader = _reader(now, classifier)
    try:
        first = await reader.page("site-1", URL, [], [], text=TEXT)
        assert "483" in first.categories and "sports" in first.categories
        assert "striker" in first.keywords
        now[0] += CACHE_TTL_SECONDS - 1
        assert await reader.page("site-1", URL, [], [], text=TEXT) == first
        assert classifier.calls == 1
        now[0] += 1
        await reader.page("site-1", URL, [], [], text=TEXT)
        assert classifier.calls == 2
    finally:
        reader.close()


async def test_a_pin_wins_and_the_page_is_not_classified() -> None:
    classifier = CountingClassifier()
    reader = _reader([0.0], classifier)
    reader.pins["site-1"] = {"": ("1",), URL: ("547",)}
    try:
        pinned = await reader.page("site-1", URL, ["extra"], [], text=TEXT)
        assert {"547", "basketball", "483", "extra"} <= pinned.categories
        other = await reader.page("site-1", "https://example.com/b", [], [], text=TEXT)
        assert "1" in other.categories and "483" not in other.categories
        assert classifier.calls == 0
    finally:
        reader.close()


async def test_past_the_in_flight_bound_pages_are_served_on_what_they_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = threading.Event()
    classifier = CountingClassifier(gate)
    reader = _reader([0.0], classifier, wait=0.001)
    monkeypatch.setattr(page_reader, "MAX_IN_FLIGHT", 2)
    try:
        for n in range(4):
            page = await reader.page("site-1", f"https://example.com/{n}", ["sent"], [], text=TEXT)
            assert page.categories == frozenset({"sent"})
        gate.set()
        await reader.settled()
        assert classifier.calls == 2
        assert len(reader.cache) == 2
    finally:
        reader.close()
