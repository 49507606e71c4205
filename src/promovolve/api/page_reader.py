"""What a served page is about: the caller's terms, publisher pins and the classifier.

Classification runs on a worker thread and is cached per URL. A serve waits for it at most
`wait_seconds`; past that the page is served on what its caller sent, and the result lands
in the cache for the page's next serve.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from promovolve.api.metrics import Metrics
from promovolve.context.cache import TtlCache
from promovolve.context.classifier import Classification, Classifier, default_classifier
from promovolve.context.matching import page_terms
from promovolve.domain.model import PageContext

logger = logging.getLogger("promovolve.api.page_reader")

CACHE_ENTRIES = 100_000
CACHE_TTL_SECONDS = 6 * 3600.0
WAIT_SECONDS = 0.003
MAX_IN_FLIGHT = 256
SOURCES = ("cached", "classified", "late", "skipped")


class PageReader:
    def __init__(
        self,
        clock: Callable[[], float],
        pins: dict[str, dict[str, tuple[str, ...]]],
        metrics: Metrics | None = None,
        classifier: Classifier | None = None,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self.clock = clock
        self.classifier = classifier or default_classifier()
        self.taxonomy = self.classifier.taxonomy
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="classify")
        self.wait_seconds = wait_seconds
        self.cache: TtlCache[str, Classification] = TtlCache(CACHE_ENTRIES, CACHE_TTL_SECONDS)
        self._in_flight: dict[str, asyncio.Future[Classification]] = {}
        counter = (metrics or Metrics()).page_reads
        self._reads = {s: counter.labels(s) for s in ("pinned", *SOURCES)}
        # Publisher pins (the server state's): site -> page URL ("" for the site) -> ids.
        self.pins = pins

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)

    def pinned(self, site_id: str, url: str) -> tuple[str, ...] | None:
        """The page's pin, else its site's, else None."""
        of_site = self.pins.get(site_id)
        if not of_site:
            return None
        return of_site.get(url) or of_site.get("")

    async def settled(self) -> None:
        """Wait until every classification under way has landed in the cache."""
        while self._in_flight:
            await asyncio.wait(list(self._in_flight.values()))

    async def classify(self, title: str, description: str, text: str) -> Classification:
        """Classify now (off the event loop), uncached: what `POST /v1/classify` answers."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, self.classifier.classify, title, description, text
        )

    async def page(
        self,
        site_id: str,
        url: str,
        categories: list[str],
        keywords: list[str],
        title: str = "",
        description: str = "",
        text: str = "",
    ) -> PageContext:
        terms = list(categories)
        words = list(keywords)
        pin = self.pinned(site_id, url)
        if pin is not None:
            terms.extend(pin)
            self._reads["pinned"].inc()
        elif title or description or text:
            found, source = await self._classification(url, title, description, text)
            self._reads[source].inc()
            if found is not None:
                terms.extend(c.category.id for c in found.categories)
                words.extend(found.keywords)
        matched, sensitive = page_terms(self.taxonomy, tuple(terms))
        return PageContext(url, matched, frozenset(words), sensitive)

    async def _classification(
        self, url: str, title: str, description: str, text: str
    ) -> tuple[Classification | None, str]:
        """The page's classification (None: not in time), and where it came from."""
        cached = self.cache.get(url, self.clock())
        if cached is not None:
            return cached, "cached"
        future = self._in_flight.get(url)
        if future is None:
            if len(self._in_flight) >= MAX_IN_FLIGHT:
                return None, "skipped"  # a flood of new pages: serve them on what they sent
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(
                self.executor, self.classifier.classify, title, description, text
            )
            self._in_flight[url] = future
            future.add_done_callback(lambda done: self._landed(url, done))
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.wait_seconds), "classified"
        except Exception:  # not done in time, or failed (logged when it lands)
            return None, "late"

    def _landed(self, url: str, future: asyncio.Future[Classification]) -> None:
        self._in_flight.pop(url, None)
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            logger.error("could not classify %s: %s", url, error)
            return
        self.cache.put(url, future.result(), self.clock())
