"""perfsense side by side with the linters people run today for the same problems.

    python bench/peers.py [--only NAME ...] [--jobs 2]

Downloads the pinned code bases of `scan_speed.py` (Django 5.2.8 from PyPI, Express
4.21.2 from npm) and installs the peers, pinned, into `bench/.work/peers/` (a virtualenv
from PyPI; an npm folder for ESLint). Then times each tool on the same tree, cold (no
cache), on `--jobs` processes where the tool has the option, and prints wall seconds,
KLOC/s, peak RSS (the largest of the process and its children, from wait4), findings and
the time as a multiple of perfsense's cold scan.

The peers check less than perfsense (one function at a time, no ORM, no call graph):
ruff's ASYNC and PERF rules, flake8 with flake8-async, pylint with perflint (Python);
ESLint with eslint-plugin-n's `n/no-sync` (JavaScript). The comparison is what a scan of
the same code costs, not what it finds.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch import npm_package, pypi_sdist

WORK = Path(__file__).resolve().parent / ".work" / "peers"
PYPI = ["ruff==0.17.6", "flake8==7.5.0", "flake8-async==26.8.1", "pylint==3.3.9", "perflint==0.8.1"]
NPM = ["eslint@9.39.1", "eslint-plugin-n@17.23.1", "@typescript-eslint/parser@8.74.0", "typescript@5.9.3"]
PERFLINT = "W8101,W8102,W8201,W8202,R8203,W8204,W8205,W8301,W8401,W8402,W8403"
_ERROR = re.compile(r"^[A-Za-z_.]*(Error|Exception): ")
ESLINT_CONFIG = """const n = require("eslint-plugin-n");
const tsParser = require("@typescript-eslint/parser");
// without type information: n/no-sync asks for a program whenever the parser offers services
const ts = {meta: {name: "typescript-without-types"}, parseForESLint(code, options) {
  const {ast, scopeManager, visitorKeys} = tsParser.parseForESLint(code, options);
  return {ast, scopeManager, visitorKeys};
}};
const rules = {"n/no-sync": "error"};
const options = {ecmaVersion: "latest", sourceType: "module", parserOptions: {ecmaFeatures: {jsx: true}}};
module.exports = [
  {files: ["**/*.js", "**/*.cjs", "**/*.mjs", "**/*.jsx"], plugins: {n}, languageOptions: options, rules},
  {files: ["**/*.ts", "**/*.tsx", "**/*.mts", "**/*.cts"], plugins: {n}, languageOptions: {...options, parser: ts}, rules},
];
"""


def _bin(name: str) -> str:
    return str(WORK / "venv" / "bin" / name)


def install() -> None:
    if not (WORK / "venv" / "bin" / "pylint").exists():
        subprocess.run([sys.executable, "-m", "venv", str(WORK / "venv")], check=True)
        subprocess.run([_bin("python"), "-m", "pip", "install", "-q", *PYPI], check=True)
    if not (WORK / "npm" / "node_modules" / "@typescript-eslint" / "parser").exists():
        (WORK / "npm").mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(WORK / "npm"), *NPM],
                       check=True)
    (WORK / "npm" / "eslint.config.cjs").write_text(ESLINT_CONFIG)  # beside its node_modules


def timed(cmd: list[str], cwd: Path, limit: float) -> tuple[float, float, int | None, str, str]:
    """Wall seconds, peak RSS in MB (the largest of the process and its children, from
    wait4), exit code (None when stopped at `limit` seconds), stdout and stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, start_new_session=True)
        timer = threading.Timer(limit, _kill_group, (proc.pid,))
        timer.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        stopped = not timer.is_alive()
        timer.cancel()
        _kill_group(proc.pid)  # helpers a crashed tool left behind
        out.seek(0)
        err.seek(0)
        code = None if stopped else os.waitstatus_to_exitcode(status)
        return seconds, usage.ru_maxrss / 1024, code, out.read().decode(errors="replace"), \
            err.read().decode(errors="replace")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _eslint_findings(out: str) -> int:
    return sum(m.get("ruleId") == "n/no-sync" for f in json.loads(out) for m in f["messages"])


def _count(pattern: str) -> Callable[[str], int]:
    regex = re.compile(pattern, re.MULTILINE)
    return lambda out: len(regex.findall(out))


@dataclass(frozen=True)
class Tool:
    name: str
    target: str  # "django" | "express"
    command: Callable[[Path], list[str]]
    findings: Callable[[str], int]  # counted in its output
    checks: str
    ok: Callable[[int], bool] = lambda code: code in (0, 1)  # exit codes of a run that worked


def tools(jobs: int) -> list[Tool]:
    perfsense = [sys.executable, "-m", "perfsense.scanner.cli", "scan", "--format", "json", "--no-cache",
                 "--quiet", "--jobs", str(jobs), "--exit-zero"]
    eslint = str(WORK / "npm" / "node_modules" / ".bin" / "eslint")

    def own(out: str) -> int:
        return json.loads(out)["summary"]["findings"]

    return [
        Tool("perfsense", "django", lambda r: [*perfsense, str(r)], own, "all five families"),
        Tool("ruff ASYNC,PERF", "django",
             lambda r: [_bin("ruff"), "check", "--isolated", "--no-cache", "--select", "ASYNC,PERF",
                        "--output-format", "concise", str(r)],
             _count(r":\d+:\d+: [A-Z]+\d+ "), "blocking calls in async functions, loop idioms"),
        Tool("flake8 + flake8-async", "django",
             lambda r: [_bin("flake8"), "--isolated", "--select", "ASYNC", "-j", str(jobs), str(r)],
             _count(r":\d+:\d+: ASYNC\d+ "), "blocking calls in async functions"),
        Tool("pylint + perflint", "django",
             lambda r: [_bin("pylint"), "--load-plugins=perflint", "--disable=all", f"--enable={PERFLINT}",
                        "-j", str(jobs), "--recursive=y", "--score=n", str(r)],
             _count(r":\d+:\d+: [WRC]8\d\d\d"), "loop idioms",
             lambda code: code < 32 and not code & 1),  # a bit mask; 1: a fatal message
        Tool("perfsense", "express", lambda r: [*perfsense, str(r)], own, "all five families"),
        Tool("eslint + n/no-sync", "express",
             lambda r: [eslint, "--no-cache", "-c", str(WORK / "npm" / "eslint.config.cjs"), "--format", "json", "."],
             _eslint_findings, "synchronous Node APIs"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="tool names (substrings) to run besides perfsense")
    parser.add_argument("--limit", type=float, default=900, help="stop a tool after this many seconds")
    args = parser.parse_args()
    install()
    roots = {"django": pypi_sdist("django", "5.2.8"), "express": npm_package("express", "4.21.2")}
    lines = {name: _lines(root, (".py",) if name == "django" else (".js", ".cjs", ".mjs"))
             for name, root in roots.items()}
    base: dict[str, float] = {}
    for tool in tools(args.jobs):
        is_self = tool.name == "perfsense"
        if args.only and not is_self and not any(part in tool.name for part in args.only):
            continue
        root = roots[tool.target]
        seconds, peak, code, out, err = timed(tool.command(root), root, args.limit)
        if code is not None and not tool.ok(code):
            if is_self or "Traceback" not in err:
                raise SystemExit(f"{tool.name} failed ({code}): {err[-2000:]}")
            cause = next((line for line in err.splitlines() if _ERROR.match(line)), "a traceback")
            status = f"crashed after {seconds:.1f} s: {cause[:120]}"
        else:
            status = "done" if code is not None else f"stopped at {args.limit:g} s"
        if is_self:
            base[tool.target] = seconds
        done = status == "done"
        count = json.loads(out)["summary"]["lines"] if is_self else lines[tool.target]  # (its JS files too)
        row = {"tool": tool.name, "code base": tool.target, "lines": count, "status": status,
               "s": round(seconds, 2) if done else None,
               "KLOC/s": round(count / 1000 / seconds, 1) if done else None,
               "peak MB": round(peak), "findings": tool.findings(out) if done else None,
               "x perfsense": round(seconds / base[tool.target], 2) if done else None,
               "checks": tool.checks}
        print(json.dumps(row), flush=True)
    return 0


def _lines(root: Path, suffixes: tuple[str, ...]) -> int:
    """Lines of the files the peers read (perfsense's own count is in its report)."""
    total = 0
    for path in root.rglob("*"):
        if path.suffix in suffixes and path.is_file() and "node_modules" not in path.parts:
            total += path.read_bytes().count(b"\n")
    return total


if __name__ == "__main__":
    sys.exit(main())
