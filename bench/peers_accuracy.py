"""The peers on a labelled corpus: what they find of each family, and what they flag wrongly.

    python bench/peers_accuracy.py CORPUS [--score PATH/TO/score.py]

Runs the peers of `peers.py` (installed there, pinned) over CORPUS, a folder with a
`labels.json` such as `../shared/corpus`. Their findings are written as SARIF whose rules
carry the family they claim (`properties.category`): the ASYNC2xx rules of ruff and
flake8-async (a blocking call in an async function) and ESLint's `n/no-sync` claim
blocking-io; ruff's PERF rules and perflint's claim inefficient-loop; the other ASYNC rules
(checkpoints, timeouts, cleanup) claim no family and are not counted. The corpus's scorer
(`score.py`, by default next to the corpus in `../tools/`) then counts true positives,
false positives and misses per family, as it does for perfsense, whose row is scored the
same way. No peer claims the other three families (n-plus-one, bundle-bloat, memory-leak).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import PERFLINT, WORK, _bin, install

FAMILIES = ("blocking-io", "inefficient-loop")


def ruff(root: Path) -> list[tuple[str, int, str]]:
    out = _run([_bin("ruff"), "check", "--isolated", "--no-cache", "--select", "ASYNC,PERF",
                "--output-format", "json", str(root)])
    return [(item["filename"], item["location"]["row"], item["code"]) for item in json.loads(out)]


def flake8_async(root: Path) -> list[tuple[str, int, str]]:
    out = _run([_bin("flake8"), "--isolated", "--select", "ASYNC", "--format", "%(path)s\t%(row)d\t%(code)s",
                str(root)])
    return [(path, int(row), code) for path, row, code in (line.split("\t") for line in out.splitlines() if line)]


def perflint(root: Path) -> list[tuple[str, int, str]]:
    out = _run([_bin("pylint"), "--load-plugins=perflint", "--disable=all", f"--enable={PERFLINT}",
                "--recursive=y", "--output-format=json", "--score=n", str(root)])
    return [(item["path"], item["line"], item["message-id"]) for item in json.loads(out or "[]")]


def eslint(root: Path) -> list[tuple[str, int, str]]:
    out = _run([str(WORK / "npm" / "node_modules" / ".bin" / "eslint"), "--no-cache", "-c",
                str(WORK / "npm" / "eslint.config.cjs"), "--format", "json", "."], cwd=root)
    return [(item["filePath"], message["line"], message["ruleId"])
            for item in json.loads(out) for message in item["messages"] if message.get("ruleId") == "n/no-sync"]


PEERS = {"ruff ASYNC,PERF": ruff, "flake8-async": flake8_async, "pylint + perflint": perflint,
         "eslint n/no-sync": eslint}


def category(rule: str) -> str:
    """The family a peer's rule claims: flake8-async's (and ruff's) ASYNC2xx rules name a
    blocking call; its other ASYNC rules (checkpoints, timeouts, cleanup, style) claim none."""
    if rule == "n/no-sync" or re.fullmatch(r"ASYNC2\d\d", rule):
        return "blocking-io"
    if rule.startswith("ASYNC"):
        return "other"
    return "inefficient-loop"  # ruff's PERF rules, perflint's messages


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    """A linter's stdout; its exit code says whether it found something, so it is not checked,
    but a crash (a traceback, no output) is."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if "Traceback" in proc.stderr and not proc.stdout.strip():
        raise SystemExit(f"{cmd[0]} crashed: {proc.stderr[-1500:]}")
    return proc.stdout


def sarif(root: Path, findings: list[tuple[str, int, str]]) -> dict:
    rules = sorted({rule for _path, _line, rule in findings})
    index = {rule: i for i, rule in enumerate(rules)}
    results = [{"ruleId": rule, "ruleIndex": index[rule], "message": {"text": rule},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": (root / path).resolve().as_uri()},
                    "region": {"startLine": line}}}]}
               for path, line, rule in findings]
    driver = {"name": "peer", "rules": [{"id": rule, "properties": {"category": category(rule)}} for rule in rules]}
    return {"version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results}]}


def score(scorer: Path, root: Path, log: Path | None) -> dict:
    cmd = [sys.executable, str(scorer), str(root), "--json"]
    if log is not None:
        cmd += ["--sarif", str(log)]
    else:
        scan = f"{sys.executable} -m perfsense.scanner.cli scan {{root}} --format sarif --output {{out}} --no-cache"
        cmd += ["--scan-cmd", scan]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)["per_category"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--score", type=Path, help="the corpus's scorer (default: CORPUS/../tools/score.py)")
    args = parser.parse_args()
    root = args.corpus.resolve()
    scorer = args.score or root.parent / "tools" / "score.py"
    install()
    rows = {"perfsense": score(scorer, root, None)}
    found = {name: run(root) for name, run in PEERS.items()}
    found["ruff + eslint (both run)"] = found["ruff ASYNC,PERF"] + found["eslint n/no-sync"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, findings in found.items():
            log = Path(tmp) / f"{len(rows)}.sarif"
            log.write_text(json.dumps(sarif(root, findings)))
            rows[name] = score(scorer, root, log)
    for name, per in rows.items():
        for family in FAMILIES:
            m = per[family]
            claimed = m["tp"] + m["fp"] > 0  # (precision means nothing without a finding)
            print(json.dumps({"tool": name, "family": family, "tp": m["tp"], "fp": m["fp"], "fn": m["fn"],
                              "precision": m["precision"] if claimed else None, "recall": m["recall"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
