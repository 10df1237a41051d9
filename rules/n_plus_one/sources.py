"""Where values come from: names in scope, loop elements, loops that repeat a site, and
the eager loading written around a query.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from perfsense.rules.n_plus_one.catalog import Orm
from perfsense.rules.n_plus_one.collect import Collected
from perfsense.rules.n_plus_one.eager import ALL, django_lookups
from perfsense.rules.n_plus_one.fileindex import FileIndex, file_index
from perfsense.scanner.facts.model import MODULE_FUNCTION, Call, FileFacts, Loop, Step, Value
from perfsense.scanner.facts.query import loops_around
from perfsense.scanner.model import Span
from perfsense.scanner.patterns import PatternSet
from perfsense.scanner.project import Project
from perfsense.scanner.testcode import is_test_path

COLLECTED_KEY = "lazy-relation-in-loop"
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
ELEMENT = Step("*", index=True)


def collected(facts: FileFacts) -> Collected:
    data = facts.extra.get(COLLECTED_KEY)
    return data if isinstance(data, Collected) else Collected()


# --- files worth reporting on ---------------------------------------------------------
def reportable(facts: FileFacts, include_tests: bool) -> bool:
    """Code that runs in production more than once: not a Django migration (it runs once,
    at deploy time), and not a test unless asked for."""
    if facts.language == "python" and any(
            imp.module == "django.db.migrations" or (imp.module == "django.db" and imp.name == "migrations")
            for imp in facts.imports):
        return False
    return include_tests or not is_test_path(facts.path)


# --- names ------------------------------------------------------------------------------
def scope_chain(facts: FileFacts, func: int) -> list[int]:
    out: list[int] = []
    current: int | None = func
    while current is not None and len(out) < 32:
        out.append(current)
        current = facts.functions[current].parent
    return out


def name_value(facts: FileFacts, func: int, name: str, index: FileIndex | None = None) -> Value:
    """What a name written in function `func` refers to, from the frozen facts (memoised
    in `index` when given)."""
    if index is None:
        return _name_value(facts, func, name, FileIndex(facts))
    key = (func, name)
    found = index.names.get(key)
    if found is None:
        found = index.names[key] = _name_value(facts, func, name, index)
    return found


def _name_value(facts: FileFacts, func: int, name: str, index: FileIndex) -> Value:
    for scope in scope_chain(facts, func):
        fn = facts.functions[scope]
        if scope != MODULE_FUNCTION:
            if name in ("self", "cls") and fn.class_name and fn.params[:1] == (name,):
                return Value("self")
            imported = index.imported(scope, name)
            if imported is not None:
                return import_value(facts, imported.module, imported.name)
            bound = index.bound(scope, name)
            if bound:
                texts = {b.value.full_text if b.value is not None else "" for b in bound}
                value = bound[0].value
                if len(texts) == 1 and value is not None and bound[0].kind not in ("def", "class"):
                    return value
                return Value(f"local:{name}")
            if name in fn.params:
                element = callback_element(facts, scope, name, index)
                if element is not None:
                    return element
                typed = dict(fn.param_types).get(name)
                return Value(typed, (Step(call=True),)) if typed else Value(f"param:{name}")
    imported = index.imported(MODULE_FUNCTION, name)
    if imported is not None:
        return import_value(facts, imported.module, imported.name)
    if index.bound(MODULE_FUNCTION, name):
        sep = "." if facts.language == "python" else ":"
        return Value(f"{facts.module}{sep}{name}" if facts.module else name)
    return Value(name)


def import_value(facts: FileFacts, module: str, name: str | None) -> Value:
    from perfsense.scanner.facts.jsvalues import module_root

    if facts.language == "python":
        return Value(f"{module}.{name}" if name and name != "*" else module)
    return module_root(module, name)


def callback_element(facts: FileFacts, func: int, param: str, index: FileIndex | None = None) -> Value | None:
    """`order` in `orders.map(order => …)`: an element of the iterated collection."""
    loops = index.callback_loops(func) if index is not None else \
        [lp for lp in facts.loops if lp.func == func and lp.kind == "callback"]
    for loop in loops:
        if loop.targets[:1] == (param,) and loop.iterable is not None:
            return loop.iterable.extend(ELEMENT)
    return None


_WRAPPERS = frozenset({"enumerate", "list", "sorted", "reversed", "tuple"})


def site_value(project: Project, facts: FileFacts, func: int, value: Value) -> Value:
    """A value as written at a site, with its root followed (locals, callback elements,
    imports, other modules)."""
    root = value.root
    index = file_index(project, facts)
    if root.startswith("param:"):
        element = callback_element(facts, func, root[6:], index)
        if element is not None:
            value = Value(element.root, element.steps + value.steps)
    elif not root.startswith(("<", "./", "..", "local:", "self", "this")) and "." not in root and ":" not in root:
        base = name_value(facts, func, root, index)
        value = Value(base.root, base.steps + value.steps)
    return project.resolve(_unwrap(facts, func, value, index), facts.path, func)


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


def _unwrap(facts: FileFacts, func: int, value: Value, index: FileIndex) -> Value:
    """`enumerate(orders)[*]` / `sorted(orders, …)[*]` -> `orders[*]`: the same rows."""
    steps = value.steps
    if facts.language != "python" or value.root not in _WRAPPERS or len(steps) < 2 or not steps[0].call \
            or steps[0].name or not steps[0].args or not (steps[1].index and steps[1].name == "*"):
        return value
    inner = steps[0].args[0]
    if not re.fullmatch(r"[A-Za-z_]\w*", inner):
        return value
    base = name_value(facts, func, inner, index)
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
    """The callee as written (`payments.charge_card`), for messages."""
    return collected(facts).texts.get(call.id) or call.callee.text


def call_arguments(facts: FileFacts, call: Call) -> str:
    return collected(facts).arguments.get(call.id, "")


# --- eager loading written around a query -----------------------------------------------
def eager_hook(project: Project, facts: FileFacts, func: int, orm: Orm) -> Callable[[Value], frozenset[str]]:
    index = file_index(project, facts)

    def hook(prefix: Value) -> frozenset[str]:
        key = (func, prefix.full_text)
        found = index.loaded.get(key)
        if found is None:
            found = index.loaded[key] = _loaded_around(project, facts, func, orm, key[1], index)
        return found

    return hook


def _loaded_around(project: Project, facts: FileFacts, func: int, orm: Orm, key: str,
                   index: FileIndex) -> frozenset[str]:
    """Lookups loaded by loader calls written where the value `key` (a prefix of it) is
    assigned to a name, anywhere that name is assigned, or in the header of a loop over it."""
    scopes = set(scope_chain(facts, func))
    spans: list[Span] = []
    names = {(b.func, b.name) for b in index.bindings_starting(key) if b.func in scopes}
    for scope, name in names:
        spans.extend(b.span for b in index.bound(scope, name))
    spans.extend(loop.header for loop in index.loops_starting(key) if loop.func in scopes)
    if not spans:
        return frozenset()
    out: set[str] = set()
    seen: set[int] = set()
    for span in spans:
        for call in index.calls_within(span):
            if call.id not in seen:
                seen.add(call.id)
                out |= _loaded_by(project, facts, call, orm, index)
    return frozenset(out)


_EAGER_CALLS = frozenset({"select_related", "prefetch_related", "Prefetch"})


def _loaded_by(project: Project, facts: FileFacts, call: Call, orm: Orm, index: FileIndex) -> frozenset[str]:
    """The lookups a call loads when it is a loader (`select_related(…)`, `Prefetch(…)`,
    `selectinload(…)`), memoised per call."""
    found = index.loaders.get(call.id)
    if found is not None:
        return found
    name = call.name
    if name in _EAGER_CALLS:
        found = frozenset(django_lookups(tuple(arg.text for arg in call.args)) if name != "Prefetch"
                          else _prefetch(call))
    else:
        loaders = _loaders(orm)
        found = frozenset(_loader_names(call)) if loaders and loaders.match(
            project.resolve(call.callee, facts.path, call.func).text) else frozenset()
    index.loaders[call.id] = found
    return found


_LOADERS: dict[int, tuple[Orm, PatternSet]] = {}


def _loaders(orm: Orm) -> PatternSet:
    """The SQLAlchemy loader option functions (`selectinload`), compiled once per catalog."""
    cached = _LOADERS.get(id(orm))
    if cached is None or cached[0] is not orm:
        fw = orm.frameworks.get("sqlalchemy")
        cached = _LOADERS[id(orm)] = orm, PatternSet(fw.data.get("loaders") or ()) if fw is not None else PatternSet(())
    return cached[1]


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
