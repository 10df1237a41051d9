"""Name patterns used by the catalogs: `*` matches any text, everything else is literal."""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    parts = (re.escape(part) for part in pattern.split("*"))
    return re.compile(".*".join(parts) + r"\Z", re.DOTALL)


class PatternSet:
    """A set of patterns; exact names are looked up in a dict, globs are tried in order
    (as one regex of alternatives, so a miss costs one match in C, not one per glob)."""

    __slots__ = ("exact", "globs", "_any")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.exact: dict[str, str] = {}
        self.globs: list[tuple[str, re.Pattern[str]]] = []
        for pattern in patterns:
            if "*" in pattern:
                self.globs.append((pattern, compile_pattern(pattern)))
            else:
                self.exact.setdefault(pattern, pattern)
        # One group per glob: the leftmost alternative that matches the whole text wins,
        # which is the first matching glob in order (each ends in \Z).
        self._any = re.compile("|".join(f"({regex.pattern})" for _p, regex in self.globs),
                               re.DOTALL) if self.globs else None

    def match(self, text: str) -> str | None:
        """The first pattern matching `text`, or None."""
        hit = self.exact.get(text)
        if hit is not None:
            return hit
        if self._any is None:
            return None
        found = self._any.match(text)
        return self.globs[found.lastindex - 1][0] if found is not None and found.lastindex else None

    def __bool__(self) -> bool:
        return bool(self.exact or self.globs)
