"""Suppression comments: `perfsense: ignore[rule-id, …] -- reason`.

- At the end of a line, it silences the named rules on that line.
- Alone on its line, it silences them on the line directly below (the next line only).
- `perfsense: ignore-file[rule-id, …]` anywhere in a file silences them for the whole file.
- Categories (`n-plus-one`, …) may stand in for ids; without brackets every rule is silenced.
- The reason after `--` is optional.

Works in Python `#` comments and JS/TS `//` and `/* … */` comments (the per-file stage
hands over every comment that mentions perfsense). Findings match on their start line.
A suppression that silenced nothing for a rule that ran is reported back as unused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from perfsense.scanner.facts.model import Comment
from perfsense.scanner.model import Finding

_DIRECTIVE = re.compile(
    r"(?<![\w.-])perfsense[ \t]*:[ \t]*(?P<kind>ignore-file|ignore)(?![\w-])"
    r"(?:[ \t]*\[(?P<ids>[^\]\r\n]*)\])?(?P<rest>[^\r\n]*)"
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ID_SEPARATOR = re.compile(r"[\s,]+")


@dataclass(frozen=True, slots=True)
class Suppression:
    path: str
    line: int  # 0-based line of the comment
    ids: tuple[str, ...]  # rule ids or categories; () = every rule
    file_level: bool
    target_line: int  # the line it silences (the comment's own line for file-level ones)
    reason: str = ""

    def covers(self, rule_id: str, category: str) -> tuple[str, ...]:
        """The ids of this suppression that name the rule ('*' when it names every rule)."""
        if not self.ids:
            return ("*",)
        return tuple(item for item in self.ids if item in (rule_id, category))


def _reason(rest: str) -> str:
    _head, sep, tail = rest.partition("--")
    if not sep:
        return ""
    tail = tail.strip()
    return tail[:-2].rstrip() if tail.endswith("*/") else tail


def parse_suppressions(path: str, comments: Sequence[Comment]) -> list[Suppression]:
    """The suppressions written in a file's comments, in source order."""
    found: list[Suppression] = []
    for comment in comments:
        end_line = comment.line + len(_LINE_BREAK.findall(comment.text))
        for match in _DIRECTIVE.finditer(comment.text):
            file_level = match.group("kind") == "ignore-file"
            raw_ids = match.group("ids") or ""
            ids = tuple(dict.fromkeys(item for item in _ID_SEPARATOR.split(raw_ids) if item))
            target = comment.line if file_level or not comment.own_line else end_line + 1
            found.append(
                Suppression(
                    path=path,
                    line=comment.line,
                    ids=ids,
                    file_level=file_level,
                    target_line=target,
                    reason=_reason(match.group("rest")),
                )
            )
    return found


def apply_suppressions(
    findings: Sequence[Finding],
    suppressions: Mapping[str, Sequence[Suppression]],
    active_rules: Mapping[str, str],
) -> tuple[list[Finding], list[Suppression]]:
    """(findings kept, unused suppressions).

    `suppressions` maps a file's relative path to its suppressions; `active_rules` maps the
    id of every rule that ran to its category. An unused suppression comes back with only
    its unused ids; ids naming no rule that ran are never reported as unused.
    """
    by_file: dict[str, list[int]] = {}
    by_line: dict[tuple[str, int], list[int]] = {}
    flat: list[Suppression] = []
    for path, items in suppressions.items():
        for item in items:
            index = len(flat)
            flat.append(item)
            if item.file_level:
                by_file.setdefault(path, []).append(index)
            else:
                by_line.setdefault((path, item.target_line), []).append(index)
    used: set[tuple[int, str]] = set()
    kept: list[Finding] = []
    for finding in findings:
        path = finding.location.path
        candidates = by_line.get((path, finding.location.span.start.line), []) + by_file.get(path, [])
        category = str(finding.category)
        hits = [
            (index, item) for index in candidates for item in flat[index].covers(finding.rule_id, category)
        ]
        used.update(hits)
        if not hits:
            kept.append(finding)
    return kept, _unused(flat, used, active_rules)


def _unused(
    flat: Sequence[Suppression], used: set[tuple[int, str]], active_rules: Mapping[str, str]
) -> list[Suppression]:
    active_categories = set(active_rules.values())
    unused: list[Suppression] = []
    for index, item in enumerate(flat):
        if not item.ids:
            if active_rules and (index, "*") not in used:
                unused.append(item)
            continue
        ids = tuple(
            name
            for name in item.ids
            if (name in active_rules or name in active_categories) and (index, name) not in used
        )
        if ids:
            unused.append(item if ids == item.ids else replace(item, ids=ids))
    unused.sort(key=lambda item: (item.path, item.line, item.target_line))
    return unused
