"""A cheap first test for the `db-query` detector: can a call run a query at all?

A call runs an explicit query only when the method it calls is one the ORM catalog lists
(`get`, `count`, `save`, `findUnique`, ...), or a name the user declared in the config, or
(Knex) when any builder chain is awaited. The called name survives the resolution of the
callee except for the step right after the root (`queries.fetch_order`, `self.find`, a
bare `fetch_order`): there an alias bound elsewhere in the project
(`fetch_order = Order.objects.get`) may stand for a query method, so the names bound to a
query method, directly or through other aliases, count too (computed once per project).
Everything else is decided before any resolution or evaluation.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from perfsense.rules.n_plus_one.catalog import Orm, family_of, orm
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.facts.model import Call, FileFacts, Value, last_name
from perfsense.scanner.project import Project

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_SEGMENT = re.compile(r"[.:]")  # separators of a root: `pkg.mod.name`, `./db:query`


@dataclass(frozen=True, slots=True)
class QueryNames:
    names: frozenset[str]  # methods (and declared functions) that run a query when called
    awaited: bool  # awaiting any builder call runs it (thenable query builders)
    any_name: bool  # a declared query pattern no name test can decide: no filter


def _compile(catalogs: Catalogs) -> dict[str, QueryNames]:
    compiled: Orm = orm(catalogs)
    custom: set[str] = set()
    any_name = False
    for patterns, _batch in compiled.custom:
        for pattern in list(patterns.exact) + [p for p, _r in patterns.globs]:
            tail = _SEGMENT.split(pattern)[-1]
            if _IDENTIFIER.fullmatch(tail):
                custom.add(tail)
            else:
                any_name = True
    out: dict[str, QueryNames] = {}
    for family in ("python", "javascript"):
        names: set[str] = set(custom)
        awaited = False
        for fw in compiled.by_language(family):
            for kind in compiled.kinds.values():
                if kind.framework == fw.name:
                    names.update(kind.query)
                    awaited = awaited or kind.awaited
            names.update(fw.data.get("related_writes") or ())
        out[family] = QueryNames(frozenset(names), awaited, any_name)
    return out


def query_names(catalogs: Catalogs, language: str) -> QueryNames:
    return catalogs.derived("n-plus-one:query-names", _compile)[family_of(language)]


def called_name(callee: Value) -> str | None:
    """The name a call to `callee` calls, as the evaluator sees it (None: a nameless call,
    `f()()` or `xs[0]()`, which no catalog method matches)."""
    steps = callee.steps
    if steps:
        last = steps[-1]
        return None if last.call or last.index else last.name
    return last_name(callee.root)


def might_query(facts: FileFacts, call: Call, names: QueryNames, aliases: frozenset[str] | None = None) -> bool:
    """Whether the call can run an explicit query (a superset: the evaluator decides).
    Without `aliases` (the per-file stage) only the names written at the call count."""
    if names.any_name or names.awaited and (call.awaited or call.returned):
        return True
    callee = call.callee
    name = called_name(callee)
    if name is None:
        return False
    if name in names.names:
        return True
    if len(callee.steps) > 1:
        return False  # the name is kept by any resolution of the callee
    if not callee.steps and callee.root.startswith("param:") and _transaction_param(facts, call.func, name):
        return True
    return aliases is not None and name in aliases


def _transaction_param(facts: FileFacts, func: int, name: str) -> bool:
    """`tx` in `prisma.$transaction(async (tx) => …)`: the first parameter of an inline callback."""
    current: int | None = func
    for _ in range(32):
        if current is None:
            return False
        fn = facts.functions[current]
        if name in fn.params:
            return fn.callback_of is not None and fn.params[:1] == (name,)
        current = fn.parent
    return False


def _aliases(project: Project, catalogs: Catalogs) -> frozenset[str]:
    """Names bound anywhere in the project (assignments, imports, exports, class and
    instance attributes) to a query method, directly or through other such names."""
    parts = {path: project.per_file("n-plus-one:alias-edges", facts, _alias_edges)
             for path, facts in project.files.items()}
    cached = _alias_memo.get(project)
    if cached is not None and cached[0] is catalogs and len(cached[1]) == len(parts) and all(
            (old := cached[1].get(path)) is new or old == new for path, new in parts.items()):
        return cached[2]  # an edit that bound no new name (typing in a function body)
    bound: dict[str, set[str]] = {}  # name of the value -> names bound to it
    for part in parts.values():
        for name, target in part:
            bound.setdefault(target, set()).add(name)
    seeds = set().union(*(n.names for n in catalogs.derived("n-plus-one:query-names", _compile).values()))
    found: set[str] = set()
    queue = list(seeds)
    while queue:
        for name in bound.get(queue.pop(), ()):
            if name not in found and name not in seeds:
                found.add(name)
                queue.append(name)
    result = frozenset(found)
    _alias_memo[project] = (catalogs, parts, result)
    return result


# project -> (catalogs, its files' alias edges, the aliases computed from them)
_alias_memo: weakref.WeakKeyDictionary[Project, tuple[Catalogs, dict, frozenset[str]]] = weakref.WeakKeyDictionary()


def _alias_edges(facts: FileFacts) -> tuple[tuple[str, str], ...]:
    """(name, name of the value bound to it) for the file's bindings, imports, class
    attributes and exports."""
    out: list[tuple[str, str]] = []

    def edge(name: str, target: str | None) -> None:
        if target is not None and target != name:
            out.append((name, target))

    for binding in facts.bindings:
        if binding.value is not None:
            edge(binding.name, called_name(binding.value))
    python = facts.language == "python"
    for imp in facts.imports:
        if imp.local:
            edge(imp.local, _imported_name(python, imp.module, imp.name))
    for cls in facts.classes:
        for name, value, _text in cls.attributes:
            if value is not None:
                edge(name, called_name(value))
        for name, value in cls.instance_attributes:
            if value is not None:
                edge(name, called_name(value))
    for export in facts.exports:
        if export.local:
            edge(export.name, last_name(export.local))
        if export.source is not None:
            edge(export.name, last_name(export.source_name or export.name))
    return tuple(out)


def _imported_name(python: bool, module: str, name: str | None) -> str:
    """The last name of the value an import binds (see `sources.import_value`)."""
    if python:
        text = f"{module}.{name}" if name and name != "*" else module
    elif module.startswith(("./", "..")):
        return name or "*"
    else:
        text = module if name in (None, "*", "default") else f"{module}.{name}"
    return last_name(text)


def project_aliases(project: Project, catalogs: Catalogs) -> frozenset[str]:
    return project.derived("n-plus-one:query-aliases", lambda p: _aliases(p, catalogs))


def query_candidates(project: Project, facts: FileFacts, catalogs: Catalogs) -> frozenset[int]:
    """Ids of the file's calls that pass `might_query`, memoised until the project changes."""
    def build(f: FileFacts) -> frozenset[int]:
        names, aliases = query_names(catalogs, f.language), project_aliases(project, catalogs)
        return frozenset(call.id for call in f.calls if might_query(f, call, names, aliases))

    return project.derived_per_file("n-plus-one:query-candidates", facts, build)

