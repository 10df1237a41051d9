"""Scan a real code base (the Django 5.2.8 sdist) and summarise the inefficient-loop findings.

    python bench/ineffloop_real.py [--root DIR] [--json OUT]

Prints the number of inefficient-loop findings, findings per 5,000 lines, a count per rule
and every finding (path:line rule message), so a sample can be reviewed by hand. The sdist
comes from `fetch.pypi_sdist`; when the registry's JSON API is not reachable it falls back to
`pip download` (the same registry, through pip's own index configuration).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fetch  # noqa: E402 - the bench helper next to this script

NAME, VERSION = "django", "5.2.8"


def django_root() -> Path:
    try:
        return fetch.pypi_sdist(NAME, VERSION)
    except Exception:  # noqa: BLE001 - fall back to pip's configured index
        target = fetch.WORK / f"{NAME}-{VERSION}"
        if target.exists():
            return target
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", f"{NAME}=={VERSION}", "--no-binary", ":all:",
                            "--no-deps", "-d", tmp, "-q"], check=True)
            archive = next(Path(tmp).glob("*.tar.gz"))
            fetch.WORK.mkdir(parents=True, exist_ok=True)
            fetch._unpack(archive.read_bytes(), archive.name, target)
        return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, help="scan this folder instead of the Django sdist")
    parser.add_argument("--json", type=Path, help="also write the findings as JSON")
    args = parser.parse_args()
    root = args.root or django_root()
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "perfsense.scanner.cli", "scan", str(root), "--format", "json",
                    "--output", str(out), "--no-cache"], check=False)
    elapsed = time.monotonic() - started
    data = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    findings = [f for f in data["findings"] if f.get("category") == "inefficient-loop"]
    lines = data["summary"]["lines"]
    print(f"{root.name}: {data['summary']['files']} files, {lines} lines, scanned in {elapsed:.0f} s")
    print(f"inefficient-loop findings: {len(findings)} ({len(findings) / max(lines, 1) * 5000:.2f} per 5,000 lines)")
    for rule, count in sorted(Counter(f["rule"] for f in findings).items()):
        print(f"  {rule}: {count}")
    for finding in sorted(findings, key=lambda f: (f["path"], f["line"])):
        print(f"{finding['path']}:{finding['line']} {finding['rule']} {finding['message']}")
    if args.json:
        args.json.write_text(json.dumps(findings, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
