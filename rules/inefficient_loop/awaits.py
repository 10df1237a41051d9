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

from perfsense.rules.inefficient_loop.common import Calls, describe, is_small, pattern_set
from perfsense.rules.inefficient_loop.scope import FUNCTION_NODES, LoopCtx, Scope
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.model import Span

STATEMENT_LOOPS = {"python": frozenset({"for", "comprehension"}),
                   "javascript": frozenset({"for", "for-of", "for-in"})}
EXITS = frozenset({"break_statement", "return_statement"})
THROWS = frozenset({"raise_statement", "throw_statement"})
CALLS = frozenset({"call", "call_expression"})
AWAITS = frozenset({"await", "await_expression"})
NESTED = FUNCTION_NODES | {"function_definition", "lambda"}
BREAK_TARGETS = frozenset({"for_statement", "while_statement", "for_in_statement", "do_statement",
                           "switch_statement"})
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
        self._loops: dict[int, tuple[bool, list[tuple]]] = {}

    types = frozenset({"await", "await_expression", "with_statement"})

    def visit(self, node: ts.Node) -> None:
        call = _awaited_call(node, self.await_type)
        if call is None:
            return
        scope = self.sc
        loops = scope.loops(node)
        if not loops or loops[0].kind not in self.kinds:
            return
        loop = loops[0]
        facts = self._loops.get(loop.node.id)
        if facts is None:
            facts = self._loops[loop.node.id] = _loop_facts(scope, loop, self.calls, self.catalogs)
        free, assignments = facts
        if not free or is_small(scope, loop):
            return
        carried: set[str] = set()
        for start, end, names, awaited, accumulated in assignments:
            late = start > node.start_byte and not (start <= node.start_byte and node.end_byte <= end)
            if awaited or late or accumulated:
                carried |= names
        if carried & scope.names(call):
            return
        fact = self.calls.fact(call)
        if fact is not None:
            self.sites.append(AwaitSite(fact.id, scope.ctx.span(call), describe(scope, loop), loop.node.start_byte))


def _awaited_call(node: ts.Node, await_type: str) -> ts.Node | None:
    """The call an `await` waits for; for `async with session.get(url) as r:` the call."""
    if node.type == "with_statement":
        if not node.children or node.children[0].type != "async":
            return None
        clause = next((c for c in node.named_children if c.type == "with_clause"), None)
        item = clause.named_children[0] if clause is not None and clause.named_children else None
        value = item.child_by_field_name("value") if item is not None else None
        if value is not None and value.type == "as_pattern" and value.named_children:
            value = value.named_children[0]
        return value if value is not None and value.type == "call" else None
    if node.type != await_type or not node.named_children:
        return None
    call = node.named_children[0]
    return call if call.type in ("call", "call_expression") else None


def _loop_facts(scope: Scope, loop: LoopCtx, calls: Calls, catalogs: Catalogs) -> tuple[bool, list[tuple]]:
    """Whether the loop runs through (no early exit, no pause), and its assignments:
    (start, end, names other than the loop's own, from an await, accumulating)."""
    body = loop.node.child_by_field_name("body") if loop.kind != "comprehension" else loop.node
    body = body or loop.node
    pause = pattern_set(catalogs, "python" if scope.py else "javascript", "pause")
    for node in scope.find(body, CALLS):
        if pause.match(calls.callee(node) or scope.text(node.child_by_field_name("function"))):
            return False, []
    targets = _targets(scope, loop)
    assignments = []
    for node in _region_nodes(scope, body, EXITS | THROWS | ASSIGNMENTS):
        if node.type in EXITS and _exits(node, loop.node):
            return False, []
        if node.type in THROWS and not _in_handler(node, loop.node):
            return False, []
        if node.type not in ASSIGNMENTS:
            continue
        left = node.child_by_field_name("left") or node.child_by_field_name("name") or \
            node.child_by_field_name("argument")
        names = (scope.names(left) if left is not None else set()) - targets
        value = node.child_by_field_name("right") or node.child_by_field_name("value")
        awaited = value is not None and bool(scope.find(value, AWAITS))
        accumulated = node.type in ("augmented_assignment", "augmented_assignment_expression", "update_expression")
        assignments.append((node.start_byte, node.end_byte, names, awaited, accumulated))
    return True, assignments


def _region_nodes(scope: Scope, body: ts.Node, types: frozenset[str]) -> list[ts.Node]:
    """Nodes of `types` in `body`, not inside functions nested in it."""
    out = []
    end = -1
    for node in scope.find(body, types | NESTED):
        if node.start_byte < end:
            continue
        if node.type in NESTED and node.id != body.id:
            end = node.end_byte
            continue
        if node.type in types:
            out.append(node)
    return out


def _exits(node: ts.Node, loop: ts.Node) -> bool:
    """A `return` always leaves the loop; a `break` only when no inner loop or `switch`
    stands between it and the loop."""
    if node.type == "return_statement":
        return True
    current = node.parent
    while current is not None and current.id != loop.id:
        if current.type in BREAK_TARGETS:
            return False
        current = current.parent
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
