"""The project call graph and the effects that flow up it.

Nodes are project functions; an edge is a call site (or a function handed to another
call by name, or an inline callback). Effect detectors (registered per family, see
`scanner.effects`) say which call sites perform an effect directly (`blocking`,
`db-query`, …). Propagation runs over the condensation of strongly connected components,
callees first, so recursion terminates; each function keeps, per effect, the nearest
effect sites with one shortest witness path each.

A scan asks about few functions: Django's project rules read the calls of 4,330 of its
34,293 functions and ask what 1,098 of them reach; 1,742 functions lie below those, in 346
of its 2,864 files. A `lazy` graph (what a scan builds) resolves a function's calls when
its out-edges are first read, detects a file's effects and propagates a function's reach
when `reach` or `witness` is first asked about a function above them, and resolves every
call, in a build's order, only when a rule asks for a function's callers. What it answers
is what the eager graph answers: a function's out-edges come in the order a build adds
them, and its reach depends only on the functions below it, which are settled with it,
component by component, callees first, in the same order within each.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from perfsense.scanner.adjacency import Adjacency
from perfsense.scanner.effects import EffectKind, effect_kinds
from perfsense.scanner.facts.model import Call, FileFacts
from perfsense.scanner.model import ChainStep, Location
from perfsense.scanner.project import FunctionRef, Project, file_shape

MAX_SITES = 16  # effect sites kept per function and effect
# What one call contributes: its effect sites (kind, label) and edges (callee, how, offloaded).
Kept = tuple[Sequence[tuple[str, str]], Sequence[tuple[FunctionRef, str, bool]]]


@dataclass(frozen=True, slots=True)
class EffectSite:
    kind: str
    path: str
    call: int  # Call.id in `path`
    label: str  # what is done, e.g. "requests.post"


@dataclass(frozen=True, slots=True)
class Edge:
    caller: FunctionRef
    callee: FunctionRef
    call: int  # Call.id in the caller's file
    how: str  # "call" | "reference" | "inline"
    offloaded: bool = False  # the callee runs on another thread / process


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a witness path: at `call` in `function`, towards the effect."""

    function: FunctionRef
    call: int


class CallGraph:
    def __init__(self, project: Project, catalogs: object, kinds: Iterable[EffectKind] | None = None,
                 lazy: bool = False) -> None:
        self.project = project
        self.catalogs = catalogs
        self.kinds = list(kinds if kinds is not None else effect_kinds())
        self.graph = Adjacency()
        self.direct: dict[FunctionRef, list[EffectSite]] = {}
        self._reach: dict[tuple[FunctionRef, str], dict[EffectSite, tuple[int, Edge | None]]] = {}
        self._nodes: dict[str, list[FunctionRef]] = {}  # per file, in function order
        self._edges_version: dict[str, int] = {}  # per file: bumped whenever its out-edges change
        self._per_file: dict[tuple[str, str], tuple[FileFacts, int, Any]] = {}
        # per file replaced since the build: its facts and the effect kinds' file contexts
        self._contexts: dict[str, tuple[FileFacts, tuple[object, ...]]] = {}
        self.lazy = lazy
        self._undetected: set[str] = set()  # lazy: files whose direct effects are not detected yet
        self._settled: set[FunctionRef] = set()  # lazy: functions whose reach is final
        self._unresolved: set[FunctionRef] = set()  # lazy: functions whose out-edges are not added yet
        self._complete = not lazy  # every edge added, in a build's order (in-edges are too)
        self._callers: dict[str, dict[int, tuple[list[int], list[int]]]] = {}  # lazy: see `_by_caller`
        for path in sorted(project.files):
            self._add_file(project.files[path])
        if not lazy:
            self.propagate()

    # --- building --------------------------------------------------------------------
    def _add_file(self, facts: FileFacts) -> None:
        nodes = self._nodes[facts.path] = [FunctionRef(facts.path, fn.id) for fn in facts.functions]
        self.graph.add_nodes(nodes)
        if self.lazy:  # (resolved and detected when a rule asks: `_resolve_out`, `_settle`)
            self._unresolved.update(nodes)
            self._undetected.add(facts.path)
        else:
            self._add_edges(facts)

    def _add_edges(self, facts: FileFacts, kept: dict[int, Kept] | None = None) -> None:
        """The file's call edges and direct effects (its nodes exist); calls in `kept` get
        the sites and edges given there instead of being resolved and detected again."""
        path = facts.path
        self._edges_version[path] = self._edges_version.get(path, 0) + 1
        for fn in facts.functions:
            if fn.callback_of is not None:
                self._edge(self._inline_edge(facts, fn))
        detected = None if kept else self._detect_file(facts)  # (an edit: the calls not kept, one by one)
        for call in facts.calls:
            caller = FunctionRef(path, call.func)
            known = kept.get(call.id) if kept else None
            if known is not None:
                sites = known[0]
            elif detected is not None:
                sites = detected.get(call.id, ())
            else:
                sites = self._detect_call(facts, call)
            self._add_sites(facts, call, sites)
            if known is not None:
                for callee, how, offloaded in known[1]:
                    self._edge(Edge(caller, callee, call.id, how, offloaded))
                continue
            for edge in self._call_edges(facts, call, caller):
                self._edge(edge)

    def _inline_edge(self, facts: FileFacts, fn) -> Edge:
        """From the function holding the call to the callback written inline as its argument."""
        parent = facts.calls[fn.callback_of]
        return Edge(FunctionRef(facts.path, parent.func), FunctionRef(facts.path, fn.id), parent.id, "inline",
                    self._offloads(facts, parent))

    def _call_edges(self, facts: FileFacts, call: Call, caller: FunctionRef) -> list[Edge]:
        """The call's edges: to the function it calls, then to the functions it is handed."""
        path = facts.path
        edges = []
        target = self.project.function(call.callee, path, call.func)
        if target is not None:
            edges.append(Edge(caller, target, call.id, "call"))
        refs = []
        for arg in call.args:
            if arg.value is None or arg.function is not None:
                continue
            if any(step.call for step in arg.value.steps):
                continue
            ref = self.project.function(arg.value, path, call.func)
            if ref is not None:
                refs.append(ref)
        if refs:
            offloaded = self._offloads(facts, call)
            edges.extend(Edge(caller, ref, call.id, "reference", offloaded) for ref in refs)
        return edges

    def _by_caller(self, facts: FileFacts) -> dict[int, tuple[list[int], list[int]]]:
        """Per function of a file: the callbacks written inline in its calls, and its calls."""
        index = self._callers.get(facts.path)
        if index is None:
            index = {}
            for fn in facts.functions:
                if fn.callback_of is not None:
                    index.setdefault(facts.calls[fn.callback_of].func, ([], []))[0].append(fn.id)
            for call in facts.calls:
                index.setdefault(call.func, ([], []))[1].append(call.id)
            self._callers[facts.path] = index
        return index

    def _edges_of(self, facts: FileFacts, callbacks: Iterable[int], calls: Iterable[int]) -> list[Edge]:
        """The edges of some inline callbacks (Function ids) and calls (Call ids) of a file,
        in the order a build adds them: inline edges first, then call by call."""
        edges = [self._inline_edge(facts, facts.functions[fn_id]) for fn_id in callbacks]
        for call_id in calls:
            call = facts.calls[call_id]
            edges.extend(self._call_edges(facts, call, FunctionRef(facts.path, call.func)))
        return edges

    def _ensure_out(self, ref: FunctionRef) -> None:
        """A lazy graph: `ref`'s out-edges are added (an eager graph's set is empty)."""
        if self._unresolved and ref in self._unresolved:
            self._resolve_out(ref)

    def _resolve_out(self, ref: FunctionRef) -> None:
        """A lazy graph: one function's out-edges, in the order a build adds them."""
        self.graph.clear_out_edges(ref)  # (what an interrupted call may have left)
        facts = self.project.files[ref.path]
        callbacks, calls = self._by_caller(facts).get(ref.id, ((), ()))
        for edge in self._edges_of(facts, callbacks, calls):
            self._edge(edge)
        self._unresolved.discard(ref)

    def _resolve_all(self) -> None:
        """A lazy graph: every edge, added again in a build's order, so that each function's
        in-edges (its callers) come in the order the eager graph gives them."""
        if self._complete:
            return
        graph = Adjacency()
        for path in sorted(self.project.files):
            graph.add_nodes(self._nodes[path])
        for path in sorted(self.project.files):
            facts = self.project.files[path]
            callbacks = [fn.id for fn in facts.functions if fn.callback_of is not None]
            for edge in self._edges_of(facts, callbacks, range(len(facts.calls))):
                graph.add_edge(edge)
        self.graph = graph
        self._unresolved.clear()
        self._callers.clear()
        self._complete = True

    def _detect_file(self, facts: FileFacts) -> dict[int, list[tuple[str, str]]]:
        """Each call's direct effects (kind, label) in the kinds' order, each kind asked about
        the whole file at once (`EffectKind.detect_file`)."""
        out: dict[int, list[tuple[str, str]]] = {}
        for kind in self.kinds:
            for call_id, labels in kind.detect_file(self.project, facts, self.catalogs).items():
                out.setdefault(call_id, []).extend((kind.name, label) for label in labels)
        return out

    def _detect_later(self, path: str) -> None:
        """A lazy graph's direct effects of one file, in the order a build would add them."""
        self._undetected.discard(path)
        facts = self.project.files[path]
        detected = self._detect_file(facts)
        for call in facts.calls:
            self._add_sites(facts, call, detected.get(call.id, ()))

    def _add_sites(self, facts: FileFacts, call: Call, sites: Iterable[tuple[str, str]]) -> None:
        """A call's direct effects (kind, label), after those of the calls before it."""
        for kind_name, label in sites:
            self.direct.setdefault(FunctionRef(facts.path, call.func), []).append(
                EffectSite(kind_name, facts.path, call.id, label))

    def _detect_call(self, facts: FileFacts, call: Call) -> list[tuple[str, str]]:
        return [(kind.name, label) for kind in self.kinds
                for label in kind.detect(self.project, facts, call, self.catalogs)]

    def _edge(self, edge: Edge) -> None:
        self.graph.add_edge(edge)

    def _offloads(self, facts: FileFacts, call: Call) -> bool:
        from perfsense.scanner.effects import is_offload

        return is_offload(self.project, facts, call, self.catalogs)

    def replace_file(self, facts: FileFacts, untouched: frozenset[int] = frozenset()) -> None:
        """Swap one file's facts in and bring the graph up to date, as a fresh build would be.

        When the file's shape (`project.file_shape`) is unchanged, as for typing inside a
        function body, only its own calls are resolved again; otherwise every file with an
        edge into it or importing it is re-resolved too. Effects are then re-propagated from
        the functions whose calls changed, up through their callers.

        `untouched` (the language server's hint, `scanner.untouched`): functions whose code
        the edit did not touch. With the same shape, and the same file-level inputs of every
        effect kind (`EffectKind.file_context`, `call_inputs`), their calls keep the sites
        and edges they had, and only the other calls are resolved and detected again.
        """
        self._eager()
        path = facts.path
        old = self.project.files.get(path)
        same = old is not None and file_shape(old) == file_shape(facts)
        stale = {path} if same else {path} | self._dependents(path, old, facts)
        self.project.replace_file(facts, same_shape=same)
        changed = self._sync_nodes(facts)
        contexts = tuple(kind.file_context(self.project, facts, self.catalogs) for kind in self.kinds)
        previous = self._contexts.get(path)
        kept = None
        if same and untouched and previous is not None and previous[0] is old and previous[1] == contexts:
            kept = self._kept(old, facts, untouched)
        for other in sorted(stale):
            self._contexts.pop(other, None)
            if other in self.project.files:
                changed.update(self._rebuild(self.project.files[other], kept if other == path else None))
        self._contexts[path] = (facts, contexts)
        self.propagate(changed)

    def _kept(self, old: FileFacts, new: FileFacts, untouched: frozenset[int]) -> dict[int, Kept]:
        """New call id -> the sites and edges of the same call in the old facts, for the calls
        of untouched functions whose per-call inputs are the same."""
        sites: dict[int, list[tuple[str, str]]] = {}
        edges: dict[int, list[tuple[FunctionRef, str, bool]]] = {}
        for node in self._nodes.get(new.path, []):
            for site in self.direct.get(node, ()):
                sites.setdefault(site.call, []).append((site.kind, site.label))
            for edge in self.out_edges(node):
                if edge.how != "inline":  # (inline callback edges are made again: cheap)
                    edges.setdefault(edge.call, []).append((edge.callee, edge.how, edge.offloaded))
        before, after = _calls_of(old, untouched), _calls_of(new, untouched)
        inputs = [pair for pair in ((kind.call_inputs(old), kind.call_inputs(new)) for kind in self.kinds)
                  if pair[0] or pair[1]]
        kept: dict[int, Kept] = {}
        for func, calls in after.items():
            if len(calls) != len(before.get(func, ())):
                continue
            for was, call in zip(before[func], calls):
                if all(then.get(was.id) == now.get(call.id) for then, now in inputs):
                    kept[call.id] = (sites.get(was.id, ()), edges.get(was.id, ()))
        return kept

    def remove_file(self, path: str) -> None:
        self._eager()
        old = self.project.files.get(path)
        if old is None:
            return
        dependents = self._dependents(path, old, None)
        for other in (path, *dependents):
            self._contexts.pop(other, None)
        self._drop_nodes(self._nodes.pop(path, []))
        self.project.remove_file(path)
        self._per_file = {key: entry for key, entry in self._per_file.items() if key[1] != path}
        changed: set[FunctionRef] = set()
        for other in sorted(dependents):
            changed.update(self._rebuild(self.project.files[other]))
        self.propagate(changed)

    def _sync_nodes(self, facts: FileFacts) -> set[FunctionRef]:
        """The file's nodes match its functions again; returns the nodes that went away's
        callers (their reach may shrink)."""
        wanted = [FunctionRef(facts.path, fn.id) for fn in facts.functions]
        keep = set(wanted)
        gone = [node for node in self._nodes.get(facts.path, []) if node not in keep]
        callers = {caller for node in gone for caller in self.graph.predecessors(node)}
        self._drop_nodes(gone)
        self.graph.add_nodes(wanted)
        self._nodes[facts.path] = wanted
        return {node for node in callers if node in self.graph}

    def _drop_nodes(self, nodes: Iterable[FunctionRef]) -> None:
        nodes = list(nodes)
        for path in {node.path for node in nodes} | {edge.caller.path for node in nodes
                                                     for edge in self.graph.in_edges(node)}:
            self._edges_version[path] = self._edges_version.get(path, 0) + 1  # their out-edges change
        self.graph.remove_nodes(nodes)
        for node in nodes:
            self.direct.pop(node, None)
            for kind in self.kinds:
                self._reach.pop((node, kind.name), None)

    def _rebuild(self, facts: FileFacts, kept: dict[int, Kept] | None = None) -> list[FunctionRef]:
        """Resolve the file's calls again: its out-edges and direct effects are rebuilt."""
        nodes = self._nodes.get(facts.path, [])
        for node in nodes:
            self.graph.clear_out_edges(node)
        for node in nodes:
            self.direct.pop(node, None)
        self._add_edges(facts, kept)
        return nodes

    def _dependents(self, path: str, old: FileFacts | None, new: FileFacts | None) -> set[str]:
        """Files with an edge into `path`, or importing its module: their calls may resolve anew."""
        found = {edge.caller.path for node in self._nodes.get(path, []) for edge in self.graph.in_edges(node)}
        modules = {f.module for f in (old, new) if f is not None}
        for other, facts in self.project.files.items():
            if any(imp.module in modules or any(imp.module.startswith(m + ".") for m in modules)
                   or (imp.name and f"{imp.module}.{imp.name}" in modules) for imp in facts.imports):
                found.add(other)
        found.discard(path)
        return found

    # --- propagation -----------------------------------------------------------------
    def _eager(self) -> None:
        """Detect and propagate everything (a lazy graph about to be edited: the language
        server's incremental updates work on a complete graph)."""
        if not self.lazy:
            return
        self._resolve_all()
        for path in sorted(self._undetected):
            self._detect_later(path)
        self.lazy = False
        self._settled.clear()
        self.propagate()

    def _settle(self, ref: FunctionRef) -> None:
        """A lazy graph: the reach of `ref` and of every function below it, made final."""
        if ref in self._settled or ref not in self.graph:
            return
        below = {ref}
        stack = [ref]
        while stack:
            for callee in self._successors(stack.pop()):
                if callee not in below and callee not in self._settled:
                    below.add(callee)
                    stack.append(callee)
        paths = sorted({node.path for node in below} & self._undetected)
        try:
            for path in paths:
                self._detect_later(path)
            for nodes in _components(self._successors, below):
                nodes.sort()
                for kind in self.kinds:
                    self._fixed_point(nodes, kind)
        except BaseException:  # a detector's error, or a rule's deadline: leave no half-settled part
            for node in below:
                for kind in self.kinds:
                    self._reach.pop((node, kind.name), None)
            for path in paths:
                for node in self._nodes.get(path, ()):
                    self.direct.pop(node, None)
                self._undetected.add(path)
            raise
        self._settled |= below

    def propagate(self, changed: Iterable[FunctionRef] | None = None) -> None:
        """Compute what each function reaches, callees first (strongly connected components
        iterate to a fixed point). With `changed`, only those functions and their callers are
        recomputed, and a caller only when something below it reaches differently now."""
        self._eager()  # (a lazy graph propagates whole, once)
        if changed is None:
            self._reach = {}
            seeds = set(self.graph.nodes)
            affected = seeds
        else:
            self._reach = dict(self._reach)  # a new table per propagation (rules key caches on it)
            seeds = {node for node in changed if node in self.graph}
            affected = set(seeds)
            stack = list(seeds)
            while stack:
                for caller in self.graph.predecessors(stack.pop()):
                    if caller not in affected:
                        affected.add(caller)
                        stack.append(caller)
        moved: set[FunctionRef] = set()  # functions whose reach changed
        kinds = self.kinds
        if changed is None:  # a kind no call of the project performs reaches nothing anywhere
            present = {site.kind for sites in self.direct.values() for site in sites}
            kinds = [kind for kind in self.kinds if kind.name in present]
        for nodes in _components(self.graph.successors, affected):
            nodes.sort()
            if changed is not None and not any(
                    node in seeds or any(callee in moved for callee in self.graph.successors(node)) for node in nodes):
                continue  # nothing below changed: keeps its reach
            before = {node: self._sites(node) for node in nodes} if changed is not None else {}
            for kind in kinds:
                for node in nodes:
                    self._reach.pop((node, kind.name), None)
                self._fixed_point(nodes, kind)
            if changed is not None:
                moved.update(node for node in nodes if self._sites(node) != before[node])

    def _fixed_point(self, nodes: list[FunctionRef], kind: EffectKind) -> None:
        """Update the functions of one component until none changes (each site travels at
        most once around it)."""
        for _ in range(len(nodes) + 1):
            if not any([self._update(node, kind) for node in nodes]):  # noqa: C419 - update every node
                return

    def _sites(self, node: FunctionRef) -> list[dict[EffectSite, int]]:
        return [{site: dist for site, (dist, _edge) in self._reach.get((node, kind.name), {}).items()}
                for kind in self.kinds]

    def _update(self, node: FunctionRef, kind: EffectKind) -> bool:
        key = (node, kind.name)
        reach = self._reach.get(key)
        changed = False
        if reach is None:  # (only non-empty tables are stored: most functions reach nothing)
            reach = {site: (0, None) for site in self.direct.get(node, []) if site.kind == kind.name}
            changed = bool(reach)
        for edge in self.out_edges(node):
            below = self._reach.get((edge.callee, kind.name))
            if not below or not kind.passes(self.project, edge):  # (most callees reach nothing)
                continue
            for site, (dist, _via) in below.items():
                current = reach.get(site)
                if current is None or dist + 1 < current[0]:
                    if current is None and len(reach) >= MAX_SITES:
                        continue
                    reach[site] = (dist + 1, edge)
                    changed = True
        if reach:
            self._reach[key] = reach
        return changed

    # --- queries ---------------------------------------------------------------------
    def per_file(self, key: str, facts: FileFacts, build: Callable[[FileFacts], Any]) -> Any:
        """Memoise `build(facts)`, which may read the file's facts and the out-edges of its
        functions, until either changes (the language server then redoes one file's part
        of a project-wide summary after an edit)."""
        version = self._edges_version.get(facts.path, 0)
        entry = self._per_file.get((key, facts.path))
        if entry is None or entry[0] is not facts or entry[1] != version:
            entry = self._per_file[(key, facts.path)] = (facts, version, build(facts))
        return entry[2]

    def reach(self, ref: FunctionRef, kind: str) -> dict[EffectSite, tuple[int, Edge | None]]:
        if self.lazy:
            self._settle(ref)
        return self._reach.get((ref, kind), {})

    def witness(self, ref: FunctionRef, site: EffectSite) -> list[Hop]:
        """Call sites from `ref` down to the effect site (the last hop is the effect itself)."""
        if self.lazy:
            self._settle(ref)
        hops: list[Hop] = []
        current = ref
        for _ in range(256):
            entry = self._reach.get((current, site.kind), {}).get(site)
            if entry is None:
                break
            _dist, edge = entry
            if edge is None:
                hops.append(Hop(current, site.call))
                break
            hops.append(Hop(current, edge.call))
            current = edge.callee
        return hops

    def chain(self, ref: FunctionRef, site: EffectSite, verb: str) -> list[ChainStep]:
        """The witness path from `ref` to `site` as explanation steps: "`a()` calls `b()`", …,
        and last "`z()` <verb>: `label`" at the effect itself."""
        project = self.project
        hops = self.witness(ref, site)
        steps = []
        for index, hop in enumerate(hops):
            call = project.files[hop.function.path].calls[hop.call]
            name = project.display_name(hop.function)
            if index + 1 < len(hops):
                text = f"`{name}()` calls `{project.display_name(hops[index + 1].function)}()`"
            else:
                text = f"`{name}()` {verb}: `{site.label}`"
            steps.append(ChainStep(location=Location(hop.function.path, call.span), message=text))
        return steps

    def out_edges(self, ref: FunctionRef) -> list[Edge]:
        self._ensure_out(ref)
        return self.graph.out_edges(ref)

    def in_edges(self, ref: FunctionRef) -> list[Edge]:
        """Every edge into `ref` (a lazy graph resolves every call of the project first)."""
        if not self._complete:
            self._resolve_all()
        return self.graph.in_edges(ref)

    def inline_edges_into(self, ref: FunctionRef) -> list[Edge]:
        """The in-edges of an inline callback from the call it is written in (`in_edges`
        filtered to `inline`, without resolving the project)."""
        facts = self.project.files[ref.path]
        fn = facts.functions[ref.id]
        if fn.callback_of is None:
            return []
        caller = FunctionRef(ref.path, facts.calls[fn.callback_of].func)
        return [edge for edge in self.edges_between(caller, ref) if edge.how == "inline"]

    def edges_between(self, caller: FunctionRef, callee: FunctionRef) -> list[Edge]:
        """The edges from `caller` to `callee`, in the order `out_edges` gives them."""
        self._ensure_out(caller)
        return self.graph.edges_between(caller, callee)

    def _successors(self, ref: FunctionRef):
        self._ensure_out(ref)
        return self.graph.successors(ref)

    def edges_at(self, ref: FunctionRef, call_id: int) -> list[Edge]:
        return [edge for edge in self.out_edges(ref) if edge.call == call_id]

    @property
    def size(self) -> tuple[int, int]:
        self._resolve_all()
        return len(self.graph), self.graph.edge_count


def _calls_of(facts: FileFacts, funcs: frozenset[int]) -> dict[int, list[Call]]:
    """The calls of the given functions, per function, in order."""
    out: dict[int, list[Call]] = {}
    for call in facts.calls:
        if call.func in funcs:
            out.setdefault(call.func, []).append(call)
    return out


def _components(successors, nodes: set[FunctionRef]) -> list[list[FunctionRef]]:
    """Strongly connected components of the subgraph on `nodes`, callees first (iterative
    Tarjan: a component comes out after every component it reaches)."""
    index: dict[FunctionRef, int] = {}
    low: dict[FunctionRef, int] = {}
    on_stack: set[FunctionRef] = set()
    stack: list[FunctionRef] = []
    out: list[list[FunctionRef]] = []
    for root in sorted(nodes):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors(root)))]
        while work:
            node, neighbours = work[-1]
            for nxt in neighbours:
                if nxt not in nodes:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(successors(nxt))))
                    break
                if nxt in on_stack and index[nxt] < low[node]:
                    low[node] = index[nxt]
            else:
                work.pop()
                if work and low[node] < low[work[-1][0]]:
                    low[work[-1][0]] = low[node]
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    out.append(component)
    return out
