"""JavaScript/TypeScript checks: array searches in loops, accumulator spreading, `shift()`,
loop-invariant work (`new RegExp`, deep clones, `.sort()`, `Object.keys` in a condition)."""
from __future__ import annotations

import tree_sitter as ts

from perfsense.rules.inefficient_loop.common import (
    Calls,
    Hit,
    code,
    describe,
    outermost,
    pattern_set,
    repeating,
    unwrap,
)
from perfsense.rules.inefficient_loop.joins import JoinCheck, callback_match
from perfsense.rules.inefficient_loop.js_invariant import JsInvariant
from perfsense.rules.inefficient_loop.scope import FUNCTION_NODES, LoopCtx, Scope
from perfsense.scanner.catalog import Catalogs

SEARCHES = frozenset({"includes", "indexOf", "lastIndexOf"})
FINDERS = frozenset({"find", "findIndex", "findLast", "findLastIndex", "some", "filter"})
ARRAY_MAKERS = frozenset({"map", "filter", "slice", "concat", "split", "flat", "flatMap", "sort", "toSorted",
                          "Object.keys", "Object.values", "Object.entries", "Array.from", "Array.of"})


class JsChecks(JsInvariant):
    def __init__(self, scope: Scope, calls: Calls, catalogs: Catalogs, out: list[Hit], joins: JoinCheck) -> None:
        self.sc = scope
        self.calls = calls
        self.catalogs = catalogs
        self.out = out
        self.joins = joins

    def hit(self, rule: str, node: ts.Node, message: str, key: str = "") -> None:
        self.out.append(Hit(rule, self.sc.ctx.span(node), message, key))

    types = frozenset({"call_expression", "new_expression", "spread_element", "for_in_statement", "for_statement"})

    def visit(self, node: ts.Node) -> None:
        kind = node.type
        if kind == "call_expression":
            self.call(node)
        elif kind == "new_expression":
            self.new(node)
        elif kind == "spread_element":
            self.spread(node)
        elif kind == "for_in_statement":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                self.joins.loop_statement(node, left, right, node.child_by_field_name("body"))
        elif kind == "for_statement":
            self.keys_in_condition(node)

    def call(self, node: ts.Node) -> None:
        callee = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if callee is None or args is None:
            return
        values = [a for a in args.named_children if a.type != "comment"]
        if callee.type == "member_expression":
            receiver = callee.child_by_field_name("object")
            method = self.sc.text(callee.child_by_field_name("property"))
            if method in SEARCHES and len(values) == 1:
                self.search(node, receiver, method)
            elif method in FINDERS and values and values[0].type in FUNCTION_NODES:
                self.finder(node, receiver, method, values[0])
            elif method in ("shift", "unshift"):
                self.shift(node, receiver, method)
            elif method in ("sort", "toSorted"):
                self.sort(node, receiver, values)
        resolved = self.calls.callee(node)
        if resolved == "JSON.parse" and len(values) == 1 and values[0].type == "call_expression" and \
                self.calls.callee(values[0]) == "JSON.stringify":
            inner = values[0].child_by_field_name("arguments")
            if inner is not None and inner.named_child_count == 1:
                self.clone(node, inner.named_children[0], "JSON.parse(JSON.stringify(…))")
        elif resolved and values and pattern_set(self.catalogs, "javascript", "clone").match(resolved):
            self.clone(node, values[0], f"{self.sc.text(callee)}(…)")

    # --- searching arrays ------------------------------------------------------------
    def search(self, node: ts.Node, receiver: ts.Node | None, method: str) -> None:
        if receiver is None or receiver.type != "identifier":
            return
        if method != "includes" and not _compared_with_index(self.sc, node):
            return
        loop = repeating(self.sc, node)
        if loop is None:
            return
        info = self.sc.info(loop)
        needle = node.child_by_field_name("arguments").named_children[0]
        if self.sc.depends(receiver, info, mutation=False) or not self.sc.names(needle) & info.rebound:
            return
        if not self._is_array(receiver):
            return
        name = self.sc.text(receiver)
        self.hit("linear-search-in-loop", node,
                 f"`{name}.{method}(…)` scans the whole array `{name}` for every item of "
                 f"{describe(self.sc, loop)}: O(n·m) as both grow. Build a `Set` once before the loop "
                 f"(`new Set({name})`) and use `.has()`.")

    def finder(self, node: ts.Node, receiver: ts.Node | None, method: str, func: ts.Node) -> None:
        if receiver is None or receiver.type not in ("identifier", "member_expression"):
            return
        match = callback_match(self.sc, func)
        if match is None:
            return
        loop = repeating(self.sc, node)
        if loop is None:
            self.joins.callback_scan(node, receiver, func, match)
            return
        info = self.sc.info(loop)
        if self.sc.depends(receiver, info, mutation=False) or not self.sc.names(match.other_side) & info.rebound:
            return
        if receiver.type == "identifier" and not self.joins.local_collection(receiver):
            return
        name = code(self.sc, receiver, 40)
        key = code(self.sc, match.element_side, 40)
        self.hit("linear-search-in-loop", node,
                 f"`{name}.{method}(…)` scans `{name}` for every item of {describe(self.sc, loop)} to match "
                 f"`{key} === {code(self.sc, match.other_side, 40)}`: O(n·m). Build a `Map` keyed by `{key}` "
                 f"once before the loop and `.get()` the match.")

    def _is_array(self, receiver: ts.Node) -> bool:
        scope, sites = self.sc.bindings(self.sc.text(receiver), receiver)
        if not sites or self.sc.is_module(scope):
            return False
        return all(self._array_site(site) for site in sites)

    def _array_site(self, site) -> bool:
        annotation = self.sc.text(site.annotation).lstrip(": ").strip() if site.annotation is not None else ""
        if annotation:
            return annotation.endswith("[]") or annotation.startswith(("Array<", "ReadonlyArray<", "readonly "))
        value = unwrap(site.value)
        if value is None:
            return False
        if value.type == "array":
            return True
        if value.type != "call_expression":
            return False
        callee = value.child_by_field_name("function")
        text = self.sc.text(callee)
        if site.kind == "destructure":
            types = value.child_by_field_name("type_arguments")
            args = value.child_by_field_name("arguments")
            first = unwrap(args.named_children[0]) if args is not None and args.named_children else None
            return text.endswith("useState") and (
                (types is not None and "[]" in self.sc.text(types)) or (first is not None and first.type == "array"))
        return text in ARRAY_MAKERS or text.rsplit(".", 1)[-1] in ARRAY_MAKERS

    # --- other repeated work ---------------------------------------------------------
    def shift(self, node: ts.Node, receiver: ts.Node | None, method: str) -> None:
        if receiver is None or receiver.type not in ("identifier", "member_expression"):
            return
        loop = repeating(self.sc, node)
        if loop is None or self.sc.depends(receiver, self.sc.info(loop), mutation=False):
            return
        root = self.sc.text(receiver).split(".", 1)[0]
        _scope, sites = self.sc.bindings(root, node)
        if root in ("process", "arguments") or any(s.kind == "import" for s in sites):
            return
        name = code(self.sc, receiver, 40)
        what = "taking items from the front" if method == "shift" else "prepending"
        self.hit("list-shift-in-loop", node,
                 f"`{name}.{method}()` moves every element of the array one place on each call, so {what} "
                 f"in {describe(self.sc, loop)} is O(n²) for large arrays. Keep a read index into the array "
                 f"(`queue[head++]`) or use a deque.", key=f"{name}.{method}@{outermost(self.sc, node)}")

    # --- accumulators ----------------------------------------------------------------
    def spread(self, node: ts.Node) -> None:
        inner = node.named_children[0] if node.named_children else None
        container = node.parent
        if inner is None or inner.type != "identifier" or container is None or container.type not in ("object", "array"):
            return
        name = self.sc.text(inner)
        if not _grows(container, node):
            return
        where = _reduce_result(self.sc, container, name)
        if where is not None:
            self.hit("spread-accumulator-in-loop", node,
                     f"`...{name}` copies everything gathered so far on each call of {where}, so building "
                     f"the result is O(n²). Assign into the accumulator and return it "
                     f"(`{name}[key] = value; return {name};`), or build it once with `Object.fromEntries(…)`.")
            return
        parent = container.parent
        if parent is None or parent.type != "assignment_expression" or \
                self.sc.text(parent.child_by_field_name("left")) != name:
            return
        loop = repeating(self.sc, parent)
        if loop is None or loop.kind == "callback" or \
                self.sc.function_of(parent).id != self.sc.function_of(loop.node).id:
            return
        _scope, sites = self.sc.bindings(name, parent)
        if any(s.kind == "declare" and s.node.start_byte >= loop.node.start_byte
               and s.node.end_byte <= loop.node.end_byte for s in sites):
            return
        self.hit("spread-accumulator-in-loop", node,
                 f"`{name} = {{...{name}, …}}` copies everything gathered so far on every iteration of "
                 f"{describe(self.sc, loop)}, so building it is O(n²). Add to `{name}` in place "
                 f"(`{name}[key] = value` / `{name}.push(item)`).")


def _grows(container: ts.Node, spread: ts.Node) -> bool:
    """The copy adds to what it spreads: an array element, or an object entry with a
    computed key (`[k]: v`); `{...acc, total: n}` keeps the same size."""
    others = [c for c in container.named_children if c.id != spread.id and c.type != "comment"]
    if container.type == "array":
        return bool(others)
    return any(c.type == "pair" and c.child_by_field_name("key") is not None
               and c.child_by_field_name("key").type == "computed_property_name" for c in others)


def _reduce_result(scope: Scope, container: ts.Node, name: str) -> str | None:
    """'the `reduce` callback over `xs`' when `container` is what a reduce callback whose
    accumulator is `name` returns."""
    current = container
    while current.parent is not None and current.parent.type == "parenthesized_expression":
        current = current.parent
    parent = current.parent
    if parent is None:
        return None
    if parent.type in FUNCTION_NODES:
        func = parent
    elif parent.type == "return_statement":
        func = scope.function_of(parent)
    else:
        return None
    params = scope.param_names(func)
    if not params or params[0] != name or scope.callback_role(func) != "iteration":
        return None
    call = func.parent.parent
    callee = call.child_by_field_name("function")
    method = scope.text(callee.child_by_field_name("property")) if callee.type == "member_expression" else ""
    if method not in ("reduce", "reduceRight") or func.parent.named_children[0].id != func.id:
        return None
    return describe(scope, LoopCtx(func, "callback"))


def _compared_with_index(scope: Scope, call: ts.Node) -> bool:
    """`xs.indexOf(x) !== -1`, `>= 0`, `> -1`, `< 0`, `=== -1`."""
    parent = call.parent
    if parent is None or parent.type != "binary_expression":
        return False
    other = parent.child_by_field_name("right") if parent.child_by_field_name("left") == call \
        else parent.child_by_field_name("left")
    return scope.text(other).replace(" ", "") in ("-1", "0")
