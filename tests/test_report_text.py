"""Text writer: `path:line:col: rule-id message`, the chain under it, then a summary."""
from __future__ import annotations

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


def at(path: str, line: int, column: int) -> Location:
    return Location(path, Span(Position(line, column), Position(line, column + 4)))


def make(rule: str, category: Category, path: str, line: int, column: int, message: str,
         *chain: ChainStep) -> Finding:
    return Finding(rule_id=rule, category=category, severity=Severity.WARNING, message=message,
                   location=at(path, line, column), chain=chain)


def text(result: ScanResult, **kwargs: object) -> str:
    return render(result, "text", [], tool_version="0.1.0", **kwargs)  # type: ignore[arg-type]


def test_findings_chain_summary_skips_and_notices() -> None:
    findings = [
        make("query-in-loop", Category.N_PLUS_ONE, "app/views.py", 9, 8, "Query in a loop.",
             ChainStep(location=at("app/helpers.py", 3, 4), message="calls `total`"),
             ChainStep(location=at("app/models.py", 41, 0), message="`total` runs a query")),
        make("blocking-call-in-async", Category.BLOCKING_IO, "app/tasks.py", 0, 0, "`sleep` blocks."),
        make("query-in-loop", Category.N_PLUS_ONE, "app/views.py", 20, 2, "Query in a loop."),
    ]
    skips = [Skip(path="legacy.py", reason=SkipReason.PARSE_ERROR, detail="Python 2 syntax", line=6),
             Skip(path="vendor.min.js", reason=SkipReason.MINIFIED)]
    result = ScanResult(root="/tmp/project", findings=findings, skips=skips, lines_scanned=1234,
                        files=["app/helpers.py", "app/models.py", "app/tasks.py", "app/views.py"],
                        notices=["results truncated to 3 findings"])
    assert text(result, baseline_fixed=2) == (
        "app/views.py:10:9: query-in-loop Query in a loop.\n"
        "    app/helpers.py:4:5: calls `total`\n"
        "    app/models.py:42:1: `total` runs a query\n"
        "app/tasks.py:1:1: blocking-call-in-async `sleep` blocks.\n"
        "app/views.py:21:3: query-in-loop Query in a loop.\n"
        "\n"
        "Found 3 problems: 2 n-plus-one, 1 blocking-io.\n"
        "Analysed 4 files (1234 lines).\n"
        "Skipped files:\n"
        "  legacy.py: parse-error (Python 2 syntax)\n"
        "  vendor.min.js: minified\n"
        "Note: results truncated to 3 findings\n"
        "2 baseline entries are fixed\n"
    )


def test_clean_run() -> None:
    result = ScanResult(root="/tmp/project", files=["a.py"], lines_scanned=1)
    assert text(result) == "No performance problems found.\nAnalysed 1 file (1 line).\n"
    assert text(result, baseline_fixed=0) == (
        "No performance problems found.\nAnalysed 1 file (1 line).\n0 baseline entries are fixed\n")
    assert text(result, baseline_fixed=1).endswith("\n1 baseline entry is fixed\n")


def test_one_finding_is_singular() -> None:
    result = ScanResult(root="/r", files=["a.js", "b.js"], lines_scanned=10, findings=[
        make("listener-without-cleanup", Category.MEMORY_LEAK, "a.js", 2, 6, "Listener leaks.")])
    assert text(result) == ("a.js:3:7: listener-without-cleanup Listener leaks.\n\n"
                            "Found 1 problem: 1 memory-leak.\nAnalysed 2 files (10 lines).\n")


def test_compact_output_caps_the_skip_list_and_verbose_lists_all() -> None:
    skips = [Skip(path=f"gen/{i:02}.js", reason=SkipReason.TOO_BIG, detail="2 MB") for i in range(23)]
    result = ScanResult(root="/r", skips=skips)
    compact = text(result).splitlines()
    assert compact[2:4] == ["Skipped files:", "  gen/00.js: too-big (2 MB)"]
    assert compact[-2:] == ["  gen/19.js: too-big (2 MB)",
                            "  ... and 3 more (verbose output lists all)"]
    verbose = text(result, verbose=True).splitlines()
    assert len(verbose) == 3 + 23 and verbose[-1] == "  gen/22.js: too-big (2 MB)"


def test_control_characters_cannot_break_lines_or_drive_the_terminal() -> None:
    result = ScanResult(root="/r", findings=[
        make("query-in-loop", Category.N_PLUS_ONE, "evil\n\x1b[31m.py", 0, 0, "two\nlines\u202e")])
    first = text(result).splitlines()[0]
    assert first == "evil\\n\\x1b[31m.py:1:1: query-in-loop two\\nlines\\u202e"


def test_lone_surrogates_do_not_raise() -> None:
    name = "caf\udce9.py"
    result = ScanResult(root="/r", files=[name], findings=[
        make("query-in-loop", Category.N_PLUS_ONE, name, 0, 0, "bad \ud800")],
        skips=[Skip(path=name, reason=SkipReason.PARTIAL_PARSE, detail="\udcff")])
    out = text(result)
    assert out.splitlines()[0] == "caf\udce9.py:1:1: query-in-loop bad \ud800"
    assert out.encode("utf-8", errors="replace").splitlines()[0] == b"caf?.py:1:1: query-in-loop bad ?"
    assert "  caf\udce9.py: partial-parse (\udcff)" in out.splitlines()


def test_non_ascii_columns_are_code_points() -> None:
    result = ScanResult(root="/r", findings=[
        make("query-in-loop", Category.N_PLUS_ONE, "\u00e9t\u00e9.py", 4, 10, "Slow \U0001f40c.")])
    assert text(result).splitlines()[0] == "\u00e9t\u00e9.py:5:11: query-in-loop Slow \U0001f40c."
