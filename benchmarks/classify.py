"""Page classification: `python -m benchmarks.classify`.

Reads the labeled page texts under `benchmarks/data/` (the set the lexicon was tuned on and
a held-out set written afterwards and never tuned on), classifies each page and reports
top-1 and top-3 tier-1 accuracy per set, then the time per page on this one core (p50 and
p99 over repeated passes of every page, the first pass discarded as warm-up), as CPU
time and as wall time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from promovolve.context.classifier import Classification, Classifier, default_classifier

DATA = Path(__file__).parent / "data"
SETS = {"tuning": DATA / "classify_tuning.tsv", "heldout": DATA / "classify_heldout.tsv"}


@dataclass(frozen=True)
class Page:
    tier1_id: str
    title: str
    text: str


def read_pages(path: Path) -> list[Page]:
    pages: list[Page] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        tier1_id, title, text = line.split("\t")
        pages.append(Page(tier1_id, title, text))
    return pages


def tier1_ranking(result: Classification) -> list[str]:
    """Tier-1 ids in the order the page's categories name them, each once."""
    seen: list[str] = []
    for scored in result.categories:
        if scored.tier1.id not in seen:
            seen.append(scored.tier1.id)
    return seen


def accuracy(classifier: Classifier, pages: list[Page]) -> dict[str, object]:
    top1 = top3 = 0
    misses: list[str] = []
    for page in pages:
        ranking = tier1_ranking(classifier.classify(page.title, "", page.text))
        top1 += ranking[:1] == [page.tier1_id]
        top3 += page.tier1_id in ranking[:3]
        if ranking[:1] != [page.tier1_id]:
            misses.append(f"{page.tier1_id} read as {ranking[:3]}: {page.title}")
    return {
        "pages": len(pages),
        "top1": round(top1 / len(pages), 3),
        "top3": round(top3 / len(pages), 3),
        "misses": misses,
    }


def timings(classifier: Classifier, pages: list[Page], passes: int) -> dict[str, float]:
    """p50/p99 per page of the sets, and of a page with the serve body's full 8,000 characters."""
    long_page = Page("", "", " ".join(p.text for p in pages)[:8000])
    out: dict[str, float] = {}
    for name, sample in (("", pages), ("8000Chars", [long_page] * 10)):
        wall: list[float] = []
        cpu: list[float] = []
        for n in range(passes + 1):
            for page in sample:
                start, start_cpu = time.perf_counter(), time.thread_time()
                classifier.classify(page.title, "", page.text)
                if n:  # the first pass warms the caches up
                    cpu.append(time.thread_time() - start_cpu)
                    wall.append(time.perf_counter() - start)
        # CPU time is what one core spends; wall time also counts waits for a busy machine.
        for kind, samples in (("Cpu", cpu), ("Wall", wall)):
            cuts = statistics.quantiles(samples, n=100)
            out[f"p50{kind}Ms{name}"] = round(cuts[49] * 1000, 3)
            out[f"p99{kind}Ms{name}"] = round(cuts[98] * 1000, 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=20, help="timed passes over every page")
    parser.add_argument("--misses", action="store_true", help="list the misclassified pages")
    args = parser.parse_args()
    classifier = default_classifier()
    report: dict[str, object] = {}
    all_pages: list[Page] = []
    for name, path in SETS.items():
        pages = read_pages(path)
        all_pages += pages
        result = accuracy(classifier, pages)
        if not args.misses:
            result.pop("misses")
        report[name] = result
    report["timePerPage"] = timings(classifier, all_pages, args.passes)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
