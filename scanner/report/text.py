"""The text report for people (and for pre-commit): `path:line:col: rule-id message`.

Control characters and bidirectional overrides in paths and messages are shown escaped,
so a file name cannot break a line or drive the terminal. Lone surrogates are left in
place; the CLI writes with `errors="replace"`.
"""
from __future__ import annotations

from perfsense.scanner.model import Category, Finding, Location, ScanResult, Skip

COMPACT_SKIPS = 20  # skipped files listed without `verbose`

_ESCAPES: dict[int, str] = {
    code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))
}
_ESCAPES |= {ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"}
_ESCAPES |= {code: f"\\u{code:04x}" for code in (0x2028, 0x2029, *range(0x202A, 0x202F),
                                                 *range(0x2066, 0x206A))}


def clean(text: str) -> str:
    """One printable line: control characters and bidi controls escaped."""
    return text.translate(_ESCAPES)


def render_text(result: ScanResult, *, verbose: bool = False,
                baseline_fixed: int | None = None) -> str:
    lines: list[str] = []
    for finding in result.findings:
        lines += finding_lines(finding)
    if lines:
        lines += ["", _found(result.findings)]
    else:
        lines.append("No performance problems found.")
    files = result.files_scanned
    lines.append(f"Analysed {files} file{'' if files == 1 else 's'} "
                 f"({result.lines_scanned} line{'' if result.lines_scanned == 1 else 's'}).")
    lines += _skips(result.skips, verbose)
    lines += [f"Note: {clean(notice)}" for notice in result.notices]
    if baseline_fixed is not None:
        lines.append("1 baseline entry is fixed" if baseline_fixed == 1
                     else f"{baseline_fixed} baseline entries are fixed")
    return "\n".join(lines) + "\n"


def position(location: Location) -> str:
    start = location.span.start
    return f"{clean(location.path)}:{start.line + 1}:{start.column + 1}"


def finding_lines(finding: Finding) -> list[str]:
    lines = [f"{position(finding.location)}: {finding.rule_id} {clean(finding.message)}"]
    lines += [f"    {position(step.location)}: {clean(step.message)}" for step in finding.chain]
    return lines


def _found(findings: list[Finding]) -> str:
    counts = {category: 0 for category in Category}
    for finding in findings:
        counts[finding.category] = counts.get(finding.category, 0) + 1
    parts = ", ".join(f"{count} {category.value}" for category, count in counts.items() if count)
    total = len(findings)
    return f"Found {total} problem{'' if total == 1 else 's'}: {parts}."


def _skips(skips: list[Skip], verbose: bool) -> list[str]:
    if not skips:
        return []
    shown = skips if verbose else skips[:COMPACT_SKIPS]
    lines = ["Skipped files:"]
    for skip in shown:
        detail = f" ({clean(skip.detail)})" if skip.detail else ""
        lines.append(f"  {clean(skip.path)}: {skip.reason.value}{detail}")
    if len(skips) > len(shown):
        lines.append(f"  ... and {len(skips) - len(shown)} more (verbose output lists all)")
    return lines
