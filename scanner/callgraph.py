"""The project call graph and the effects that flow up it.

Nodes are project functions; an edge is a call site (or a function handed to another
call by name, or an inline callback). Effect detectors (registered per family, see
`scanner.effects`) say which call sites perform an effect directly (`blocking`,
`db-query`, …). Propagation runs over the condensation of strongly connected components,
callees first, so recursion terminates; each function keeps, per effect, the nearest
effect sites with one shortest witness path each.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from perfsense.scanner.effects import EffectKind, effect_kinds
from perfsense.scanner.facts.model import Call, FileFacts
from perfsense.scanner.model import ChainStep, Location
from perfsense.scanner.project import FunctionRef, Project

MAX_SITES = 16  # effect sites kept per function and effect


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
    def __init__(self, project: Project, catalogs: object, kinds: Iterable[EffectKind] | None = None) -> None:
        import networkx as nx  # imported here: the warm (cached) scan never builds a graph

        self.project = project
        self.catalogs = catalogs
        self.kinds = list(kinds if kinds is not None else effect_kinds())
        self.graph = nx.MultiDiGraph()
        self.direct: dict[FunctionRef, list[EffectSite]] = {}
        self._reach: dict[tuple[FunctionRef, str], dict[EffectSite, tuple[int, Edge | None]]] = {}
        for path in sorted(project.files):
            self._add_file(project.files[path])
        self.propagate()

    # --- building --------------------------------------------------------------------
    def _add_file(self, facts: FileFacts) -> None:
        path = facts.path
        self.graph.add_nodes_from(FunctionRef(path, fn.id) for fn in facts.functions)
        for fn in facts.functions:
            if fn.callback_of is None:
                continue
            parent = facts.calls[fn.callback_of]
            caller = FunctionRef(path, parent.func)
            self._edge(Edge(caller, FunctionRef(path, fn.id), parent.id, "inline",
                            self._offloads(facts, parent)))
        for call in facts.calls:
            caller = FunctionRef(path, call.func)
            for kind in self.kinds:
                for label in kind.detect(self.project, facts, call, self.catalogs):
                    self.direct.setdefault(caller, []).append(EffectSite(kind.name, path, call.id, label))
            target = self.project.function(call.callee, path, call.func)
            if target is not None:
                self._edge(Edge(caller, target, call.id, "call"))
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
                for ref in refs:
                    self._edge(Edge(caller, ref, call.id, "reference", offloaded))

    def _edge(self, edge: Edge) -> None:
        self.graph.add_edge(edge.caller, edge.callee, edge=edge)

    def _offloads(self, facts: FileFacts, call: Call) -> bool:
        from perfsense.scanner.effects import is_offload

        return is_offload(self.project, facts, call, self.catalogs)

    def replace_file(self, facts: FileFacts) -> None:
        """Swap one file's facts in; callers in other files are re-resolved; effects re-propagated."""
        path = facts.path
        old = self.project.files.get(path)
        self.project.replace_file(facts)
        stale = {path} | self._dependents(path, old, facts)
        for other in stale:
            self._drop_file(other)
        for other in sorted(stale):
            if other in self.project.files:
                self._add_file(self.project.files[other])
        self.propagate()

    def remove_file(self, path: str) -> None:
        old = self.project.files.get(path)
        if old is None:
            return
        dependents = self._dependents(path, old, None)
        self._drop_file(path)
        self.project.remove_file(path)
        for other in dependents:
            self._drop_file(other)
            self._add_file(self.project.files[other])
        self.propagate()

    def _drop_file(self, path: str) -> None:
        nodes = [n for n in self.graph.nodes if n.path == path]
        self.graph.remove_nodes_from(nodes)
        for node in nodes:
            self.direct.pop(node, None)

    def _dependents(self, path: str, old: FileFacts | None, new: FileFacts | None) -> set[str]:
        """Files with an edge into `path`, or importing its module: their calls may resolve anew."""
        found = {caller.path for caller, _callee in self.graph.in_edges(
            [n for n in self.graph.nodes if n.path == path])}
        modules = {f.module for f in (old, new) if f is not None}
        for other, facts in self.project.files.items():
            if any(imp.module in modules or any(imp.module.startswith(m + ".") for m in modules)
                   or (imp.name and f"{imp.module}.{imp.name}" in modules) for imp in facts.imports):
                found.add(other)
        found.discard(path)
        return found

    # --- propagation -----------------------------------------------------------------
    def propagate(self) -> None:
        import networkx as nx

        self._reach = {}
        condensed = nx.condensation(self.graph)
        members = condensed.graph["mapping"]
        groups: dict[int, list[FunctionRef]] = {}
        for node, group in members.items():
            groups.setdefault(group, []).append(node)
        order = list(nx.topological_sort(condensed))
        for kind in self.kinds:
            for group in reversed(order):
                nodes = sorted(groups[group], key=lambda r: (r.path, r.id))
                for _ in range(len(nodes) + 1):
                    if not any([self._update(node, kind) for node in nodes]):
                        break

    def _update(self, node: FunctionRef, kind: EffectKind) -> bool:
        key = (node, kind.name)
        reach = self._reach.get(key)
        changed = False
        if reach is None:
            reach = {site: (0, None) for site in self.direct.get(node, []) if site.kind == kind.name}
            self._reach[key] = reach
            changed = bool(reach)
        for _caller, callee, data in self.graph.out_edges(node, data=True):
            edge: Edge = data["edge"]
            if not kind.passes(self.project, edge):
                continue
            for site, (dist, _via) in self._reach.get((callee, kind.name), {}).items():
                current = reach.get(site)
                if current is None or dist + 1 < current[0]:
                    if current is None and len(reach) >= MAX_SITES:
                        continue
                    reach[site] = (dist + 1, edge)
                    changed = True
        return changed

    # --- queries ---------------------------------------------------------------------
    def reach(self, ref: FunctionRef, kind: str) -> dict[EffectSite, tuple[int, Edge | None]]:
        return self._reach.get((ref, kind), {})

    def witness(self, ref: FunctionRef, site: EffectSite) -> list[Hop]:
        """Call sites from `ref` down to the effect site (the last hop is the effect itself)."""
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
        return [data["edge"] for _a, _b, data in self.graph.out_edges(ref, data=True)]

    def edges_at(self, ref: FunctionRef, call_id: int) -> list[Edge]:
        return [edge for edge in self.out_edges(ref) if edge.call == call_id]

    @property
    def size(self) -> tuple[int, int]:
        return self.graph.number_of_nodes(), self.graph.number_of_edges()
