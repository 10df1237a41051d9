"""Code that runs again and again: per request, per job, per event, per loop iteration, per render.

A function is *repeated* when it is a request handler or task, a callback of a repeating
registration (`setInterval`, `.on(...)`), a React component or hook body, a function called
inside a loop, or anything such a function calls or defines. Effect callbacks
(`useEffect`) are not entered: they run per mount and have a rule of their own.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import NamedTuple

from perfsense.rules.memory_leak.catalog import compiled, method_of
from perfsense.rules.memory_leak.leakfacts import COMPONENT, leak_facts
from perfsense.scanner.callgraph import CallGraph
from perfsense.scanner.facts.javascript import ITERATION_METHODS
from perfsense.scanner.facts.model import MODULE_FUNCTION, FileFacts
from perfsense.scanner.facts.query import call_loops
from perfsense.scanner.model import ChainStep, Location
from perfsense.scanner.project import FunctionRef
from perfsense.scanner.testcode import is_test_code

HOOK = re.compile(r"^use[A-Z0-9]")


@dataclass(frozen=True, slots=True)
class Reason:
    why: str  # handler | event | render | loop | caller | nested
    text: str  # how a message says it
    via: FunctionRef | None = None  # the function it is repeated through
    call: int | None = None  # call site in `via` (or in the seed's file for event/loop seeds)


# graph -> (the propagation it was computed for, result). The LSP server keeps one graph
# and re-propagates it after edits; each propagation makes a new `_reach` table.
_cache: weakref.WeakKeyDictionary[CallGraph, tuple[object, dict[FunctionRef, Reason]]] = \
    weakref.WeakKeyDictionary()


def repeated(graph: CallGraph) -> dict[FunctionRef, Reason]:
    stamp = getattr(graph, "_reach", None)
    cached = _cache.get(graph)
    if cached is None or cached[0] is not stamp:
        cached = (stamp, _compute(graph))
        _cache[graph] = cached
    return cached[1]


def per_item_loops(facts: FileFacts, call) -> list:
    """The loops that repeat `call` once per data item: not over a small literal, not a
    counted `range(n)` / `for (i = 0; i < n; i++)` (a fixed number of workers or retries),
    not in module-level code (runs once)."""
    return [lp for lp in call_loops(facts, call)
            if not lp.small_literal and lp.func != MODULE_FUNCTION and not _counted(lp, facts.language)]


def _counted(loop, language: str) -> bool:
    text = loop.iter_text.replace(" ", "")
    if language != "python" and loop.kind == "for" and text and not any(
            w in text for w in ("length", "size")):
        return True  # C-style JS loop up to a count
    return text.startswith("range(") and "len(" not in text


def effect_functions(facts: FileFacts) -> set[int]:
    return {effect.func for effect in leak_facts(facts).effects}


class _FileSeeds(NamedTuple):
    """What `_compute` needs from one file, from its facts alone (kept until the file changes)."""

    blocked: frozenset[int]  # functions holding a leak effect: never marked repeated
    test: bool
    children: tuple[tuple[int, int], ...]  # (parent, nested function)
    seeds: tuple[tuple[int, Reason], ...]  # handlers, tasks, components and hooks
    calls: tuple[tuple[int, int, str, str, str], ...]  # (call id, caller, event / loop / iteration text)


def _file_seeds(catalogs, facts: FileFacts) -> _FileSeeds:
    path = facts.path
    blocked = frozenset(effect_functions(facts))
    if is_test_code(path):
        return _FileSeeds(blocked, True, (), (), ())
    cat = compiled(catalogs, facts.language)
    children: list[tuple[int, int]] = []
    seeds: list[tuple[int, Reason]] = []
    for fn in facts.functions:
        if fn.parent is not None and fn.parent != MODULE_FUNCTION:
            children.append((fn.parent, fn.id))
        if fn.handler is not None:
            seeds.append((fn.id, Reason("handler", "is a task, run per job" if fn.handler == "task" else
                                        f"is a request handler of {fn.handler}")))
        elif fn.id in leak_facts(facts).jsx_functions and COMPONENT.match(fn.name) or (
                facts.language != "python" and HOOK.match(fn.name) and fn.kind == "function"):
            seeds.append((fn.id, Reason("render", "runs on every render (component or hook)")))
    calls: list[tuple[int, int, str, str, str]] = []
    for call in facts.calls:
        method = method_of(call)
        is_repeating = cat.repeating_calls.match(call.callee.text) is not None or (
            method in cat.repeating_methods and len(call.args) >= 1
            and call.args[0].literal not in cat.once_events)
        loops = per_item_loops(facts, call)
        iterates = method in ITERATION_METHODS or call.callee.text in ("map", "filter")
        if not is_repeating and not loops and not iterates:
            continue
        calls.append((
            call.id, call.func,
            f"runs on every tick or event of `{_short(call.callee.text)}`" if is_repeating else "",
            f"is called in a loop ({loops[0].kind} at {path}:{loops[0].header.start.line + 1})" if loops else "",
            f"is called for every item by `{method or call.name}`" if iterates else ""))
    return _FileSeeds(blocked, False, tuple(children), tuple(seeds), tuple(calls))


class _FileStart(NamedTuple):
    """One file's contribution to `_compute`, from its facts and its functions' out-edges
    (kept by the graph until either changes)."""

    blocked: tuple[FunctionRef, ...]
    children: tuple[tuple[FunctionRef, FunctionRef], ...]  # (parent, nested function)
    seeds: tuple[tuple[FunctionRef, Reason], ...]  # in the order they are tried


def _file_start(graph: CallGraph, facts: FileFacts) -> _FileStart:
    path = facts.path
    part = graph.project.per_file("memory-leak:repeated", facts, lambda f: _file_seeds(graph.catalogs, f))
    blocked = tuple(FunctionRef(path, f) for f in part.blocked)
    if part.test:  # a test that calls code in a loop says nothing about production traffic
        return _FileStart(blocked, (), ())
    children = tuple((FunctionRef(path, parent), FunctionRef(path, child)) for parent, child in part.children)
    seeds = [(FunctionRef(path, func), reason) for func, reason in part.seeds]
    by_site: dict[int, dict[int, list]] = {}  # caller -> call id -> its edges (one pass per caller)
    for call_id, func, event, loop, iteration in part.calls:
        caller = FunctionRef(path, func)
        if func not in by_site:
            grouped: dict[int, list] = {}
            for edge in graph.out_edges(caller):
                grouped.setdefault(edge.call, []).append(edge)
            by_site[func] = grouped
        for edge in by_site[func].get(call_id, ()):
            if event and edge.how in ("inline", "reference"):
                seeds.append((edge.callee, Reason("event", event, caller, call_id)))
            elif loop and edge.how != "inline":
                seeds.append((edge.callee, Reason("loop", loop, caller, call_id)))
            elif iteration and edge.how == "reference":
                seeds.append((edge.callee, Reason("loop", iteration, caller, call_id)))
    return _FileStart(blocked, children, tuple(seeds))


def _compute(graph: CallGraph) -> dict[FunctionRef, Reason]:
    out: dict[FunctionRef, Reason] = {}
    queue: list[FunctionRef] = []
    blocked: set[FunctionRef] = set()

    def seed(ref: FunctionRef, reason: Reason) -> None:
        if ref not in out and ref not in blocked:
            out[ref] = reason
            queue.append(ref)

    children: dict[FunctionRef, list[FunctionRef]] = {}
    for facts in graph.project.files.values():
        start = graph.per_file("memory-leak:start", facts, lambda f: _file_start(graph, f))
        blocked.update(start.blocked)
        for parent, child in start.children:
            children.setdefault(parent, []).append(child)
        for ref, reason in start.seeds:
            seed(ref, reason)
    head = 0
    while head < len(queue):
        ref = queue[head]
        head += 1
        for edge in graph.out_edges(ref):
            if edge.how != "reference":  # a function handed over runs when the callee decides
                seed(edge.callee, Reason("caller", "", ref, edge.call))
        for child in children.get(ref, ()):
            seed(child, Reason("nested", "", ref, None))
    return out


def _short(text: str) -> str:
    text = text.rsplit(":", 1)[-1] if text.startswith((".", "/")) else text
    return text if len(text) <= 40 else "…" + text[-39:]


def origin(reasons: dict[FunctionRef, Reason], ref: FunctionRef) -> Reason | None:
    """The first reason `ref` repeats (handler, event, render or loop), through its callers."""
    current: FunctionRef | None = ref
    for _ in range(64):
        reason = reasons.get(current) if current is not None else None
        if reason is None or reason.why not in ("caller", "nested"):
            return reason
        current = reason.via
    return None


def explain(graph: CallGraph, ref: FunctionRef, limit: int = 6) -> tuple[str, list[ChainStep]]:
    """Why `ref` runs repeatedly: a phrase for the message and the chain from the origin down."""
    reasons = repeated(graph)
    project = graph.project
    steps: list[ChainStep] = []
    via: list[str] = []
    current: FunctionRef | None = ref
    phrase = ""
    for _ in range(32):
        if current is None or current not in reasons:
            break
        reason = reasons[current]
        name = readable(project, current)
        if reason.why in ("caller", "nested"):
            if reason.call is not None and reason.via is not None and len(steps) < limit:
                call = project.files[reason.via.path].calls[reason.call]
                steps.append(ChainStep(location=Location(reason.via.path, call.span),
                                       message=f"{readable(project, reason.via)} calls {name}"))
            via.append(name.strip("`"))
            current = reason.via
            continue
        phrase = f"{name} {reason.text}"
        fn = project.function_fact(current)
        if reason.call is not None and reason.via is not None:
            call = project.files[reason.via.path].calls[reason.call]
            steps.append(ChainStep(location=Location(reason.via.path, call.span), message=phrase))
        else:
            steps.append(ChainStep(location=Location(current.path, fn.header), message=phrase))
        break
    if len(via) > 1:
        phrase += ", through " + " → ".join(f"`{v}`" for v in reversed(via[1:]))
    steps.reverse()
    return phrase, steps


def readable(project, ref: FunctionRef) -> str:
    """`name` or 'the callback at line N' (for messages)."""
    name = project.display_name(ref)
    if name.startswith("<callback at line"):
        return "the " + name.strip("<>")
    if name.startswith("<module"):
        return "module code"
    return f"`{name}`"
