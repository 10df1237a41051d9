"""Run every inefficient-loop check over one file, once, whichever rule asks first.

The rules of the family all read the same `FileAnalysis`; the per-file worker calls them
one after another with the same FileContext, so the last analysis is kept per thread.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from perfsense.rules.inefficient_loop.awaits import AwaitCheck, AwaitSite
from perfsense.rules.inefficient_loop.common import Calls, Hit, last_names
from perfsense.rules.inefficient_loop.joins import JoinCheck, Scan
from perfsense.rules.inefficient_loop.js_checks import FINDERS
from perfsense.rules.inefficient_loop.scope import Scope
from perfsense.rules.inefficient_loop.sites import Looped, ScanSite, SiteCollector
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.parse import document_order

_local = threading.local()
ANYWHERE_PY = frozenset({"sum", "apply", "sorted"})
CALLS = frozenset({"call", "call_expression", "new_expression"})


@dataclass(frozen=True, slots=True)
class FileAnalysis:
    hits: tuple[Hit, ...] = ()
    awaits: tuple[AwaitSite, ...] = ()
    repeated: dict[int, str] = field(default_factory=dict)
    looped: dict[int, Looped] = field(default_factory=dict)
    scans: tuple[ScanSite, ...] = ()

    def of(self, rule: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.rule == rule]


def analyse(ctx: FileContext) -> FileAnalysis:
    last = getattr(_local, "last", None)
    if last is not None and last[0] is ctx:
        return last[1]
    result = _run(ctx)
    _local.last = (ctx, result)
    return result


def _run(ctx: FileContext) -> FileAnalysis:
    scope = Scope(ctx)
    calls = Calls(scope)
    hits: list[Hit] = []
    scans: list[Scan] = []
    joins = JoinCheck(scope, hits, scans)
    if scope.py:
        from perfsense.rules.inefficient_loop.py_checks import PyChecks
        from perfsense.rules.inefficient_loop.py_loops import PyLoops

        visitors: list = [PyChecks(scope, calls, ctx.catalogs, hits), PyLoops(scope, calls, hits, joins)]
    else:
        from perfsense.rules.inefficient_loop.js_checks import JsChecks

        visitors = [JsChecks(scope, calls, ctx.catalogs, hits, joins)]
    awaits = AwaitCheck(scope, calls, ctx.catalogs)
    sites = SiteCollector(scope, calls, ctx.catalogs)
    visitors.extend((awaits, sites))
    handlers: dict[str, list] = {}
    for visitor in visitors:
        for kind in visitor.types:
            handlers.setdefault(kind, []).append(visitor.visit)
    for node in _nodes_of(scope, frozenset(handlers)):
        for visit in handlers.get(node.type, ()):
            visit(node)
    unique: list[Hit] = []
    keys: set[tuple[str, str]] = set()
    for hit in sorted(set(hits), key=lambda h: (h.span.start, h.rule, h.message)):
        if hit.key and (hit.rule, hit.key) in keys:
            continue
        keys.add((hit.rule, hit.key))
        unique.append(hit)
    return FileAnalysis(hits=tuple(unique), awaits=tuple(awaits.sites), repeated=sites.repeated,
                        looped=sites.looped, scans=tuple(sites.scan_sites(scans)))


def _nodes_of(scope: Scope, types: frozenset[str]) -> list:
    """The nodes the checks look at, in document order: every node of `types` that meets
    a loop, and the few calls that matter outside loops (`sorted(x)[0]`, `sum(x, [])`,
    `.apply(axis=1)`, calls that may compile or clone constant data, `find`-like scans),
    picked from the file's call facts."""
    found = {node.id: node for node in scope.find(scope.ctx.root, types, in_loops=True)}
    family = "python" if scope.py else "javascript"
    names = last_names(scope.ctx.catalogs, family, ("compile", "clone"), ("parse", "loads"))
    wanted = None if names is None else names | (ANYWHERE_PY if scope.py else FINDERS)
    source = scope.ctx.source
    for call in scope.ctx.facts.calls:
        if wanted is not None and call.name not in wanted:
            continue
        node = scope.ctx.root.descendant_for_byte_range(source.offset(call.span.start), source.offset(call.span.end))
        if node is None or node.type not in CALLS:
            continue
        found.setdefault(node.id, node)
        parent = node.parent
        if scope.py and call.name == "sorted" and parent is not None and parent.type == "subscript":
            found.setdefault(parent.id, parent)
    return document_order(found.values())


def context_name(ctx_facts, span) -> str:
    """Qualified name of the innermost named function holding `span` (for fingerprints)."""
    best = None
    for fn in ctx_facts.functions:
        if fn.kind == "module" or "<" in fn.qualname:
            continue
        if fn.span.start <= span.start and span.end <= fn.span.end:
            if best is None or best.span.start <= fn.span.start:
                best = fn
    return best.qualname if best is not None else ""
