"""Columns: perfsense counts Unicode code points; LSP clients count UTF-16 code units by
default, or UTF-8 bytes / code points when `positionEncoding` says so.

Every function here takes the text of one line without its line break.
"""
from __future__ import annotations

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
ENCODINGS = (UTF8, UTF16, UTF32)


def _units(char: str, encoding: str) -> int:
    code = ord(char)
    if encoding == UTF16:
        return 2 if code > 0xFFFF else 1
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    return 3 if code < 0x10000 else 4


def to_client(line: str, column: int, encoding: str) -> int:
    """Code-point column -> client units (clamped to the line)."""
    column = max(0, min(column, len(line)))
    if encoding == UTF32 or line.isascii():
        return column
    head = line[:column]
    if encoding == UTF16:
        return column + sum(1 for c in head if ord(c) > 0xFFFF)
    return len(head.encode("utf-8", "surrogatepass"))


def from_client(line: str, character: int, encoding: str) -> int | None:
    """Client units -> code-point column.

    A character past the end of the line means the end of the line (as the protocol says);
    a position inside one character (half of a UTF-16 surrogate pair, the middle of a
    UTF-8 sequence) is None: the client and the server disagree about the text.
    """
    if character < 0:
        return None
    if encoding == UTF32 or line.isascii():
        return min(character, len(line))
    count = 0
    for index, char in enumerate(line):
        if count == character:
            return index
        count += _units(char, encoding)
        if count > character:
            return None
    return len(line)


def length(text: str, encoding: str) -> int:
    """Length of `text` in client units."""
    return to_client(text, len(text), encoding)
