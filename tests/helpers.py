"""Shared test helpers: write a small project to disk and scan it in-process."""
from __future__ import annotations

import re
from pathlib import Path

from perfsense.scanner.engine.scan import ScanRequest, analyse
from perfsense.scanner.model import Finding, ScanResult

MARKER = re.compile(r"(?:#|//|/\*|\{/\*)\s*expect(?::\s*(?P<ids>[\w, -]+))?")


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def scan_tree(root: Path, **kwargs) -> ScanResult:
    kwargs.setdefault("use_cache", False)
    kwargs.setdefault("jobs", 1)
    return analyse(ScanRequest(paths=[str(root)], cwd=str(root), **kwargs))


def expected_lines(files: dict[str, str], rule_id: str) -> set[tuple[str, int]]:
    """(path, 1-based line) of every `expect` marker that applies to `rule_id`."""
    found = set()
    for path, text in files.items():
        for number, line in enumerate(text.splitlines(), start=1):
            match = MARKER.search(line)
            if match is None:
                continue
            ids = match.group("ids")
            if ids is None or rule_id in [part.strip() for part in ids.split(",")]:
                found.add((path, number))
    return found


def reported_lines(findings: list[Finding], rule_id: str) -> set[tuple[str, int]]:
    return {(f.location.path, f.location.span.start.line + 1) for f in findings if f.rule_id == rule_id}
