"""Open-document text: incremental edits in every position encoding, and the edits the
server refuses (reversed, out of range, inside a character, version regressions)."""
from __future__ import annotations

import pytest
from lsprotocol import types

from perfsense.lsp.documents import Document, EditError, language_for, split_lines, uri_to_path
from perfsense.lsp.positions import UTF8, UTF16, UTF32, from_client, length, to_client


def edit(sl: int, sc: int, el: int, ec: int, text: str) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec)),
        text=text)


def test_columns_in_each_encoding():
    line = 'a = "𝄞é" + x'
    assert to_client(line, 6, UTF32) == 6
    assert to_client(line, 6, UTF16) == 7  # 𝄞 is a surrogate pair
    assert to_client(line, 6, UTF8) == 5 + 4  # 'a = "' (5 bytes) + 𝄞 (4 bytes)
    assert from_client(line, 7, UTF16) == 6
    assert from_client(line, 6, UTF16) is None  # between the two halves of 𝄞
    assert from_client(line, 7, UTF8) is None  # inside the UTF-8 bytes of 𝄞
    assert from_client(line, 100, UTF16) == len(line)  # past the end: the end (as the protocol says)
    assert from_client(line, -1, UTF16) is None
    assert length("𝄞é", UTF16) == 3 and length("𝄞é", UTF8) == 6 and length("𝄞é", UTF32) == 2


def test_lines_keep_every_kind_of_break():
    assert split_lines("a\r\nb\rc\nd") == ["a\r\n", "b\r", "c\n", "d"]
    assert split_lines("a\n") == ["a\n", ""]
    assert split_lines("") == [""]


def test_incremental_edits_apply_in_order():
    doc = Document.open("file:///a.py", "def f():\n    return 1\n", 1, "python")
    doc.apply([edit(1, 11, 1, 12, "2"), edit(0, 4, 0, 5, "g"), edit(2, 0, 2, 0, "x = g()\n")], 2, UTF16)
    assert doc.text == "def g():\n    return 2\nx = g()\n" and doc.version == 2
    doc.apply([edit(0, 0, 2, 0, "")], 3, UTF16)
    assert doc.text == "x = g()\n"
    doc.apply([types.TextDocumentContentChangeWholeDocument(text="new\n"), edit(0, 3, 0, 3, "er")], 4, UTF16)
    assert doc.text == "newer\n"


def test_line_breaks_joined_by_an_edit_become_one():
    doc = Document.open("file:///a.py", "a\rb\n", 1, "python")
    doc.apply([edit(1, 0, 1, 0, "\n")], 2, UTF16)  # `\r` + `\n` is one break now
    assert doc.text == "a\r\nb\n" and doc.lines == ["a\r\n", "b\n", ""]
    doc.apply([edit(0, 1, 1, 0, "")], 3, UTF16)
    assert doc.lines == ["ab\n", ""]


def test_edits_after_non_ascii_text_in_each_encoding():
    for encoding, column in ((UTF16, 8), (UTF8, 11), (UTF32, 7)):
        doc = Document.open("untitled:1", 'a = "𝄞é" + x\n', 1, "python")
        doc.apply([edit(0, column, 0, column, "!")], 2, encoding)
        assert doc.text == 'a = "𝄞é!" + x\n', encoding


@pytest.mark.parametrize("bad, reason", [
    (edit(2, 0, 1, 0, "x"), "reversed"),
    (edit(0, 5, 0, 2, "x"), "reversed"),
    (edit(0, 0, 9, 0, "x"), "past the last line"),
    (edit(7, 0, 7, 0, "x"), "past the last line"),
    (edit(1, 6, 1, 6, "x"), "splits a character"),
])
def test_bad_ranges_reject_the_whole_batch(bad, reason):
    doc = Document.open("file:///a.py", "x = 1\ns = '𝄞'\n", 4, "python")
    with pytest.raises(EditError, match=reason):
        doc.apply([edit(0, 0, 0, 0, "# ok "), bad], 5, UTF16)
    assert doc.text == "x = 1\ns = '𝄞'\n" and doc.version == 4


def test_versions_only_move_forward():
    doc = Document.open("file:///a.py", "x\n", 3, "python")
    for version in (3, 2, -1):
        with pytest.raises(EditError, match="does not follow"):
            doc.apply([edit(0, 0, 0, 0, "y")], version, UTF16)
    assert doc.text == "x\n"


def test_a_50000_line_document_takes_edits_quickly():
    import time

    doc = Document.open("file:///big.py", "x = 1\n" * 50_000, 1, "python")
    start = time.perf_counter()
    for version in range(2, 502):
        doc.apply([edit(25_000, 0, 25_000, 0, "y")], version, UTF16)
    assert time.perf_counter() - start < 2.0
    assert doc.lines[25_000] == "y" * 500 + "x = 1\n" and len(doc.lines) == 50_001


def test_uris_paths_and_languages():
    assert uri_to_path("file:///tmp/a%20b/%C3%A9.py") == "/tmp/a b/é.py"
    assert uri_to_path("untitled:Untitled-1") is None
    assert uri_to_path("file://server/share/x.py") is None
    assert language_for("file:///x/app.tsx", "typescriptreact") == "tsx"
    assert language_for("file:///x/types.d.ts", "typescript") is None
    assert language_for("file:///x/stub.pyi", "python") is None
    assert language_for("untitled:Untitled-1", "python") == "python"
    assert language_for("untitled:Untitled-2", "plaintext") is None
    assert language_for("file:///x/notes.txt", "javascriptreact") == "javascript"
