"""Per-file facts the project stage needs for cross-function findings.

- `repeated`: calls in a function body that redo the same work on every call of the
  function: compiling a constant pattern, parsing a constant document, deep-copying
  module-level data. A loop that calls such a function repeats the work per item.
- `looped`: calls made in a loop (not over a small literal): how the loop reads in a
  message, and which positional arguments stay the same on every iteration.
- `scans`: functions that search one of their parameters by key (see `joins.Scan`).
"""
from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from perfsense.rules.inefficient_loop.common import (
    Calls,
    callee_name,
    code,
    is_string,
    last_names,
    pattern_set,
    repeating,
    unwrap,
)
from perfsense.rules.inefficient_loop.joins import Scan
from perfsense.rules.inefficient_loop.scope import Scope
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.model import Span
from perfsense.scanner.parse.walk import iter_nodes

CALL_TYPES = frozenset({"call", "call_expression", "new_expression"})
INDEX_PARENTS = frozenset({"subscript", "subscript_expression"})


@dataclass(frozen=True, slots=True)
class Looped:
    loop: str
    invariant: tuple[bool, ...]  # per positional argument


@dataclass(frozen=True, slots=True)
class ScanSite:
    function: int  # Function.id
    param: int  # index in Function.params
    name: str
    test: str
    span: Span


class SiteCollector:
    def __init__(self, scope: Scope, calls: Calls, catalogs: Catalogs) -> None:
        self.sc = scope
        self.calls = calls
        family = "python" if scope.py else "javascript"
        self.compile_set = pattern_set(catalogs, family, "compile")
        self.clone_set = pattern_set(catalogs, family, "clone")
        self.repeated: dict[int, str] = {}
        self.interesting = last_names(catalogs, family, ("compile", "clone"), ("parse", "loads"))
        self.looped: dict[int, Looped] = {}

    types = CALL_TYPES

    def visit(self, node: ts.Node) -> None:
        if node.type not in CALL_TYPES:
            return
        scope, calls = self.sc, self.calls
        loop = repeating(scope, node)
        if loop is None and self.interesting is not None and callee_name(scope, node) not in self.interesting:
            return
        fact = calls.fact(node)
        if fact is None:
            return
        args = node.child_by_field_name("arguments")
        values = [a for a in args.named_children if a.type != "comment"] if args is not None else []
        if loop is not None:
            info = scope.info(loop)
            self.looped[fact.id] = Looped(
                _describe(scope, loop),
                tuple(_invariant_name(scope, v, info) for v in values))
        if fact.func == 0 or not values:
            return
        callee = calls.callee(node)
        if self.compile_set.match(callee) and all(_constant(scope, v) for v in values):
            function = node.child_by_field_name("function") or node.child_by_field_name("constructor")
            self.repeated[fact.id] = f"{scope.text(function)}({code(scope, values[0], 40)})"
        elif (self.clone_set.match(callee) or _json_clone(calls, node, values)) and \
                _module_data(scope, _cloned(calls, node, values)):
            self.repeated[fact.id] = code(scope, node, 60)

    def scan_sites(self, scans: list[Scan]) -> list[ScanSite]:
        sites = []
        functions = {f.span: f for f in self.sc.ctx.facts.functions}
        for scan in scans:
            span = self.sc.ctx.span(scan.function)
            fn = functions.get(span)
            if fn is not None and scan.param in fn.params:
                sites.append(ScanSite(fn.id, fn.params.index(scan.param), scan.param, scan.test,
                                      self.sc.ctx.span(scan.loop)))
        return sites


def _invariant_name(scope: Scope, value: ts.Node, info) -> bool:
    """A variable (or attribute) argument that stays the same on every iteration."""
    if value.type == "keyword_argument":
        value = value.child_by_field_name("value") or value
    return value.type in ("identifier", "attribute", "member_expression") and not scope.depends(value, info)


def _describe(scope: Scope, loop) -> str:
    from perfsense.rules.inefficient_loop.common import describe

    return describe(scope, loop)


def _json_clone(calls: Calls, node: ts.Node, values: list[ts.Node]) -> bool:
    return calls.callee(node) in ("JSON.parse", "json.loads") and len(values) == 1 and \
        values[0].type in CALL_TYPES and calls.callee(values[0]) in ("JSON.stringify", "json.dumps")


def _cloned(calls: Calls, node: ts.Node, values: list[ts.Node]) -> ts.Node | None:
    if _json_clone(calls, node, values):
        inner = values[0].child_by_field_name("arguments")
        return inner.named_children[0] if inner is not None and inner.named_child_count == 1 else None
    return values[0]


def _constant(scope: Scope, node: ts.Node) -> bool:
    """A string literal, a module-level string constant, or flags (`re.I | re.M`)."""
    node = unwrap(node)
    if node is None:
        return False
    if node.type == "keyword_argument":
        return _constant(scope, node.child_by_field_name("value"))
    if is_string(scope, node):
        return not any(n.type in ("interpolation", "template_substitution") for n in iter_nodes(node))
    if node.type in ("integer", "number"):
        return True
    if node.type in ("binary_operator", "binary_expression"):
        return all(_constant(scope, c) for c in (node.child_by_field_name("left"), node.child_by_field_name("right")))
    if node.type in ("attribute", "member_expression"):
        root = node
        while root.type in ("attribute", "member_expression"):
            root = root.child_by_field_name("object")
        _s, sites = scope.bindings(scope.text(root), node)
        return root.type == "identifier" and any(s.kind == "import" for s in sites)
    if node.type == "identifier":
        where, sites = scope.bindings(scope.text(node), node)
        return scope.is_module(where) and len(sites) == 1 and sites[0].value is not None and \
            is_string(scope, sites[0].value)
    return False


def _module_data(scope: Scope, node: ts.Node | None) -> bool:
    """Every name read (outside subscript indexes) is module-level data, not an import."""
    if node is None:
        return False
    found = False
    for current in iter_nodes(node):
        if current.type != "identifier":
            continue
        parent = current.parent
        if parent is not None and parent.type in INDEX_PARENTS and current.id != parent.named_children[0].id:
            continue
        if parent is not None and parent.type in ("attribute",) and parent.named_children[-1].id == current.id:
            continue
        if _under_index(current, node):
            continue
        where, sites = scope.bindings(scope.text(current), current)
        if not scope.is_module(where) or not sites or any(s.kind not in ("assign", "declare") for s in sites):
            return False
        found = True
    return found


def _under_index(node: ts.Node, top: ts.Node) -> bool:
    child, parent = node, node.parent
    while parent is not None and child.id != top.id:
        if parent.type in INDEX_PARENTS and parent.named_children and parent.named_children[0].id != child.id:
            return True
        child, parent = parent, parent.parent
    return False
