"""Syntax errors the node API cannot see: a hidden MISSING token must still be located."""
from __future__ import annotations

import pytest

from perfsense.scanner.engine.worker import Settings, analyse_source
from perfsense.scanner.model import SkipReason
from perfsense.scanner.parse import error_lines, parse
from perfsense.scanner.source import SourceFile
from tests.helpers import scan_tree, write_tree

# `1name` parses as `1` then a MISSING `_newline` (a hidden token: no Node reaches it).
HIDDEN_MISSING = "import requests\n\n\nasync def f():\n    requests.get('u')\n\n\n1syntax_error  # NOQA\n"


def test_hidden_missing_token_has_an_error_line() -> None:
    root = parse(HIDDEN_MISSING.encode(), "python").root_node
    assert root.has_error
    assert error_lines(root) == [7]


def test_hidden_missing_token_is_partial_parse_not_internal_error() -> None:
    result = analyse_source(SourceFile("t.py", HIDDEN_MISSING, "python"), "t", False, Settings())
    assert [(s.reason, s.line) for s in result.skips] == [(SkipReason.PARTIAL_PARSE, 7)]
    assert result.error_ranges == ((7, 7),)
    assert result.facts is not None


def test_findings_outside_the_error_region_are_kept(tmp_path) -> None:
    write_tree(tmp_path, {"t.py": HIDDEN_MISSING})
    result = scan_tree(tmp_path)
    assert [(s.reason, s.line) for s in result.skips] == [(SkipReason.PARTIAL_PARSE, 7)]
    assert [(f.rule_id, f.location.span.start.line) for f in result.findings] == [
        ("blocking-call-in-async", 4)]


def test_missing_anonymous_token_inside_quotes() -> None:
    root = parse(b"def f(:\n    pass\n", "python").root_node
    assert error_lines(root) == [0]


PY2 = [
    ("print 'hello'\n", "a `print` statement"),
    ("print 'y'\nprint >>sys.stderr, 'x'\n", "a `print` statement"),
    ("exec 'x = 1'\n", "an `exec` statement"),
    ("x = `y`\n", "a backquoted expression"),
    ("if a <> b:\n    pass\n", "the `<>` operator"),
    ("x = 0777\n", "an old-style octal literal"),
    ("x = 10L\n", "a long integer literal"),
    ("x = 0xFFl\n", "a long integer literal"),
    ("x = 0777 if y <> `z` else 10L\nexecutor = 1\n", "an old-style octal literal"),  # the first of them
]


def test_python2_code_is_one_parse_error() -> None:
    for text, what in PY2:
        code = "import os\n\n" + text + "try:\n    pass\nexcept Exception, e:\n    pass\n"
        result = analyse_source(SourceFile("t.py", code, "python"), "t", False, Settings())
        assert [(s.reason, s.line, s.detail) for s in result.skips] == [
            (SkipReason.PARSE_ERROR, 2, f"Python 2 code ({what} at line 3)")], text
        assert result.facts is None


def test_python3_lookalikes_are_not_python2() -> None:
    code = ("print('x')\nprint (a), b\nexec(code)\nx = 00 + 0o777 + 0x1F + 1_000 + 1j\nprint >> sys.stderr, 'm'\n"
            "s = '`<>`'  # print 'x'\n")
    result = analyse_source(SourceFile("t.py", code, "python"), "t", False, Settings())
    assert result.skips == ()


def test_parse_deadline_stops_the_parser(monkeypatch) -> None:
    import itertools
    import time
    import types

    import pytest

    import perfsense.scanner.parse as parsing
    from perfsense.scanner.parse import ParseTimeout

    data = b"def f(x):\n    return [y for y in x if y]\n" * 20_000
    with pytest.raises(ParseTimeout):  # the deadline has passed before the first read
        parse(data, "python", time.monotonic() - 1)
    assert parse(data, "python", time.monotonic() + 60).root_node.end_byte == len(data)
    # the deadline passes after the whole text was read, while the parser works: the
    # progress callback cancels it
    clock = itertools.chain([0.0], itertools.repeat(1e12))
    monkeypatch.setattr(parsing, "time", types.SimpleNamespace(monotonic=lambda: next(clock)))
    with pytest.raises(ParseTimeout):
        parse(b"x = (" * 5_000, "python", 1.0)


@pytest.mark.parametrize("text", ["a = 1\nb = 'x'\n", "s = '𝄞é'; t = 1\n\nu = 'ü'\n", "x = 1\r\ny = 2\rz = 3\n"])
def test_byte_offsets_and_positions_are_inverse(text: str):
    """`SourceFile.offset` turns a (line, code-point column) back into the byte offset
    `position` came from, for ASCII, non-ASCII and mixed line endings."""
    source = SourceFile("m.py", text, "python")
    for offset in range(len(source.data) + 1):
        if offset < len(source.data) and (source.data[offset] & 0xC0) == 0x80:
            continue  # inside a UTF-8 sequence: not a character boundary
        assert source.offset(source.position(offset)) == offset


@pytest.mark.parametrize("text", [
    "a = f(1)\nb = g('x')\n",
    "s = f('𝄞é', x)  # ü\r\nt = [1, 'ö']\r\n\r\nu = h('ü', y=2)\n",
    "x = 1\r\ny = 'é'\rz = f(3)\n",
    "def f():\n    return 'naïve' + g(\"日本\")\n",
])
def test_node_spans_are_code_point_positions(text: str):
    """`node_span` (from the parser's rows and byte columns, converted only on lines with
    non-ASCII text) equals the span computed from byte offsets, for every node."""
    source = SourceFile("m.py", text, "python")
    stack = [parse(source.data, "python").root_node]
    seen = 0
    while stack:
        node = stack.pop()
        assert source.node_span(node) == source.span(node.start_byte, node.end_byte), node
        stack.extend(node.children)
        seen += 1
    assert seen > 10
