"""Awaits that a loop runs one after another although the iterations do not depend on
each other: the candidates; the project stage keeps those that send HTTP requests.

A candidate is an awaited call inside a statement loop (`for`, `for…of`, a list
comprehension) that never stops early (no `break`/`return`), does not pause on purpose
(`sleep`, `setTimeout`), and whose arguments and receiver use only the loop's own
variables, values that do not change in the loop, or values computed earlier in the same
iteration without awaiting: nothing carried over from a previous iteration.
"""
from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from perfsense.rules.inefficient_loop.common import Calls, describe, inside, is_small, pattern_set
from perfsense.rules.inefficient_loop.scope import FUNCTION_NODES, LoopCtx, Scope
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.model import Span
from perfsense.scanner.parse.walk import iter_nodes

STATEMENT_LOOPS = {"python": frozenset({"for", "comprehension"}),
                   "javascript": frozenset({"for", "for-of", "for-in"})}
EXITS = frozenset({"break_statement", "return_statement"})
ASSIGNMENTS = frozenset({"assignment", "augmented_assignment", "variable_declarator", "assignment_expression",
                         "augmented_assignment_expression", "update_expression", "named_expression"})


@dataclass(frozen=True, slots=True)
class AwaitSite:
    call: int  # Call.id of the awaited call
    span: Span
    loop: str  # how the message names the loop
    loop_start: int  # byte offset of the loop: one finding per loop


class AwaitCheck:
    def __init__(self, scope: Scope, calls: Calls, catalogs: Catalogs) -> None:
        self.sc = scope
        self.calls = calls
        self.catalogs = catalogs
        self.await_type = "await" if scope.py else "await_expression"
        self.kinds = STATEMENT_LOOPS["python" if scope.py else "javascript"]
        self.sites: list[AwaitSite] = []

    types = frozenset({"await", "await_expression"})

    def visit(self, node: ts.Node) -> None:
        if node.type != self.await_type or not node.named_children:
            return
        call = node.named_children[0]
        if call.type not in ("call", "call_expression"):
            return
        scope = self.sc
        loops = scope.loops(node)
        if not loops or loops[0].kind not in self.kinds:
            return
        loop = loops[0]
        if is_small(scope, loop) or not _free_running(scope, loop, self.calls, self.catalogs):
            return
        if _carried(scope, loop, node) & scope.names(call):
            return
        fact = self.calls.fact(call)
        if fact is not None:
            self.sites.append(AwaitSite(fact.id, scope.ctx.span(call), describe(scope, loop), loop.node.start_byte))


def _region_nodes(scope: Scope, loop: LoopCtx):
    """Nodes one iteration runs, not entering nested functions."""
    start = scope.region(loop.node)
    stack = [start]
    while stack:
        node = stack.pop()
        yield node
        if node.id != start.id and (node.type in FUNCTION_NODES or node.type in ("function_definition", "lambda")):
            continue
        stack.extend(reversed(node.named_children))


def _free_running(scope: Scope, loop: LoopCtx, calls: Calls, catalogs: Catalogs) -> bool:
    pause = pattern_set(catalogs, "python" if scope.py else "javascript", "pause")
    body = loop.node.child_by_field_name("body") if loop.kind != "comprehension" else loop.node
    for node in _region_nodes(scope, LoopCtx(body or loop.node, loop.kind)):
        if node.type in EXITS:
            return False
        if node.type in ("raise_statement", "throw_statement") and not _in_handler(node, loop.node):
            return False
    for node in iter_nodes(body or loop.node):
        if node.type in ("call", "call_expression") and pause.match(calls.callee(node) or scope.text(
                node.child_by_field_name("function"))):
            return False
    return True


def _in_handler(node: ts.Node, loop: ts.Node) -> bool:
    current = node.parent
    while current is not None and current.id != loop.id:
        if current.type in ("except_clause", "catch_clause"):
            return True
        current = current.parent
    return False


def _targets(scope: Scope, loop: LoopCtx) -> set[str]:
    node = loop.node
    if loop.kind == "comprehension":
        return {n for c in node.named_children if c.type == "for_in_clause"
                for n in scope.names(c.child_by_field_name("left"))}
    if loop.kind == "for" and not scope.py:
        names: set[str] = set()
        for field in ("initializer", "increment"):
            part = node.child_by_field_name(field)
            if part is not None:
                names |= scope.names(part)
        return names
    return scope.names(node.child_by_field_name("left"))


def _carried(scope: Scope, loop: LoopCtx, at: ts.Node) -> set[str]:
    """Names the loop changes that an await at `at` may read from an earlier iteration:
    assigned after it, from an awaited value, or accumulated (`+=`)."""
    carried: set[str] = set()
    targets = _targets(scope, loop)
    for node in _region_nodes(scope, loop):
        if node.type not in ASSIGNMENTS:
            continue
        left = node.child_by_field_name("left") or node.child_by_field_name("name") or \
            node.child_by_field_name("argument")
        names = scope.names(left) if left is not None else set()
        value = node.child_by_field_name("right") or node.child_by_field_name("value")
        awaited = value is not None and any(n.type in ("await", "await_expression") for n in iter_nodes(value))
        late = node.start_byte > at.start_byte and not inside(at, node)
        accumulated = node.type in ("augmented_assignment", "augmented_assignment_expression", "update_expression")
        if awaited or late or accumulated:
            carried |= names - targets
    return carried
