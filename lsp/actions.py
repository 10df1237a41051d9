"""Quick fixes: a `perfsense: ignore[rule-id]` suppression comment (at the end of the line,
or on its own line above with the line's indentation), and the rule's own fix where it is
safe (`Rule.fix()` returning the new file text, or `("replace", text)` in `Finding.fix`).

A suppression is only offered where the comment really is a comment: the edited text is
parsed again and the comment must come out as a comment node (not inside a string or
JSX text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from perfsense.lsp.convert import to_range
from perfsense.scanner.engine.registry import rule_class
from perfsense.scanner.model import Finding, Position, Span
from perfsense.scanner.parse import parse
from perfsense.scanner.source import SourceFile

_DIRECTIVE = re.compile(r"perfsense[ \t]*:[ \t]*ignore\[(?P<ids>[^\]\r\n]*)\]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Edit:
    span: Span  # code points, in the analysed text
    text: str


@dataclass(frozen=True, slots=True)
class Action:
    title: str
    edits: tuple[Edit, ...]
    preferred: bool = False


def comment_prefix(language: str) -> str:
    return "#" if language == "python" else "//"


def suppressions(finding: Finding, source: SourceFile) -> list[Action]:
    """End-of-line and line-above suppressions that parse as comments."""
    line = finding.location.span.start.line
    rid = finding.rule_id
    text = source.line_text(line)
    prefix = comment_prefix(source.language)
    out: list[Action] = []
    same = _DIRECTIVE.search(text)
    if same is not None:
        edit = _extend(line, same, rid)
        if edit is not None:
            out.append(Action(f"Add `{rid}` to the perfsense suppression on this line", (edit,)))
    else:
        at = Position(line, len(text))
        edit = Edit(Span(at, at), f"  {prefix} perfsense: ignore[{rid}]")
        if _is_comment(source, edit, line, len(text) + 2):
            out.append(Action(f"Suppress `{rid}` on this line (perfsense)", (edit,)))
    if same is not None:
        return out  # one directive per line is enough
    above = source.line_text(line - 1) if line > 0 else ""
    above_match = _DIRECTIVE.search(above) if above.lstrip().startswith(prefix) else None
    if above_match is not None:
        edit = _extend(line - 1, above_match, rid)
        if edit is not None:
            out.append(Action(f"Add `{rid}` to the perfsense suppression above", (edit,)))
        return out
    indent = text[: len(text) - len(text.lstrip())]
    start = Position(line, 0)
    edit = Edit(Span(start, start), f"{indent}{prefix} perfsense: ignore[{rid}]{_line_break(source, line)}")
    if _is_comment(source, edit, line, len(indent)):
        out.append(Action(f"Suppress `{rid}` with a comment on the line above (perfsense)", (edit,)))
    return out


def _extend(line: int, match: re.Match[str], rid: str) -> Edit | None:
    ids = [part for part in re.split(r"[\s,]+", match.group("ids")) if part]
    if rid in ids:
        return None
    start, end = match.start("ids"), match.end("ids")
    return Edit(Span(Position(line, start), Position(line, end)), ", ".join(ids + [rid]))


def _line_break(source: SourceFile, line: int) -> str:
    offsets = _line_offsets(source.text)
    if line + 1 >= len(offsets):
        return "\n"
    end = offsets[line + 1]
    return "\r\n" if source.text[end - 2:end] == "\r\n" else source.text[end - 1]


def _is_comment(source: SourceFile, edit: Edit, line: int, column: int) -> bool:
    """Whether, after the edit, (line, column) lies in a comment (ours, or one it extends)."""
    new_text = apply_edits(source.text, [edit], source)
    new = SourceFile(source.path, new_text, source.language)
    try:
        tree = parse(new.data, source.language)
    except Exception:  # noqa: BLE001
        return False
    line_bytes = new.line_text(line)[:column].encode("utf-8", "surrogatepass")
    point = (line, len(line_bytes))
    node = tree.root_node.descendant_for_point_range(point, (line, len(line_bytes) + 1))
    while node is not None and node.type != "comment":
        node = node.parent
    if node is None or not node.start_point <= point < node.end_point:
        return False  # inside a string, a JSX text, …: the "comment" would not be one
    return not tree.root_node.has_error or parse(source.data, source.language).root_node.has_error


def apply_edits(text: str, edits: list[Edit], source: SourceFile) -> str:
    """`text` (the source's text) with non-overlapping edits applied."""
    offsets = _line_offsets(text)
    out, cursor = [], 0
    for edit in sorted(edits, key=lambda e: e.span.start):
        start = offsets[edit.span.start.line] + edit.span.start.column
        end = offsets[edit.span.end.line] + edit.span.end.column
        out.append(text[cursor:start])
        out.append(edit.text)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _line_offsets(text: str) -> list[int]:
    return [0] + [m.end() for m in _LINE_BREAK.finditer(text)]


def rule_fix(finding: Finding, source: SourceFile, options: dict[str, Any] | None = None) -> Action | None:
    """The rule's own fix for the finding, as one edit, or None."""
    data = dict(finding.fix)
    if "replace" in data:
        title = data.get("title") or f"Fix `{finding.rule_id}` (perfsense)"
        return Action(title, (Edit(finding.location.span, data["replace"]),), preferred=True)
    cls = rule_class(finding.rule_id)
    if cls is None or not cls.fix_available:
        return None
    try:
        new_text = cls(options).fix(finding, source.text)
    except Exception:
        import logging

        logging.getLogger("perfsense.lsp").exception("perfsense: fix of %s failed", finding.rule_id)
        return None
    if not new_text or new_text == source.text:
        return None
    title = data.get("title") or f"Fix `{finding.rule_id}` (perfsense)"
    return Action(title, (minimal_edit(source.text, new_text),), preferred=True)


def minimal_edit(old: str, new: str) -> Edit:
    """One edit turning `old` into `new`: the differing middle part."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    if head and old[head - 1] == "\r" and old[head:head + 1] == "\n":
        head -= 1  # never split a CRLF
    offsets = _line_offsets(old)
    return Edit(Span(_position(offsets, head), _position(offsets, len(old) - tail)), new[head:len(new) - tail])


def _position(offsets: list[int], offset: int) -> Position:
    import bisect

    line = bisect.bisect_right(offsets, offset) - 1
    return Position(line, offset - offsets[line])


def to_code_action(action: Action, uri: str, version: int, source: SourceFile, encoding: str,
                   diagnostic: types.Diagnostic | None, document_changes: bool) -> types.CodeAction:
    return types.CodeAction(
        title=action.title, kind=types.CodeActionKind.QuickFix, is_preferred=action.preferred or None,
        diagnostics=[diagnostic] if diagnostic is not None else None,
        edit=workspace_edit(action, uri, version, source, encoding, document_changes))


def workspace_edit(action: Action, uri: str, version: int, source: SourceFile, encoding: str,
                   document_changes: bool) -> types.WorkspaceEdit:
    edits = [types.TextEdit(range=to_range(e.span, source.line_text, encoding), new_text=e.text)
             for e in action.edits]
    if document_changes:
        doc = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=doc, edits=edits)])
    return types.WorkspaceEdit(changes={uri: edits})
