"""Python 2 code: tree-sitter-python still parses some Python 2 forms (the `print` and
`exec` statements, backquotes, `<>`, `0777`, `10L`) that no Python 3 accepts (but
`print >>f, x`, which Python 3 reads as a tuple, is no evidence). A file
that uses them is Python 2 and is reported as one `parse-error`, not analysed as Python 3.
"""
from __future__ import annotations

import re

import tree_sitter as ts

# Where a construct can be, by its text: plain substrings (no word boundaries, which make
# a regular expression ten times slower over a file), each looked up in the tree (a token
# of the right kind there), so that no query walks the tree of a file that merely holds
# a date like `01`, the word `executor` or a Markdown backquote.
_CANDIDATES = re.compile(rb"print|exec|<>|`|0[0-9_]*[1-9]|0[xXoObB]|[0-9_][lL]")
_OCTAL = re.compile(rb"0[0-9_]*[1-9][0-9_]*")
_LONG = re.compile(rb"(0[xXoObB])?[0-9a-fA-F_]+[lL]")


def python2_syntax(root: ts.Node, data: bytes) -> tuple[int, str] | None:
    """(0-based row, what) of the first Python-2-only construct in the tree, or None."""
    found: dict[int, ts.Node] = {}
    for match in _CANDIDATES.finditer(data):
        node = _construct(root, match.start())
        if node is not None and node.id not in found and _what(node, data):
            found[node.id] = node
    if not found:
        return None
    first = min(found.values(), key=lambda n: (n.start_byte, -n.end_byte))  # outermost first, as a query lists them
    return first.start_point[0], _what(first, data)


def _construct(root: ts.Node, offset: int) -> ts.Node | None:
    """The statement, operator or literal whose token holds `offset`, if any."""
    token = root.descendant_for_byte_range(offset, offset + 1)
    if token is None:
        return None
    if token.type in ("integer", "string_start"):
        return token
    parent = token.parent
    if parent is not None and token.start_byte == offset and token.type in ("print", "exec") \
            and parent.type in ("print_statement", "exec_statement") and parent.start_byte == offset:
        return parent
    if parent is not None and token.type == "<>" and parent.type == "comparison_operator":
        return parent
    return None


def _what(node: ts.Node, data: bytes) -> str:
    kind = node.type
    if kind == "print_statement":  # `print >>f, x` is also valid Python 3: a tuple
        return "" if any(child.type == "chevron" for child in node.children) else "a `print` statement"
    if kind == "exec_statement":
        return "an `exec` statement"
    if kind == "comparison_operator":
        return "the `<>` operator"
    text = data[node.start_byte:node.end_byte]
    if kind == "string_start":
        return "a backquoted expression" if text.startswith(b"`") else ""
    if _OCTAL.fullmatch(text):
        return "an old-style octal literal"
    if _LONG.fullmatch(text):
        return "a long integer literal"
    return ""
