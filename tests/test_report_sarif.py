"""SARIF writer: schema-valid, GitHub-ready, deterministic, surrogate-proof."""
from __future__ import annotations

import json
import os
from urllib.parse import unquote

import pytest

from perfsense.scanner.engine.docs import render_markdown, render_text
from perfsense.scanner.engine.rule import Docs, Example, Rule
from perfsense.scanner.model import (
    Category,
    ChainStep,
    Confidence,
    Finding,
    Location,
    Position,
    ScanResult,
    Severity,
    Skip,
    SkipReason,
    Span,
)
from perfsense.scanner.report import render
from perfsense.scanner.report.uri import path_uri
from tests.sarif_schema import validate_sarif

ROOT = "/tmp/project"


class QueryInLoop(Rule):
    id = "query-in-loop"
    name = "QueryInLoop"
    category = Category.N_PLUS_ONE
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A database query runs once per loop iteration."
    docs = Docs(
        what="Finds ORM queries that run inside loops.",
        why="""
            Each iteration pays a database round trip.
            """,
        instead="Fetch the related rows in one query.",
    )
    invalid = (Example(code="""
        for user in User.objects.all():
            print(user.profile.bio)  # expect
        """),)
    valid = (Example(code="""
        for user in User.objects.select_related("profile"):
            print(user.profile.bio)
        """),)
    tags = ("orm", "django")


class BlockingCallInAsync(Rule):
    id = "blocking-call-in-async"
    category = Category.BLOCKING_IO
    severity = Severity.ERROR
    confidence = Confidence.MEDIUM
    summary = "A blocking call runs inside an async function."
    docs = Docs(what="Finds blocking calls in async code.", why="It stalls the event loop.",
                instead="Use the async client.", options="`allow`: calls to accept.")
    invalid = (Example(files={"api.ts": "async function f() {\n  readFileSync(p); // expect\n}\n"}),)


class LeakyListener(Rule):
    id = "listener-without-cleanup"
    category = Category.MEMORY_LEAK
    severity = Severity.NOTE
    confidence = Confidence.LOW
    summary = "An event listener is never removed."
    docs = Docs(what="word " * 400, why="Leaks.", instead="Remove it.")
    tags = tuple(f"tag{i}" for i in range(25))


RULES = [QueryInLoop(), BlockingCallInAsync(), LeakyListener()]


def span(line: int, column: int, end_line: int | None = None, end_column: int | None = None) -> Span:
    return Span(Position(line, column),
                Position(line if end_line is None else end_line,
                         column + 3 if end_column is None else end_column))


def finding(rule: type[Rule], path: str, line: int = 0, column: int = 0, *, message: str = "Slow.",
            chain: tuple[ChainStep, ...] = (), context: str = "", fingerprint: str = "f00d") -> Finding:
    return Finding(rule_id=rule.id, category=rule.category, severity=rule.severity, message=message,
                   location=Location(path, span(line, column)), chain=chain, context=context,
                   fingerprint=fingerprint)


def sarif(result: ScanResult, **kwargs: object) -> dict:
    text = render(result, "sarif", RULES, tool_version="0.1.0", **kwargs)  # type: ignore[arg-type]
    assert text.endswith("}\n")
    text.encode("ascii")  # plain ASCII whatever the input
    doc = json.loads(text)
    validate_sarif(doc)
    return doc


def test_empty_run_has_the_fixed_frame() -> None:
    doc = sarif(ScanResult(root=ROOT))
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    [run] = doc["runs"]
    assert list(run) == ["tool", "invocations", "originalUriBaseIds", "artifacts",
                         "automationDetails", "columnKind", "results"]
    driver = run["tool"]["driver"]
    assert [driver[key] for key in ("name", "version", "semanticVersion", "informationUri")] == [
        "perfsense", "0.1.0", "0.1.0", "https://github.com/perfsense/perfsense"]
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///tmp/project/"}}
    assert run["automationDetails"] == {"id": "perfsense/"}
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["artifacts"] == [] and run["results"] == []


def test_category_and_non_semver_version() -> None:
    text = render(ScanResult(root=ROOT), "sarif", RULES, tool_version="0.2.dev3", category="perf/py")
    [run] = json.loads(text)["runs"]
    assert run["automationDetails"] == {"id": "perf/py/"}
    assert run["tool"]["driver"]["version"] == "0.2.dev3"
    assert "semanticVersion" not in run["tool"]["driver"]


def test_every_rule_is_described_whether_or_not_it_fired() -> None:
    rules = sarif(ScanResult(root=ROOT))["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [
        "query-in-loop", "blocking-call-in-async", "listener-without-cleanup"]
    assert rules[0] == {
        "id": "query-in-loop",
        "name": "QueryInLoop",
        "shortDescription": {"text": "A database query runs once per loop iteration."},
        "fullDescription": {"text": "Finds ORM queries that run inside loops."},
        # The rule's docs page, from engine.docs (the one source of rule documentation).
        "help": {"text": render_text(QueryInLoop, examples=2), "markdown": render_markdown(QueryInLoop)},
        "helpUri": "https://github.com/perfsense/perfsense/blob/main/docs/rules.md#query-in-loop",
        "defaultConfiguration": {"level": "warning"},
        "properties": {"category": "n-plus-one", "tags": ["performance", "n-plus-one", "orm", "django"],
                       "precision": "high"},
    }


def test_rule_names_levels_and_multi_file_examples() -> None:
    rules = sarif(ScanResult(root=ROOT))["runs"][0]["tool"]["driver"]["rules"]
    blocking = rules[1]
    assert blocking["name"] == "BlockingCallInAsync"
    assert blocking["defaultConfiguration"] == {"level": "error"}
    assert blocking["properties"] == {"category": "blocking-io",
                                      "tags": ["performance", "blocking-io"], "precision": "medium"}
    markdown = blocking["help"]["markdown"]
    assert markdown == render_markdown(BlockingCallInAsync)
    for part in ("### What it does\n\nFinds blocking calls in async code.\n",
                 "### Why is this bad\n\nIt stalls the event loop.\n",
                 "### Example\n\n```ts\nasync function f() {\n  readFileSync(p);\n}\n```\n",
                 "### Use instead\n\nUse the async client.\n",
                 "### Options\n\n`allow`: calls to accept.\n"):
        assert part in markdown
    assert "expect" not in markdown


def test_long_descriptions_and_many_tags_are_cut_to_githubs_limits() -> None:
    leaky = sarif(ScanResult(root=ROOT))["runs"][0]["tool"]["driver"]["rules"][2]
    full = leaky["fullDescription"]["text"]
    assert len(full) == 1020 and full.endswith("word\u2026") and full.startswith("word word")
    assert leaky["properties"]["tags"] == ["performance", "memory-leak", *(f"tag{i}" for i in range(18))]
    assert leaky["defaultConfiguration"] == {"level": "note"}
    assert leaky["properties"]["precision"] == "low"


def test_result_fields() -> None:
    result = ScanResult(root=ROOT, files=["app/views.py"], findings=[
        finding(BlockingCallInAsync, "app/views.py", 4, 8, message="`requests.get` blocks.",
                context="app.views.handler", fingerprint="0123abcd")])
    [res] = sarif(result)["runs"][0]["results"]
    assert res == {
        "ruleId": "blocking-call-in-async",
        "ruleIndex": 1,
        "level": "error",
        "message": {"text": "`requests.get` blocks."},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": "app/views.py", "uriBaseId": "%SRCROOT%", "index": 0},
                "region": {"startLine": 5, "startColumn": 9, "endLine": 5, "endColumn": 12},
            },
            "logicalLocations": [{"fullyQualifiedName": "app.views.handler", "kind": "function"}],
        }],
        "partialFingerprints": {"perfsense/v1": "0123abcd"},
    }


def test_chain_gives_related_locations_and_a_code_flow() -> None:
    chain = (ChainStep(location=Location("app/helpers.py", span(9, 4, 9, 20)), message="calls `load`"),
             ChainStep(location=Location("app/db.py", span(2, 0)), message="`load` runs a query"))
    result = ScanResult(root=ROOT, files=["app/db.py", "app/helpers.py", "app/views.py"],
                        findings=[finding(QueryInLoop, "app/views.py", 1, 4, message="Query in loop.",
                                          chain=chain)])
    [res] = sarif(result)["runs"][0]["results"]

    def physical(uri: str, index: int, region: list[int]) -> dict:
        return {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%", "index": index},
                "region": dict(zip(("startLine", "startColumn", "endLine", "endColumn"), region,
                                   strict=True))}

    helpers = physical("app/helpers.py", 1, [10, 5, 10, 21])
    db = physical("app/db.py", 0, [3, 1, 3, 4])
    views = physical("app/views.py", 2, [2, 5, 2, 8])
    assert res["relatedLocations"] == [
        {"id": 1, "physicalLocation": helpers, "message": {"text": "calls `load`"}},
        {"id": 2, "physicalLocation": db, "message": {"text": "`load` runs a query"}},
    ]
    assert res["codeFlows"] == [{"threadFlows": [{"locations": [
        {"location": {"physicalLocation": views, "message": {"text": "Query in loop."}}},
        {"location": {"physicalLocation": helpers, "message": {"text": "calls `load`"}}},
        {"location": {"physicalLocation": db, "message": {"text": "`load` runs a query"}}},
    ]}]}]


def test_long_chains_are_cut_to_1000_locations() -> None:
    chain = tuple(ChainStep(location=Location("a.py", span(i, 0)), message=f"step {i}")
                  for i in range(1500))
    result = ScanResult(root=ROOT, files=["a.py"], findings=[finding(QueryInLoop, "a.py", chain=chain)])
    [res] = sarif(result)["runs"][0]["results"]
    assert len(res["relatedLocations"]) == 999
    assert res["relatedLocations"][-1]["message"] == {"text": "step 998"}
    assert len(res["codeFlows"][0]["threadFlows"][0]["locations"]) == 1000
    assert res["properties"] == {"droppedChainSteps": 501}


ODD_NAMES = {
    "my file.py": "my%20file.py",
    "100%.py": "100%25.py",
    "a#b.py": "a%23b.py",
    "what?.js": "what%3F.js",
    "caf\u00e9/\u00e9t\u00e9.py": "caf%C3%A9/%C3%A9t%C3%A9.py",
    os.fsdecode(b"bad\xff\xfe.py"): "bad%FF%FE.py",
    "-rf.py": "-rf.py",
    "a:b.py": "a%3Ab.py",
    "pages/[id].tsx": "pages/%5Bid%5D.tsx",
    "app/(group)/page.tsx": "app/(group)/page.tsx",
    "c++/x+y.js": "c%2B%2B/x%2By.js",
    "\ud800lone.py": "%ED%A0%80lone.py",
}


@pytest.mark.parametrize("name", list(ODD_NAMES))
def test_odd_file_names_give_valid_uris_that_lead_back(name: str) -> None:
    result = ScanResult(root=ROOT, files=[name], findings=[finding(QueryInLoop, name)],
                        skips=[Skip(path=name, reason=SkipReason.PARTIAL_PARSE, detail="x")])
    run = sarif(result)["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == ODD_NAMES[name]
    assert run["artifacts"] == [{"location": {"uri": uri, "uriBaseId": "%SRCROOT%"}}]
    if "\ud800" not in name:  # surrogateescape only maps \udc80-\udcff back to bytes
        assert unquote(uri, errors="surrogateescape") == name
        assert os.fsencode(name) == os.fsencode(unquote(uri, errors="surrogateescape"))
    message = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert message.endswith(": x") and "\\ud" not in json.dumps(message)


def test_path_uri_is_never_empty() -> None:
    assert path_uri("") == "."


def test_root_with_odd_characters_is_a_file_uri() -> None:
    doc = sarif(ScanResult(root="/tmp/my proj#1/", files=["a.py"]))
    assert doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"] == {"uri": "file:///tmp/my%20proj%231/"}


def test_skips_and_notices_become_notifications() -> None:
    skips = [Skip(path="bad.py", reason=SkipReason.PARSE_ERROR, detail="invalid syntax", line=3),
             Skip(path="half.js", reason=SkipReason.PARTIAL_PARSE, detail="2 error regions"),
             Skip(path="huge.min.js", reason=SkipReason.MINIFIED)]
    result = ScanResult(root=ROOT, files=["half.js", "ok.py"], skips=skips,
                        notices=["results truncated to 10 findings (--max-findings)"])
    run = sarif(result)["runs"][0]
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["bad.py", "half.js", "huge.min.js", "ok.py"]

    def at(uri: str, index: int, **region: int) -> list[dict]:
        physical: dict = {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%", "index": index}}
        if region:
            physical["region"] = region
        return [{"physicalLocation": physical}]

    assert run["invocations"][0]["toolExecutionNotifications"] == [
        {"descriptor": {"id": "parse-error"}, "level": "warning",
         "message": {"text": "bad.py: invalid syntax"}, "locations": at("bad.py", 0, startLine=4)},
        {"descriptor": {"id": "partial-parse"}, "level": "note",
         "message": {"text": "half.js: 2 error regions"}, "locations": at("half.js", 1)},
        {"descriptor": {"id": "minified"}, "level": "warning",
         "message": {"text": "huge.min.js: minified"}, "locations": at("huge.min.js", 2)},
        {"descriptor": {"id": "notice"}, "level": "note",
         "message": {"text": "results truncated to 10 findings (--max-findings)"}},
    ]
    assert run["invocations"][0]["executionSuccessful"] is True


@pytest.mark.slow
def test_results_are_cut_at_25000_with_a_notification() -> None:
    findings = [finding(QueryInLoop, f"f{i:05}.py", fingerprint=f"{i:x}") for i in range(25_003)]
    result = ScanResult(root=ROOT, files=[f"f{i:05}.py" for i in range(25_003)], findings=findings)
    doc = json.loads(render(result, "sarif", RULES, tool_version="0.1.0"))
    validate_sarif(doc, schema_results=50)
    run = doc["runs"][0]
    assert len(run["results"]) == 25_000
    assert run["results"][-1]["partialFingerprints"] == {"perfsense/v1": f"{24_999:x}"}
    assert len(run["artifacts"]) == 25_003  # every analysed file is listed
    assert run["invocations"][0]["toolExecutionNotifications"] == [
        {"descriptor": {"id": "results-truncated"}, "level": "warning",
         "message": {"text": "3 of 25003 results were dropped: GitHub code scanning accepts "
                             "at most 25000 results per run."}}]


def test_output_is_deterministic_and_names_the_root_once() -> None:
    chain = (ChainStep(location=Location("b.py", span(1, 1)), message="via"),)

    def build() -> ScanResult:
        return ScanResult(root=ROOT, files=["a.py", "b.py"],
                          findings=[finding(QueryInLoop, "a.py", chain=chain),
                                    finding(BlockingCallInAsync, "b.py", 2)],
                          skips=[Skip(path="c.py", reason=SkipReason.TIMEOUT, detail="5 s")])

    first = render(build(), "sarif", RULES, tool_version="0.1.0")
    assert first == render(build(), "sarif", RULES, tool_version="0.1.0")
    assert first.count(ROOT) == 1


def test_lone_surrogates_in_text_do_not_raise() -> None:
    bad = "`open(\ud83d)` blocks \udcff"
    result = ScanResult(root=ROOT, files=["a.py"], notices=[bad],
                        findings=[finding(BlockingCallInAsync, "a.py", message=bad, context="f\udcff",
                                          chain=(ChainStep(location=Location("a.py", span(1, 0)),
                                                           message=bad),))],
                        skips=[Skip(path="a.py", reason=SkipReason.PARTIAL_PARSE, detail=bad)])
    run = sarif(result)["runs"][0]
    [res] = run["results"]
    assert res["message"]["text"] == "`open(\ufffd)` blocks \ufffd"
    assert res["relatedLocations"][0]["message"]["text"] == "`open(\ufffd)` blocks \ufffd"
    assert res["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": "f\ufffd", "kind": "function"}]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == ["a.py: `open(\ufffd)` blocks \ufffd",
                                                     "`open(\ufffd)` blocks \ufffd"]


def test_non_bmp_text_is_kept() -> None:
    result = ScanResult(root=ROOT, files=["a.py"],
                        findings=[finding(QueryInLoop, "a.py", message="slow \U0001f40c loop")])
    assert sarif(result)["runs"][0]["results"][0]["message"]["text"] == "slow \U0001f40c loop"


def test_version_control_provenance() -> None:
    provenance = {"repositoryUri": "https://github.com/acme/shop", "revisionId": "a" * 40,
                  "branch": "refs/heads/main"}
    run = sarif(ScanResult(root=ROOT), provenance=provenance)["runs"][0]
    # %SRCROOT% is the repository top: callers with provenance give repository-relative paths.
    assert run["versionControlProvenance"] == [{**provenance, "mappedTo": {"uriBaseId": "%SRCROOT%"}}]
    assert list(run)[2] == "versionControlProvenance"
    assert "versionControlProvenance" not in sarif(ScanResult(root=ROOT))["runs"][0]


def test_finding_of_an_unknown_rule_gets_a_descriptor() -> None:
    orphan = Finding(rule_id="unused-suppression", category=Category.META, severity=Severity.NOTE,
                     message="Unused suppression.", location=Location("a.py", span(0, 0)))
    run = sarif(ScanResult(root=ROOT, files=["a.py"], findings=[orphan]))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][-1] == "unused-suppression"
    assert rules[3]["name"] == "UnusedSuppression"
    assert rules[3]["properties"] == {"category": "meta", "tags": ["performance", "meta"]}
    assert run["results"][0]["ruleIndex"] == 3
    assert "partialFingerprints" not in run["results"][0]  # no fingerprint computed


def test_empty_and_reversed_spans_give_valid_regions() -> None:
    empty = Finding(rule_id="query-in-loop", category=Category.N_PLUS_ONE, severity=Severity.WARNING,
                    message="m", location=Location("a.py", Span(Position(2, 5), Position(1, 0))))
    [res] = sarif(ScanResult(root=ROOT, files=["a.py"], findings=[empty]))["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3, "startColumn": 6, "endLine": 3, "endColumn": 6}


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render(ScanResult(root=ROOT), "xml", RULES, tool_version="0.1.0")


# -- the validator itself must catch what GitHub rejects -------------------------------------

def _valid_doc() -> dict:
    result = ScanResult(root=ROOT, files=["a.py"], findings=[finding(QueryInLoop, "a.py")])
    return json.loads(render(result, "sarif", RULES, tool_version="0.1.0"))


def _break_uri(doc: dict) -> None:
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b.py"


def _break_index(doc: dict) -> None:
    doc["runs"][0]["results"][0]["ruleIndex"] = 1


def _break_security(doc: dict) -> None:
    doc["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"] = "5.0"


def _break_tags(doc: dict) -> None:
    doc["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["tags"] = [f"t{i}" for i in range(21)]


def _break_base(doc: dict) -> None:
    doc["runs"][0]["originalUriBaseIds"] = {"SRC": {"uri": "file:///tmp/"}}


def _break_absolute(doc: dict) -> None:
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = (
        "file:///tmp/project/a.py")


def _break_category(doc: dict) -> None:
    doc["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["category"] = "style"


def _break_start_line(doc: dict) -> None:
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0


@pytest.mark.parametrize("breaker, complaint", [
    (_break_uri, "a b.py"), (_break_index, "ruleIndex 1"), (_break_security, "security-severity"),
    (_break_tags, "tags"), (_break_base, "%SRCROOT%"), (_break_absolute, "relative"),
    (_break_category, "category"), (_break_start_line, "startLine"),
])
def test_validator_rejects(breaker, complaint: str) -> None:  # type: ignore[no-untyped-def]
    doc = _valid_doc()
    validate_sarif(doc)
    breaker(doc)
    with pytest.raises(AssertionError, match="invalid SARIF") as caught:
        validate_sarif(doc)
    assert complaint in str(caught.value)


def test_rule_classes_and_instances_give_the_same_catalog() -> None:
    result = ScanResult(root=ROOT, files=["a.py"], findings=[finding(QueryInLoop, "a.py")])
    classes = [QueryInLoop, BlockingCallInAsync, LeakyListener]
    by_class = render(result, "sarif", classes, tool_version="0.1.0")  # type: ignore[arg-type]
    assert by_class == render(result, "sarif", RULES, tool_version="0.1.0")
