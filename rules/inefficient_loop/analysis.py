"""Run every inefficient-loop check over one file, once, whichever rule asks first.

The rules of the family all read the same `FileAnalysis`; the per-file worker calls them
one after another with the same FileContext, so the last analysis is kept per thread.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from perfsense.rules.inefficient_loop.awaits import AwaitSite, await_sites
from perfsense.rules.inefficient_loop.common import Calls, Hit
from perfsense.rules.inefficient_loop.joins import JoinCheck, Scan
from perfsense.rules.inefficient_loop.scope import Scope
from perfsense.rules.inefficient_loop.sites import Looped, ScanSite, collect_sites
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.parse.walk import iter_nodes

_local = threading.local()


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

        visitors = [PyChecks(scope, calls, ctx.catalogs, hits).visit, PyLoops(scope, calls, hits, joins).visit]
    else:
        from perfsense.rules.inefficient_loop.js_checks import JsChecks

        visitors = [JsChecks(scope, calls, ctx.catalogs, hits, joins).visit]
    for node in iter_nodes(ctx.root):
        for visit in visitors:
            visit(node)
    repeated, looped, scan_sites = collect_sites(scope, calls, ctx.catalogs, scans)
    unique = sorted(set(hits), key=lambda h: (h.span.start, h.rule, h.message))
    return FileAnalysis(hits=tuple(unique), awaits=tuple(await_sites(scope, calls, ctx.catalogs)),
                        repeated=repeated, looped=looped, scans=tuple(scan_sites))


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
