"""Pages read by the server: classification on serve, `POST /v1/classify`, pins, targeting
by taxonomy ids, exclusions and brand safety, through the HTTP API."""

from __future__ import annotations

import threading
from typing import Any

from promovolve.api.page_reader import PageReader
from promovolve.context.classifier import Classification, default_classifier
from tests.api.harness import ADMIN, Harness, bearer

PAGE = "https://example.com/sports/derby"
SOCCER_TEXT = (
    "The striker scored twice in the second half as the home team beat their rivals in the "
    "league. The coach praised the players and the fans filled the stadium for the match."
)
FIREARMS_TEXT = (
    "The shop sells rifles, pistols, shotguns and ammunition. Every firearm buyer needs a "
    "licence; handguns are kept in a locked case and ammo is sold separately."
)


async def _world(api: Harness, **campaign: Any) -> tuple[str, str]:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    await api.campaign(adv, "adv-1", "cmp-1", **campaign)
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    return pub, adv


async def _outcome(api: Harness, url: str = PAGE, **page: Any) -> str:
    r = await api.serve("site-1", url, **page)
    assert r.status_code == 200, r.text
    await api.runtime.pages.settled()
    return str(r.json()["slots"][0]["outcome"])


async def test_a_page_sent_with_only_its_text_is_served_a_matching_ad(api: Harness) -> None:
    await _world(api, categories=["483"])  # Sports
    api.runtime.pages.wait_seconds = 10.0  # a loaded test machine: let the serve wait
    assert await _outcome(api, text=SOCCER_TEXT) == "selected"
    assert await _outcome(api, "https://example.com/other", text="Recipes for soup.") == (
        "noCandidates"
    )


async def test_a_first_serve_does_not_wait_for_a_slow_classification(api: Harness) -> None:
    await _world(api, categories=["sports"])  # matched by name
    pages = api.runtime.pages
    gate = threading.Event()
    slow = _GatedClassifier(gate)
    pages.classifier = slow  # type: ignore[assignment]
    pages.wait_seconds = 0.01
    r = await api.serve("site-1", PAGE, text=SOCCER_TEXT)
    assert r.json()["slots"][0]["outcome"] == "noCandidates"  # served on what it sent
    gate.set()
    await pages.settled()
    assert await _outcome(api, text=SOCCER_TEXT) == "selected"  # from the cache
    assert slow.calls == 1
    registry = api.runtime.metrics.registry
    reads = {
        source: registry.get_sample_value("promovolve_page_reads_total", {"source": source})
        for source in ("late", "cached", "classified")
    }
    assert reads == {"late": 1.0, "cached": 1.0, "classified": 0.0}


class _GatedClassifier:
    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate
        self.calls = 0
        self.taxonomy = default_classifier().taxonomy

    def classify(self, title: str = "", description: str = "", text: str = "") -> Classification:
        self.calls += 1
        assert self.gate.wait(10)
        return default_classifier().classify(title, description, text)


async def test_a_category_matches_its_descendants_and_names_match(api: Harness) -> None:
    _, adv = await _world(api, categories=["483"])
    assert await _outcome(api, categories=["547"]) == "selected"  # Basketball, under Sports
    assert await _outcome(api, categories=["Basketball"]) == "selected"
    assert await _outcome(api, categories=["1"]) == "noCandidates"  # Automotive
    r = await api.http.patch(
        "/v1/advertisers/adv-1/campaigns/cmp-1",
        json={"categories": ["basketball"]},
        headers=bearer(adv),
    )
    assert r.status_code == 200, r.text
    assert await _outcome(api, categories=["483"]) == "noCandidates"  # a parent is not a child
    assert await _outcome(api, categories=["547"]) == "selected"


async def test_exclusions_rule_a_campaign_out(api: Harness) -> None:
    _, adv = await _world(api, excludedCategories=["Basketball"], excludedKeywords=["crash"])
    assert await _outcome(api, categories=["soccer"]) == "selected"  # untargeted
    assert await _outcome(api, categories=["547"]) == "noCandidates"
    assert await _outcome(api, keywords=["crash"]) == "noCandidates"
    r = await api.http.get("/v1/advertisers/adv-1/campaigns/cmp-1", headers=bearer(adv))
    assert r.json()["excludedCategories"] == ["basketball"]
    assert r.json()["excludedKeywords"] == ["crash"]


async def test_sensitive_pages_take_only_campaigns_that_opted_in(api: Harness) -> None:
    _, adv = await _world(api)  # untargeted: runs anywhere but on sensitive topics
    api.runtime.pages.wait_seconds = 10.0
    assert await _outcome(api, categories=["483"]) == "selected"
    assert await _outcome(api, "https://example.com/guns", text=FIREARMS_TEXT) == "noCandidates"
    assert await _outcome(api, categories=["avbNf2"]) == "noCandidates"
    r = await api.http.patch(
        "/v1/advertisers/adv-1/campaigns/cmp-1",
        json={"categories": ["483", "Arms & Ammunition"]},
        headers=bearer(adv),
    )
    assert r.status_code == 200, r.text
    assert await _outcome(api, "https://example.com/guns", text=FIREARMS_TEXT) == "selected"
    # Opting in to one sensitive topic is not opting in to another.
    assert await _outcome(api, categories=["avbNf2", "8FD8nI"]) == "noCandidates"


async def test_classify_answers_categories_and_keywords(api: Harness) -> None:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    body = {"title": "Derby day", "text": SOCCER_TEXT}
    r = await api.http.post("/v1/classify", json=body, headers=bearer(pub))
    assert r.status_code == 200, r.text
    answer = r.json()
    first = answer["categories"][0]
    assert {k: first[k] for k in ("id", "name", "tier1")} == {
        "id": "483",
        "name": "Sports",
        "tier1": "Sports",
    }
    assert 0.5 < first["score"] <= 1.0
    scores = [c["score"] for c in answer["categories"]]
    assert scores == sorted(scores, reverse=True)
    assert "striker" in answer["keywords"]
    assert (await api.http.post("/v1/classify", json=body, headers=ADMIN)).status_code == 200
    assert (await api.http.post("/v1/classify", json=body, headers=bearer(adv))).status_code == 403
    assert (await api.http.post("/v1/classify", json=body)).status_code == 401


async def test_a_pin_wins_over_the_classifier(api: Harness) -> None:
    pub, _ = await _world(api, categories=["Automotive"])
    api.runtime.pages.wait_seconds = 10.0
    pins = "/v1/publishers/pub-1/sites/site-1/pins"
    assert await _outcome(api, text=SOCCER_TEXT) == "noCandidates"
    r = await api.http.put(pins, json={"url": PAGE, "categories": ["auto"]}, headers=bearer(pub))
    assert r.status_code == 422 and r.json()["field"] == "categories"  # not a category
    r = await api.http.put(pins, json={"url": PAGE, "categories": ["1"]}, headers=bearer(pub))
    assert r.status_code == 200, r.text
    assert r.json() == {"url": PAGE, "categories": ["1"]}
    assert await _outcome(api, text=SOCCER_TEXT) == "selected"
    other = "https://example.com/other"
    assert await _outcome(api, other, text=SOCCER_TEXT) == "noCandidates"
    # A site-wide pin covers the site's other pages; the page's own pin still wins there.
    r = await api.http.put(pins, json={"categories": ["Automotive"]}, headers=bearer(pub))
    assert r.status_code == 200, r.text
    assert await _outcome(api, other, text=SOCCER_TEXT) == "selected"
    await api.restart()  # pins are stored
    listed = (await api.http.get(pins, headers=bearer(pub))).json()
    assert listed == [{"url": None, "categories": ["1"]}, {"url": PAGE, "categories": ["1"]}]
    r = await api.http.delete(pins, headers=bearer(pub))
    assert r.status_code == 204
    r = await api.http.delete(pins, params={"url": PAGE}, headers=bearer(pub))
    assert r.status_code == 204
    assert (await api.http.get(pins, headers=bearer(pub))).json() == []
    r = await api.http.put(
        pins, json={"url": "https://elsewhere.example/a", "categories": ["1"]}, headers=bearer(pub)
    )
    assert r.status_code == 422 and r.json()["field"] == "url"


async def test_bad_context_input_is_refused_and_nothing_is_written(api: Harness) -> None:
    pub, adv = await _world(api)
    r = await api.http.post(
        "/v1/advertisers/adv-1/campaigns",
        json={"id": "cmp-2", "name": "x", "dailyBudget": 1, "cpm": 1, "categories": ["99999"]},
        headers=bearer(adv),
    )
    assert r.status_code == 422 and r.json()["field"] == "categories", r.text
    r = await api.http.patch(
        "/v1/advertisers/adv-1/campaigns/cmp-1",
        json={"excludedCategories": ["99999"]},
        headers=bearer(adv),
    )
    assert r.status_code == 422 and r.json()["field"] == "excludedCategories", r.text
    listed = await api.http.get("/v1/advertisers/adv-1/campaigns", headers=bearer(adv))
    assert [c["id"] for c in listed.json()] == ["cmp-1"]
    assert listed.json()[0]["excludedCategories"] == []
    too_long = "word " * 1601
    r = await api.serve("site-1", PAGE, text=too_long)
    assert r.status_code == 422 and r.json()["field"] == "text", r.text
    r = await api.http.post("/v1/classify", json={"text": too_long}, headers=bearer(pub))
    assert r.status_code == 422 and r.json()["field"] == "text", r.text


def test_the_page_reader_is_what_the_runtime_serves_with(api: Harness) -> None:
    assert isinstance(api.runtime.pages, PageReader)
    assert api.runtime.serving.pages is api.runtime.pages
