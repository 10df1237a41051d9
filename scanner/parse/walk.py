"""Iterative tree walking. Nothing in perfsense walks a tree by recursion."""
from __future__ import annotations

from collections.abc import Iterator

import tree_sitter as ts


def iter_nodes(node: ts.Node, *, named_only: bool = True, skip: frozenset[str] = frozenset()) -> Iterator[ts.Node]:
    """Pre-order walk of `node` and its descendants; subtrees whose type is in `skip`
    are yielded but not entered."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and current.type in skip:
            continue
        children = current.named_children if named_only else current.children
        stack.extend(reversed(children))


def ancestors(node: ts.Node) -> Iterator[ts.Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def text(node: ts.Node | None) -> str:
    if node is None:
        return ""
    raw = node.text or b""
    return raw.decode("utf-8", "replace")
