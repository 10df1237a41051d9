"""A source file in memory: decoded text, UTF-8 bytes for the parser, and a line index.

Positions inside perfsense are 0-based lines and code-point columns. Lines end at
`\\r\\n`, `\\r` or `\\n` (what editors and the LSP count), whatever the parser thinks.
"""
from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass, field
from itertools import accumulate

from perfsense.scanner.model import Position, SkipReason, Span, flat_span

LANGUAGE_BY_SUFFIX = {
    ".py": "python",
    ".pyi": None,  # stubs hold no behaviour
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
}
PYTHON = "python"
JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_NON_ASCII = re.compile(rb"[\x80-\xff]+")
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
SNIFF_BYTES = 8192


def language_of(path: str) -> str | None:
    """The language perfsense analyses a file as, or None when it is not a source file."""
    name = path[path.rfind("/") + 1:].lower()
    dot = name.rfind(".")
    if dot <= 0 or name.endswith((".d.ts", ".d.mts", ".d.cts")):
        return None
    return LANGUAGE_BY_SUFFIX.get(name[dot:])


def is_js(language: str) -> bool:
    return language in JS_LANGUAGES


class DecodeError(Exception):
    def __init__(self, reason: SkipReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def decode(raw: bytes, language: str) -> str:
    """Decode file bytes: BOMs, PEP 263 cookies for Python, UTF-8 otherwise.

    Raises DecodeError(binary|encoding) when the bytes are not text.
    """
    if raw.startswith(codecs.BOM_UTF8):
        return _strict(raw[len(codecs.BOM_UTF8):], "utf-8")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(raw, "utf-16")
    if b"\0" in raw[:SNIFF_BYTES]:
        raise DecodeError(SkipReason.BINARY, "NUL bytes in the first 8 KB")
    encoding = "utf-8"
    if language == PYTHON:
        encoding = _coding_cookie(raw) or "utf-8"
    return _strict(raw, encoding)


def _coding_cookie(raw: bytes) -> str | None:
    for line in raw.split(b"\n", 2)[:2]:
        match = _CODING.match(line)
        if match:
            name = match.group(1).decode("ascii", "replace")
            try:
                return codecs.lookup(name).name
            except LookupError:
                raise DecodeError(SkipReason.ENCODING, f"unknown coding cookie {name!r}") from None
        if line.strip() and not line.lstrip().startswith(b"#"):
            break
    return None


def _strict(raw: bytes, encoding: str) -> str:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(SkipReason.ENCODING, f"not valid {encoding} at byte {exc.start}") from None
    text = text.removeprefix("\ufeff")
    return text


@dataclass(slots=True)
class SourceFile:
    """Decoded text of one file plus what is needed to turn parser offsets into positions."""

    path: str  # posix, relative to the scan root
    text: str
    language: str
    data: bytes = b""  # UTF-8 encoding of text, what the parser reads
    line_starts: list[int] = field(default_factory=list)  # byte offsets
    # ASCII without lone CRs: the parser's (row, byte column) are already our positions.
    simple: bool = False
    # Without lone CRs, the parser's rows are our lines: the lines holding non-ASCII text,
    # whose byte columns need converting (None: lone CRs, rows and lines differ).
    wide: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if not self.data:
            self.data = self.text.encode("utf-8", "surrogatepass")
        data = self.data
        if not self.line_starts:
            if b"\r" in data:
                self.line_starts = [0, *(m.end() for m in _LINE_BREAK.finditer(data))]
            else:  # the common case, in C: one past each line's length, summed up
                self.line_starts = list(accumulate(map((1).__add__, map(len, data.split(b"\n")[:-1])), initial=0))
        same_rows = data.count(b"\r") == data.count(b"\r\n")
        self.simple = same_rows and data.isascii()
        if same_rows and not self.simple:
            starts = self.line_starts
            self.wide = frozenset(bisect.bisect_right(starts, m.start()) - 1 for m in _NON_ASCII.finditer(data))

    @property
    def line_count(self) -> int:
        count = len(self.line_starts)
        if count > 1 and self.line_starts[-1] == len(self.data):
            count -= 1  # text ends with a line break
        return count if self.data else 0

    def position(self, offset: int) -> Position:
        """Byte offset in `data` -> 0-based line and code-point column."""
        offset = max(0, min(offset, len(self.data)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line]
        segment = self.data[start:offset]
        column = len(segment) if segment.isascii() else len(segment.decode("utf-8", "replace"))
        return Position(line, column)

    def offset(self, position: Position) -> int:
        """0-based line and code-point column -> byte offset in `data` (inverse of `position`)."""
        if position.line >= len(self.line_starts):
            return len(self.data)
        start = self.line_starts[position.line]
        if self.simple:
            return start + position.column
        raw = self.data[start:start + position.column * 4]
        if raw[:position.column].isascii():
            return start + position.column
        return start + len(raw.decode("utf-8", "replace")[:position.column].encode("utf-8", "surrogatepass"))

    def span(self, start_byte: int, end_byte: int) -> Span:
        return Span(self.position(start_byte), self.position(end_byte))

    def node_span(self, node: object) -> Span:
        """Span of a tree-sitter node (fast when the parser's points are already right)."""
        if self.simple:
            (line, col), (end_line, end_col) = node.start_point, node.end_point  # type: ignore[attr-defined]
            return flat_span(line, col, end_line, end_col)
        wide = self.wide
        if wide is None:
            return self.span(node.start_byte, node.end_byte)  # type: ignore[attr-defined]
        (line, col), (end_line, end_col) = node.start_point, node.end_point  # type: ignore[attr-defined]
        if line in wide:
            col = self.position(self.line_starts[line] + col).column
        if end_line in wide:
            end_col = self.position(self.line_starts[end_line] + end_col).column
        return flat_span(line, col, end_line, end_col)

    def line_text(self, line: int) -> str:
        """The text of a 0-based line without its line break ('' when out of range)."""
        if not 0 <= line < len(self.line_starts):
            return ""
        start = self.line_starts[line]
        end = self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.data)
        return self.data[start:end].decode("utf-8", "replace").rstrip("\r\n")

    def byte_text(self, start: int, end: int, limit: int = 200) -> str:
        """Source text between two byte offsets, shortened to `limit` characters."""
        if end - start <= limit:
            return self.data[start:end].decode("utf-8", "replace")
        text = self.data[start:min(end, start + limit * 4)].decode("utf-8", "replace")
        if len(text) > limit or end - start > limit * 4:
            return text[: limit - 1] + "…"
        return text
