"""Where a leaking acquisition repeats, and where to report it."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from perfsense.rules.memory_leak.catalog import compiled
from perfsense.rules.memory_leak.context import effect_functions, explain, per_item_loops, repeated
from perfsense.rules.memory_leak.records import Acquisition
from perfsense.scanner.callgraph import CallGraph
from perfsense.scanner.facts.model import FileFacts, Function
from perfsense.scanner.model import ChainStep, Location, Span
from perfsense.scanner.project import FunctionRef


@dataclass(frozen=True, slots=True)
class Report:
    path: str
    span: Span
    context: FunctionRef
    why: str  # phrase: why it repeats
    chain: tuple[ChainStep, ...]
    through: FunctionRef | None = None  # the helper that acquires, for call-site reports


def owner(facts: FileFacts, func: int) -> Function:
    """The named function an inline callback belongs to."""
    fn = facts.functions[func]
    for _ in range(64):
        if fn.callback_of is None or fn.parent is None or fn.handler is not None:
            return fn
        fn = facts.functions[fn.parent]
    return fn


def in_mount_context(graph: CallGraph, path: str, func: int) -> bool:
    """Inside a `useEffect` callback or a class mount method (the effect rule's ground)."""
    facts = graph.project.files[path]
    effects = effect_functions(facts)
    mounts = compiled(graph.catalogs, facts.language).mounts if facts.language != "python" else {}
    current: int | None = func
    for _ in range(64):
        if current is None:
            return False
        fn = facts.functions[current]
        if current in effects or (fn.kind == "method" and fn.name in mounts):
            return True
        current = fn.parent
    return False


def report_places(graph: CallGraph, path: str, acq: Acquisition) -> Iterator[Report]:
    """The sites to report a leaking acquisition at: the acquisition itself when what
    repeats it is visible there, else the per-request call sites of its (exported) helper."""
    project = graph.project
    facts = project.files[path]
    reasons = repeated(graph)
    call = facts.calls[acq.call]
    site = FunctionRef(path, acq.func)
    loops = per_item_loops(facts, call)
    top = owner(facts, acq.func)
    top_ref = FunctionRef(path, top.id)
    if loops:
        loop = loops[0]
        yield Report(path, call.span, top_ref, f"it runs in a loop (line {loop.header.start.line + 1})", ())
        return
    chain_funcs = _inline_chain(facts, acq.func, top.id)
    for func in chain_funcs:
        reason = reasons.get(FunctionRef(path, func))
        if reason is not None and reason.why in ("handler", "event", "render"):
            why, steps = explain(graph, FunctionRef(path, func))
            yield Report(path, call.span, top_ref, why, tuple(steps))
            return
    if _exported(facts, top) and top_ref in reasons:
        found = False
        for edge in graph.in_edges(top_ref):
            caller = edge.caller
            if edge.how == "inline" or caller not in reasons and not _in_loop(project.files[caller.path],
                                                                            edge.call):
                continue
            caller_call = project.files[caller.path].calls[edge.call]
            why, steps = explain(graph, caller)
            if _in_loop(project.files[caller.path], edge.call):
                why = f"`{project.display_name(caller)}` calls it in a loop"
                steps = []
            here = ChainStep(location=Location(path, call.span),
                             message=f"`{project.display_name(top_ref)}` acquires it here: `{acq.label}`")
            found = True
            yield Report(caller.path, caller_call.span, caller, why, tuple(steps) + (here,), top_ref)
        if found:
            return
    if site in reasons:
        why, steps = explain(graph, site)
        yield Report(path, call.span, top_ref, why, tuple(steps))


def _inline_chain(facts: FileFacts, func: int, top: int) -> list[int]:
    out = [func]
    current = func
    for _ in range(64):
        if current == top:
            break
        parent = facts.functions[current].parent
        if parent is None:
            break
        out.append(parent)
        current = parent
    return out


def _in_loop(facts: FileFacts, call_id: int) -> bool:
    return bool(per_item_loops(facts, facts.calls[call_id]))


def _exported(facts: FileFacts, fn: Function) -> bool:
    if fn.exported:
        return True
    if fn.kind == "method" and fn.class_name:
        return any(cls.qualname == fn.class_name and cls.exported for cls in facts.classes)
    return False
