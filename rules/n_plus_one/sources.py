"""Where values come from: names in scope, loop elements, loops that repeat a site, and
the eager loading written around a query.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from perfsense.rules.n_plus_one.catalog import Orm
from perfsense.rules.n_plus_one.collect import Collected
from perfsense.rules.n_plus_one.eager import ALL, django_lookups
from perfsense.scanner.facts.model import MODULE_FUNCTION, Binding, Call, FileFacts, Import, Loop, Step, Value
from perfsense.scanner.facts.query import loops_around
from perfsense.scanner.model import Span
from perfsense.scanner.patterns import PatternSet
from perfsense.scanner.project import Project

COLLECTED_KEY = "lazy-relation-in-loop"
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
ELEMENT = Step("*", index=True)


def collected(facts: FileFacts) -> Collected:
    data = facts.extra.get(COLLECTED_KEY)
    return data if isinstance(data, Collected) else Collected()


# --- files worth reporting on ---------------------------------------------------------
_TEST_DIR = re.compile(r"^(tests?|__tests__|testing|specs?|e2e|test_?utils|.*[-_]tests?|tests?[-_].*)$")
_TEST_FILE = re.compile(r"^(test_.*\.py|.*_tests?\.py|tests\.py|conftest\.py|.*\.(test|spec)\.[cm]?[jt]sx?)$")


def reportable(facts: FileFacts, include_tests: bool) -> bool:
    """Code that runs in production more than once: not a Django migration (it runs once,
    at deploy time), and not a test unless asked for."""
    if facts.language == "python" and any(
            imp.module == "django.db.migrations" or (imp.module == "django.db" and imp.name == "migrations")
            for imp in facts.imports):
        return False
    if include_tests:
        return True
    parts = facts.path.split("/")
    return not (any(_TEST_DIR.match(part) for part in parts[:-1]) or _TEST_FILE.match(parts[-1]))


# --- names ------------------------------------------------------------------------------
def scope_chain(facts: FileFacts, func: int) -> list[int]:
    out: list[int] = []
    current: int | None = func
    while current is not None and len(out) < 32:
        out.append(current)
        current = facts.functions[current].parent
    return out


class _Names(NamedTuple):
    """A file's imports, bindings and callback loops by (function, name): looking them up
    by scanning the whole file for every call site was quadratic (minutes on 50,000 lines)."""

    imports: dict[tuple[int, str], Import]  # the first import of a name in a function
    bindings: dict[tuple[int, str], list[Binding]]  # in file order
    callbacks: dict[tuple[int, str], Loop]  # the first callback loop over a parameter


_names_cache: OrderedDict[int, tuple[FileFacts, _Names]] = OrderedDict()


def _names(facts: FileFacts) -> _Names:
    entry = _names_cache.get(id(facts))
    if entry is not None and entry[0] is facts:
        _names_cache.move_to_end(id(facts))
        return entry[1]
    imports: dict[tuple[int, str], Import] = {}
    for imp in facts.imports:
        imports.setdefault((imp.func, imp.local), imp)
    bindings: dict[tuple[int, str], list[Binding]] = {}
    for binding in facts.bindings:
        bindings.setdefault((binding.func, binding.name), []).append(binding)
    callbacks: dict[tuple[int, str], Loop] = {}
    for loop in facts.loops:
        if loop.kind == "callback" and loop.targets and loop.iterable is not None:
            callbacks.setdefault((loop.func, loop.targets[0]), loop)
    names = _Names(imports, bindings, callbacks)
    _names_cache[id(facts)] = (facts, names)
    if len(_names_cache) > 256:
        _names_cache.popitem(last=False)
    return names


def name_value(facts: FileFacts, func: int, name: str) -> Value:
    """What a name written in function `func` refers to, from the frozen facts."""
    names = _names(facts)
    for scope in scope_chain(facts, func):
        fn = facts.functions[scope]
        if scope != MODULE_FUNCTION:
            if name in ("self", "cls") and fn.class_name and fn.params[:1] == (name,):
                return Value("self")
            imported = names.imports.get((scope, name))
            if imported is not None:
                return _import_value(facts, imported.module, imported.name)
            bound = names.bindings.get((scope, name), [])
            if bound:
                texts = {b.value.full_text if b.value is not None else "" for b in bound}
                value = bound[0].value
                if len(texts) == 1 and value is not None and bound[0].kind not in ("def", "class"):
                    return value
                return Value(f"local:{name}")
            if name in fn.params:
                element = callback_element(facts, scope, name)
                if element is not None:
                    return element
                typed = dict(fn.param_types).get(name)
                return Value(typed, (Step(call=True),)) if typed else Value(f"param:{name}")
    imported = names.imports.get((MODULE_FUNCTION, name))
    if imported is not None:
        return _import_value(facts, imported.module, imported.name)
    if (MODULE_FUNCTION, name) in names.bindings:
        sep = "." if facts.language == "python" else ":"
        return Value(f"{facts.module}{sep}{name}" if facts.module else name)
    return Value(name)


def _import_value(facts: FileFacts, module: str, name: str | None) -> Value:
    from perfsense.scanner.facts.jsvalues import module_root

    if facts.language == "python":
        return Value(f"{module}.{name}" if name and name != "*" else module)
    return module_root(module, name)


def callback_element(facts: FileFacts, func: int, param: str) -> Value | None:
    """`order` in `orders.map(order => …)`: an element of the iterated collection."""
    loop = _names(facts).callbacks.get((func, param))
    return loop.iterable.extend(ELEMENT) if loop is not None and loop.iterable is not None else None


_WRAPPERS = frozenset({"enumerate", "list", "sorted", "reversed", "tuple"})


def site_value(project: Project, facts: FileFacts, func: int, value: Value) -> Value:
    """A value as written at a site, with its root followed (locals, callback elements,
    imports, other modules)."""
    root = value.root
    if root.startswith("param:"):
        element = callback_element(facts, func, root[6:])
        if element is not None:
            value = Value(element.root, element.steps + value.steps)
    elif not root.startswith(("<", "./", "..", "local:", "self", "this")) and "." not in root and ":" not in root:
        base = name_value(facts, func, root)
        value = Value(base.root, base.steps + value.steps)
    return project.resolve(_unwrap(facts, func, value), facts.path, func)


# --- loops ------------------------------------------------------------------------------
def repeating_loops(facts: FileFacts, func: int, loop: int | None, exit_kind: str = "",
                    args: tuple[str, ...] = ()) -> list[Loop]:
    """The loops that run a site once per item (innermost first), without those it leaves
    right after running (`exit_kind`), `while` loops (retries, pagination, polling), loops
    over small literals, and `range(…)` loops whose counter the site does not use."""
    out: list[Loop] = []
    for index, current in enumerate(loops_around(facts, func, loop)):
        same_function = current.func == func and current.kind != "callback"
        if exit_kind == "return" and same_function:
            continue
        if exit_kind == "break" and index == 0 and same_function:
            continue
        if current.small_literal or current.kind in ("while", "do") or _constant(current.iter_text):
            continue
        if current.kind == "for" and facts.language != "python" and ".length" not in current.iter_text \
                and ".size" not in current.iter_text:
            continue
        if current.iterable is not None and current.iterable.root == "range" and not _uses(args, current.targets):
            continue
        out.append(current)
    return out


def _unwrap(facts: FileFacts, func: int, value: Value) -> Value:
    """`enumerate(orders)[*]` / `sorted(orders, …)[*]` -> `orders[*]`: the same rows."""
    steps = value.steps
    if facts.language != "python" or value.root not in _WRAPPERS or len(steps) < 2 or not steps[0].call \
            or steps[0].name or not steps[0].args or not (steps[1].index and steps[1].name == "*"):
        return value
    inner = steps[0].args[0]
    if not re.fullmatch(r"[A-Za-z_]\w*", inner):
        return value
    base = name_value(facts, func, inner)
    rest = steps[2:]
    if value.root == "enumerate" and rest and rest[0].index and rest[0].name != "*":
        rest = rest[1:]  # `for i, order in enumerate(orders)` binds both names to the pair
    return Value(base.root, base.steps + (ELEMENT,) + rest)


_CONSTANT = re.compile(r"(?:^|\.)([A-Z][A-Z0-9_]*)(?:\.(?:items|keys|values)\(\))?$")


def _constant(text: str) -> bool:
    """`for action in PERMISSION_ACTIONS`, `settings.LANGUAGES`: a configured, fixed collection."""
    found = _CONSTANT.search(text.strip())
    return found is not None and len(found.group(1)) > 1


def _uses(args: tuple[str, ...], names: tuple[str, ...]) -> bool:
    wanted = set(names)
    return any(wanted & set(_IDENT.findall(arg)) for arg in args)


def call_exit(facts: FileFacts, call: Call) -> str:
    return collected(facts).exits.get(call.id, "")


def call_text(facts: FileFacts, call: Call) -> str:
    return collected(facts).texts.get(call.id, "")


def call_arguments(facts: FileFacts, call: Call) -> str:
    return collected(facts).arguments.get(call.id, "")


# --- eager loading written around a query -----------------------------------------------
def eager_hook(project: Project, facts: FileFacts, func: int, orm: Orm) -> Callable[[Value], frozenset[str]]:
    memo: dict[str, frozenset[str]] = {}

    def hook(prefix: Value) -> frozenset[str]:
        key = prefix.full_text
        if key not in memo:
            memo[key] = _loaded_around(project, facts, func, orm, key)
        return memo[key]

    return hook


def _loaded_around(project: Project, facts: FileFacts, func: int, orm: Orm, key: str) -> frozenset[str]:
    scopes = set(scope_chain(facts, func))
    spans: list[Span] = []
    names: set[tuple[int, str]] = set()
    for binding in facts.bindings:
        if binding.func in scopes and binding.value is not None and binding.value.full_text.startswith(key):
            names.add((binding.func, binding.name))
    for binding in facts.bindings:
        if (binding.func, binding.name) in names:
            spans.append(binding.span)
    for loop in facts.loops:
        if loop.iterable is not None and loop.iterable.full_text.startswith(key) and loop.func in scopes:
            spans.append(loop.header)
    if not spans:
        return frozenset()
    loaders = PatternSet(orm.frameworks["sqlalchemy"].data.get("loaders") or ()) \
        if "sqlalchemy" in orm.frameworks else PatternSet(())
    out: set[str] = set()
    for call in facts.calls:
        if not any(span.contains(call.span) for span in spans):
            continue
        name = call.name
        if name in ("select_related", "prefetch_related"):
            out |= django_lookups(tuple(arg.text for arg in call.args))
        elif name == "Prefetch":
            out |= _prefetch(call)
        elif loaders and loaders.match(project.resolve(call.callee, facts.path, call.func).text):
            out |= _loader_names(call)
    return frozenset(out)


def _prefetch(call: Call) -> set[str]:
    lookup = call.args[0].literal if call.args and call.args[0].name is None else None
    if not lookup:
        return {ALL}
    out = {lookup}
    for arg in call.args:
        if arg.name == "queryset" and arg.value is not None:
            for step in arg.value.steps:
                if step.call and step.name in ("select_related", "prefetch_related"):
                    out |= {f"{lookup}__{inner}" if inner not in ("", ALL) else ALL
                            for inner in django_lookups(step.args)}
    return out


def _loader_names(call: Call) -> set[str]:
    out: set[str] = set()
    for arg in call.args:
        if arg.name is not None:
            continue
        if arg.literal is not None:
            out.add(ALL if arg.literal == "*" else arg.literal.rsplit(".", 1)[-1])
        elif arg.value is not None and arg.value.steps and arg.value.steps[-1].name:
            out.add(arg.value.steps[-1].name)
        else:
            out.add(ALL)
    return out
