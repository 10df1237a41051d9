"""The memory-leak family's per-file data: collected once per file, shared by its rules."""
from __future__ import annotations

import re

from perfsense.rules.memory_leak.catalog import compiled
from perfsense.rules.memory_leak.collect_collections import collect_collections
from perfsense.rules.memory_leak.collect_registries import attr_evictions
from perfsense.rules.memory_leak.collect_resources import (
    acquiring_calls,
    collect_acquisitions,
    collect_effects,
)
from perfsense.rules.memory_leak.records import LeakFacts
from perfsense.rules.memory_leak.release_index import build_release_index
from perfsense.rules.memory_leak.syntax import syntax_for, use_source
from perfsense.rules.memory_leak.tree_index import FileIndex
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.model import FileFacts

COMPONENT = re.compile(r"^[A-Z][A-Za-z0-9]*$")  # React component names (also read by context.py)
_last: list[object] = [None, None]  # (facts, LeakFacts | None) of the file being analysed


def collect_leak_facts(ctx: FileContext) -> LeakFacts | None:
    """Computed once per file however many rules ask (each stores the same object); None
    when the file has nothing the rules look at (most files)."""
    if _last[0] is ctx.facts:
        return _last[1]  # type: ignore[return-value]
    data = _collect(ctx)
    _last[0], _last[1] = ctx.facts, data
    return data


def _collect(ctx: FileContext) -> LeakFacts | None:
    syntax = syntax_for(ctx.language)
    use_source(ctx.source.data)
    cat = compiled(ctx.catalogs, ctx.language)
    index = FileIndex(ctx, syntax)
    index.release_builder = lambda idx: build_release_index(idx, syntax, cat)
    found = acquiring_calls(ctx, cat)
    acquisitions = collect_acquisitions(ctx, syntax, cat, index, found) if found else []
    effects = collect_effects(ctx, syntax, cat, index) if ctx.language != "python" else []
    collections, growths = collect_collections(ctx, syntax, cat, index)
    data = LeakFacts(acquisitions=tuple(acquisitions), effects=tuple(effects), jsx_functions=_components(ctx, index),
                     collections=tuple(collections), growths=tuple(growths),
                     attr_evictions=attr_evictions(syntax, cat, index))
    return None if data == EMPTY else data


def _components(ctx: FileContext, index: FileIndex) -> frozenset[int]:
    """Functions named like components (the only ones the project stage asks about) that
    hold JSX."""
    if ctx.language == "python":
        return frozenset()
    named = {fn.span: fn.id for fn in ctx.facts.functions if COMPONENT.match(fn.name)}
    if not named:
        return frozenset()
    source = ctx.source
    ranges = sorted((source.offset(span.start), source.offset(span.end)) for span in named)
    owners = index.jsx_owner_spans(ranges)
    return frozenset(named[s] for s in owners if s in named)


EMPTY = LeakFacts()


def leak_facts(facts: FileFacts) -> LeakFacts:
    for value in facts.extra.values():
        if isinstance(value, LeakFacts):
            return value
    return LeakFacts()


class CollectsLeakFacts:
    """Mixin for the family's rules: store the shared per-file data."""

    def collect(self, ctx: FileContext) -> LeakFacts | None:
        return collect_leak_facts(ctx)
