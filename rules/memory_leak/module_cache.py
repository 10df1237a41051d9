"""`unbounded-module-cache`: a module-level dict/list/set/Map/array that grows per request,
per job or per call of an exported function and is never trimmed."""
from __future__ import annotations

import re
from collections.abc import Iterable

from perfsense.rules.memory_leak import examples_cache as ex
from perfsense.rules.memory_leak.context import explain, origin, repeated
from perfsense.rules.memory_leak.leakfacts import CollectsLeakFacts, leak_facts
from perfsense.rules.memory_leak.records import Collection, Growth
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.facts.model import MODULE_FUNCTION, FileFacts
from perfsense.scanner.model import Category, ChainStep, Confidence, Finding, Location, Severity
from perfsense.scanner.project import FunctionRef, Project
from perfsense.scanner.testcode import is_test_code

IMPORT_HELPER_DEPTH = 3  # helpers between module-level code and a registry


class UnboundedModuleCache(CollectsLeakFacts, ProjectRule):
    id = "unbounded-module-cache"
    name = "UnboundedModuleCache"
    category = Category.MEMORY_LEAK
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    summary = "A module-level collection grows on every request or call and nothing ever evicts from it."
    tags = ("cache", "global-state")
    docs = Docs(
        what="""
            Finds module-level dicts, lists, sets, `Map`s, `Set`s, objects and arrays that
            code adds to (`cache[key] = …`, `.append`, `.add`, `.setdefault`, `.set`, `.push`)
            from a function that runs per request, per job, per event, per render or in a
            loop, or that memoises an exported function by its argument, when nothing in the
            module ever removes from them (`del`, `pop`, `clear`, `delete`, `splice`,
            `shift`, a reset, or a size check that bounds them). Collections handed to other
            code, or imported by other modules, are left alone. A keyed store (`cache[key] =
            …`, `.set`) that repeats only because its function is called in a loop is not
            reported: the keys are the loop's items, often a small fixed vocabulary (tag or
            style names), and an index store into an array is a stack; a list appended to per
            item is. An exported function caching by its argument is reported unless every
            call of it in the project, tests aside, runs at import time: in module-level code,
            or in a helper that module-level code calls with a literal name (a registry filled
            at import).
        """,
        why="""
            A module-level collection lives as long as the process. When it is keyed by
            request data (a URL, an idempotency key, a user id, free text) or appended to per
            batch, it only ever grows: memory climbs with traffic until the process is
            killed, and lookups and copies get slower. A registry filled once at import
            time, or a table keyed by a small fixed set of values, is fine and not reported.
        """,
        instead="""
            Bound it: `functools.lru_cache(maxsize=…)`, `cachetools.TTLCache` /
            `LRUCache`, an `lru-cache` package or a `Map` with eviction (delete the oldest
            key when `size` passes a limit), a `deque(maxlen=…)`; or keep the data in a real
            store with expiry (Redis), or in the request/component scope where it is freed.
        """,
    )
    valid = ex.VALID
    invalid = ex.INVALID

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        graph = ctx.graph
        reasons = repeated(graph)
        project = ctx.project
        trimmed: dict[str, set[str]] = {}  # attribute name -> files trimming it through a module
        for path in ctx.targets():
            facts = project.files[path]
            data = leak_facts(facts)
            if not trimmed and any(not coll.bounded and not coll.owner for coll in data.collections):
                trimmed = _trimmed(project)  # (read every file only when a module collection can grow)
            for coll in data.collections:
                if coll.bounded or (not coll.owner and (trimmed.get(coll.name, set()) - {path}
                                                        or _imported_elsewhere(project, facts, coll.name))):
                    continue
                for growth in (g for g in data.growths if g.name == coll.name):
                    why = self._why(project, facts, growth, reasons, graph)
                    if why is None:
                        continue
                    yield self._finding(project, facts, coll, growth, *why)
                    break

    def _why(self, project: Project, facts: FileFacts, growth: Growth, reasons, graph
             ) -> tuple[str, list[ChainStep]] | None:
        ref = FunctionRef(facts.path, growth.func)
        fn = facts.functions[growth.func]
        if "." in growth.name:  # class-level: instances registering themselves
            if fn.kind == "method" and fn.name == "__init__" and re.search(r"\bself\b", growth.key):
                return f"`{fn.qualname}` runs for every new instance", []
            return None
        start = origin(reasons, ref)
        # Keyed stores repeated only by a loop are left alone: the keys are the loop's
        # items, often a small fixed vocabulary (tag or style names in a renderer), and an
        # index store into an array is a stack. A list appended to per item grows anyway.
        if start is not None and (start.why != "loop" or _appends(growth)):
            return explain(graph, ref)
        if growth.memo and growth.keyed_by_param:
            fn = _named(facts, growth.func)
            if fn is not None and fn.exported and not _import_time_only(graph, FunctionRef(facts.path, fn.id)):
                return f"`{fn.qualname}` is exported and caches by its argument", []
        return None

    def _finding(self, project: Project, facts: FileFacts, coll: Collection, growth: Growth, why: str,
                 steps: list[ChainStep]) -> Finding:
        declared = ChainStep(location=Location(facts.path, coll.span),
                             message=f"`{coll.name}` is declared here" if not coll.owner
                             else f"`{coll.name}` is a class attribute, shared by every instance")
        fix = ("use a bounded `functools.lru_cache(maxsize=…)` or `cachetools.TTLCache`" if facts.language == "python"
               else "use an LRU/TTL cache, or delete old keys once `size` passes a limit")
        kind = "cache" if growth.memo else "collection"
        if _appends(growth):
            kind = "list"
            fix = ("bound it (`collections.deque(maxlen=…)`), clear it when the work is done, or keep only what "
                   "is read later" if facts.language == "python" else
                   "cap it (drop the oldest entries once `length` passes a limit) or keep it in component or "
                   "request state")
        if any(word in growth.key for word in ("create_task", "ensure_future")) or (
                growth.how == ".add(…)" and "task" in growth.key.lower()):
            kind = "task set"
            fix = f"discard finished tasks with `task.add_done_callback({coll.name}.discard)`"
        level = "Class-level" if coll.owner else "Module-level"
        return self.make(
            path=facts.path, span=growth.span, chain=(declared, *steps),
            context=project.display_name(FunctionRef(facts.path, growth.func)),
            message=f"{level} {kind} `{coll.name}` grows here (`{coll.name}{growth.how}`) every time "
                    f"this runs ({why}) and nothing evicts from it, so memory grows for the life of the process; "
                    f"{fix}.")


def _import_time_only(graph, ref: FunctionRef, depth: int = 0, seen: frozenset = frozenset()) -> bool:
    """Every project call of `ref` outside test code runs at import time: in module-level
    code, or in a helper that module-level code calls with a literal first argument, the
    name of the entry it registers (a registry filled at import; tests that register
    their own entries run once per test run)."""
    project = graph.project
    edges = [edge for edge in graph.in_edges(ref)
             if not is_test_code(edge.caller.path, project.function_fact(edge.caller).name)]
    if not edges:
        return False
    for edge in edges:
        if edge.caller.id == MODULE_FUNCTION:
            if depth and not _names_an_entry(project, edge):
                return False
        elif depth >= IMPORT_HELPER_DEPTH or edge.caller in seen or \
                not _import_time_only(graph, edge.caller, depth + 1, seen | {ref}):
            return False
    return True


def _names_an_entry(project: Project, edge) -> bool:
    """The call's first argument is a literal: `_register("display.width", …)`."""
    args = project.files[edge.caller.path].calls[edge.call].args
    return bool(args) and args[0].name is None and args[0].literal is not None


def _appends(growth: Growth) -> bool:
    """A list or array growing by appends (not a keyed store)."""
    return not growth.memo and growth.how.startswith((".append", ".push", ".extend", ".insert", ".unshift", "+="))


def _named(facts: FileFacts, func: int):
    current = facts.functions[func]
    for _ in range(64):
        if current.kind in ("function", "method") and "<" not in current.name:
            return current
        if current.parent is None or current.parent == MODULE_FUNCTION:
            return current if current.exported else None
        current = facts.functions[current.parent]
    return None


def _imported_elsewhere(project: Project, facts: FileFacts, name: str) -> bool:
    for other in project.files.values():
        if other.path == facts.path:
            continue
        for imp in other.imports:
            if imp.name == name and project.module_file(imp.module, other.path) == facts.path:
                return True
    return False


def _trimmed(project: Project) -> dict[str, set[str]]:
    """Attribute name -> the files that reset or trim an attribute of that name through
    another module (`cache_module._cache = {}`)."""
    out: dict[str, set[str]] = {}
    for other in project.files.values():
        for name in leak_facts(other).attr_evictions:
            out.setdefault(name, set()).add(other.path)
    return out
