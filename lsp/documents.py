"""Open documents: text kept as a list of lines, edits validated before they are applied.

pygls applies incremental edits without checking them; a reversed range, a line past the
end or a position inside a UTF-16 surrogate pair would corrupt the text or raise. Here a
batch of changes is applied to a copy and only kept when every change is valid; versions
only move forward.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from lsprotocol import types

from perfsense.lsp.positions import from_client
from perfsense.scanner.source import language_of

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
_ENDING = ("\r\n", "\r", "\n")
_NO_BEHAVIOUR = (".pyi", ".d.ts", ".d.mts", ".d.cts")
LANGUAGE_IDS = {
    "python": "python",
    "javascript": "javascript",
    "javascriptreact": "javascript",
    "typescript": "typescript",
    "typescriptreact": "tsx",
}


class EditError(ValueError):
    """A change the server refuses: the document keeps its previous text and version."""


def split_lines(text: str) -> list[str]:
    """Lines with their line breaks; the last item is the (possibly empty) unterminated rest."""
    out: list[str] = []
    end = 0
    for match in _LINE.finditer(text):
        out.append(match.group())
        end = match.end()
    out.append(text[end:])
    return out


def content(line: str) -> str:
    """A line without its line break."""
    for ending in _ENDING:
        if line.endswith(ending):
            return line[: -len(ending)]
    return line


def uri_to_path(uri: str) -> str | None:
    """The file-system path of a `file:` URI (percent-decoded), else None."""
    try:
        parts = urlparse(uri)
    except ValueError:
        return None
    if parts.scheme != "file" or not parts.path:
        return None
    path = unquote(parts.path, errors="surrogateescape")
    if parts.netloc and parts.netloc != "localhost":
        return None  # UNC shares are not local workspace files
    return path if path.startswith("/") else None


def language_for(uri: str, language_id: str | None) -> str | None:
    """The language perfsense analyses a document as (file suffix first, then languageId)."""
    try:
        name = unquote(urlparse(uri).path).rsplit("/", 1)[-1].lower()
    except ValueError:
        name = ""
    by_suffix = language_of(name) if name else None
    if by_suffix is not None:
        return by_suffix
    if name.endswith(_NO_BEHAVIOUR):
        return None  # stubs and declaration files hold no behaviour
    return LANGUAGE_IDS.get(language_id or "")


@dataclass(slots=True)
class Document:
    uri: str
    version: int
    language_id: str
    lines: list[str]
    _text: str | None = None

    @classmethod
    def open(cls, uri: str, text: str, version: int, language_id: str) -> Document:
        return cls(uri=uri, version=version, language_id=language_id, lines=split_lines(text), _text=text)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self.lines)
        return self._text

    @property
    def path(self) -> str | None:
        return uri_to_path(self.uri)

    @property
    def language(self) -> str | None:
        return language_for(self.uri, self.language_id)

    def apply(self, changes: Sequence[types.TextDocumentContentChangeEvent], version: int,
              encoding: str) -> None:
        """Apply a batch of changes and move to `version`, or raise EditError and change nothing."""
        if version <= self.version:
            raise EditError(f"version {version} does not follow version {self.version}")
        lines = self.lines
        copied = False
        for index, change in enumerate(changes):
            if isinstance(change, types.TextDocumentContentChangeWholeDocument) or \
                    getattr(change, "range", None) is None:
                lines = split_lines(change.text)
                copied = True
                continue
            if not copied:
                lines = list(lines)
                copied = True
            try:
                _apply_range(lines, change.range, change.text, encoding)
            except EditError as exc:
                raise EditError(f"change {index + 1} of {len(changes)}: {exc}") from None
        self.lines = lines
        self.version = version
        self._text = None


def _apply_range(lines: list[str], rng: types.Range, text: str, encoding: str) -> None:
    start, end = rng.start, rng.end
    last = len(lines) - 1
    if start.line > last or end.line > last:
        raise EditError(f"range {_show(rng)} ends past the last line ({last})")
    if (start.line, start.character) > (end.line, end.character):
        raise EditError(f"reversed range {_show(rng)}")
    first_text = content(lines[start.line])
    last_text = first_text if end.line == start.line else content(lines[end.line])
    first_col = from_client(first_text, start.character, encoding)
    last_col = from_client(last_text, end.character, encoding)
    if first_col is None or last_col is None:
        raise EditError(f"range {_show(rng)} splits a character ({encoding} units)")
    if start.line == end.line and first_col > last_col:
        raise EditError(f"reversed range {_show(rng)}")
    # Re-split one line either side, so `\r` + `\n` meeting at the edit become one break.
    low, high = max(0, start.line - 1), min(last, end.line + 1)
    block = ("".join(lines[low:start.line]) + lines[start.line][:first_col] + text
             + lines[end.line][last_col:] + "".join(lines[end.line + 1:high + 1]))
    pieces = split_lines(block)
    if high < last:
        pieces.pop()  # the block ends with a line break: no unterminated rest
    lines[low:high + 1] = pieces


def _show(rng: types.Range) -> str:
    return f"{rng.start.line}:{rng.start.character}-{rng.end.line}:{rng.end.character}"
