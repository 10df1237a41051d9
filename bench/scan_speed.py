"""Scan speed and memory on real, pinned code bases: cold and warm.

    python bench/scan_speed.py [--jobs N] [--only django|express]

Downloads Django (PyPI sdist) and Express (npm) into bench/.work/, then runs
`perfsense scan` on each twice: cold (empty cache) and warm (unchanged tree). Prints
files, lines, seconds, KLOC/s, peak RSS (the largest resident size of the scan process or
any of its workers, from wait4), and the skips by reason. Targets (2 cores): cold >= 100 KLOC/s, warm >= 1,000
KLOC/s, peak RSS <= 500 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch import npm_package, pypi_sdist  # noqa: E402

TARGETS = {"django": ("pypi", "django", "5.2.8"), "express": ("npm", "express", "4.21.2")}


def _run(root: Path, jobs: int, no_cache: bool) -> tuple[float, float, dict]:
    out = root.parent / f"{root.name}.json"
    cmd = [sys.executable, "-m", "perfsense.scanner.cli", "scan", str(root), "--format", "json",
           "--output", str(out), "--quiet", "--jobs", str(jobs)]
    if no_cache:
        cmd.append("--no-cache")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read() if proc.stderr else b""
    _pid, status, usage = os.wait4(proc.pid, 0)  # this scan's own peak: the largest of it and its workers
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scan failed ({proc.returncode}): {stderr[-2000:].decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024, json.loads(out.read_text())


def bench(name: str, jobs: int) -> dict:
    kind, package, version = TARGETS[name]
    root = pypi_sdist(package, version) if kind == "pypi" else npm_package(package, version)
    shutil.rmtree(root / ".perfsense_cache", ignore_errors=True)
    cold, cold_mb, report = _run(root, jobs, no_cache=False)
    warm, warm_mb, _ = _run(root, jobs, no_cache=False)
    summary = report["summary"]
    kloc = summary["lines"] / 1000
    skips = Counter(s["reason"] for s in report["skipped"])
    row = {"code base": f"{package} {version}", "files": summary["files"], "lines": summary["lines"],
           "cold s": round(cold, 2), "cold KLOC/s": round(kloc / cold, 1), "warm s": round(warm, 2),
           "warm KLOC/s": round(kloc / warm, 1), "peak MB": round(max(cold_mb, warm_mb)),
           "findings": summary["findings"], "skips": dict(skips)}
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", choices=sorted(TARGETS))
    args = parser.parse_args()
    for name in [args.only] if args.only else sorted(TARGETS):
        row = bench(name, args.jobs)
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
