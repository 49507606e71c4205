"""Known bots and crawlers by user agent, from a data file (one pattern a line)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

DEFAULT_FILE = "bots.txt"


def _patterns(text: str) -> list[str]:
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


class BotMatcher:
    """One compiled alternation of every pattern: one scan of the header per request."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = patterns
        self._regex = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        self._empty = not patterns

    @classmethod
    def load(cls, path: Path | None = None) -> BotMatcher:
        """The patterns of `path`, or of the list shipped with the server."""
        if path is not None:
            text = path.read_text(encoding="utf-8")
        else:
            text = resources.files(__package__).joinpath(DEFAULT_FILE).read_text("utf-8")
        return cls(_patterns(text))

    def is_bot(self, user_agent: str | None) -> bool:
        if self._empty or not user_agent:
            return False
        return self._regex.search(user_agent) is not None
