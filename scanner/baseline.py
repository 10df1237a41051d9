"""Baseline files: accept today's findings, report only new ones (see docs/baseline.md).

A baseline is a JSON file written by `perfsense scan --write-baseline FILE`:

    {
      "version": 1,
      "tool": "perfsense",
      "findings": [
        {"rule": "blocking-call-in-async", "path": "app/routes.py",
         "fingerprint": "5c1f…", "message": "`time.sleep` is a blocking sleep …"}
      ]
    }

Entries are sorted by path, rule and fingerprint, and nothing in the file depends on the
time or the machine, so rewriting an unchanged baseline gives identical bytes. A finding
is baselined when an entry has the same rule id, path and fingerprint (`message` is for
people only). Fingerprints (scanner/fingerprint.py) hash the rule id, the path, the
enclosing function, the line's text with whitespace normalised and an occurrence index,
so moving code up or down keeps findings baselined, while renaming a file or editing
the flagged line makes them new again.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from perfsense.scanner.model import Finding
from perfsense.scanner.report.uri import dump_json

FORMAT_VERSION = 1
MAX_SIZE = 256 << 20  # bytes: a baseline larger than this is refused

Key = tuple[str, str, str]  # rule id, path, fingerprint


class BaselineError(Exception):
    """A baseline file is missing, unreadable or not a perfsense baseline."""


@dataclass(frozen=True, slots=True)
class Entry:
    rule: str
    path: str
    fingerprint: str
    message: str = ""

    @property
    def key(self) -> Key:
        return (self.rule, self.path, self.fingerprint)


def entries_for(findings: Iterable[Finding]) -> list[Entry]:
    entries = [Entry(f.rule_id, f.location.path, f.fingerprint, f.message) for f in findings]
    return sorted(entries, key=lambda e: (e.path, e.rule, e.fingerprint, e.message))


def dumps(findings: Iterable[Finding]) -> str:
    doc = {"version": FORMAT_VERSION, "tool": "perfsense",
           "findings": [{"rule": e.rule, "path": e.path, "fingerprint": e.fingerprint,
                         "message": e.message} for e in entries_for(findings)]}
    return dump_json(doc)


def write(path: str, findings: Sequence[Finding]) -> int:
    """Write the baseline for `findings` to `path` (atomically); returns the number of entries."""
    text = dumps(findings)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".perfsense-baseline-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from exc
    return len(findings)


def load(path: str) -> list[Entry]:
    """The entries of a baseline file; BaselineError when it is missing or malformed."""
    try:
        if os.path.getsize(path) > MAX_SIZE:
            raise BaselineError(f"baseline {path} is larger than {MAX_SIZE >> 20} MiB")
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except FileNotFoundError as exc:
        raise BaselineError(f"baseline file not found: {path} (create it with --write-baseline)") from exc
    except IsADirectoryError as exc:
        raise BaselineError(f"baseline {path} is a directory, not a file") from exc
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"malformed baseline {path}: not valid JSON ({exc})") from exc
    return _entries(doc, path)


def _entries(doc: object, path: str) -> list[Entry]:
    def bad(why: str) -> BaselineError:
        return BaselineError(f"malformed baseline {path}: {why}")

    if not isinstance(doc, dict):
        raise bad("expected a JSON object with \"version\" and \"findings\"")
    if doc.get("version") != FORMAT_VERSION:
        raise bad(f"unsupported \"version\" {doc.get('version')!r} (expected {FORMAT_VERSION})")
    items = doc.get("findings")
    if not isinstance(items, list):
        raise bad("\"findings\" must be a list")
    entries = []
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            raise bad(f"findings[{number}] is not an object")
        rule, where, fingerprint = (item.get(name) for name in ("rule", "path", "fingerprint"))
        if not (isinstance(rule, str) and isinstance(where, str) and isinstance(fingerprint, str)
                and rule and where and fingerprint):
            raise bad(f"findings[{number}] needs non-empty string \"rule\", \"path\" and \"fingerprint\"")
        message = item.get("message", "")
        entries.append(Entry(rule, where, fingerprint, message if isinstance(message, str) else ""))
    return entries


@dataclass(frozen=True, slots=True)
class Comparison:
    new: list[Finding]  # findings with no baseline entry (reported)
    known: int  # findings matched by an entry (not reported)
    fixed: int  # entries of analysed or deleted files that match no finding any more


def compare(findings: Sequence[Finding], entries: Sequence[Entry], analysed: Iterable[str],
            root: str) -> Comparison:
    """Split findings into new and baselined ones; count the entries that are fixed.

    An unmatched entry counts as fixed when its file was analysed in this scan or no
    longer exists under `root`; entries of files this scan did not look at (a scan of a
    few files, as pre-commit runs it) are neither fixed nor reported.
    """
    remaining = Counter(entry.key for entry in entries)
    new = []
    for finding in findings:
        key = (finding.rule_id, finding.location.path, finding.fingerprint)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            new.append(finding)
    seen = set(analysed)
    fixed = sum(count for (_, path, _), count in remaining.items()
                if count > 0 and (path in seen or not os.path.lexists(os.path.join(root, path))))
    return Comparison(new=new, known=len(findings) - len(new), fixed=fixed)
