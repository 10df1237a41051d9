"""The project stage: one Project index and call graph, then every project rule."""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.engine.lifetime import hold
from perfsense.scanner.engine.rule import ProjectContext, ProjectRule
from perfsense.scanner.engine.worker import FileTimeout, _deadline
from perfsense.scanner.facts.model import FileFacts
from perfsense.scanner.model import Finding, Skip, SkipReason
from perfsense.scanner.project import Project

log = logging.getLogger(__name__)


def run_project_rules(facts: Mapping[str, FileFacts], catalogs: Catalogs,
                      options: Mapping[str, Mapping[str, Any]], classes: Sequence[type],
                      root: str = "", context: ProjectContext | None = None,
                      budget: float | None = None) -> tuple[list[Finding], list[Skip]]:
    """Findings of the project rules among `classes`; a failing rule becomes an internal-error
    note, and one that runs past `budget` seconds (main thread only) a timeout note: either
    way its findings are dropped whole and the other rules still run."""
    rules = [cls(options.get(cls.id)) for cls in classes if issubclass(cls, ProjectRule)]
    if not rules:
        return [], []
    ctx = context or ProjectContext(Project(facts, root), catalogs, options)
    findings: list[Finding] = []
    skips: list[Skip] = []
    for rule in rules:
        try:
            with _deadline(budget) if budget else nullcontext():
                found = list(rule.check_project(ctx))
        except FileTimeout:
            skips.append(Skip(path="", reason=SkipReason.TIMEOUT,
                              detail=f"rule {rule.id}: over the {budget:g} s project-stage budget"))
            continue
        except Exception as exc:
            log.debug("project rule %s failed", rule.id, exc_info=True)
            skips.append(Skip(path="", reason=SkipReason.INTERNAL_ERROR,
                              detail=f"rule {rule.id}: {type(exc).__name__}: {exc}"[:300]))
            continue
        findings.extend(found)
    hold(ctx)
    return findings, skips


def project_budget(timeout: float, files: int) -> float:
    """Seconds one project rule may take: six per-file timeouts, more for large projects
    (rules take seconds on thousands of files; this only stops a runaway)."""
    return max(6 * timeout, 0.05 * files)
