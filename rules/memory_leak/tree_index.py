"""One walk over a file's tree: the nodes the memory-leak collectors look up by span or name."""
from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter as ts

from perfsense.rules.memory_leak.syntax import Syntax, text
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.model import Span

JSX = frozenset({"jsx_element", "jsx_self_closing_element", "jsx_fragment"})


@dataclass(slots=True)
class TreeIndex:
    calls: dict[Span, ts.Node] = field(default_factory=dict)
    functions: dict[Span, ts.Node] = field(default_factory=dict)
    identifiers: dict[str, list[ts.Node]] = field(default_factory=dict)
    members: list[ts.Node] = field(default_factory=list)  # attribute / member expressions
    call_nodes: list[ts.Node] = field(default_factory=list)
    with_values: list[ts.Node] = field(default_factory=list)  # Python `with` item values
    jsx_owners: set[Span] = field(default_factory=set)  # spans of functions holding JSX

    def refs(self, name: str, start: int, end: int) -> list[ts.Node]:
        return [n for n in self.identifiers.get(name, ()) if start <= n.start_byte and n.end_byte <= end]

    def calls_in(self, start: int, end: int) -> list[ts.Node]:
        return [n for n in self.call_nodes if start <= n.start_byte and n.end_byte <= end]


def build_index(ctx: FileContext, syntax: Syntax) -> TreeIndex:
    index = TreeIndex()
    stack: list[tuple[ts.Node, ts.Node | None]] = [(ctx.root, None)]
    while stack:
        node, func = stack.pop()
        kind = node.type
        if kind in syntax.calls:
            index.calls[ctx.span(node)] = node
            index.call_nodes.append(node)
        elif kind in syntax.functions:
            index.functions[ctx.span(node)] = node
            func = node
        elif kind in syntax.identifiers or kind in ("this", "self"):
            index.identifiers.setdefault(text(node), []).append(node)
        elif kind in syntax.members:
            index.members.append(node)
        elif kind == "with_item":
            value = node.child_by_field_name("value")
            if value is not None:
                index.with_values.append(value)
        elif kind in JSX and func is not None:
            index.jsx_owners.add(ctx.span(func))
        stack.extend((child, func) for child in reversed(node.named_children))
    return index


def outermost_function(node: ts.Node, syntax: Syntax) -> ts.Node | None:
    """The outermost function around `node` (None at module level); for methods, the class body."""
    found = None
    parent = node.parent
    while parent is not None:
        if parent.type in syntax.functions:
            found = parent
        if parent.type in ("class_body", "class_definition", "class_declaration", "class"):
            return parent if found is not None else None
        parent = parent.parent
    return found
