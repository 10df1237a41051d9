"""Scan real code bases with the memory-leak rules and print counts and every finding.

    python bench/memleak_real.py [NAME ...]   # all targets below, or only those named

Sources come from the package registries (bench/fetch.py; when its direct download is not
available, `pip download` / `npm pack`, the registries' ordinary clients) into bench/.work/.
The reviewed sample is in bench/results/memory-leak.md.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fetch

TARGETS = [("pypi", "django", "5.2.8"), ("npm", "react-use", "17.6.0"), ("npm", "react-bootstrap", "2.10.10"),
           ("npm", "@mui/material", "5.16.7"), ("npm", "recharts", "2.12.7"), ("pypi", "celery", "5.4.0"),
           ("pypi", "sentry-sdk", "2.19.0"), ("npm", "socket.io", "4.7.5"), ("npm", "bull", "4.16.0"),
           ("npm", "ioredis", "5.4.1"), ("pypi", "aiohttp", "3.10.10"), ("pypi", "locust", "2.31.8"),
           ("npm", "ra-ui-materialui", "5.3.0"), ("npm", "@docusaurus/theme-classic", "3.5.2"),
           ("pypi", "wagtail", "6.2.2"),
           # held out: scanned once, after the rules were tuned on the targets above
           ("npm", "swr", "2.2.5"), ("npm", "@tanstack/query-core", "5.59.0"), ("npm", "react-router", "6.26.2"),
           ("pypi", "starlette", "0.38.6"), ("pypi", "uvicorn", "0.30.6"), ("pypi", "httpx", "0.27.2")]


def _unpack(archive: Path, target: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(dir=fetch.WORK))
    with tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
    entries = list(tmp.iterdir())
    (entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp).rename(target)
    return target


def obtain(kind: str, name: str, version: str) -> Path:
    fetch.WORK.mkdir(parents=True, exist_ok=True)
    try:
        return fetch.pypi_sdist(name, version) if kind == "pypi" else fetch.npm_package(name, version)
    except Exception as exc:  # noqa: BLE001 - fall back to the registry clients
        print(f"direct download failed ({exc}); using pip/npm", file=sys.stderr)
    safe = name.replace("/", "__").lstrip("@")
    target = fetch.WORK / (f"{name}-{version}" if kind == "pypi" else f"npm-{safe}-{version}")
    if target.exists():
        return target
    download = Path(tempfile.mkdtemp(dir=fetch.WORK))
    if kind == "pypi":
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "-d", str(download), f"{name}=={version}"], check=True, capture_output=True)
    else:
        subprocess.run(["npm", "pack", f"{name}@{version}"], cwd=download, check=True, capture_output=True)
    archive = next(download.glob("*.tar.gz"), None) or next(download.glob("*.tgz"))
    return _unpack(archive, target)


def scan(root: Path) -> dict:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "perfsense.scanner.cli", "scan", str(root), "--format", "json",
                    "--output", str(out), "--no-cache", "--exit-zero", "--quiet", "--select", "memory-leak"],
                   check=False)
    report = json.loads(out.read_text())
    out.unlink()
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def main() -> None:
    wanted = set(sys.argv[1:])
    for kind, name, version in TARGETS:
        if wanted and name not in wanted:
            continue
        root = obtain(kind, name, version)
        report = scan(root)
        leaks = [f for f in report["findings"] if f.get("category") == "memory-leak"]
        by_rule = Counter(f["rule"] for f in leaks)
        print(f"## {name} {version}: {report['summary']['files']} files, {report['summary']['lines']} lines, "
              f"{report['seconds']} s, skipped {report['summary']['skipped']}, memory-leak findings {len(leaks)}")
        for rule, count in sorted(by_rule.items()):
            print(f"  {rule}: {count}")
        for finding in leaks:
            print(f"  - {finding['path']}:{finding['line']} {finding['rule']}: {finding['message'][:220]}")


if __name__ == "__main__":
    main()
