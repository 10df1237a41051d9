"""Finding -> LSP Diagnostic and hover text, in the client's position encoding."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from perfsense.lsp.positions import to_client
from perfsense.scanner.engine.registry import rule_class
from perfsense.scanner.model import Finding, Severity, Span
from perfsense.scanner.source import SourceFile

SOURCE = "perfsense"
SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.NOTE: types.DiagnosticSeverity.Information,
}
LineText = Callable[[int], str]


def path_uri(path: str) -> str:
    """A file URI for a local path (percent-encoded)."""
    try:
        return Path(path).as_uri()
    except ValueError:
        return "file://" + path


def to_range(span: Span, line_text: LineText, encoding: str) -> types.Range:
    start, end = span.start, span.end
    end = max(end, start)
    return types.Range(
        start=types.Position(line=start.line, character=to_client(line_text(start.line), start.column, encoding)),
        end=types.Position(line=end.line, character=to_client(line_text(end.line), end.column, encoding)),
    )


@dataclass(frozen=True, slots=True)
class Converter:
    encoding: str = "utf-16"
    related_information: bool = True

    def diagnostics(self, findings: Sequence[Finding], source: SourceFile,
                    locate: Callable[[str], tuple[str, SourceFile | None] | None]) -> list[types.Diagnostic]:
        """`locate(rel)` gives (uri, text) of another project file, for call chains."""
        return [self.diagnostic(f, source, locate) for f in findings]

    def diagnostic(self, finding: Finding, source: SourceFile,
                   locate: Callable[[str], tuple[str, SourceFile | None] | None]) -> types.Diagnostic:
        cls = rule_class(finding.rule_id)
        span = _visible(finding.location.span, source)
        related = None
        if finding.chain and self.related_information:
            related = []
            for step in finding.chain:
                where = locate(step.location.path)
                if where is None:
                    continue
                uri, other = where
                lines = other.line_text if other is not None else (lambda _n: "")
                related.append(types.DiagnosticRelatedInformation(
                    location=types.Location(uri=uri, range=to_range(step.location.span, lines, self.encoding)),
                    message=step.message))
        tags = [types.DiagnosticTag.Unnecessary] if finding.rule_id == "unused-suppression" else None
        return types.Diagnostic(
            range=to_range(span, source.line_text, self.encoding),
            message=finding.message,
            severity=SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
            code=finding.rule_id,
            code_description=types.CodeDescription(href=cls(None).help_uri) if cls is not None else None,
            source=SOURCE,
            related_information=related or None,
            tags=tags,
            data={"fingerprint": finding.fingerprint} if finding.fingerprint else None,
        )


def _visible(span: Span, source: SourceFile) -> Span:
    """An empty span (line-level notices) widened to the text of its line."""
    if span.start != span.end:
        return span
    text = source.line_text(span.start.line)
    stripped = text.lstrip()
    if not stripped:
        return span
    from perfsense.scanner.model import Position

    begin = len(text) - len(stripped)
    return Span(Position(span.start.line, begin), Position(span.start.line, len(text.rstrip())))


def result_id(version: int, diagnostics: Sequence[types.Diagnostic]) -> str:
    digest = hashlib.sha256(repr([(d.range, d.code, d.message) for d in diagnostics]).encode()).hexdigest()[:16]
    return f"{version}-{digest}"


def hover_text(findings: Sequence[Finding], markdown: bool) -> str:
    """The rule's message, why it matters and what to do instead, for each finding."""
    parts = []
    for finding in findings:
        cls = rule_class(finding.rule_id)
        if cls is None:
            parts.append(finding.message)
            continue
        docs = cls.docs
        uri = cls(None).help_uri
        if markdown:
            parts.append("\n\n".join([
                f"**perfsense** `{finding.rule_id}`: {finding.message}",
                f"**Why is this bad**\n\n{docs.section('why')}",
                f"**Use instead**\n\n{docs.section('instead')}",
                f"[Documentation of `{finding.rule_id}`]({uri})",
            ]))
        else:
            parts.append("\n\n".join([
                f"perfsense {finding.rule_id}: {finding.message}",
                f"Why is this bad:\n{docs.section('why')}",
                f"Use instead:\n{docs.section('instead')}",
                f"Documentation: {uri}",
            ]))
    return ("\n\n---\n\n" if markdown else "\n\n----\n\n").join(parts)
