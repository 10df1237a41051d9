"""What an edit in the language server changed: the one top-level function that holds it.

When the text before and after an edit differs only inside one top-level function (a
module-level function or a method), every other function, the module's own code and the
class bodies are what they were, character for character, only moved. The call graph then
keeps the other functions' calls as they were (it still checks that the file's shape and
each effect kind's file-level inputs are unchanged), and per-file collectors may redo only
that function (`FileContext.edit`).
"""
from __future__ import annotations

from dataclasses import dataclass

from perfsense.scanner.facts.model import MODULE_FUNCTION, FileFacts
from perfsense.scanner.parse import changed_region
from perfsense.scanner.source import SourceFile


@dataclass(frozen=True, slots=True)
class Previous:
    """A document's last analysed version, handed to the next analysis of the document."""

    source: SourceFile
    facts: FileFacts


@dataclass(frozen=True, slots=True)
class Edit:
    """How a document's new version relates to its previous one: only `holder` (a top-level
    function, same id in both) changed; what follows it moved down by `lines`."""

    previous: Previous
    holder: int
    lines: int


def edit_of(previous: Previous, new_source: SourceFile, new: FileFacts) -> Edit | None:
    """The one top-level function that holds the whole change, or None."""
    old_source, old = previous.source, previous.facts
    if len(old.functions) != len(new.functions) or old_source.data == new_source.data:
        return None
    start, old_end, new_end = changed_region(old_source.data, new_source.data)
    old_region = (old_source.position(start), old_source.position(old_end))
    new_region = (new_source.position(start), new_source.position(new_end))
    for fn in old.functions:
        if fn.parent == MODULE_FUNCTION and _holds(fn.span, old_region) \
                and _holds(new.functions[fn.id].span, new_region):
            lines = new.functions[fn.id].span.end.line - fn.span.end.line
            return Edit(previous, fn.id, lines)
    return None


def untouched_functions(old_source: SourceFile, old: FileFacts, new_source: SourceFile,
                        new: FileFacts) -> frozenset[int]:
    """Ids of the functions (never the module's pseudo-function) outside the one top-level
    function that holds the whole change; empty when no single function holds it."""
    edit = edit_of(Previous(old_source, old), new_source, new)
    if edit is None:
        return frozenset()
    return frozenset(fn.id for fn in new.functions
                     if fn.id != MODULE_FUNCTION and top_function(new, fn.id) != edit.holder)


def _holds(span, region) -> bool:
    """The region lies inside the span, after its first character (the `def` or decorator)."""
    return span.start < region[0] and region[1] <= span.end


def top_function(facts: FileFacts, func: int) -> int:
    """The top-level function (child of the module) that `func` is inside, or itself."""
    current = func
    for _ in range(256):
        parent = facts.functions[current].parent
        if parent is None or parent == MODULE_FUNCTION:
            return current
        current = parent
    return current
