"""Searching one collection by key for every item of another, in both languages.

An *equality search* is a loop (or comprehension, or `find`-like callback) over a
collection whose condition compares a key of the element with a value that does not
come from the element: `customer["id"] == order["customer_id"]`, `c => c.id === o.cid`.
Done once per item of an outer loop, it is a nested-loop join: O(n·m), where indexing the
searched collection by that key once makes each lookup O(1).
"""
from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from perfsense.rules.inefficient_loop.common import Hit, code, describe, is_small
from perfsense.rules.inefficient_loop.scope import LoopCtx, Scope
from perfsense.scanner.parse.walk import iter_nodes

KEY_NODES = frozenset({"identifier", "attribute", "subscript", "member_expression", "subscript_expression",
                       "string", "integer", "number", "property_identifier", "string_content",
                       "string_start", "string_end", "parenthesized_expression", "optional_chain",
                       "this", "self", "shorthand_property_identifier", "unary_operator", "unary_expression",
                       "escape_sequence", "string_fragment", "true", "false", "none", "null"})
EQ = frozenset({"==", "===", "is"})


@dataclass(frozen=True, slots=True)
class Match:
    element_side: ts.Node  # the key of the searched element
    other_side: ts.Node  # the value it is compared with


def equality(scope: Scope, condition: ts.Node | None, element: set[str]) -> Match | None:
    """`a.k == b` (possibly one term of an `and`) where one side reads the element names
    and the other does not."""
    if condition is None:
        return None
    stack = [condition]
    while stack:
        node = stack.pop()
        if node.type == "parenthesized_expression":
            stack.extend(node.named_children)
            continue
        if node.type in ("boolean_operator", "binary_expression") and _operator(scope, node) in ("and", "&&"):
            stack.extend(c for c in (node.child_by_field_name("left"), node.child_by_field_name("right")) if c)
            continue
        pair = _comparison(scope, node)
        if pair is None:
            continue
        left, right = pair
        left_names, right_names = scope.names(left), scope.names(right)
        for mine, other, mine_names, other_names in ((left, right, left_names, right_names),
                                                     (right, left, right_names, left_names)):
            if mine_names & element and not other_names & element and other_names \
                    and _key(mine) and _key(other):
                return Match(mine, other)
    return None


def _operator(scope: Scope, node: ts.Node) -> str:
    op = node.child_by_field_name("operator")
    return scope.text(op) if op is not None else ""


def _comparison(scope: Scope, node: ts.Node) -> tuple[ts.Node, ts.Node] | None:
    if node.type == "comparison_operator":
        ops = [c for i, c in enumerate(node.children) if node.field_name_for_child(i) == "operators"]
        if len(ops) == 1 and ops[0].type == "==" and len(node.named_children) == 2:
            return node.named_children[0], node.named_children[1]
        return None
    if node.type == "binary_expression" and _operator(scope, node) in ("==", "==="):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None:
            return left, right
    return None


def _key(node: ts.Node) -> bool:
    """A plain key expression: names, attribute/subscript chains, literals; no calls."""
    return all(n.type in KEY_NODES for n in iter_nodes(node))


def body_statements(node: ts.Node | None) -> list[ts.Node]:
    if node is None:
        return []
    if node.type in ("block", "statement_block"):
        return [c for c in node.named_children if c.type != "comment"]
    return [node]


def first_if(scope: Scope, body: ts.Node | None) -> ts.Node | None:
    statements = body_statements(body)
    if statements and statements[0].type == "if_statement":
        return statements[0]
    return None


def callback_match(scope: Scope, func: ts.Node) -> Match | None:
    """For `x => x.id === y` / `lambda x: x.id == y` (a one-expression callback): the match."""
    params = set(scope.param_names(func))
    if not params:
        return None
    body = func.child_by_field_name("body")
    if body is not None and body.type == "statement_block":
        statements = body_statements(body)
        if len(statements) != 1 or statements[0].type != "return_statement" or not statements[0].named_children:
            return None
        body = statements[0].named_children[0]
    return equality(scope, body, params)


@dataclass(frozen=True, slots=True)
class Scan:
    """A loop, outside any loop, that searches a parameter of its function by key."""

    function: ts.Node
    param: str
    loop: ts.Node
    test: str  # `element key == value`, for messages


class JoinCheck:
    """Nested-loop joins (`for a in A: for b in B: if b.k == a.k`), and the per-function
    scans of a parameter that the project stage turns into cross-function findings."""

    def __init__(self, scope: Scope, out: list[Hit], scans: list[Scan]) -> None:
        self.sc = scope
        self.out = out
        self.scans = scans

    def loop_statement(self, node: ts.Node, left: ts.Node, right: ts.Node, body: ts.Node | None) -> None:
        if_node = first_if(self.sc, body)
        if if_node is None:
            return
        match = equality(self.sc, if_node.child_by_field_name("condition"), self.sc.names(left))
        if match is None or right.type != "identifier":
            return
        loops = self.sc.loops(node)
        if not loops:
            self._scan(node, right, if_node, match)
            return
        outer = loops[0]
        kind = "for" if self.sc.py else "for-of"
        if is_small(self.sc, outer) or is_small(self.sc, LoopCtx(node, kind)):
            return
        info = self.sc.info(outer)
        if self.sc.depends(right, info, mutation=False) or not self.sc.names(match.other_side) & info.rebound:
            return
        if not self.local_collection(right):
            return
        eq = "==" if self.sc.py else "==="
        what = "dict" if self.sc.py else "`Map`"
        self.out.append(Hit("nested-loop-join", self.sc.ctx.span(node),
                            f"for every item of {describe(self.sc, outer)}, this loop scans all of "
                            f"`{code(self.sc, right, 40)}` to find `{code(self.sc, match.element_side, 40)} {eq} "
                            f"{code(self.sc, match.other_side, 40)}`: O(n·m). Index `{code(self.sc, right, 40)}` once "
                            f"in a {what} keyed by `{code(self.sc, match.element_side, 40)}` before the outer loop "
                            f"and look the match up."))

    def local_collection(self, node: ts.Node) -> bool:
        """A collection held by a local variable or parameter (module constants have a fixed size)."""
        if node.type != "identifier":
            return False
        scope, sites = self.sc.bindings(self.sc.text(node), node)
        return bool(sites) and not self.sc.is_module(scope)

    def _scan(self, loop: ts.Node, right: ts.Node, if_node: ts.Node, match: Match) -> None:
        func = self.sc.function_of(loop)
        if func.parent is None:
            return
        name = self.sc.text(right)
        scope, sites = self.sc.bindings(name, loop)
        if scope.id != func.id or not sites or any(s.kind != "param" for s in sites):
            return
        consequence = if_node.child_by_field_name("consequence")
        if consequence is None or not any(n.type in ("return_statement", "break_statement")
                                          for n in iter_nodes(consequence)):
            return
        eq = "==" if self.sc.py else "==="
        self.scans.append(Scan(func, name, loop, f"{code(self.sc, match.element_side, 30)} {eq} "
                                                 f"{code(self.sc, match.other_side, 30)}"))

    def callback_scan(self, call: ts.Node, receiver: ts.Node, func: ts.Node, match: Match) -> None:
        """`param.find(x => x.k === v)` outside any loop: a scan of a parameter."""
        outer = self.sc.function_of(call)
        if outer.parent is None or receiver.type != "identifier" or self.sc.loops(call):
            return
        name = self.sc.text(receiver)
        scope, sites = self.sc.bindings(name, call)
        if scope.id != outer.id or not sites or any(s.kind != "param" for s in sites):
            return
        self.scans.append(Scan(outer, name, call, f"{code(self.sc, match.element_side, 30)} === "
                                                  f"{code(self.sc, match.other_side, 30)}"))
