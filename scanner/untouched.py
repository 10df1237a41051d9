"""Which functions an edit left alone: the language server's hint to the call graph.

When the text before and after an edit differs only inside one top-level function (a
module-level function or a method), every other function, the module's own code and the
class bodies are what they were, character for character, only moved. Their calls then
resolve and perform the same effects as before (the call graph still checks that the
file's shape and each effect kind's file-level inputs are unchanged).
"""
from __future__ import annotations

from perfsense.scanner.facts.model import MODULE_FUNCTION, FileFacts
from perfsense.scanner.parse import changed_region
from perfsense.scanner.source import SourceFile


def untouched_functions(old_source: SourceFile, old: FileFacts, new_source: SourceFile,
                        new: FileFacts) -> frozenset[int]:
    """Ids of the functions (never the module's pseudo-function) outside the one top-level
    function that holds the whole change; empty when no single function holds it."""
    if len(old.functions) != len(new.functions) or old_source.data == new_source.data:
        return frozenset()
    start, old_end, new_end = changed_region(old_source.data, new_source.data)
    old_region = (old_source.position(start), old_source.position(old_end))
    new_region = (new_source.position(start), new_source.position(new_end))
    holder = None
    for fn in old.functions:
        if fn.parent == MODULE_FUNCTION and _holds(fn.span, old_region) \
                and _holds(new.functions[fn.id].span, new_region):
            holder = fn.id
            break
    if holder is None:
        return frozenset()
    return frozenset(fn.id for fn in new.functions
                     if fn.id != MODULE_FUNCTION and _top(new, fn.id) != holder)


def _holds(span, region) -> bool:
    """The region lies inside the span, after its first character (the `def` or decorator)."""
    return span.start < region[0] and region[1] <= span.end


def _top(facts: FileFacts, func: int) -> int:
    """The top-level function (child of the module) that `func` is inside, or itself."""
    current = func
    for _ in range(256):
        parent = facts.functions[current].parent
        if parent is None or parent == MODULE_FUNCTION:
            return current
        current = parent
    return current
