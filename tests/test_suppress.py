"""Suppression comments: parsing in Python and JS/TS comments, applying, unused ones."""

from __future__ import annotations

from perfsense.scanner.facts.model import Comment
from perfsense.scanner.model import Category, Finding, Location, Position, Severity, Span
from perfsense.scanner.suppress import Suppression, apply_suppressions, parse_suppressions

ACTIVE = {
    "query-in-loop": "n-plus-one",
    "lazy-relation-in-loop": "n-plus-one",
    "blocking-call-in-async": "blocking-io",
}
CATEGORY = {
    "query-in-loop": Category.N_PLUS_ONE,
    "lazy-relation-in-loop": Category.N_PLUS_ONE,
    "blocking-call-in-async": Category.BLOCKING_IO,
}


def comment(line: int, text: str, own_line: bool) -> Comment:
    return Comment(line=line, text=text, own_line=own_line)


def finding(rule: str, line: int, path: str = "app.py", end_line: int | None = None) -> Finding:
    span = Span(Position(line, 4), Position(line if end_line is None else end_line, 10))
    return Finding(
        rule_id=rule,
        category=CATEGORY[rule],
        severity=Severity.WARNING,
        message=f"{rule} at {line}",
        location=Location(path, span),
    )


def sup(
    line: int,
    ids: tuple[str, ...],
    target: int | None = None,
    *,
    path: str = "app.py",
    file_level: bool = False,
    reason: str = "",
) -> Suppression:
    return Suppression(path, line, ids, file_level, line if target is None else target, reason)


def parse(*comments: Comment, path: str = "app.py") -> list[Suppression]:
    return parse_suppressions(path, list(comments))


# -- parsing ------------------------------------------------------------------------------


def test_same_line_python() -> None:
    got = parse(comment(3, "# perfsense: ignore[query-in-loop] -- only 3 rows", False))
    assert got == [Suppression("app.py", 3, ("query-in-loop",), False, 3, "only 3 rows")]


def test_own_line_targets_the_next_line() -> None:
    got = parse(comment(7, "# perfsense: ignore[query-in-loop, blocking-io]", True))
    assert got == [sup(7, ("query-in-loop", "blocking-io"), 8)]


def test_file_level_bare_and_category() -> None:
    got = parse(
        comment(0, "# perfsense: ignore-file[n-plus-one] -- generated code", True),
        comment(4, "# perfsense: ignore", False),
        comment(9, "#perfsense:ignore-file", False),
    )
    assert got == [
        sup(0, ("n-plus-one",), file_level=True, reason="generated code"),
        sup(4, ()),
        sup(9, (), file_level=True),
    ]


def test_js_comment_forms() -> None:
    got = parse(
        comment(1, "// perfsense: ignore[blocking-call-in-async] -- startup only", False),
        comment(2, "/* perfsense: ignore[query-in-loop] -- cached */", False),
        comment(5, "/* perfsense: ignore[query-in-loop] */", True),
        comment(10, "/*\n * perfsense: ignore[query-in-loop]\r\n * -- reviewed\n */", True),
        comment(20, "/** perfsense: ignore-file[memory-leak] */", True),
        path="web/app.ts",
    )
    assert got == [
        sup(1, ("blocking-call-in-async",), path="web/app.ts", reason="startup only"),
        sup(2, ("query-in-loop",), path="web/app.ts", reason="cached"),
        sup(5, ("query-in-loop",), 6, path="web/app.ts"),
        sup(10, ("query-in-loop",), 14, path="web/app.ts"),
        sup(20, ("memory-leak",), path="web/app.ts", file_level=True),
    ]


def test_directive_after_other_tools_and_odd_spacing() -> None:
    got = parse(
        comment(
            2,
            "# noqa: E501  # perfsense : ignore [ query-in-loop ,query-in-loop  lazy-relation-in-loop ]",
            False,
        ),
        comment(3, "# type: ignore[attr-defined]; perfsense: ignore[blocking-io]--why not", False),
    )
    assert got == [
        sup(2, ("query-in-loop", "lazy-relation-in-loop")),
        sup(3, ("blocking-io",), reason="why not"),
    ]


def test_not_directives() -> None:
    assert (
        parse(
            comment(1, "# perfsense is great", False),
            comment(2, "# see the perfsense: ignore-files docs", False),
            comment(3, "# myperfsense: ignore[query-in-loop]", False),
            comment(4, "# perfsense: ignored[query-in-loop]", False),
            comment(5, "# perfsense.ignore[query-in-loop]", False),
        )
        == []
    )


# -- applying ----------------------------------------------------------------------------


def apply(findings: list[Finding], suppressions: list[Suppression], active: dict[str, str] = ACTIVE):
    by_path: dict[str, list[Suppression]] = {}
    for item in suppressions:
        by_path.setdefault(item.path, []).append(item)
    return apply_suppressions(findings, by_path, active)


def test_same_line_and_line_above() -> None:
    findings = [finding("query-in-loop", 3), finding("query-in-loop", 8), finding("query-in-loop", 12)]
    suppressions = parse(
        comment(3, "# perfsense: ignore[query-in-loop]", False),
        comment(7, "# perfsense: ignore[query-in-loop]", True),
        comment(10, "# perfsense: ignore[query-in-loop]", True),
    )  # two lines above: too far
    kept, unused = apply(findings, suppressions)
    assert kept == [findings[2]]
    assert unused == [sup(10, ("query-in-loop",), 11)]


def test_only_the_named_rule_is_suppressed() -> None:
    findings = [finding("query-in-loop", 3), finding("blocking-call-in-async", 3)]
    kept, unused = apply(findings, [sup(3, ("query-in-loop",))])
    assert kept == [findings[1]]
    assert unused == []


def test_file_level() -> None:
    findings = [
        finding("query-in-loop", 3),
        finding("blocking-call-in-async", 40),
        finding("query-in-loop", 5, path="other.py"),
    ]
    kept, unused = apply(findings, [sup(0, ("query-in-loop",), file_level=True)])
    assert kept == findings[1:]
    assert unused == []


def test_category_suppresses_every_rule_of_it() -> None:
    findings = [
        finding("query-in-loop", 3),
        finding("lazy-relation-in-loop", 3),
        finding("blocking-call-in-async", 3),
    ]
    kept, unused = apply(findings, [sup(3, ("n-plus-one",))])
    assert kept == [findings[2]]
    assert unused == []


def test_bare_suppresses_everything_on_the_line() -> None:
    findings = [
        finding("query-in-loop", 3),
        finding("blocking-call-in-async", 3),
        finding("query-in-loop", 4),
    ]
    kept, unused = apply(findings, [sup(3, ())])
    assert kept == [findings[2]]
    assert unused == []


def test_multi_line_finding_matches_on_its_start_line() -> None:
    findings = [finding("query-in-loop", 3, end_line=6), finding("blocking-call-in-async", 10, end_line=12)]
    kept, unused = apply(findings, [sup(3, ("query-in-loop",)), sup(11, ("blocking-call-in-async",))])
    assert kept == [findings[1]]
    assert unused == [sup(11, ("blocking-call-in-async",))]


def test_unused_reports_only_the_unused_ids_of_rules_that_ran() -> None:
    findings = [finding("query-in-loop", 3)]
    suppressions = [
        sup(3, ("query-in-loop", "blocking-call-in-async", "not-run-rule", "memory-leak")),
        sup(20, ("n-plus-one",)),
        sup(21, ()),
        sup(0, ("blocking-io",), file_level=True),
        sup(30, ("removed-rule",)),
        sup(2, ("query-in-loop",), path="b.py"),
    ]
    kept, unused = apply(findings, suppressions)
    assert kept == []
    assert unused == [
        sup(0, ("blocking-io",), file_level=True),
        sup(3, ("blocking-call-in-async",)),  # narrowed to the id that silenced nothing
        sup(20, ("n-plus-one",)),
        sup(21, ()),
        sup(2, ("query-in-loop",), path="b.py"),
    ]


def test_inactive_rule_is_not_unused() -> None:
    suppressions = [sup(3, ("query-in-loop",)), sup(5, ("n-plus-one",)), sup(7, ())]
    kept, unused = apply([], suppressions, {"blocking-call-in-async": "blocking-io"})
    assert kept == []
    assert unused == [sup(7, ())]  # a bare suppression names every rule, and one ran
    assert apply([], suppressions, {}) == ([], [])


def test_both_suppressions_of_a_finding_count_as_used() -> None:
    findings = [finding("query-in-loop", 8)]
    suppressions = [
        sup(7, ("query-in-loop",), 8),
        sup(8, ("n-plus-one",)),
        sup(0, ("query-in-loop",), file_level=True),
    ]
    kept, unused = apply(findings, suppressions)
    assert (kept, unused) == ([], [])


def test_kept_findings_keep_their_order() -> None:
    findings = [
        finding("query-in-loop", 9),
        finding("blocking-call-in-async", 1),
        finding("query-in-loop", 4),
    ]
    kept, _ = apply(findings, [sup(4, ("query-in-loop",))])
    assert kept == findings[:2]


def test_end_to_end_from_js_comments() -> None:
    comments = [
        comment(0, "// perfsense: ignore-file[memory-leak]", True),
        comment(4, "// perfsense: ignore[blocking-call-in-async] -- build step", True),
        comment(9, "/* perfsense: ignore[query-in-loop] */", False),
    ]
    suppressions = parse_suppressions("web/app.js", comments)
    findings = [
        finding("blocking-call-in-async", 5, "web/app.js"),
        finding("query-in-loop", 9, "web/app.js"),
        finding("query-in-loop", 10, "web/app.js"),
    ]
    kept, unused = apply_suppressions(findings, {"web/app.js": suppressions}, ACTIVE)
    assert kept == [findings[2]]
    assert unused == []  # memory-leak rules did not run
