"""Python expression-level checks: list membership, string `+=`, `pop(0)`, loop-invariant
work, `sorted()[0]`, `sum(…, [])`, accumulation by concatenation."""
from __future__ import annotations

import tree_sitter as ts

from perfsense.rules.inefficient_loop.common import (
    Calls,
    Hit,
    callee_name,
    code,
    contains,
    describe,
    inside,
    is_string,
    last_names,
    outermost,
    repeating,
    unwrap,
)
from perfsense.rules.inefficient_loop.py_repeat import PyRepeat
from perfsense.rules.inefficient_loop.scope import LoopCtx, Scope
from perfsense.scanner.catalog import Catalogs

LIST_BUILDERS = frozenset({"list", "sorted", "tuple"})
LIST_METHODS = frozenset({"split", "splitlines", "readlines", "rsplit"})
LIST_TYPES = ("list", "List", "tuple", "Tuple", "Sequence", "typing.List", "typing.Sequence",
              "collections.abc.Sequence")


class PyChecks(PyRepeat):
    def __init__(self, scope: Scope, calls: Calls, catalogs: Catalogs, out: list[Hit]) -> None:
        self.sc = scope
        self.calls = calls
        self.catalogs = catalogs
        self.out = out
        self.interesting = last_names(catalogs, "python", ("compile", "clone"), ("sorted",))

    def hit(self, rule: str, node: ts.Node, message: str, key: str = "") -> None:
        self.out.append(Hit(rule, self.sc.ctx.span(node), message, key))

    types = frozenset({"comparison_operator", "augmented_assignment", "assignment", "call", "subscript"})

    def visit(self, node: ts.Node) -> None:
        kind = node.type
        if kind == "comparison_operator":
            self.membership(node)
        elif kind == "augmented_assignment":
            self.string_concat(node, node.child_by_field_name("left"), "+=")
        elif kind == "assignment":
            self.assignment(node)
        elif kind == "call":
            self.call(node)
        elif kind == "subscript":
            self.sorted_extreme(node)

    # --- `x in seq` ------------------------------------------------------------------
    def membership(self, node: ts.Node) -> None:
        operators = [c for i, c in enumerate(node.children) if node.field_name_for_child(i) == "operators"]
        if len(operators) != 1 or operators[0].type not in ("in", "not in") or len(node.named_children) != 2:
            return
        needle, hay = node.named_children
        if hay.type != "identifier":
            return
        loop = repeating(self.sc, node)
        if loop is None or loop.kind == "async-for":
            return
        info = self.sc.info(loop)
        name = self.sc.text(hay)
        if name in info.rebound or not self.sc.names(needle) & info.rebound:
            return
        grows = self._list_bound(name, hay, loop)
        if grows is None:
            return
        op = operators[0].type
        where = describe(self.sc, loop)
        if grows:
            message = (f"`{name}` is a list that grows in {where} and `{op}` scans all of it on every "
                       f"iteration: O(n²). Keep a set of the items seen beside it (or dedupe with "
                       f"`dict.fromkeys(…)`) and test membership in the set.")
        else:
            message = (f"`{code(self.sc, needle, 40)} {op} {name}` scans the whole list `{name}` once per "
                       f"item of {where}: O(n·m) as both grow. Build a set once before the loop "
                       f"(`{name} = set(…)` or a set comprehension) and test membership in it.")
        self.hit("linear-search-in-loop", node, message)

    def _list_bound(self, name: str, at: ts.Node, loop: LoopCtx) -> bool | None:
        """None unless every binding of `name` makes a list built outside `loop`; True when it
        starts empty and the loop appends to it (it grows as the loop runs)."""
        scope, sites = self.sc.bindings(name, at)
        if not sites or self.sc.is_module(scope):
            return None
        grows = False
        for site in sites:
            if inside(site.node, loop.node):
                return None
            if site.kind == "param":
                text = self.sc.text(site.annotation) if site.annotation is not None else ""
                if not text.startswith(LIST_TYPES):
                    return None
                continue
            if site.kind != "assign" or site.value is None:
                return None
            value = unwrap(site.value)
            if value.type == "list_comprehension":
                continue
            if value.type == "list" and value.named_child_count == 0 and name in self.sc.info(loop).mutated:
                grows = True
                continue
            if value.type != "call":
                return None
            function = value.child_by_field_name("function")
            if function is not None and function.type == "identifier" and self.sc.text(function) in LIST_BUILDERS:
                continue
            if function is not None and function.type == "attribute" and \
                    self.sc.text(function.child_by_field_name("attribute")) in LIST_METHODS:
                continue
            return None
        return grows

    # --- strings ---------------------------------------------------------------------
    def assignment(self, node: ts.Node) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier":
            return
        name = self.sc.text(left)
        if right.type == "binary_operator" and right.child_by_field_name("operator") is not None \
                and self.sc.text(right.child_by_field_name("operator")) == "+" \
                and self.sc.text(right.child_by_field_name("left")) == name:
            self.string_concat(node, left, "= … +")
        if right.type == "call":
            self.accumulate(node, name, right)

    def string_concat(self, node: ts.Node, left: ts.Node | None, how: str) -> None:
        operator = node.child_by_field_name("operator")
        if left is None or left.type != "identifier" or (operator is not None and self.sc.text(operator) != "+="):
            return
        loop = repeating(self.sc, node)
        if loop is None or loop.kind == "comprehension":
            return
        name = self.sc.text(left)
        _scope, sites = self.sc.bindings(name, node)
        assigned = [s for s in sites if s.kind == "assign" and not _adds_to(self.sc, s.value, name)]
        if not assigned or any(inside(s.node, loop.node) for s in assigned):
            return
        if not all(s.value is not None and is_string(self.sc, s.value) for s in assigned):
            return
        text = f"{name} += …" if how == "+=" else f"{name} = {name} + …"
        self.hit("string-concat-in-loop", node,
                 f"`{text}` copies the whole string built so far on every iteration of "
                 f"{describe(self.sc, loop)}: O(n²) in the length of the result. Collect the pieces "
                 f"in a list and `''.join(…)` them once after the loop.", key=f"{name}@{outermost(self.sc, node)}")

    # --- calls -----------------------------------------------------------------------
    def call(self, node: ts.Node) -> None:
        function = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if function is None or args is None:
            return
        values = [a for a in args.named_children if a.type != "comment"]
        if function.type == "attribute":
            method = self.sc.text(function.child_by_field_name("attribute"))
            if method in ("pop", "insert"):
                self.list_shift(node, function.child_by_field_name("object"), method, values)
        if function.type == "identifier" and self.sc.text(function) == "sum" and len(values) == 2:
            start = values[1].child_by_field_name("value") if values[1].type == "keyword_argument" else values[1]
            if start is not None and start.type in ("list", "tuple") and start.named_child_count == 0:
                self.hit("quadratic-list-sum", node,
                         f"`sum({code(self.sc, values[0], 30)}, {self.sc.text(start)})` concatenates the "
                         f"sequences pairwise, copying the growing result for each one: O(n²) in the total "
                         f"length. Use `list(itertools.chain.from_iterable({code(self.sc, values[0], 30)}))`.")
        if self.interesting is not None and callee_name(self.sc, node) not in self.interesting:
            return
        callee = self.calls.callee(node)
        if callee:
            self.invariant(node, callee, values)

    def list_shift(self, node: ts.Node, receiver: ts.Node | None, method: str, values: list[ts.Node]) -> None:
        if receiver is None or not values or self.sc.text(values[0]) != "0":
            return
        if (method == "pop" and len(values) != 1) or (method == "insert" and len(values) != 2):
            return
        if contains(receiver, {"call"}) or receiver.type == "call":
            return
        loop = repeating(self.sc, node)
        if loop is None or self.sc.depends(receiver, self.sc.info(loop), mutation=False):
            return
        root = self.sc.text(receiver).split(".", 1)[0].split("[", 1)[0]
        _scope, sites = self.sc.bindings(root, node)
        if any(s.kind == "import" for s in sites):
            return
        recv = code(self.sc, receiver, 40)
        where = describe(self.sc, loop)
        if method == "pop":
            message = (f"`{recv}.pop(0)` moves every remaining element one place on each call, so "
                       f"taking items from the front in {where} is O(n²). Use a `collections.deque` "
                       f"and `popleft()`.")
        else:
            message = (f"`{recv}.insert(0, …)` moves every element one place on each call, so "
                       f"prepending in {where} is O(n²). Use a `collections.deque` and `appendleft()`, "
                       f"or append and reverse once after the loop.")
        self.hit("list-shift-in-loop", node, message, key=f"{recv}.{method}@{outermost(self.sc, node)}")

def _adds_to(scope: Scope, value: ts.Node | None, name: str) -> bool:
    """`name + …`: the accumulating form of an assignment to `name`."""
    if value is None or value.type != "binary_operator":
        return False
    operator = value.child_by_field_name("operator")
    return scope.text(operator) == "+" and scope.text(value.child_by_field_name("left")) == name
