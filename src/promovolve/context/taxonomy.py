"""The IAB Tech Lab Content Taxonomy 3.0, loaded from the package's data."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources

TAXONOMY_FILE = "content-taxonomy-3.0.tsv"
SENSITIVE_TOPICS_ID = "v9i3On"


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name: str
    parent_id: str | None
    # The ids from the tier-1 ancestor down to this category, itself included.
    path: tuple[str, ...]

    @property
    def tier1_id(self) -> str:
        return self.path[0]

    @property
    def tier(self) -> int:
        return len(self.path)


class Taxonomy:
    """Categories by id (matched without regard to case) and by name."""

    def __init__(self, rows: Iterable[tuple[str, str | None, str]]) -> None:
        parents: dict[str, str | None] = {}
        names: dict[str, str] = {}
        for cid, parent, name in rows:
            parents[cid] = parent or None
            names[cid] = name
        self._by_key: dict[str, Category] = {}
        for cid in parents:
            path = [cid]
            while (up := parents[path[-1]]) is not None:
                path.append(up)
            category = Category(cid, names[cid], parents[cid], tuple(reversed(path)))
            self._by_key[cid.lower()] = category
        self._by_name = {c.name.lower(): c for c in self._by_key.values()}

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, category_id: str) -> Category | None:
        return self._by_key.get(category_id.lower())

    def __getitem__(self, category_id: str) -> Category:
        category = self.get(category_id)
        if category is None:
            raise KeyError(category_id)
        return category

    def by_name(self, name: str) -> Category | None:
        return self._by_name.get(name.strip().lower())

    def find(self, term: str) -> Category | None:
        """The category a campaign's or a page's term names: its id, else its name."""
        return self.get(term) or self.by_name(term)

    def tier1(self, category: Category) -> Category:
        return self[category.tier1_id]

    def is_sensitive(self, category: Category) -> bool:
        return category.tier1_id == SENSITIVE_TOPICS_ID


def parse(text: str) -> list[tuple[str, str | None, str]]:
    """Rows `(id, parent id, name)` of the published TSV (two header lines)."""
    rows: list[tuple[str, str | None, str]] = []
    for line in text.splitlines()[2:]:
        cells = line.split("\t")
        if len(cells) < 3 or not cells[0].strip():
            continue
        rows.append((cells[0].strip(), cells[1].strip() or None, cells[2].strip()))
    return rows


@functools.cache
def load() -> Taxonomy:
    """The shipped taxonomy (read once per process)."""
    text = resources.files("promovolve.context").joinpath("data", TAXONOMY_FILE).read_text("utf-8")
    return Taxonomy(parse(text))
