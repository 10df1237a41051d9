"""`effect-without-cleanup`: a React effect (or a class component's mount method) acquires a
listener, interval, observer, socket or subscription and never releases it."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from perfsense.rules.memory_leak import examples_effect as ex
from perfsense.rules.memory_leak.catalog import compiled
from perfsense.rules.memory_leak.effects import EFFECT_NAMES
from perfsense.rules.memory_leak.leakfacts import CollectsLeakFacts, leak_facts
from perfsense.rules.memory_leak.records import Acquisition
from perfsense.scanner.callgraph import CallGraph
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.facts.model import FileFacts
from perfsense.scanner.model import Category, Confidence, Finding, Severity
from perfsense.scanner.project import FunctionRef

EFFECT_SCOPES = frozenset({"module", "global", "param"})


class EffectWithoutCleanup(CollectsLeakFacts, ProjectRule):
    id = "effect-without-cleanup"
    name = "EffectWithoutCleanup"
    category = Category.MEMORY_LEAK
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    languages = ("javascript",)
    summary = "A React effect or mount method adds a listener, timer, observer, socket or subscription it never releases."
    tags = ("react", "useEffect", "lifecycle")
    docs = Docs(
        what="""
            Finds `useEffect` / `useLayoutEffect` callbacks (and the mount methods of class
            components: `componentDidMount`, Angular `ngOnInit`, web components'
            `connectedCallback`) that add an event listener (`addEventListener`, `on`),
            start an interval (`setInterval`), create an observer (`ResizeObserver`,
            `IntersectionObserver`, `MutationObserver`), open a connection (`WebSocket`,
            `EventSource`) or subscribe to a stream (RxJS `subscribe`) when nothing releases
            that same thing: no returned cleanup (or `componentWillUnmount` /
            `ngOnDestroy`) removes the listener, clears the interval, disconnects, closes or
            unsubscribes. Helpers called from the effect, in any file, are followed; the
            finding is then at the helper call, with the chain.
        """,
        why="""
            An effect runs on every mount and every change of its dependencies. What it
            acquires outlives the component unless the cleanup releases it: listeners keep
            calling `setState` on an unmounted component, intervals keep polling, sockets
            stay open, and each remount (navigation, hot reload, Strict Mode's double mount)
            adds another. Memory and work grow for as long as the page stays open.
            Listeners on elements the component owns (`ref.current`) and objects created in
            the effect itself die with them and are not reported.
        """,
        instead="""
            Return a cleanup that undoes the effect: `return () => window.removeEventListener
            ('resize', onResize)`, `return () => clearInterval(id)`, `observer.disconnect()`,
            `socket.close()`, `subscription.unsubscribe()`; or pass `{ signal }` from an
            `AbortController` and abort it in the cleanup; or end RxJS streams with
            `takeUntil`.
        """,
    )
    valid = ex.VALID
    invalid = ex.INVALID

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        graph = ctx.graph
        project = ctx.project
        for path in ctx.targets():
            facts = project.files[path]
            if facts.language == "python":
                continue
            data = leak_facts(facts)
            seen: set[int] = set()
            for root, where in self._contexts(ctx, facts):
                subtree = _subtree(facts, root)
                for acq in data.acquisitions:
                    if acq.func in subtree and acq.call not in seen and self._leaks(acq):
                        seen.add(acq.call)
                        yield self._finding(ctx, path, acq, where)
                yield from self._through_helpers(graph, path, subtree, where, seen)

    def _contexts(self, ctx: ProjectContext, facts: FileFacts) -> Iterator[tuple[int, str]]:
        for effect in leak_facts(facts).effects:
            if effect.cleanup != "opaque":
                call = facts.calls[effect.call]
                yield effect.func, f"`{call.name}`"
        mounts = compiled(ctx.catalogs, facts.language).mounts
        for fn in facts.functions:
            if fn.kind == "method" and fn.name in mounts:
                unmount = "/".join(sorted(mounts[fn.name]))
                yield fn.id, f"`{fn.name}` (nothing in `{unmount}` releases it)"

    @staticmethod
    def _leaks(acq: Acquisition) -> bool:
        return acq.leaks and (acq.kind != "listener" or acq.scope in EFFECT_SCOPES)

    def _finding(self, ctx: ProjectContext, path: str, acq: Acquisition, where: str) -> Finding:
        facts = ctx.project.files[path]
        res = compiled(ctx.catalogs, facts.language).resources[acq.resource]
        call = facts.calls[acq.call]
        return self.make(
            path=path, span=call.span, context=ctx.project.display_name(FunctionRef(path, acq.func)),
            message=f"`{acq.label}` in {where} adds {_a(res.what)} that is never released, so it outlives the "
                    f"component and every mount adds another; {res.fix}.")

    def _through_helpers(self, graph: CallGraph, path: str, subtree: set[int], where: str,
                         seen: set[int]) -> Iterator[Finding]:
        project = graph.project
        facts = project.files[path]
        for func in sorted(subtree):
            for edge in graph.out_edges(FunctionRef(path, func)):
                if edge.how == "inline" or edge.callee.path == path and edge.callee.id in subtree:
                    continue
                if edge.call in seen:
                    continue
                for kind in EFFECT_NAMES:
                    sites = graph.reach(edge.callee, kind)
                    if not sites:
                        continue
                    site = min(sites, key=lambda s: (sites[s][0], s.path, s.call))
                    seen.add(edge.call)
                    call = facts.calls[edge.call]
                    helper = project.display_name(edge.callee)
                    target = project.files[site.path].calls[site.call]
                    chain = graph.chain(edge.callee, site, "acquires it here")
                    yield self.make(
                        path=path, span=call.span, chain=chain, context=project.display_name(FunctionRef(path, func)),
                        message=f"`{helper}()` in {where} reaches `{site.label}` ({site.path}:"
                                f"{target.span.start.line + 1}), which is never released, so it outlives the "
                                f"component and every mount adds another; have `{helper}` return a function "
                                "that releases it and return that from the effect.")
                    break


def _a(what: str) -> str:
    return ("an " if what[:1] in "aeiou" else "a ") + what


def _subtree(facts: FileFacts, root: int) -> set[int]:
    out = {root}
    for fn in facts.functions:  # functions are numbered in walk order: parents first
        if fn.parent in out:
            out.add(fn.id)
    return out
