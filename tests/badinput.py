"""Helpers for the bad-input suite: a small base project, scans, and the comparison of
everything a scan reports about the *other* files with a scan without the bad file."""
from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from perfsense.scanner.engine.registry import rule_classes
from perfsense.scanner.engine.scan import ScanRequest, analyse
from perfsense.scanner.model import ScanResult
from perfsense.scanner.report.jsonreport import build_json
from perfsense.scanner.report.sarif import build_sarif

REPO = Path(__file__).resolve().parent.parent
SHOP = REPO / "examples" / "shop"


def base_project(root: Path) -> Path:
    """The example shop (Python and JavaScript, findings with call chains across files)."""
    shutil.copytree(SHOP, root, dirs_exist_ok=True)
    return root


def scan(root: Path, **kwargs) -> ScanResult:
    kwargs.setdefault("use_cache", False)
    kwargs.setdefault("jobs", 2)
    return analyse(ScanRequest(paths=[str(root)], cwd=str(root), **kwargs))


def _under(path: str, bad: Iterable[str]) -> bool:
    return any(path == b or path.startswith(b.rstrip("/") + "/") for b in bad)


def others(result: ScanResult, bad: Iterable[str]) -> str:
    """The JSON report restricted to files outside `bad` (paths or folders), as text."""
    bad = list(bad)
    doc = build_json(result, tool_version="test")
    return json.dumps({
        "files": [p for p in result.files if not _under(p, bad)],
        "findings": [f for f in doc["findings"] if not _under(f["path"], bad)
                     and not any(_under(s["path"], bad) for s in f["chain"])],
        "skipped": [s for s in doc["skipped"] if not _under(s["path"], bad)],
    }, indent=1, sort_keys=True)


def skips_of(result: ScanResult, path: str) -> list[tuple[str, str]]:
    return [(s.reason.value, s.detail) for s in result.skips if s.path == path]


def reasons_of(result: ScanResult, path: str) -> list[str]:
    return [s.reason.value for s in result.skips if s.path == path]


def sarif_of(result: ScanResult) -> dict:
    return build_sarif(result, [cls() for cls in rule_classes()], tool_version="0.0.0")
