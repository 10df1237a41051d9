"""The project stage: one Project index and call graph, then every project rule."""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.engine.rule import ProjectContext, ProjectRule
from perfsense.scanner.facts.model import FileFacts
from perfsense.scanner.model import Finding, Skip, SkipReason
from perfsense.scanner.project import Project

log = logging.getLogger(__name__)


def run_project_rules(facts: Mapping[str, FileFacts], catalogs: Catalogs,
                      options: Mapping[str, Mapping[str, Any]], classes: Sequence[type],
                      root: str = "", context: ProjectContext | None = None) -> tuple[list[Finding], list[Skip]]:
    """Findings of the project rules among `classes`; a failing rule becomes an internal-error note."""
    rules = [cls(options.get(cls.id)) for cls in classes if issubclass(cls, ProjectRule)]
    if not rules:
        return [], []
    ctx = context or ProjectContext(Project(facts, root), catalogs, options)
    findings: list[Finding] = []
    skips: list[Skip] = []
    for rule in rules:
        try:
            findings.extend(rule.check_project(ctx))
        except Exception as exc:
            log.debug("project rule %s failed", rule.id, exc_info=True)
            skips.append(Skip(path="", reason=SkipReason.INTERNAL_ERROR,
                              detail=f"rule {rule.id}: {type(exc).__name__}: {exc}"[:300]))
    return findings, skips
