"""Per-file collection of module-level (and class-level) collections and where they grow."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

from perfsense.rules.memory_leak.catalog import Compiled
from perfsense.rules.memory_leak.handles import declared
from perfsense.rules.memory_leak.records import Collection, Growth
from perfsense.rules.memory_leak.syntax import Syntax, bound_names, text, up
from perfsense.rules.memory_leak.tree_index import FileIndex
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.model import MODULE_FUNCTION, FileFacts, Value

READERS = frozenset({"len", "list", "tuple", "set", "dict", "sorted", "iter", "enumerate", "str", "repr",
                     "print", "sum", "min", "max", "any", "all", "reversed", "frozenset", "dumps", "keys",
                     "values", "entries", "from", "stringify", "log", "info", "debug", "warn", "isArray"})
COMPARISONS = frozenset({"comparison_operator", "binary_expression"})
LOOKUPS = frozenset({"get", "has", "includes", "indexOf", "find", "__contains__", "count"})


@dataclass(slots=True)
class _State:
    bounded: bool = False
    growths: list[tuple[ts.Node, int, str, str]] = field(default_factory=list)  # node, func, how, key
    reads: set[int] = field(default_factory=set)  # functions that look it up


def collect_collections(ctx: FileContext, syntax: Syntax, cat: Compiled,
                        index: FileIndex) -> tuple[list[Collection], list[Growth]]:
    facts = ctx.facts
    func_of = function_finder(ctx, index)
    collections: list[Collection] = []
    growths: list[Growth] = []
    candidates = _module_collections(facts, cat)
    for name, span in candidates.items():
        state = _State()
        for ref in index.refs(name):  # in document order: the rule reports the first growth
            func = func_of(ref)
            if func == MODULE_FUNCTION or _shadowed(facts, func, name, ref, syntax):
                continue
            _classify(ref, func, syntax, cat, state)
        collections.append(Collection(name=name, span=span, bounded=state.bounded))
        growths.extend(_growths(facts, name, state, ctx.span))
    if ctx.language == "python":
        from perfsense.rules.memory_leak.collect_registries import class_registries

        class_registries(ctx, syntax, cat, index, func_of, collections, growths)
    return collections, growths


def _module_collections(facts: FileFacts, cat: Compiled) -> dict[str, object]:
    found: dict[str, object] = {}
    counts: dict[str, int] = {}
    for binding in facts.bindings:
        if binding.func != MODULE_FUNCTION or binding.kind not in ("assign", "augmented"):
            continue
        counts[binding.name] = counts.get(binding.name, 0) + 1
        if binding.value is not None and _is_collection(binding.value, binding.text, cat):
            found.setdefault(binding.name, binding.span)
    return {name: span for name, span in found.items() if counts[name] == 1}


EMPTY = re.compile(r"^(\[\s*\]|\{\s*\}|\(\s*\))$")


def _is_collection(value: Value, source: str, cat: Compiled) -> bool:
    """An empty collection: a cache or log starts empty; a pre-filled one is data (a table,
    fixtures, choices) that code may legitimately extend."""
    if not value.steps:
        return value.root in cat.literals and bool(EMPTY.match(_initial(source)))
    if len(value.steps) == 1 and value.steps[0].call and cat.constructors.match(value.root):
        args = value.steps[0].args
        return not any(arg.startswith("maxlen") for arg in args) and all(
            arg.isidentifier() or arg.startswith("lambda") for arg in args)
    return False


def _initial(source: str) -> str:
    """The value part of `name = value` / `name: T = value` (whitespace-free)."""
    parts = re.split(r"(?<![=!<>])=(?!=)", source, maxsplit=1)
    return re.sub(r"\s+", "", parts[1]) if len(parts) == 2 else ""


def function_finder(ctx: FileContext, index: FileIndex):
    """node -> id of the innermost function holding it (MODULE_FUNCTION at module level, or
    when that function has no fact)."""
    by_span = {fn.span: fn.id for fn in ctx.facts.functions}
    types = index.functions
    span_of = ctx.source.node_span

    def find(node: ts.Node) -> int:
        parent = node.parent
        while parent is not None:
            if parent.type in types:
                return by_span.get(span_of(parent), MODULE_FUNCTION)
            parent = parent.parent
        return MODULE_FUNCTION

    return find


def _shadowed(facts: FileFacts, func: int, name: str, ref: ts.Node, syntax: Syntax) -> bool:
    if syntax.declarators:
        return declared(ref, name, syntax)
    current: int | None = func
    while current is not None and current != MODULE_FUNCTION:
        fn = facts.functions[current]
        if name in fn.params:
            return True
        if (current, name) in bound_names(facts):
            return not _declares_global(ref, name)
        current = fn.parent
    return False


def _declares_global(ref: ts.Node, name: str) -> bool:
    parent = ref.parent
    while parent is not None and parent.type not in ("function_definition", "module"):
        parent = parent.parent
    if parent is None or parent.type == "module":
        return False
    stack = [parent]
    while stack:
        node = stack.pop()
        if node.type in ("global_statement", "nonlocal_statement") and name in text(node):
            return True
        if node.type != "function_definition" or node is parent:
            stack.extend(node.named_children)
    return False


def _classify(ref: ts.Node, func: int, syntax: Syntax, cat: Compiled, state: _State) -> None:
    outer, parent = up(ref, syntax)
    if parent is None:
        return
    kind = parent.type
    if kind in syntax.members and parent.child_by_field_name("object") == outer:
        _obj, prop = syntax.member_parts(parent)
        grand = parent.parent
        if grand is not None and grand.type in syntax.calls and syntax.callee(grand) == parent:
            if prop in cat.grow:
                args = grand.child_by_field_name("arguments")
                first = args.named_children[0] if args is not None and args.named_children else None
                state.growths.append((grand, func, f".{prop}(…)", text(first)))
            elif prop in cat.evict:
                state.bounded = True
            elif prop in LOOKUPS:
                state.reads.add(func)
            return
        if prop in cat.evict or prop in ("length", "size") and (_in_comparison(parent) or _assigned(parent, syntax)):  # `task.add_done_callback(tasks.discard)`
            state.bounded = True
        return
    if kind in syntax.subscripts and (parent.child_by_field_name("object") == outer
                                      or parent.child_by_field_name("value") == outer):
        key = parent.child_by_field_name("index") or parent.child_by_field_name("subscript")
        holder = parent.parent
        if holder is not None and (holder.type == "delete_statement" or (
                holder.type == "unary_expression" and text(holder).startswith("delete"))):
            state.bounded = True
        elif _assigned(parent, syntax):
            state.growths.append((parent, func, "[…] = …", text(key)))
        else:
            state.reads.add(func)
        return
    if kind in COMPARISONS and text(parent).find(" in ") >= 0:
        state.reads.add(func)
        return
    if kind in syntax.assignments and parent.child_by_field_name("left") == outer:
        state.bounded = True  # reset
        return
    if kind in ("augmented_assignment", "augmented_assignment_expression"):
        state.growths.append((parent, func, "+= …", ""))
        return
    if kind in syntax.arguments:
        call = parent.parent if parent.parent is not None else None
        callee = syntax.callee(call) if call is not None and call.type in syntax.calls else None
        last = text(callee).rsplit(".", 1)[-1] if callee is not None else ""
        if last not in READERS:
            state.bounded = True  # handed to code that may clear it
        elif last == "len" and _in_comparison(call):
            state.bounded = True
        return
    if kind in syntax.returns or kind in syntax.containers or kind in syntax.declarators \
            or (kind in syntax.assignments and parent.child_by_field_name("right") == outer):
        state.bounded = True  # an alias: it may be trimmed through it


def _in_comparison(node: ts.Node | None) -> bool:
    current = node
    for _ in range(3):
        if current is None:
            return False
        parent = current.parent
        if parent is not None and parent.type in COMPARISONS and any(
                op in text(parent) for op in ("<", ">", "==", "!=")):
            return True
        current = parent
    return False


def _assigned(node: ts.Node, syntax: Syntax) -> bool:
    parent = node.parent
    return parent is not None and (parent.type in syntax.assignments or parent.type in (
        "augmented_assignment", "augmented_assignment_expression")) and parent.child_by_field_name("left") == node


def _growths(facts: FileFacts, name: str, state: _State, span_of) -> list[Growth]:
    out = []
    for node, func, how, key in state.growths:
        params = _params(facts, func)
        out.append(Growth(name=name, span=span_of(node), func=func, how=how,
                          memo=func in state.reads, keyed_by_param=_from_params(facts, func, key, params),
                          key=key[:80]))
    return out


def _params(facts: FileFacts, func: int) -> set[str]:
    out: set[str] = set()
    current: int | None = func
    while current is not None and current != MODULE_FUNCTION:
        fn = facts.functions[current]
        out.update(p for p in fn.params if p not in ("self", "cls"))
        current = fn.parent
    return out


def _from_params(facts: FileFacts, func: int, key: str, params: set[str]) -> bool:
    if not key:
        return False
    words = set(re.findall(r"[A-Za-z_$][\w$]*", key))
    if words & params:
        return True
    for binding in facts.bindings:
        if binding.func == func and binding.name in words and binding.value is not None \
                and binding.value.root.startswith("param:"):
            return True
    return False
