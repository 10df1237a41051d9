"""From raw rule findings to what users see: selection, syntax-error regions,
suppressions (and unused ones), per-path ignores, order and fingerprints.

Shared by the CLI (whole project) and the LSP server (the documents it publishes).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from perfsense.scanner.config import Config, is_selected, path_ignored
from perfsense.scanner.facts.model import FileFacts
from perfsense.scanner.fingerprint import with_fingerprints
from perfsense.scanner.model import Finding, Position, Span
from perfsense.scanner.suppress import Suppression, apply_suppressions, parse_suppressions

LineText = Callable[[str, int], str]


def active_rules(classes: Iterable[type], config: Config, select: Sequence[str] = (),
                 ignore: Sequence[str] = ()) -> dict[str, str]:
    """Rule id -> category of the rules that run (command-line selection overrides the config's)."""
    chosen = tuple(select) or config.select
    ignored = tuple(ignore) + tuple(config.ignore)
    return {cls.id: cls.category.value for cls in classes
            if is_selected(cls.id, cls.category.value, chosen, ignored)}


def finalize(findings: Iterable[Finding], facts: Mapping[str, FileFacts],
             error_ranges: Mapping[str, Sequence[tuple[int, int]]], config: Config,
             active: Mapping[str, str], classes: Sequence[type], line_text: LineText,
             paths: Iterable[str] | None = None) -> list[Finding]:
    """The findings to report for `paths` (all files of `facts` when None), sorted, fingerprinted."""
    wanted = set(paths) if paths is not None else None
    kept = [f for f in findings if f.rule_id in active
            and (wanted is None or f.location.path in wanted)
            and not _in_error_region(f, error_ranges)]
    suppressions = {path: parse_suppressions(path, ff.comments) for path, ff in facts.items()
                    if ff.comments and (wanted is None or path in wanted)}
    kept, unused = apply_suppressions(kept, suppressions, active)
    kept = [f for f in kept if not path_ignored(f.location.path, f.rule_id, f.category.value, config)]
    if "unused-suppression" in active:
        kept.extend(unused_findings(unused, classes))
    ordered = sorted(set(kept), key=lambda f: f.sort_key)
    return with_fingerprints(ordered, line_text)


def _in_error_region(finding: Finding, ranges: Mapping[str, Sequence[tuple[int, int]]]) -> bool:
    line = finding.location.span.start.line
    return any(a <= line <= b for a, b in ranges.get(finding.location.path, ()))


def unused_findings(unused: Sequence[Suppression], classes: Sequence[type]) -> list[Finding]:
    rule = next(cls for cls in classes if cls.id == "unused-suppression")()
    out = []
    for sup in unused:
        kind = "ignore-file" if sup.file_level else "ignore"
        written = f"perfsense: {kind}[{', '.join(sup.ids)}]" if sup.ids else f"perfsense: {kind}"
        where = "in this file" if sup.file_level else "here"
        span = Span(Position(sup.line, 0), Position(sup.line, 0))
        out.append(rule.make(path=sup.path, span=span,
                             message=f"Unused suppression: `{written}` silences no finding {where}; remove it."))
    return out
