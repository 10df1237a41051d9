"""The memory-leak family's per-file data: collected once per file, shared by its rules."""
from __future__ import annotations

from perfsense.rules.memory_leak.catalog import compiled
from perfsense.rules.memory_leak.collect_collections import collect_collections
from perfsense.rules.memory_leak.collect_registries import attr_evictions
from perfsense.rules.memory_leak.collect_resources import collect_acquisitions, collect_effects
from perfsense.rules.memory_leak.records import LeakFacts
from perfsense.rules.memory_leak.release_index import build_release_index
from perfsense.rules.memory_leak.syntax import syntax_for, use_source
from perfsense.rules.memory_leak.tree_index import build_index
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.model import FileFacts

_last: list[object] = [None, None]  # (facts, LeakFacts) of the file being analysed


def collect_leak_facts(ctx: FileContext) -> LeakFacts:
    """Computed once per file however many rules ask (each stores the same object)."""
    if _last[0] is ctx.facts:
        return _last[1]  # type: ignore[return-value]
    syntax = syntax_for(ctx.language)
    use_source(ctx.source.data)
    cat = compiled(ctx.catalogs, ctx.language)
    index = build_index(ctx, syntax)
    index.releases = build_release_index(index, syntax, cat)
    acquisitions = collect_acquisitions(ctx, syntax, cat, index)
    effects = collect_effects(ctx, syntax, cat, index) if ctx.language != "python" else []
    collections, growths = collect_collections(ctx, syntax, cat, index)
    by_span = {fn.span: fn.id for fn in ctx.facts.functions}
    jsx = frozenset(by_span[s] for s in index.jsx_owners if s in by_span)
    data = LeakFacts(acquisitions=tuple(acquisitions), effects=tuple(effects), jsx_functions=jsx,
                     collections=tuple(collections), growths=tuple(growths),
                     attr_evictions=attr_evictions(syntax, cat, index))
    _last[0], _last[1] = ctx.facts, data
    return data


def leak_facts(facts: FileFacts) -> LeakFacts:
    for value in facts.extra.values():
        if isinstance(value, LeakFacts):
            return value
    return LeakFacts()


class CollectsLeakFacts:
    """Mixin for the family's rules: store the shared per-file data."""

    def collect(self, ctx: FileContext) -> LeakFacts:
        return collect_leak_facts(ctx)
