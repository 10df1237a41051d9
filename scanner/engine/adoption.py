"""What teams need to adopt perfsense on an existing code base, applied after the analysis:
baseline files, diff mode, and the git facts GitHub code scanning reads from SARIF.

`prepare` checks the inputs (baseline file, git repository, revision) before anything is
analysed, so a mistake fails fast with a clear message; `apply` then filters the result.
The whole project is always analysed: filters only decide what is reported, so
cross-file effects (a query two calls away in an unchanged file) are still found.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

from perfsense.scanner import baseline as baseline_file
from perfsense.scanner import vcs
from perfsense.scanner.discovery import scan_root
from perfsense.scanner.model import ChainStep, Finding, Location, ScanResult, Skip


@dataclass(slots=True)
class Plan:
    root: str
    baseline_path: str | None = None
    entries: list[baseline_file.Entry] | None = None
    write_path: str | None = None
    revision: str | None = None
    changes: vcs.ChangedLines | None = None
    prefix: str = ""  # the scan root inside the repository ("" at its top)


@dataclass(slots=True)
class Applied:
    result: ScanResult
    baseline_fixed: int | None = None  # set when a baseline was compared
    baseline_written: int | None = None  # entries written with --write-baseline


def prepare(paths: list[str], cwd: str, *, baseline: str | None = None, write_baseline: str | None = None,
            diff_base: str | None = None) -> Plan:
    """Read the baseline and the changed lines up front; raises BaselineError or GitError."""
    plan = Plan(root=scan_root(paths or ["."], cwd))
    if baseline is not None:
        plan.baseline_path = os.path.join(cwd, baseline)
        plan.entries = baseline_file.load(plan.baseline_path)
    if write_baseline is not None:
        plan.write_path = os.path.join(cwd, write_baseline)
    if diff_base is not None:
        plan.revision = diff_base
        plan.changes, plan.prefix = vcs.changed_lines(plan.root, diff_base)
    return plan


def apply(plan: Plan, result: ScanResult) -> Applied:
    applied = Applied(result)
    if plan.write_path is not None:
        applied.baseline_written = baseline_file.write(plan.write_path, result.findings)
    if plan.entries is not None:
        comparison = baseline_file.compare(result.findings, plan.entries, result.files, result.root)
        applied.baseline_fixed = comparison.fixed
        notices = list(result.notices)
        if comparison.known:
            notices.append(f"{comparison.known} finding(s) recorded in the baseline "
                           f"{os.path.basename(plan.baseline_path or '')} are not reported.")
        applied.result = replace(result, findings=comparison.new, notices=notices)
    if plan.changes is not None:
        applied.result = restrict_to_changes(applied.result, plan.changes, plan.prefix, plan.revision or "")
    return applied


def restrict_to_changes(result: ScanResult, changes: vcs.ChangedLines, prefix: str,
                        revision: str) -> ScanResult:
    """Only findings whose location or a chain step lies on a line changed since `revision`."""
    def touched(location: Location) -> bool:
        span = location.span
        return changes.touches(prefix + location.path, span.start.line + 1, span.end.line + 1)

    kept = [f for f in result.findings
            if touched(f.location) or any(touched(step.location) for step in f.chain)]
    hidden = len(result.findings) - len(kept)
    notices = list(result.notices)
    notices.append(f"Diff mode: only findings on lines changed since {revision} are reported"
                   f" ({hidden} other finding(s) not shown).")
    return replace(result, findings=kept, notices=notices)


def for_sarif(result: ScanResult) -> tuple[ScanResult, dict[str, str] | None]:
    """The result with paths relative to the repository top (GitHub resolves SARIF URIs
    against it), and the repository's provenance; unchanged outside a git repository."""
    top = vcs.repo_top(result.root)
    info = vcs.provenance(result.root, top) if top else None
    if top is None or info is None:
        return result, None
    prefix = vcs.relative_prefix(result.root, top)
    return (rebase(result, prefix, top) if prefix else result), info


def rebase(result: ScanResult, prefix: str, root: str) -> ScanResult:
    """Every path of `result` with `prefix` in front, and `root` as its root."""
    def location(loc: Location) -> Location:
        return Location(prefix + loc.path, loc.span)

    def finding(f: Finding) -> Finding:
        chain = tuple(ChainStep(location=location(s.location), message=s.message) for s in f.chain)
        return replace(f, location=location(f.location), chain=chain)

    skips = [Skip(path=prefix + s.path, reason=s.reason, detail=s.detail, line=s.line) for s in result.skips]
    return replace(result, root=root, findings=[finding(f) for f in result.findings], skips=skips,
                   files=[prefix + path for path in result.files])
