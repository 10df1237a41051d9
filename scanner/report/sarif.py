"""SARIF 2.1.0 for GitHub code scanning: one run, the whole rule catalog, plain dicts.

Dict insertion order is fixed, nothing depends on time or on the machine except the
scan root in `originalUriBaseIds`, so identical input gives identical bytes.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from perfsense.scanner.engine.docs import render_markdown, render_text
from perfsense.scanner.engine.rule import Rule
from perfsense.scanner.model import Category, Finding, Location, ScanResult, Skip, Span
from perfsense.scanner.report.uri import dump_json, path_uri, root_uri

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/perfsense/perfsense"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "perfsense/v1"
MAX_RESULTS = 25_000  # GitHub: results per run
MAX_LOCATIONS = 1_000  # GitHub: locations per result
MAX_TAGS = 20  # GitHub: tags per rule
MAX_DESCRIPTION = 1_024  # GitHub: characters in short/full descriptions

_SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def render_sarif(result: ScanResult, rules: Sequence[Rule], *, tool_version: str,
                 category: str = "perfsense", provenance: Mapping[str, str] | None = None) -> str:
    return dump_json(build_sarif(result, rules, tool_version=tool_version, category=category,
                                 provenance=provenance), strict_unicode=True)


def build_sarif(result: ScanResult, rules: Sequence[Rule], *, tool_version: str,
                category: str = "perfsense", provenance: Mapping[str, str] | None = None) -> dict:
    descriptors = [rule_descriptor(rule) for rule in rules]
    index_of = {d["id"]: i for i, d in reversed(list(enumerate(descriptors)))}
    findings = result.findings[:MAX_RESULTS]
    artifacts = _artifact_index(result, findings)
    results = [_result(f, descriptors, index_of, artifacts) for f in findings]
    notifications = [_skip_notification(skip, artifacts) for skip in result.skips]
    notifications += [_notification("notice", "note", notice) for notice in result.notices]
    dropped = len(result.findings) - len(findings)
    if dropped:
        text = (f"{dropped} of {len(result.findings)} results were dropped: GitHub code scanning "
                f"accepts at most {MAX_RESULTS} results per run.")
        notifications.append(_notification("results-truncated", "warning", text))
    driver: dict[str, Any] = {"name": "perfsense", "version": tool_version}
    if _SEMVER.match(tool_version):
        driver["semanticVersion"] = tool_version
    driver |= {"informationUri": INFORMATION_URI, "rules": descriptors}
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
    }
    vcs = _provenance(provenance)
    if vcs:
        run["versionControlProvenance"] = [vcs]
    run |= {
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri(result.root)}},
        "artifacts": [{"location": _artifact_location(path)} for path in artifacts],
        "automationDetails": {"id": f"{category}/"},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# -- rules ---------------------------------------------------------------------------------

def rule_descriptor(rule: Rule | type[Rule]) -> dict[str, Any]:
    category = getattr(rule, "category", Category.META)
    summary = _truncate(rule.summary or rule.id)
    docs = getattr(rule, "docs", None)
    what = _truncate(docs.section("what") if docs is not None else "") or summary
    text, markdown = rule_help(rule)
    tags = list(dict.fromkeys(["performance", category.value, *rule.tags]))[:MAX_TAGS]
    return {
        "id": rule.id,
        "name": rule.name or camel_case(rule.id),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": what},
        "help": {"text": text, "markdown": markdown},
        "helpUri": _help_uri(rule),
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": {"category": category.value, "tags": tags,
                       "precision": rule.confidence.value},
    }


def _fallback_descriptor(finding: Finding) -> dict[str, Any]:
    """For a finding whose rule is not in the catalog (GitHub wants every ruleId described)."""
    return {
        "id": finding.rule_id,
        "name": camel_case(finding.rule_id),
        "shortDescription": {"text": finding.rule_id},
        "fullDescription": {"text": finding.rule_id},
        "help": {"text": finding.rule_id, "markdown": finding.rule_id},
        "helpUri": f"{INFORMATION_URI}/blob/main/docs/rules.md#{finding.rule_id}",
        "defaultConfiguration": {"level": finding.severity.value},
        "properties": {"category": finding.category.value,
                       "tags": ["performance", finding.category.value]},
    }


def camel_case(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", rule_id)) or "Rule"


def _help_uri(rule: Rule) -> str:
    uri = getattr(rule, "help_uri", None)
    return uri if isinstance(uri, str) else f"{INFORMATION_URI}/blob/main/docs/rules.md#{rule.id}"


def _truncate(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """At most `limit` code points, cut at a word boundary when one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "\u2026"


def rule_help(rule: Rule | type[Rule]) -> tuple[str, str]:
    """The rule's documentation as (plain text, markdown), rendered by `engine.docs`, the
    same source as `perfsense explain` and the docs pages."""
    if getattr(rule, "docs", None) is None:
        summary = rule.summary or rule.id
        return summary, summary
    rule_type = rule if isinstance(rule, type) else type(rule)
    return render_text(rule_type, examples=2), render_markdown(rule_type)


# -- results -------------------------------------------------------------------------------

def _artifact_index(result: ScanResult, findings: Sequence[Finding]) -> dict[str, int]:
    paths = set(result.files)
    for finding in findings:
        paths.add(finding.location.path)
        paths.update(step.location.path for step in finding.chain)
    paths.update(skip.path for skip in result.skips)
    return {path: index for index, path in enumerate(sorted(paths))}


def _artifact_location(path: str, artifacts: Mapping[str, int] | None = None) -> dict[str, Any]:
    location: dict[str, Any] = {"uri": path_uri(path), "uriBaseId": SRCROOT}
    if artifacts is not None:
        location["index"] = artifacts[path]
    return location


def _region(span: Span) -> dict[str, int]:
    start = (max(span.start.line, 0) + 1, max(span.start.column, 0) + 1)
    end = max(start, (max(span.end.line, 0) + 1, max(span.end.column, 0) + 1))
    return {"startLine": start[0], "startColumn": start[1], "endLine": end[0], "endColumn": end[1]}


def _physical(location: Location, artifacts: Mapping[str, int]) -> dict[str, Any]:
    return {"artifactLocation": _artifact_location(location.path, artifacts),
            "region": _region(location.span)}


def _result(finding: Finding, descriptors: list[dict[str, Any]], index_of: dict[str, int],
            artifacts: Mapping[str, int]) -> dict[str, Any]:
    if finding.rule_id not in index_of:
        index_of[finding.rule_id] = len(descriptors)
        descriptors.append(_fallback_descriptor(finding))
    primary: dict[str, Any] = {"physicalLocation": _physical(finding.location, artifacts)}
    if finding.context:
        primary["logicalLocations"] = [{"fullyQualifiedName": finding.context, "kind": "function"}]
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index_of[finding.rule_id],
        "level": finding.severity.value,
        "message": {"text": finding.message or finding.rule_id},
        "locations": [primary],
    }
    if finding.fingerprint:
        out["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    steps = finding.chain[: MAX_LOCATIONS - 1]
    if steps:
        related = [{"id": number, "physicalLocation": _physical(step.location, artifacts),
                    "message": {"text": step.message or "(step)"}}
                   for number, step in enumerate(steps, start=1)]
        out["relatedLocations"] = related
        flow = [{"location": {"physicalLocation": primary["physicalLocation"],
                              "message": {"text": out["message"]["text"]}}}]
        flow += [{"location": {"physicalLocation": r["physicalLocation"], "message": r["message"]}}
                 for r in related]
        out["codeFlows"] = [{"threadFlows": [{"locations": flow}]}]
    if len(finding.chain) > len(steps):
        out["properties"] = {"droppedChainSteps": len(finding.chain) - len(steps)}
    return out


# -- run -----------------------------------------------------------------------------------

def _notification(descriptor: str, level: str, text: str,
                  locations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    note: dict[str, Any] = {"descriptor": {"id": descriptor}, "level": level,
                            "message": {"text": text or descriptor}}
    if locations:
        note["locations"] = locations
    return note


def _skip_notification(skip: Skip, artifacts: Mapping[str, int]) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact_location(skip.path, artifacts)}
    if skip.line is not None:
        physical["region"] = {"startLine": max(skip.line, 0) + 1}
    level = "note" if skip.reason.is_partial else "warning"
    text = f"{skip.path}: {skip.detail or skip.reason.value}"
    return _notification(skip.reason.value, level, text, [{"physicalLocation": physical}])


def _provenance(provenance: Mapping[str, str] | None) -> dict[str, Any] | None:
    """`versionControlProvenance[0]`: the repository, commit and branch; `%SRCROOT%` is its
    top folder (callers that pass provenance give paths relative to the repository top)."""
    if not provenance or not provenance.get("repositoryUri"):
        return None
    details: dict[str, Any] = {key: provenance[key] for key in ("repositoryUri", "revisionId", "branch")
                               if provenance.get(key)}
    details["mappedTo"] = {"uriBaseId": SRCROOT}
    return details
