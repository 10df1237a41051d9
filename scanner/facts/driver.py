"""Visit the interesting nodes of a tree in document order with their context, fast.

A tree-sitter query (run in C) picks out the node types an extractor handles; Python
then sees only those, outermost first. The context of a node (enclosing function, loop,
class) comes from a stack of scopes with byte ranges: a handler that opens a scope
(a function body, a loop body) pushes it, and it is popped once the walk passes its end.
A scope may exclude one byte range: the iterable of a `for` clause runs outside its loop.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import tree_sitter as ts

from perfsense.scanner.parse import document_order, language, query, shared


@dataclass(slots=True)
class Scope:
    start: int
    end: int
    func: int
    loop: int | None
    cls: Any  # ClassRec of the class whose body this is, or None
    prefix: str  # qualname prefix for definitions inside
    ex_start: int = -1
    ex_end: int = -1

    def covers(self, pos: int) -> bool:
        return self.start <= pos < self.end and not (self.ex_start <= pos < self.ex_end)

    def inner(self, start: int, end: int, **changes: Any) -> Scope:
        """A scope for [start, end) that inherits this context except `changes`."""
        scope = Scope(start, end, self.func, self.loop, self.cls, self.prefix)
        for key, value in changes.items():
            setattr(scope, key, value)
        return scope


class Driver:
    def __init__(self, root: ts.Node) -> None:
        self.stack = [Scope(root.start_byte, max(root.end_byte, 1) + 1, 0, None, None, "")]

    def push(self, scope: Scope) -> None:
        self.stack.append(scope)

    def context(self, pos: int) -> Scope:
        for scope in reversed(self.stack):
            if scope.covers(pos):
                return scope
        return self.stack[0]

    def run(self, nodes: Iterable[ts.Node], handlers: dict[str, Callable[[ts.Node, Scope], None]]) -> None:
        stack = self.stack
        for node in nodes:
            pos = node.start_byte
            while len(stack) > 1 and stack[-1].end <= pos:
                stack.pop()
            handler = handlers.get(node.type)
            if handler is not None:
                handler(node, self.context(pos))


def interesting(lang: str, root: ts.Node, node_types: Iterable[str],
                context: str = "") -> tuple[list[ts.Node], dict[str, set[int]]]:
    """Every node of the given types under `root`, outermost first, in document order; and
    the node ids of each capture of the `context` query, run in the same pass over the tree.

    The context captures let a handler ask about a node's parent (`awaited`, a statement
    of its own, returned) without `Node.parent`, which tree-sitter computes by descending
    from the root: asked for every call of a 10,000-term chain, that is quadratic.
    """
    grammar = language(lang)
    kinds = [kind for kind in node_types if grammar.id_for_node_kind(kind, True)]
    wanted, names = shared.walk_query(lang)  # what rules want from whole files: one walk for all
    source = "[" + " ".join(f"({kind})" for kind in kinds) + "] @n\n" + context + "\n" + wanted
    found = ts.QueryCursor(query(lang, source)).captures(root)
    shared.remember(root, found, names)
    nodes = document_order(found.pop("n", []))
    return nodes, {name: {node.id for node in captured} for name, captured in found.items()}
