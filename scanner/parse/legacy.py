"""Python 2 code: tree-sitter-python still parses some Python 2 forms (the `print` and
`exec` statements, backquotes, `<>`, `0777`, `10L`) that no Python 3 accepts (but
`print >>f, x`, which Python 3 reads as a tuple, is no evidence). A file
that uses them is Python 2 and is reported as one `parse-error`, not analysed as Python 3.
"""
from __future__ import annotations

import re

import tree_sitter as ts

from perfsense.scanner.parse import query

_HINT = re.compile(rb"\bprint\b|\bexec\b|<>|`|\b0[0-9_]*[1-9]|[0-9a-fA-F][lL]\b")
_QUERY = """[(print_statement) (exec_statement) (comparison_operator "<>") (string_start) (integer)] @n"""
_OCTAL = re.compile(rb"0[0-9_]*[1-9][0-9_]*")
_LONG = re.compile(rb"(0[xXoObB])?[0-9a-fA-F_]+[lL]")


def python2_syntax(root: ts.Node, data: bytes) -> tuple[int, str] | None:
    """(0-based row, what) of the first Python-2-only construct in the tree, or None."""
    if not _HINT.search(data):
        return None
    found = ts.QueryCursor(query("python", _QUERY)).captures(root).get("n", [])
    for node in sorted(found, key=lambda n: n.start_byte):
        what = _what(node, data)
        if what:
            return node.start_point[0], what
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
