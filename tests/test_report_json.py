"""JSON writer: the documented, versioned format (docs/json-schema.md)."""
from __future__ import annotations

import json
import os

from perfsense.scanner.model import (
    Category,
    ChainStep,
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


def at(path: str, line: int, column: int, end_line: int, end_column: int) -> Location:
    return Location(path, Span(Position(line, column), Position(end_line, end_column)))


def sample() -> ScanResult:
    query = Finding(rule_id="query-in-loop", category=Category.N_PLUS_ONE, severity=Severity.WARNING,
                    message="Query in a loop.", location=at("app/views.py", 9, 8, 9, 30),
                    context="app.views.index", fingerprint="c0ffee",
                    chain=(ChainStep(location=at("app/models.py", 41, 4, 41, 20),
                                     message="`Order.total` runs a query"),))
    blocking = Finding(rule_id="blocking-call-in-async", category=Category.BLOCKING_IO,
                       severity=Severity.ERROR, message="`time.sleep` blocks.",
                       location=at("app/tasks.py", 0, 0, 1, 2))
    return ScanResult(root="/tmp/project", findings=[query, blocking],
                      files=["app/models.py", "app/tasks.py", "app/views.py"], lines_scanned=321,
                      skips=[Skip(path="legacy.py", reason=SkipReason.PARSE_ERROR,
                                  detail="Python 2 syntax", line=6),
                             Skip(path="vendor.min.js", reason=SkipReason.MINIFIED)],
                      notices=["cache disabled"])


def render_json(result: ScanResult) -> str:
    return render(result, "json", [], tool_version="0.1.0")


def test_full_document() -> None:
    assert json.loads(render_json(sample())) == {
        "version": 1,
        "tool": {"name": "perfsense", "version": "0.1.0"},
        "summary": {
            "files": 3, "lines": 321, "findings": 2,
            "by_category": {"n-plus-one": 1, "blocking-io": 1, "inefficient-loop": 0,
                            "bundle-bloat": 0, "memory-leak": 0, "meta": 0},
            "skipped": 2,
        },
        "findings": [
            {"rule": "query-in-loop", "category": "n-plus-one", "severity": "warning",
             "message": "Query in a loop.", "path": "app/views.py", "line": 10, "column": 9,
             "end_line": 10, "end_column": 31, "fingerprint": "c0ffee", "context": "app.views.index",
             "chain": [{"path": "app/models.py", "line": 42, "column": 5,
                        "message": "`Order.total` runs a query"}]},
            {"rule": "blocking-call-in-async", "category": "blocking-io", "severity": "error",
             "message": "`time.sleep` blocks.", "path": "app/tasks.py", "line": 1, "column": 1,
             "end_line": 2, "end_column": 3, "fingerprint": "", "context": "", "chain": []},
        ],
        "skipped": [
            {"path": "legacy.py", "reason": "parse-error", "detail": "Python 2 syntax", "line": 7},
            {"path": "vendor.min.js", "reason": "minified", "detail": "", "line": None},
        ],
        "notices": ["cache disabled"],
    }


def test_key_order_indent_and_newline_are_stable() -> None:
    text = render_json(sample())
    assert text.startswith('{\n  "version": 1,\n  "tool": {\n    "name": "perfsense",')
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert list(json.loads(text)["findings"][0]) == [
        "rule", "category", "severity", "message", "path", "line", "column", "end_line",
        "end_column", "fingerprint", "context", "chain"]
    assert text == render_json(sample())


def test_empty_result() -> None:
    doc = json.loads(render_json(ScanResult(root="/tmp/project")))
    assert doc["summary"] == {"files": 0, "lines": 0, "findings": 0, "skipped": 0, "by_category": {
        "n-plus-one": 0, "blocking-io": 0, "inefficient-loop": 0, "bundle-bloat": 0,
        "memory-leak": 0, "meta": 0}}
    assert doc["findings"] == [] and doc["skipped"] == [] and doc["notices"] == []


def test_undecodable_names_and_lone_surrogates_survive() -> None:
    name = os.fsdecode(b"caf\xe9 #1.py")  # latin-1 bytes: not UTF-8
    finding = Finding(rule_id="query-in-loop", category=Category.N_PLUS_ONE, severity=Severity.NOTE,
                      message="bad \ud800 text", location=at(name, 0, 0, 0, 1))
    text = render_json(ScanResult(root="/tmp/project", files=[name], findings=[finding],
                                  skips=[Skip(path=name, reason=SkipReason.ENCODING, detail="\udcff")]))
    text.encode("ascii")
    doc = json.loads(text)
    assert os.fsencode(doc["findings"][0]["path"]) == b"caf\xe9 #1.py"
    assert doc["findings"][0]["message"] == "bad \ud800 text"
    assert doc["skipped"][0] == {"path": name, "reason": "encoding", "detail": "\udcff", "line": None}
    assert '"path": "caf\\udce9 #1.py"' in text


def test_non_ascii_is_escaped() -> None:
    finding = Finding(rule_id="query-in-loop", category=Category.N_PLUS_ONE, severity=Severity.NOTE,
                      message="\u00e9t\u00e9 \U0001f40c", location=at("\u00e9.py", 0, 0, 0, 1))
    text = render_json(ScanResult(root="/tmp/project", findings=[finding]))
    assert '"message": "\\u00e9t\\u00e9 \\ud83d\\udc0c"' in text
    assert json.loads(text)["findings"][0]["message"] == "\u00e9t\u00e9 \U0001f40c"
