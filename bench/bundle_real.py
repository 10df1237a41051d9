"""Scan pinned React component libraries from npm with the bundle-bloat rules.

    python bench/bundle_real.py            # fetch (cached in bench/.work/), scan, print a report

Checks that the scan finishes without a crash, and prints per package the findings count
per rule, the skipped files, the time, and an evenly spread sample of ten findings with
their chains, for review (bench/results/bundle-bloat.md records the reviewed sample).
"""
from __future__ import annotations

import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fetch import npm_package  # noqa: E402

from perfsense.scanner.engine.scan import ScanRequest, analyse  # noqa: E402

PACKAGES = [
    ("decap-cms-core", "3.3.6"),  # the Decap CMS React app, published with its src/
    ("react-dates", "21.8.0"),  # Airbnb date pickers: moment throughout (src/, esm/, lib/)
    ("rsuite", "5.64.0"),  # per-method lodash, named date-fns: should stay silent
    ("semantic-ui-react", "2.1.5"),  # `import _ from 'lodash'` rewritten by babel-plugin-lodash
]
SAMPLE = 10


def scan(root: Path) -> tuple[object, float]:
    start = time.perf_counter()
    result = analyse(ScanRequest(paths=[str(root)], cwd=str(root), select=["bundle-bloat"], use_cache=False))
    return result, time.perf_counter() - start


def whole_lodash_imports(root: Path) -> int:
    pattern = re.compile(r"""^import\s+\w+\s+from\s+['"]lodash['"]""", re.M)
    return sum(len(pattern.findall(p.read_text("utf-8", "replace"))) for p in root.rglob("src/**/*.js"))


def main() -> int:
    for name, version in PACKAGES:
        root = npm_package(name, version)
        result, seconds = scan(root)
        rules = Counter(f.rule_id for f in result.findings)
        print(f"## {name}@{version}")
        print(f"- files analysed: {result.files_scanned}, lines: {result.lines_scanned}, "
              f"skipped or partly analysed: {len(result.skips)} "
              f"({', '.join(sorted({str(s.reason) for s in result.skips})) or 'none'})")
        print(f"- time: {seconds:.1f} s, findings: {len(result.findings)} "
              f"({', '.join(f'{k}: {v}' for k, v in sorted(rules.items())) or 'none'})")
        if name == "semantic-ui-react":
            print(f"- `import _ from 'lodash'` statements in src/: {whole_lodash_imports(root)} "
                  "(silenced: package.json declares babel-plugin-lodash)")
        findings = result.findings
        step = max(1, len(findings) // SAMPLE)
        for finding in findings[::step][:SAMPLE]:
            where = f"{finding.location.path}:{finding.location.span.start.line + 1}"
            print(f"  - `{where}` {finding.rule_id}: {finding.message}")
            for link in finding.chain:
                print(f"    - {link.location.path}:{link.location.span.start.line + 1} {link.message}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
