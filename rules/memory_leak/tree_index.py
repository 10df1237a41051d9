"""The nodes the memory-leak collectors look up, found on demand: most files acquire
nothing and keep no module-level collection, so nothing is searched in them.

Names are found by a regular expression over the file's bytes (in C) and checked against
the node tree-sitter has at that place; calls and functions of the facts are found by their
byte range. No query over every identifier or call of the file is run.
"""
from __future__ import annotations

import re

import tree_sitter as ts

from perfsense.rules.memory_leak.syntax import Syntax
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.model import Span
from perfsense.scanner.parse import document_order, query

JSX = frozenset({"jsx_element", "jsx_self_closing_element", "jsx_fragment"})
IDENTIFIERS = {"python": frozenset({"identifier"}),
               "javascript": frozenset({"identifier", "shorthand_property_identifier", "this"})}
FUNCTIONS = {"python": frozenset({"function_definition", "lambda"}),
             "javascript": frozenset({"arrow_function", "function_expression", "function_declaration",
                                      "generator_function", "generator_function_declaration",
                                      "method_definition"})}
CALLS = {"python": frozenset({"call"}), "javascript": frozenset({"call_expression", "new_expression"})}
_ALL = {
    "python": "(call) @call (attribute) @member (with_item value: (_) @with)",
    "javascript": "[(call_expression) (new_expression)] @call (member_expression) @member",
}
_JSX_QUERY = "[(jsx_element) (jsx_self_closing_element)] @jsx"
_words: dict[str, re.Pattern[bytes]] = {}


def _word(name: str) -> re.Pattern[bytes]:
    found = _words.get(name)
    if found is None:
        if len(_words) > 4096:
            _words.clear()
        found = _words[name] = re.compile(rb"(?<![\w$])" + re.escape(name.encode("utf-8", "surrogatepass"))
                                          + rb"(?![\w$])")
    return found


class FileIndex:
    """Lookups into one file's tree, each computed when first asked for."""

    def __init__(self, ctx: FileContext, syntax: Syntax) -> None:
        self.ctx = ctx
        self.syntax = syntax
        self.family = "python" if ctx.language == "python" else "javascript"
        self.root = ctx.root
        self.source = ctx.source
        self.functions = FUNCTIONS[self.family]
        self._identifiers = IDENTIFIERS[self.family]
        self._all: dict[str, list[ts.Node]] | None = None
        self._releases: object = None
        self.release_builder = None  # set by the collector: builds the ReleaseIndex from this index

    # --- by range ------------------------------------------------------------------
    def node_at(self, span: Span, types: frozenset[str]) -> ts.Node | None:
        """The innermost node of one of `types` covering exactly `span`."""
        start, end = self.source.offset(span.start), self.source.offset(span.end)
        node: ts.Node | None = self.root.descendant_for_byte_range(start, end)
        while node is not None and node.start_byte == start and node.end_byte == end:
            if node.type in types:
                return node
            node = node.parent
        return None

    def call_at(self, span: Span) -> ts.Node | None:
        return self.node_at(span, CALLS[self.family])

    def function_at(self, span: Span) -> ts.Node | None:
        return self.node_at(span, self.functions)

    # --- by name -------------------------------------------------------------------
    def refs(self, name: str, start: int = 0, end: int | None = None) -> list[ts.Node]:
        """Identifier nodes spelled `name` between byte offsets start and end, in order."""
        data = self.source.data
        stop = len(data) if end is None else end
        out = []
        for match in _word(name).finditer(data, start, stop):
            node = self.root.descendant_for_byte_range(match.start(), match.end())
            if node is not None and node.type in self._identifiers and node.start_byte == match.start() \
                    and node.end_byte == match.end():
                out.append(node)
        return out

    def members_named(self, prop: str) -> list[ts.Node]:
        """Attribute / member expressions whose attribute is `prop` (Python), by position."""
        out = []
        for ref in self.refs(prop):
            parent = ref.parent
            if parent is not None and parent.type in self.syntax.members \
                    and parent.child_by_field_name("attribute") == ref:
                out.append(parent)
        return document_order(out)

    # --- every call / member (only for files that acquire something) ----------------
    def all_nodes(self) -> dict[str, list[ts.Node]]:
        if self._all is None:
            found = ts.QueryCursor(query(self.ctx.source.language, _ALL[self.family])).captures(self.root)
            self._all = {key: document_order(nodes) for key, nodes in found.items()}
        return self._all

    @property
    def releases(self):  # ReleaseIndex
        if self._releases is None and self.release_builder is not None:
            self._releases = self.release_builder(self)
        return self._releases

    # --- JSX -----------------------------------------------------------------------
    def jsx_owner_spans(self, ranges: list[tuple[int, int]]) -> set[Span]:
        """Spans of the innermost functions holding JSX elements in the given byte ranges."""
        lang = self.ctx.source.language
        out: set[Span] = set()
        if lang not in ("javascript", "tsx") or b"<" not in self.source.data:
            return out
        compiled = query(lang, _JSX_QUERY)
        seen: set[int] = set()
        for start, end in ranges:
            cursor = ts.QueryCursor(compiled)
            cursor.set_byte_range(start, end)
            for node in cursor.captures(self.root).get("jsx", ()):
                if node.id in seen:
                    continue
                seen.add(node.id)
                parent = node.parent
                if parent is not None and parent.type in JSX:
                    continue
                while parent is not None and parent.type not in self.syntax.functions:
                    parent = parent.parent
                if parent is not None:
                    out.add(self.ctx.span(parent))
        return out


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
