"""The JSON report for scripts: a stable, versioned format (see docs/json-schema.md).

Positions are 1-based; `end_column` is the column just after the last character (as in
SARIF). Strings are written as they are, lone surrogates included (escaped as `\\udcXX`,
so Python's `json` reads back the exact file name); the output is ASCII.
"""
from __future__ import annotations

from typing import Any

from perfsense.scanner.model import Category, ChainStep, Finding, ScanResult, Skip
from perfsense.scanner.report.uri import dump_json

FORMAT_VERSION = 1


def render_json(result: ScanResult, *, tool_version: str) -> str:
    return dump_json(build_json(result, tool_version=tool_version))


def build_json(result: ScanResult, *, tool_version: str) -> dict[str, Any]:
    by_category = {category.value: 0 for category in Category}
    for finding in result.findings:
        by_category[finding.category.value] = by_category.get(finding.category.value, 0) + 1
    return {
        "version": FORMAT_VERSION,
        "tool": {"name": "perfsense", "version": tool_version},
        "summary": {
            "files": result.files_scanned,
            "lines": result.lines_scanned,
            "findings": len(result.findings),
            "by_category": by_category,
            "skipped": len(result.skips),
        },
        "findings": [_finding(finding) for finding in result.findings],
        "skipped": [_skip(skip) for skip in result.skips],
        "notices": list(result.notices),
    }


def _finding(finding: Finding) -> dict[str, Any]:
    span = finding.location.span
    return {
        "rule": finding.rule_id,
        "category": finding.category.value,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": finding.location.path,
        "line": span.start.line + 1,
        "column": span.start.column + 1,
        "end_line": span.end.line + 1,
        "end_column": span.end.column + 1,
        "fingerprint": finding.fingerprint,
        "context": finding.context,
        "chain": [_step(step) for step in finding.chain],
    }


def _step(step: ChainStep) -> dict[str, Any]:
    start = step.location.span.start
    return {"path": step.location.path, "line": start.line + 1, "column": start.column + 1,
            "message": step.message}


def _skip(skip: Skip) -> dict[str, Any]:
    return {"path": skip.path, "reason": skip.reason.value, "detail": skip.detail,
            "line": None if skip.line is None else skip.line + 1}
