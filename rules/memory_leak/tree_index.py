"""One walk over a file's tree: the nodes the memory-leak collectors look up by span or name."""
from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter as ts

from perfsense.rules.memory_leak.syntax import Syntax, text
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.model import Span
from perfsense.scanner.parse import query

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
    releases: object = None  # ReleaseIndex, built once the catalog is known

    def refs(self, name: str, start: int, end: int) -> list[ts.Node]:
        return [n for n in self.identifiers.get(name, ()) if start <= n.start_byte and n.end_byte <= end]

    def calls_in(self, start: int, end: int) -> list[ts.Node]:
        return [n for n in self.call_nodes if start <= n.start_byte and n.end_byte <= end]


_QUERIES = {
    "python": """
        (call) @call
        [(function_definition) (lambda)] @function
        (identifier) @identifier
        (attribute) @member
        (with_item value: (_) @with)
    """,
    "javascript": """
        [(call_expression) (new_expression)] @call
        [(arrow_function) (function_expression) (function_declaration) (generator_function)
         (generator_function_declaration) (method_definition)] @function
        [(identifier) (shorthand_property_identifier) (this)] @identifier
        (member_expression) @member
    """,
}
_JSX_QUERY = "[(jsx_element) (jsx_self_closing_element)] @jsx"


def build_index(ctx: FileContext, syntax: Syntax) -> TreeIndex:
    """Found by tree-sitter queries (run in C), not by a walk in Python."""
    index = TreeIndex()
    lang = ctx.source.language
    family = "python" if lang == "python" else "javascript"
    found = ts.QueryCursor(query(lang, _QUERIES[family])).captures(ctx.root)
    for node in found.get("call", ()):
        index.calls[ctx.span(node)] = node
        index.call_nodes.append(node)
    index.call_nodes.sort(key=lambda n: n.start_byte)
    for node in found.get("function", ()):
        index.functions[ctx.span(node)] = node
    for node in found.get("identifier", ()):
        index.identifiers.setdefault(text(node), []).append(node)
    index.members = sorted(found.get("member", ()), key=lambda n: n.start_byte)
    index.with_values = list(found.get("with", ()))
    if lang in ("javascript", "tsx") and b"<" in ctx.source.data:
        jsx = ts.QueryCursor(query(lang, _JSX_QUERY)).captures(ctx.root).get("jsx", ())
        for node in jsx:
            if node.parent is not None and node.parent.type in JSX:
                continue
            parent = node.parent
            while parent is not None and parent.type not in syntax.functions:
                parent = parent.parent
            if parent is not None:
                index.jsx_owners.add(ctx.span(parent))
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
