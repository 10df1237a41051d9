"""Stable finding fingerprints: rule id + enclosing function + normalised line text.

They survive unrelated edits (lines inserted above move the finding, not its
fingerprint); identical findings in one function are told apart by their order.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from perfsense.scanner.model import Finding

_SPACE = re.compile(r"\s+")


def normalise(line: str) -> str:
    return _SPACE.sub(" ", line).strip()


def with_fingerprints(findings: Sequence[Finding], line_text: Callable[[str, int], str]) -> list[Finding]:
    """Findings (sorted) with their `fingerprint` set; `line_text(path, line)` gives source lines."""
    seen: dict[str, int] = {}
    out = []
    for finding in findings:
        loc = finding.location
        base = "\0".join([finding.rule_id, loc.path, finding.context,
                          normalise(line_text(loc.path, loc.span.start.line))])
        count = seen.get(base, 0)
        seen[base] = count + 1
        digest = hashlib.sha256(f"{base}\0{count}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
        out.append(replace(finding, fingerprint=digest))
    return out
