"""Report writers: text (people, pre-commit), json (scripts), sarif (GitHub code scanning).

`render` is the single entry point; every format returns a `str` ending in a newline.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from perfsense.scanner.engine.rule import Rule
from perfsense.scanner.model import ScanResult
from perfsense.scanner.report.jsonreport import render_json
from perfsense.scanner.report.sarif import render_sarif
from perfsense.scanner.report.text import render_text

FORMATS = ("text", "json", "sarif")

__all__ = ["FORMATS", "render"]


def render(result: ScanResult, fmt: str, rules: Sequence[Rule], *, tool_version: str,
           category: str = "perfsense", provenance: Mapping[str, str] | None = None,
           verbose: bool = False, baseline_fixed: int | None = None) -> str:
    """Render a scan result in `fmt` ("text", "json" or "sarif")."""
    if fmt == "text":
        return render_text(result, verbose=verbose, baseline_fixed=baseline_fixed)
    if fmt == "json":
        return render_json(result, tool_version=tool_version)
    if fmt == "sarif":
        return render_sarif(result, rules, tool_version=tool_version, category=category,
                            provenance=provenance)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
