"""Per-file look-up tables for the project stage, built once per file and kept until the
project changes: names bound per scope, callback loops per function, and the texts of
bindings and loop iterables sorted for prefix search (eager loading written around a query).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

from perfsense.scanner.facts.model import Binding, Call, FileFacts, Import, Loop, Value
from perfsense.scanner.model import Position, Span
from perfsense.scanner.project import Project

_END = "\U0010ffff"
_STEP_START = re.compile(r"[.(\[]")


class FileIndex:
    __slots__ = (
        "_bindings",
        "_callbacks",
        "_calls",
        "_imports",
        "_iterables",
        "_texts",
        "facts",
        "loaded",
        "loaders",
        "names",
    )

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self.names: dict[tuple[int, str], Value] = {}  # name_value memo
        self.loaded: dict[tuple[int, str], frozenset[str]] = {}  # eager lookups around a prefix, memo
        self.loaders: dict[int, frozenset[str] | None] = {}  # Call.id -> lookups a loader call adds
        self._imports: dict[tuple[int, str], Import] | None = None
        self._bindings: dict[tuple[int, str], list[Binding]] | None = None
        self._callbacks: dict[int, list[Loop]] | None = None
        self._texts: tuple[list[str], dict[str, list[tuple[str, Binding]]]] | None = None
        self._iterables: tuple[list[str], list[Loop]] | None = None
        self._calls: tuple[list[Position], list[Call]] | None = None

    def imported(self, func: int, local: str) -> Import | None:
        if self._imports is None:
            self._imports = {}
            for imp in self.facts.imports:
                self._imports.setdefault((imp.func, imp.local), imp)
        return self._imports.get((func, local))

    def bound(self, func: int, name: str) -> list[Binding]:
        if self._bindings is None:
            self._bindings = {}
            for binding in self.facts.bindings:
                self._bindings.setdefault((binding.func, binding.name), []).append(binding)
        return self._bindings.get((func, name), [])

    def callback_loops(self, func: int) -> list[Loop]:
        if self._callbacks is None:
            self._callbacks = {}
            for loop in self.facts.loops:
                if loop.kind == "callback":
                    self._callbacks.setdefault(loop.func, []).append(loop)
        return self._callbacks.get(func, [])

    def bindings_starting(self, prefix: str) -> list[Binding]:
        """Bindings whose value's full text starts with `prefix` (looked for among those
        whose root `prefix` starts with, or that start with `prefix`)."""
        if self._texts is None:
            by_root: dict[str, list[tuple[str, Binding]]] = {}
            for binding in self.facts.bindings:
                if binding.value is not None:
                    by_root.setdefault(binding.value.root, []).append((binding.value.full_text, binding))
            self._texts = sorted(by_root), by_root
        roots, by_root = self._texts
        out: list[Binding] = []
        for found in _STEP_START.finditer(prefix, 1):  # a shorter root ends where the steps start
            for text, binding in by_root.get(prefix[:found.start()], ()):
                if text.startswith(prefix):
                    out.append(binding)
        for root in _range((roots, roots), prefix):
            out.extend(binding for text, binding in by_root[root] if text.startswith(prefix))
        return out

    def loops_starting(self, prefix: str) -> list[Loop]:
        """Loops whose iterable's full text starts with `prefix`."""
        if self._iterables is None:
            pairs = sorted((lp.iterable.full_text, lp.id) for lp in self.facts.loops if lp.iterable is not None)
            self._iterables = [t for t, _i in pairs], [self.facts.loops[i] for _t, i in pairs]
        return _range(self._iterables, prefix)

    def calls_within(self, span: Span) -> list[Call]:
        """Calls whose span lies inside `span`."""
        if self._calls is None:
            ordered = sorted(self.facts.calls, key=lambda c: (c.span.start, c.id))
            self._calls = [c.span.start for c in ordered], ordered
        starts, ordered = self._calls
        out = []
        for k in range(bisect_left(starts, span.start), len(ordered)):
            call = ordered[k]
            if call.span.start > span.end:
                break
            if call.span.end <= span.end:
                out.append(call)
        return out


def _range(table: tuple[list[str], list[Any]], prefix: str) -> list[Any]:
    texts, items = table
    low = bisect_left(texts, prefix)
    high = bisect_left(texts, prefix + _END, low)
    return items[low:high]


def file_index(project: Project, facts: FileFacts) -> FileIndex:
    return project.derived_per_file("n-plus-one:file-index", facts, FileIndex)
