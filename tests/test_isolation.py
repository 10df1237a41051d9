"""Per-file isolation and budgets: a rule bug, a hang or a crashed worker costs one file.

The misbehaving rules come from tests/rules_for_tests.py through `extra_rules`; each test
checks the bad file's reported outcome and that everything about the other files is
byte-identical to a scan without the bad file.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from perfsense.scanner.discovery import discover
from perfsense.scanner.engine.runner import run_files
from perfsense.scanner.engine.worker import Settings
from perfsense.scanner.model import SkipReason
from tests import rules_for_tests as bad_rules
from tests.badinput import base_project, others, scan, skips_of

RULES = bad_rules.ALL


def _project(root: Path, extra: dict[str, str], copies: int = 0) -> Path:
    base_project(root)
    for index in range(copies):  # enough files for several chunks and both workers
        (root / f"pad/m{index:02}.py").parent.mkdir(parents=True, exist_ok=True)
        (root / f"pad/m{index:02}.py").write_text(f"def f{index}():\n    return 'MARK'\n")
    for rel, text in extra.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _check_others(tmp_path: Path, bad: dict[str, str], result, copies: int, **kwargs) -> None:
    clean = _project(tmp_path / "clean", {}, copies)
    baseline = scan(clean, extra_rules=RULES, **kwargs)
    assert others(result, bad) == others(baseline, bad)
    assert len(baseline.findings) > copies  # the shop's own findings and every MARK


@pytest.mark.parametrize("jobs", [1, 2])
def test_failing_rule_is_internal_error_for_that_file_only(tmp_path: Path, jobs: int) -> None:
    bad = {"app/boom.py": "import requests\n\nasync def f():\n    requests.get('u')  # BOOM MARK\n"}
    root = _project(tmp_path / "p", bad, copies=20)
    result = scan(root, extra_rules=RULES, jobs=jobs)
    assert skips_of(result, "app/boom.py") == [
        ("internal-error", "rule test-boom: RuntimeError: deliberate failure")]
    # the other rules still ran on the bad file
    assert sorted(f.rule_id for f in result.findings if f.location.path == "app/boom.py") == [
        "blocking-call-in-async", "test-mark"]
    _check_others(tmp_path, bad, result, copies=20, jobs=jobs)


def test_failing_project_rule_is_contained(tmp_path: Path) -> None:
    from tests.badinput import sarif_of
    from tests.sarif_schema import validate_sarif

    root = _project(tmp_path / "p", {})
    result = scan(root, extra_rules=(bad_rules.ProjectBoomRule,))
    assert [(s.path, s.reason.value, s.detail) for s in result.skips] == [
        ("", "internal-error", "rule test-project-boom: KeyError: 'deliberate failure'")]
    clean = scan(_project(tmp_path / "clean", {}))
    assert [f.rule_id for f in result.findings] == [f.rule_id for f in clean.findings] != []
    validate_sarif(sarif_of(result))


def test_runaway_project_rule_is_stopped(tmp_path: Path) -> None:
    """The project stage has a budget too: a rule past it is a timeout note, its partial
    findings are dropped (output stays deterministic), the other rules still report."""
    root = _project(tmp_path / "p", {})
    start = time.monotonic()
    result = scan(root, extra_rules=(bad_rules.ProjectSpinRule,), timeout=1)
    assert time.monotonic() - start < 120
    assert [(s.path, s.reason.value, s.detail) for s in result.skips] == [
        ("", "timeout", "rule test-project-spin: over the 6 s project-stage budget")]
    clean = scan(_project(tmp_path / "clean", {}), timeout=1)
    assert [f.rule_id for f in result.findings] == [f.rule_id for f in clean.findings] != []


def test_failing_rule_in_json_and_sarif(tmp_path: Path) -> None:
    from tests.badinput import sarif_of

    root = _project(tmp_path / "p", {"a.py": "x = 1  # BOOM\n"})
    result = scan(root, extra_rules=RULES)
    notes = sarif_of(result)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["descriptor"]["id"], n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for n in notes] == [("internal-error", "a.py")]


@pytest.mark.parametrize("jobs", [1, 2])
def test_python_hang_becomes_timeout(tmp_path: Path, jobs: int) -> None:
    bad = {"spin.py": "x = 1  # SPIN\n"}
    root = _project(tmp_path / "p", bad, copies=20)
    start = time.monotonic()
    result = scan(root, extra_rules=RULES, jobs=jobs, timeout=1)
    assert time.monotonic() - start < 120
    assert skips_of(result, "spin.py") == [("timeout", "over the 1 s per-file timeout")]
    _check_others(tmp_path, bad, result, copies=20, jobs=jobs, timeout=1)


def test_hang_out_of_reach_of_signals_is_killed(tmp_path: Path) -> None:
    """A worker stuck where SIGALRM cannot reach it (C code) is killed by the watchdog."""
    bad = {"pad/stuck.py": "x = 1  # STUCK\n"}
    root = _project(tmp_path / "p", bad, copies=30)
    start = time.monotonic()
    result = scan(root, extra_rules=RULES, jobs=2, timeout=1)
    assert time.monotonic() - start < 120
    assert skips_of(result, "pad/stuck.py") == [("timeout", "over the 1 s per-file timeout")]
    _check_others(tmp_path, bad, result, copies=30, jobs=2, timeout=1)


@pytest.mark.parametrize("jobs", [1, 2])
def test_worker_crash_is_pinned_on_its_file(tmp_path: Path, jobs: int) -> None:
    bad = {"pad/crash.py": "x = 1  # CRASH\n"}
    root = _project(tmp_path / "p", bad, copies=30)
    result = scan(root, extra_rules=RULES, jobs=jobs)
    assert skips_of(result, "pad/crash.py") == [("internal-error", "the worker process died on this file")]
    _check_others(tmp_path, bad, result, copies=30, jobs=jobs)


def test_memory_error_is_out_of_memory(tmp_path: Path) -> None:
    bad = {"hog.py": "x = 1  # HOG\n"}
    root = _project(tmp_path / "p", bad)
    result = scan(root, extra_rules=RULES)
    assert [reason for reason, _ in skips_of(result, "hog.py")] == ["out-of-memory"]
    _check_others(tmp_path, bad, result, copies=0)


def test_runaway_allocation_is_out_of_memory(tmp_path: Path) -> None:
    """Workers run with a capped address space: a runaway allocation is a MemoryError."""
    bad = {"pad/greedy.py": "x = 1  # GREEDY\n"}
    root = _project(tmp_path / "p", bad, copies=20)
    result = scan(root, extra_rules=RULES, jobs=2)
    assert skips_of(result, "pad/greedy.py") == [("out-of-memory", "ran out of memory")]
    _check_others(tmp_path, bad, result, copies=20, jobs=2)


def test_read_cap_is_enforced_in_the_worker(tmp_path: Path) -> None:
    """A file that grows past the cap after discovery is `too-big`, read no further."""
    root = _project(tmp_path / "p", {"grow.py": "x = 1\n"})
    tasks, _ = discover([str(root)], str(root))
    (root / "grow.py").write_text("x = 1\n" * 2000)
    results = run_files(tasks, Settings(max_file_size=4000), jobs=2)
    grown = next(r for r in results if r.path == "grow.py")
    assert [s.reason for s in grown.skips] == [SkipReason.TOO_BIG]
    assert all(r.facts is not None for r in results if r.path != "grow.py")


def test_cli_budget_options(tmp_path: Path) -> None:
    """--max-file-size and --timeout reach the scan."""
    import subprocess
    import sys

    root = _project(tmp_path / "p", {"big.py": "x = 1\n" * 200})
    proc = subprocess.run([sys.executable, "-m", "perfsense.scanner.cli", "scan", str(root), "--format", "json",
                           "--no-cache", "--max-file-size", "1000", "--timeout", "5", "--quiet"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    import json

    skipped = {s["path"]: s["reason"] for s in json.loads(proc.stdout)["skipped"]}
    assert skipped["big.py"] == "too-big"
    assert "app/routes.py" not in skipped


_KILLED_SCAN = """
import multiprocessing
import sys
from pathlib import Path
multiprocessing.set_start_method(sys.argv[2], force=True)
from tests import rules_for_tests
from tests.badinput import scan
scan(Path(sys.argv[1]), extra_rules=rules_for_tests.ALL, jobs=2, timeout=120)
"""


@pytest.mark.parametrize("start", ["fork", "forkserver"])  # the CLI forks; the language server uses a fork server
def test_killed_scan_leaves_no_workers(tmp_path: Path, start: str) -> None:
    """SIGKILL the scanning process while its workers spin: the workers die with it."""
    import os
    import signal
    import subprocess
    import sys

    root = _project(tmp_path / "p", {"pad/a.py": "x = 1  # SPIN\n", "pad/z.py": "x = 1  # SPIN\n"}, copies=20)
    marker = f"perfsense-kill-test-{os.getpid()}"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SCAN, str(root), start],
                            cwd=Path(__file__).resolve().parent.parent, env=dict(os.environ, PERFSENSE_TEST_MARK=marker))

    def workers() -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != proc.pid:
                try:
                    with open(f"/proc/{entry}/environ", "rb") as handle:  # workers and a fork server inherit it
                        if f"PERFSENSE_TEST_MARK={marker}".encode() in handle.read():
                            found.append(int(entry))
                except OSError:
                    pass
        return found

    deadline = time.monotonic() + 60
    while len(workers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(workers()) >= 2
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while workers() and time.monotonic() < deadline:
        time.sleep(0.2)
    left = workers()
    for pid in left:  # do not leave them spinning if the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_workers_stuck_before_their_first_file_do_not_hang_the_scan(tmp_path: Path, monkeypatch) -> None:
    """A forked worker can deadlock before it starts a file (a lock some other thread of the
    scanning process held at fork time): with no worker making progress for a file's
    budget, the pool is killed and the files are analysed again, alone if need be."""
    from perfsense.scanner.engine import runner

    def stuck(*_args) -> None:
        time.sleep(3600)

    monkeypatch.setattr(runner, "_init_worker", stuck)  # what the forked workers run first
    monkeypatch.setattr(runner, "GRACE", 0.5)
    root = base_project(tmp_path / "p")
    tasks, _skips = discover([str(root)], str(root))
    start = time.monotonic()
    results = run_files(tasks, Settings(timeout=1), jobs=2)
    assert time.monotonic() - start < 60
    assert [r.path for r in results] == [t.rel for t in tasks]
    assert all(r.facts is not None for r in results if not r.skips)
    assert sum(r.facts is not None for r in results) >= 3
