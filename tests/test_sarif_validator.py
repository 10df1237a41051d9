"""Upload readiness: Microsoft's SARIF validator (SARIF and GitHub rules) finds no error.

The validator (npm `@microsoft/sarif-multitool`, about 100 MB) is installed once into
bench/.work/sarif-multitool (git-ignored). When npm is missing or the install fails (no
registry, no time), the test is skipped with the reason; the JSON-schema tests in
test_sarif_github.py still run. The validator's exit status is 0 even when it reports
errors, so the test reads its output log and fails on every error-level result.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.adoption_helpers import PROJECT, git, make_repo, run_cli

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("PERFSENSE_SARIF_MULTITOOL_DIR", ROOT / "bench" / ".work" / "sarif-multitool"))
PACKAGE = "@microsoft/sarif-multitool@5.7.0"
BINARY = CACHE / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
INSTALL_TIMEOUT = 600  # seconds


def multitool() -> Path:
    """The validator binary, installed on first use; pytest.skip when it cannot be had."""
    if not BINARY.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot install @microsoft/sarif-multitool")
        CACHE.mkdir(parents=True, exist_ok=True)
        try:
            result = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix",
                                     str(CACHE), PACKAGE], capture_output=True, text=True,
                                    timeout=INSTALL_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm install {PACKAGE} took more than {INSTALL_TIMEOUT} s")
        if result.returncode != 0 or not BINARY.exists():
            pytest.skip(f"npm install {PACKAGE} failed: {(result.stderr or result.stdout).strip()[-500:]}")
    if not os.access(BINARY, os.X_OK):  # npm may not run the package's postinstall chmod
        BINARY.chmod(BINARY.stat().st_mode | stat.S_IXUSR)
    return BINARY


def validate(tool: Path, *sarif: Path) -> list[str]:
    """Error-level results of `Sarif.Multitool validate --rule-kind "Sarif;Gh"` on the files
    (one run of the validator for all of them: it takes seconds to start)."""
    out = sarif[0].with_name("validation-log.sarif")
    out.unlink(missing_ok=True)
    result = subprocess.run([str(tool), "validate", *map(str, sarif), "--rule-kind", "Sarif;Gh", "-o", str(out)],
                            capture_output=True, text=True, timeout=300, check=False,
                            env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"})
    if not out.exists():
        pytest.fail(f"the validator wrote no log: {result.stdout[-2000:]} {result.stderr[-2000:]}")
    log = json.loads(out.read_text(encoding="utf-8-sig"))
    errors = []
    for run in log.get("runs", []):
        rules = run.get("tool", {}).get("driver", {}).get("rules", [])
        for res in run.get("results", []):
            index = res.get("ruleIndex", -1)
            default = (rules[index].get("defaultConfiguration", {}).get("level", "warning")
                       if 0 <= index < len(rules) else "warning")
            if res.get("level", default) == "error":
                text = res.get("message", {}).get("text") or " ".join(res.get("message", {}).get("arguments", []))
                where = [loc.get("physicalLocation", {}).get("artifactLocation", {}).get("uri", "")
                         for loc in res.get("locations", [])]
                errors.append(f"{res.get('ruleId')} in {', '.join(where)}: {text}")
    for run in log.get("runs", []):
        for invocation in run.get("invocations", []):
            for note in invocation.get("toolExecutionNotifications", []):
                if note.get("level") == "error":
                    errors.append(f"notification: {note.get('message', {}).get('text')}")
    return errors


def test_example_and_chain_sarif_pass_the_validator(tmp_path, capsys, monkeypatch):
    tool = multitool()
    repo = make_repo(tmp_path / "repo", PROJECT)
    git(repo, "remote", "add", "origin", "https://github.com/acme/shop.git")
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "dir with space").mkdir()
    (odd / "dir with space" / "a#b%c\u00e9.py").write_text(
        "import time\n\nasync def f():\n    time.sleep(1)  # perfsense: ignore[blocking-call-in-async]\n"
        "    time.sleep(2)\n\n\nx = 1  # perfsense: ignore[blocking-call-in-async]\n", encoding="utf-8")
    (odd / os.fsdecode(b"bytes\xff.py")).write_text("import time\nasync def g():\n    time.sleep(1)\n")
    (odd / "broken.py").write_text("def broken(:\n  pass\nimport time\nasync def h():\n    time.sleep(1)\n")
    cases = {"shop": (ROOT / "examples" / "shop", ()), "chain": (repo, ()), "subfolder": (repo, ("app",)),
             "odd-names-and-skips": (odd, ())}
    files = []
    for name, (cwd, args) in cases.items():
        run = run_cli(capsys, monkeypatch, cwd, "scan", "--format", "sarif", *args)
        doc = json.loads(run.out)
        assert doc["runs"][0]["results"], name
        if name == "chain":
            assert any(r.get("codeFlows") for r in doc["runs"][0]["results"])
        sarif = tmp_path / f"{name}.sarif"
        sarif.write_text(run.out, encoding="utf-8")
        files.append(sarif)
    errors = validate(tool, *files)
    assert not errors, "\n".join(errors)
