"""Baseline files: `--write-baseline` records findings, `--baseline` reports only new ones."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfsense.scanner import baseline
from perfsense.scanner.model import Category, Finding, Location, Position, Severity, Span
from tests.adoption_helpers import PROJECT, finding_lines, run_cli
from tests.helpers import write_tree


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "proj", PROJECT)


def _finding(rule: str, path: str, fingerprint: str, line: int = 0) -> Finding:
    span = Span(Position(line, 0), Position(line, 1))
    return Finding(rule_id=rule, category=Category.BLOCKING_IO, severity=Severity.WARNING,
                   message=f"{rule} here.", location=Location(path, span), fingerprint=fingerprint)


def test_written_baseline_is_sorted_stable_and_documented_shape(project, capsys, monkeypatch):
    run = run_cli(capsys, monkeypatch, project, "scan", "--write-baseline", "perfsense-baseline.json")
    assert run.code == 0
    assert "wrote 3 finding(s)" in run.err
    first = (project / "perfsense-baseline.json").read_bytes()
    doc = json.loads(first)
    assert doc["version"] == 1 and doc["tool"] == "perfsense"
    entries = doc["findings"]
    assert [list(e) for e in entries] == [["rule", "path", "fingerprint", "message"]] * 3
    keys = [(e["path"], e["rule"], e["fingerprint"]) for e in entries]
    assert keys == sorted(keys)
    assert {e["path"] for e in entries} == {"app/routes.py", "web/server.js"}
    assert all(len(e["fingerprint"]) == 32 and e["message"] for e in entries)
    run_cli(capsys, monkeypatch, project, "scan", "--write-baseline", "perfsense-baseline.json")
    assert (project / "perfsense-baseline.json").read_bytes() == first


def test_baseline_hides_known_findings_and_reports_new_ones(project, capsys, monkeypatch):
    run_cli(capsys, monkeypatch, project, "scan", "--write-baseline", "base.json")
    clean = run_cli(capsys, monkeypatch, project, "scan", "--baseline", "base.json")
    assert clean.code == 0
    assert finding_lines(clean.out) == []
    assert "3 finding(s) recorded in the baseline base.json are not reported" in clean.out
    assert "0 baseline entries are fixed" in clean.out

    routes = project / "app/routes.py"
    routes.write_text(routes.read_text() + "\n\nasync def nap():\n    time.sleep(2)\n")
    new = run_cli(capsys, monkeypatch, project, "scan", "--baseline", "base.json")
    assert new.code == 1
    assert [line.split(" ")[:2] for line in finding_lines(new.out)] == [
        ["app/routes.py:15:5:", "blocking-call-in-async"]]


def test_fingerprint_survives_lines_inserted_above(project, capsys, monkeypatch):
    run_cli(capsys, monkeypatch, project, "scan", "--write-baseline", "base.json")
    routes = project / "app/routes.py"
    routes.write_text('"""Routes."""\n# a comment\n\nLIMIT = 3\n\n' + routes.read_text())
    moved = run_cli(capsys, monkeypatch, project, "scan")
    assert any(line.startswith("app/routes.py:16:5: blocking-call-in-async") for line in finding_lines(moved.out))
    run = run_cli(capsys, monkeypatch, project, "scan", "--baseline", "base.json")
    assert run.code == 0, run.out
    assert finding_lines(run.out) == []


def test_fixed_entries_are_counted(project, capsys, monkeypatch):
    run_cli(capsys, monkeypatch, project, "scan", "--write-baseline", "base.json")
    routes = project / "app/routes.py"
    routes.write_text(routes.read_text().replace("    time.sleep(1)\n", "    pass\n"))
    (project / "web/server.js").unlink()
    run = run_cli(capsys, monkeypatch, project, "scan", "--baseline", "base.json")
    assert run.code == 0
    assert "2 baseline entries are fixed" in run.out


def test_renamed_file_findings_reappear(project, capsys, monkeypatch):
    run_cli(capsys, monkeypatch, project, "scan", "--write-baseline", "base.json")
    (project / "web/server.js").rename(project / "web/app.js")
    run = run_cli(capsys, monkeypatch, project, "scan", "--baseline", "base.json")
    assert run.code == 1
    assert [line.split(":")[0] for line in finding_lines(run.out)] == ["web/app.js"]
    assert "1 baseline entry is fixed" in run.out  # the old path no longer exists


def test_scan_of_some_files_does_not_call_other_entries_fixed(project, capsys, monkeypatch):
    run_cli(capsys, monkeypatch, project, "scan", "--write-baseline", "base.json")
    run = run_cli(capsys, monkeypatch, project, "scan", "--baseline", "base.json", "web/server.js")
    assert run.code == 0
    assert "0 baseline entries are fixed" in run.out


def test_sarif_with_baseline_has_only_new_results(project, capsys, monkeypatch):
    run_cli(capsys, monkeypatch, project, "scan", "--write-baseline", "base.json")
    (project / "web/extra.js").write_text("const fs = require('fs');\nasync function f() { fs.readFileSync('x'); }\n")
    run = run_cli(capsys, monkeypatch, project, "scan", "--baseline", "base.json", "--format", "sarif")
    results = json.loads(run.out)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results] == ["web/extra.js"]


@pytest.mark.parametrize("content, needle", [
    (None, "baseline file not found"),
    ("{not json", "not valid JSON"),
    ("[]", "expected a JSON object"),
    ('{"version": 2, "findings": []}', "unsupported \"version\""),
    ('{"version": 1, "findings": {}}', "\"findings\" must be a list"),
    ('{"version": 1, "findings": [{"rule": "x", "path": "a.py"}]}', "findings[0] needs"),
    ('{"version": 1, "findings": [3]}', "findings[0] is not an object"),
])
def test_missing_or_malformed_baseline_is_a_clear_error(project, capsys, monkeypatch, content, needle):
    if content is not None:
        (project / "base.json").write_text(content)
    run = run_cli(capsys, monkeypatch, project, "scan", "--baseline", "base.json")
    assert run.code == 2
    assert needle in run.err and "base.json" in run.err
    assert run.out == ""


def test_baseline_and_write_baseline_exclude_each_other(project, capsys, monkeypatch):
    with pytest.raises(SystemExit) as exc:
        run_cli(capsys, monkeypatch, project, "scan", "--baseline", "a.json", "--write-baseline", "b.json")
    assert exc.value.code == 2
    run = run_cli(capsys, monkeypatch, project, "scan", "--write-baseline", "b.json", "--diff-base", "HEAD")
    assert run.code == 2 and "--diff-base" in run.err


def test_compare_matches_on_rule_path_and_fingerprint():
    entries = [baseline.Entry("r-one", "a.py", "f1"), baseline.Entry("r-one", "a.py", "f1"),
               baseline.Entry("r-two", "b.py", "f2")]
    findings = [_finding("r-one", "a.py", "f1"), _finding("r-one", "a.py", "f1", 3),
                _finding("r-one", "a.py", "f1", 4), _finding("r-two", "a.py", "f2"),
                _finding("r-one", "b.py", "f2")]
    result = baseline.compare(findings, entries, analysed=["a.py", "b.py"], root="/nonexistent")
    assert [(f.rule_id, f.location.path, f.location.span.start.line) for f in result.new] == [
        ("r-one", "a.py", 4), ("r-two", "a.py", 0), ("r-one", "b.py", 0)]
    assert result.known == 2
    assert result.fixed == 1  # r-two in b.py


def test_dumps_round_trips_odd_paths():
    findings = [_finding("r-one", "caf\u00e9/\udcff name.py", "f1")]
    text = baseline.dumps(findings)
    assert text.isascii()
    path = Path(__file__)  # any existing file; load only needs a path
    entries = baseline._entries(json.loads(text), str(path))
    assert entries[0].path == "caf\u00e9/\udcff name.py"
