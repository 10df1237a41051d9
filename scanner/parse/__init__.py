"""tree-sitter parsing for both languages: grammar loading, parser reuse, error regions.

Parsers are cached per thread (the LSP server parses in worker threads). Parsing honours
a deadline through tree-sitter's progress callback, so a runaway file stops in C.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import tree_sitter as ts

from perfsense.scanner.parse.walk import iter_nodes

__all__ = ["ParseTimeout", "Reuse", "changed_region", "document_order", "error_lines", "iter_nodes", "language",
           "parse", "query"]


class ParseTimeout(Exception):
    pass


_languages: dict[str, ts.Language] = {}
_queries: dict[tuple[str, str], ts.Query] = {}
_local = threading.local()
_CHUNK = 64 * 1024
_LONE_CR = re.compile(rb"\r(?!\n)")
_SEXP_TOKEN = re.compile(r'[()"\\]')


def language(name: str) -> ts.Language:
    lang = _languages.get(name)
    if lang is None:
        lang = ts.Language(_grammar(name))
        _languages[name] = lang
    return lang


def _grammar(name: str) -> object:
    if name == "python":
        import tree_sitter_python

        return tree_sitter_python.language()
    if name == "javascript":
        import tree_sitter_javascript

        return tree_sitter_javascript.language()
    import tree_sitter_typescript

    if name == "typescript":
        return tree_sitter_typescript.language_typescript()
    if name == "tsx":
        return tree_sitter_typescript.language_tsx()
    raise ValueError(f"no grammar for {name!r}")


def _parser(name: str) -> ts.Parser:
    parsers = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(name)
    if parser is None:
        parser = parsers[name] = ts.Parser(language(name))
    return parser


@dataclass(slots=True)
class Reuse:
    """The last tree of one document, so that parsing its next version reuses what did not
    change (the language server; the command line parses every file once).

    Only an error-free tree is reused, and a reused parse that ends with an error is done
    again from scratch: error recovery may differ from a fresh parse, and a document must
    give the same findings as the same text scanned from disk."""

    lang: str = ""
    data: bytes = b""
    tree: ts.Tree | None = None

    def edited(self, data: bytes, lang: str) -> ts.Tree | None:
        """A copy of the last tree with the change to `data` applied, or None."""
        old, tree = self.data, self.tree
        if tree is None or lang != self.lang or tree.root_node.has_error:
            return None
        start, old_end, new_end = changed_region(old, data)
        tree = tree.copy()
        tree.edit(start_byte=start, old_end_byte=old_end, new_end_byte=new_end, start_point=_point(old, start),
                  old_end_point=_point(old, old_end), new_end_point=_point(data, new_end))
        return tree


def changed_region(old: bytes, new: bytes) -> tuple[int, int, int]:
    """(start, end in `old`, end in `new`) of the bytes an edit replaced: what comes before
    `start` and after the ends is the same in both."""
    start = common_prefix(old, new)
    keep = min(len(old), len(new)) - start
    end = common_prefix(old[::-1][:keep], new[::-1][:keep])
    return start, len(old) - end, len(new) - end


def common_prefix(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix (a binary search of C-speed comparisons)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """tree-sitter's (row, byte column) of a byte offset."""
    return data.count(b"\n", 0, offset), offset - (data.rfind(b"\n", 0, offset) + 1)


def parse(data: bytes, lang: str, deadline: float | None = None, reuse: Reuse | None = None) -> ts.Tree:
    """Parse UTF-8 bytes; raise ParseTimeout when `deadline` (time.monotonic) passes.

    The parser reads the text in chunks through a callback; once the deadline has
    passed the callback ends the input, and the progress callback cancels the parse, so
    even a pathological file stops in C, whether it is still reading or recovering from
    errors after the last read.

    A lone CR ends a line for editors, Python and JavaScript, but not for the grammars:
    the parser sees it as LF (same length, so every byte offset stays valid).

    With `reuse`, the tree of the document's previous text is the starting point, and the
    new tree is kept there for the next call.
    """
    if b"\r" in data:
        data = _LONE_CR.sub(b"\n", data)
    old = reuse.edited(data, lang) if reuse is not None else None
    tree = _parse(data, lang, deadline, old)
    if old is not None and tree.root_node.has_error:
        tree = _parse(data, lang, deadline, None)
    if reuse is not None:
        reuse.lang, reuse.data, reuse.tree = lang, data, tree
    return tree


def _parse(data: bytes, lang: str, deadline: float | None, old: ts.Tree | None) -> ts.Tree:
    parser = _parser(lang)
    if deadline is None:
        return parser.parse(data) if old is None else parser.parse(data, old)
    expired = False

    def read(offset: int, _point: object) -> bytes:
        nonlocal expired
        if time.monotonic() > deadline:
            expired = True
            return b""
        return data[offset:offset + _CHUNK]

    def progress(_offset: int, _has_error: bool) -> bool:
        """Called while the parser works (also after the last read): True cancels."""
        nonlocal expired
        expired = expired or time.monotonic() > deadline
        return expired

    try:
        if old is None:
            tree = parser.parse(read, progress_callback=progress)
        else:
            tree = parser.parse(read, old, progress_callback=progress)
    except ValueError:  # cancelled by `progress`
        tree = None
    if expired or tree is None:
        parser.reset()
        raise ParseTimeout("parsing took longer than the per-file timeout")
    return tree


def query(lang: str, source: str) -> ts.Query:
    """A compiled tree-sitter query, cached per language."""
    key = (lang, source)
    compiled = _queries.get(key)
    if compiled is None:
        compiled = _queries[key] = ts.Query(language(lang), source)
    return compiled


def error_lines(root: ts.Node, limit: int = 20) -> list[int]:
    """0-based start rows of ERROR / MISSING nodes (at most `limit`), outermost first.

    Never empty for a tree with an error: a MISSING *hidden* token (Python's `_newline`,
    as in `1x`) is not reachable through the node API, so it is located from the S-expression.
    """
    if not root.has_error:
        return []
    rows: list[int] = []
    stack = [root]
    while stack and len(rows) < limit:
        node = stack.pop()
        if node.is_error or node.is_missing:
            rows.append(node.start_point[0])
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return sorted(set(rows)) or hidden_error_rows(root, limit)


def hidden_error_rows(root: ts.Node, limit: int = 20) -> list[int]:
    """Rows of errors that no visible node carries: for each deepest node flagged `has_error`
    whose visible children are all clean, the row where its hidden MISSING child sits."""
    rows: list[int] = []
    stack = [root]
    while stack and len(rows) < limit:
        node = stack.pop()
        flagged = [child for child in node.children if child.has_error]
        if flagged:
            stack.extend(reversed(flagged))
            continue
        rows.append(_hidden_missing_row(node))
    return sorted(set(rows))


def _hidden_missing_row(node: ts.Node) -> int:
    """The row of the first MISSING item among `node`'s top-level S-expression items (which
    are its named children plus the MISSING tokens); the node's first row when unknown."""
    named = node.named_children
    text = str(node)
    depth, index, quoted, escaped = 0, 0, False, False
    for match in _SEXP_TOKEN.finditer(text):
        char, position = match.group(), match.start()
        if quoted:  # an anonymous token's name, such as "(MISSING \")\")"
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
            continue
        if char == '"':
            quoted = True
        elif char == "(":
            depth += 1
            if depth == 2:
                if text.startswith("(MISSING", position):
                    if index < len(named):
                        return named[index].start_point[0]
                    return named[-1].end_point[0] if named else node.start_point[0]
                index += 1
        elif char == ")":
            depth -= 1
    return node.start_point[0]


def document_order(nodes: Iterable[ts.Node]) -> list[ts.Node]:
    """Nodes by start, outermost first, node type last: a query's captures come in an order
    that varies from one parse to the next (it follows memory addresses, not the text)."""
    return sorted(nodes, key=_place)


def _place(node: ts.Node) -> tuple[int, int, int]:
    return node.start_byte, -node.end_byte, node.kind_id


def captures(lang: str, source: str, node: ts.Node,
             within: tuple[int, int] | None = None) -> Iterator[tuple[str, ts.Node]]:
    """(capture name, node) pairs of a query over `node`, in document order, outermost first
    (see `document_order`); with `within`, only nodes inside that byte range."""
    cursor = ts.QueryCursor(query(lang, source))
    if within is None:
        found = cursor.captures(node)
        pairs = [(name, n) for name, nodes in found.items() for n in nodes]
    else:
        start, end = within
        cursor.set_byte_range(start, end)
        found = cursor.captures(node)
        pairs = [(name, n) for name, nodes in found.items() for n in nodes
                 if start <= n.start_byte and n.end_byte <= end]
    return iter(in_document_order(pairs))


def in_document_order(pairs: list[tuple[str, ts.Node]]) -> list[tuple[str, ts.Node]]:
    """(capture name, node) pairs sorted as `captures` lists them (in place)."""
    pairs.sort(key=lambda pair: (*_place(pair[1]), pair[0]))
    return pairs
