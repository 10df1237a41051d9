"""`cache-on-method` and `unbounded-lru-cache`: `functools.lru_cache` / `cache` that keep
instances alive or grow with an unbounded argument space."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from perfsense.rules.memory_leak import examples_function_cache as ex
from perfsense.rules.memory_leak.catalog import Compiled, compiled
from perfsense.rules.memory_leak.context import explain, repeated
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.facts.model import MODULE_FUNCTION, Function, Value, last_name
from perfsense.scanner.model import Category, ChainStep, Confidence, Finding, Location, Severity
from perfsense.scanner.project import FunctionRef
from perfsense.scanner.testcode import is_test_code, is_test_function

BOUNDED_TYPES = ("bool", "Literal", "Enum", "typing.Literal", "enum.")


def unbounded_cache(cat: Compiled, fn: Function) -> str | None:
    """The decorator text when `fn` is memoised without a size limit."""
    for deco in fn.decorators:
        base = ".".join([deco.root] + [s.name for s in deco.steps if s.name and not s.index])
        args = next((s.args for s in reversed(deco.steps) if s.call), None)
        if cat.unbounded_caches.match(base):
            return "@" + _short(deco)
        if cat.sized_caches.match(base) and args is not None and any(
                a.replace(" ", "") in ("maxsize=None", "None") for a in args):
            return "@" + _short(deco)
    return None


def _short(deco: Value) -> str:
    text = deco.full_text
    return text.removeprefix("functools.")


def cleared_names(project) -> frozenset[str]:
    """Names `f` of every `f.cache_clear()` / `self.f.cache_clear()` in the project (once
    per project version for both rules; each file's part kept until that file changes)."""
    return project.derived("memory-leak:cleared", lambda p: frozenset().union(
        *(p.per_file("memory-leak:cleared", facts, _cleared_in)
          for facts in p.files.values() if facts.language == "python")))


def _cleared_in(facts) -> frozenset[str]:
    out: set[str] = set()
    for call in facts.calls:
        if call.name != "cache_clear":
            continue
        names = [s.name for s in call.callee.steps if s.name and not s.call]
        names = names[:-1] or [last_name(call.callee.root)]
        out.add(names[-1])
    return frozenset(out)


def _plain_method(fn: Function) -> bool:
    names = {d.text.rsplit(".", 1)[-1] for d in fn.decorators}
    return fn.kind == "method" and not names & {"staticmethod", "classmethod"} and fn.params[:1] == ("self",)


class CacheOnMethod(ProjectRule):
    id = "cache-on-method"
    name = "CacheOnMethod"
    category = Category.MEMORY_LEAK
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    languages = ("python",)
    summary = "An unbounded `functools.lru_cache`/`cache` on a method keeps every instance alive."
    tags = ("functools", "lru_cache")
    docs = Docs(
        what="""
            Finds instance methods decorated with `@functools.cache` or
            `@functools.lru_cache(maxsize=None)`.
        """,
        why="""
            The cache belongs to the function, not to the instance, and its keys include
            `self`: every instance the method was ever called on, with everything it
            references and every result computed for it, stays in memory for the life of
            the process. When instances are created per request or per batch this grows
            without bound. A bounded `lru_cache(maxsize=N)` pins at most N entries and is not
            reported; `staticmethod`s and `classmethod`s hold no instance.
        """,
        instead="""
            Cache per instance (`functools.cached_property`, or a dict attribute set in
            `__init__`), or move the computation to a module-level function of the
            arguments only and cache that with a bounded `lru_cache(maxsize=…)`.
        """,
        options="""
            `include-tests` (default `false`): also report in test code (`tests/`, `test_*.py`,
            methods of classes defined in `test_*` functions), where the instances live for
            one test run.
        """,
    )
    default_options: ClassVar[Mapping[str, Any]] = {"include-tests": False}
    valid = ex.METHOD_VALID
    invalid = ex.METHOD_INVALID

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        cleared = cleared_names(ctx.project)
        tests = bool(self.options.get("include-tests"))
        for path in ctx.targets():
            facts = ctx.project.files[path]
            if facts.language != "python" or (is_test_code(path) and not tests):
                continue
            cat = compiled(ctx.catalogs, facts.language)
            for fn in facts.functions:
                deco = unbounded_cache(cat, fn) if _plain_method(fn) else None
                if deco is None or fn.name in cleared or (not tests and _in_test_function(facts, fn)):
                    continue
                yield self.make(
                    path=path, span=fn.header, context=fn.qualname,
                    message=f"`{deco}` on method `{fn.qualname}` keys its unbounded cache on `self`, so every "
                            "instance and every result cached for it stay in memory for the life of the process; "
                            "cache per instance (`functools.cached_property` or a dict attribute) or cache a "
                            "module-level function with `lru_cache(maxsize=…)`.")


class UnboundedLruCache(ProjectRule):
    id = "unbounded-lru-cache"
    name = "UnboundedLruCache"
    category = Category.MEMORY_LEAK
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    languages = ("python",)
    summary = "An unbounded `lru_cache(maxsize=None)`/`cache` function is called per request with open-ended arguments."
    tags = ("functools", "lru_cache")
    docs = Docs(
        what="""
            Finds module-level functions decorated with `@functools.cache` or
            `@functools.lru_cache(maxsize=None)` that take arguments and are called from code
            that runs per request, per task or in a loop (in any file).
        """,
        why="""
            An unbounded cache keeps one entry per distinct argument tuple forever. Called
            from a request handler with request data (ids, query strings, free text) it
            grows with traffic and never shrinks. Functions without parameters, or whose
            parameters are `bool`/`Literal`/`Enum` typed, have a small fixed argument
            space and are not reported.
        """,
        instead="""
            Give the cache a bound, `@functools.lru_cache(maxsize=1024)`, or use a TTL cache
            (`cachetools.TTLCache`) when the values can go stale.
        """,
    )
    valid = ex.FUNCTION_VALID
    invalid = ex.FUNCTION_INVALID

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        graph = ctx.graph
        reasons = repeated(graph)
        cleared = cleared_names(ctx.project)
        for path in ctx.targets():
            facts = ctx.project.files[path]
            if facts.language != "python":
                continue
            cat = compiled(ctx.catalogs, facts.language)
            for fn in facts.functions:
                if fn.kind != "function" or fn.parent != MODULE_FUNCTION or not _open_params(fn):
                    continue
                deco = unbounded_cache(cat, fn)
                if deco is None or fn.name in cleared:
                    continue
                for caller, call_id in _repeated_callers(graph, FunctionRef(path, fn.id), reasons):
                    why, steps = explain(graph, caller)
                    call = ctx.project.files[caller.path].calls[call_id]
                    here = ChainStep(location=Location(caller.path, call.span),
                                     message=f"called here from `{ctx.project.display_name(caller)}`")
                    yield self.make(
                        path=path, span=fn.header, context=fn.qualname, chain=(*steps, here),
                        message=f"`{deco}` on `{fn.qualname}` keeps one entry per distinct argument forever, "
                                f"and it is called per request ({why}), so the cache grows with traffic; "
                                "give it a bound (`lru_cache(maxsize=…)`) or a TTL (`cachetools.TTLCache`).")
                    break


def _in_test_function(facts, fn: Function) -> bool:
    """`fn` is defined inside a `test_*` function (a class made for one test)."""
    current = fn.parent
    while current is not None and current != MODULE_FUNCTION:
        outer = facts.functions[current]
        if is_test_function(outer.name):
            return True
        current = outer.parent
    return False


def _open_params(fn: Function) -> bool:
    typed = dict(fn.param_types)
    for param in fn.params:
        if param.startswith("*"):
            return True
        kind = typed.get(param, "")
        if not any(kind.startswith(t) or kind.endswith(t) for t in BOUNDED_TYPES if kind):
            return True
    return False


def _repeated_callers(graph, ref: FunctionRef, reasons) -> Iterator[tuple[FunctionRef, int]]:
    """The call sites of `ref` in functions that run per request (`reasons`: their calls
    are resolved already), by file and call. Not `graph.in_edges`, which would have a
    scan's lazy graph resolve every call of the project."""
    edges = [edge for caller in reasons for edge in graph.edges_between(caller, ref) if edge.how == "call"]
    for edge in sorted(edges, key=lambda e: (e.caller.path, e.call)):
        yield edge.caller, edge.call
