"""The scanning process: results travel from the workers pickled once (through the cache),
a damaged entry is replaced, the scan runs with the cyclic collector paused, and nothing
of a scan's project outlives it."""
from __future__ import annotations

import gc
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from perfsense.scanner.cache import Cache
from perfsense.scanner.discovery import discover
from perfsense.scanner.engine import runner
from perfsense.scanner.engine.rule import ProjectContext, ProjectRule
from perfsense.scanner.engine.runner import run_files
from perfsense.scanner.engine.worker import FileResult, Settings, _cache, analyse_file
from perfsense.scanner.model import Category
from perfsense.scanner.project import Project
from tests.helpers import scan_tree, write_tree
from tests.rules_for_tests import CollectorStateRule

FILES = {
    "app/views.py": "import requests\n\n\nasync def handler():\n    return requests.get('https://x')\n",
    "app/tasks.py": "import time\n\n\nasync def job():\n    time.sleep(1)\n",
}
EXPECTED = {("blocking-call-in-async", "app/tasks.py", 5), ("blocking-call-in-async", "app/views.py", 5)}


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERFSENSE_CACHE_SECRET", "test-secret")


def _found(result) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.location.path, f.location.span.start.line + 1) for f in result.findings}


def _entries(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".perfsense_cache").rglob("*") if p.is_file() and len(p.name) == 64)


def test_cold_scan_writes_entries_that_a_second_scan_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from perfsense.scanner.engine import worker

    root = write_tree(tmp_path, FILES)
    cold = scan_tree(root, use_cache=True, jobs=2)
    assert _found(cold) == EXPECTED
    assert len(_entries(root)) >= 2
    (root / "app/extra.py").write_text("x = 1\n")  # a new file: no whole-scan cache hit
    analyse_bytes = worker.analyse_bytes

    def only_new(raw, rel, *args, **kwargs):  # (the forked workers inherit this)
        if rel != "app/extra.py":
            raise AssertionError(f"{rel} analysed again")
        return analyse_bytes(raw, rel, *args, **kwargs)

    monkeypatch.setattr(worker, "analyse_bytes", only_new)
    warm = scan_tree(root, use_cache=True, jobs=2)
    assert _found(warm) == EXPECTED and warm.skips == []
    assert warm.files == ["app/extra.py", "app/tasks.py", "app/views.py"]


def test_a_damaged_signed_entry_is_analysed_again_and_replaced(tmp_path: Path) -> None:
    root = write_tree(tmp_path, FILES)
    tasks, _ = discover([str(root)], str(root))
    settings = Settings(cache_dir=str(root / ".perfsense_cache"))
    cache: Cache = _cache(settings)
    task = next(t for t in tasks if t.rel == "app/tasks.py")
    fresh = analyse_file(task, settings)
    key = next(k for k in _keys(cache, root) if pickle.loads(cache.get_payload(k)).path == "app/tasks.py")
    for damaged in (pickle.dumps({"not": "a result"}), b"\x80\x05truncated"):
        cache.put_payload(key, damaged)  # signed with the user's secret, but not a result
        results = run_files(tasks, settings, jobs=2)  # through the workers and the re-run path
        assert [r.path for r in results] == ["app/tasks.py", "app/views.py"]
        assert results[0].findings == fresh.findings
        assert results[0].skips == ()
        assert analyse_file(task, settings).findings == fresh.findings
        assert isinstance(pickle.loads(cache.get_payload(key)), FileResult)  # replaced


def _keys(cache: Cache, root: Path) -> list[str]:
    return [p.name for p in _entries(root) if cache.get_payload(p.name) is not None]


class _RecordsCollector(ProjectRule):
    id = "test-records-collector"
    category = Category.INEFFICIENT_LOOP
    languages = ("python",)
    seen: ClassVar[list[bool]] = []

    def check_project(self, ctx: ProjectContext):
        self.seen.append(gc.isenabled())
        return ()


def test_the_scan_pauses_the_cyclic_collector_and_resumes_it(tmp_path: Path) -> None:
    root = write_tree(tmp_path, FILES)
    _RecordsCollector.seen.clear()
    assert gc.isenabled()
    result = scan_tree(root, jobs=2, extra_rules=(_RecordsCollector,))
    assert _found(result) == EXPECTED
    assert _RecordsCollector.seen == [False]
    assert gc.isenabled()


def test_workers_collect_garbage_every_few_files_instead_of_continually(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The automatic collector walked each file's facts again and again while they were
    built (a fifth of a cold scan's CPU); workers collect every COLLECT_EVERY files."""
    monkeypatch.setattr(runner, "COLLECT_EVERY", 2)  # inherited by the forked worker
    root = write_tree(tmp_path, {f"f{i}.py": "GCSTATE = 1\n" for i in range(6)})
    result = scan_tree(root, jobs=1, extra_rules=(CollectorStateRule,))
    states = [f.message for f in sorted(result.findings, key=lambda f: f.location.path)]
    assert all(s.startswith("enabled=False ") for s in states), states
    full = [int(s.rsplit("=", 1)[1]) for s in states]
    assert [n - full[0] for n in full] == [0, 0, 1, 1, 2, 2]


def _projects() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Project))


def test_a_scan_leaves_no_project_behind(tmp_path: Path) -> None:
    """Module-level memo tables must not keep a project (and every file's facts) alive: the
    language server makes a new project on each rebuild of its index."""
    files = {**FILES, "web/package.json": '{"dependencies": {"react": "18", "lodash": "4"}}',
             "web/src/App.jsx": "import _ from 'lodash';\nexport const App = () => <div>{_.uniq([1])}</div>;\n"}
    root = write_tree(tmp_path, files)
    before = _projects()
    for _ in range(2):
        result = scan_tree(root, jobs=2)
        assert ("whole-library-import", "web/src/App.jsx", 1) in _found(result)
    assert _projects() <= before


_HOLDING = """
import gc, sys, weakref
from perfsense.scanner.engine import lifetime
from perfsense.scanner.engine.lifetime import hold_until_exit
from perfsense.scanner.project import Project
from tests.helpers import scan_tree
made = []
init = Project.__init__
def recorded(self, *args, **kwargs):
    made.append(weakref.ref(self))
    init(self, *args, **kwargs)
Project.__init__ = recorded
if sys.argv[2] == "exiting":
    hold_until_exit()
frozen = gc.get_freeze_count()
result = scan_tree(sys.argv[1], jobs=1)
gc.collect()
alive = [ref for ref in made if ref() is not None]
held = [r.path for x in lifetime._held or () if isinstance(x, list) for r in x if r.facts is not None]
print(len(result.findings), gc.isenabled(), len(made) > 0 and len(alive) == len(made),
      gc.get_freeze_count() > frozen, sorted(held))
"""


@pytest.mark.parametrize(("mode", "expected"), [
    ("exiting", "2 True True True ['app/tasks.py', 'app/views.py']"), ("living", "2 True False False []")])
def test_a_process_about_to_exit_keeps_its_scan_instead_of_freeing_it(tmp_path: Path, mode: str,
                                                                        expected: str) -> None:
    """Freeing Django's facts and project object by object, and the first collection after
    the scan walking them once more, took 1.9 s of a cold scan; the command, which leaves
    with os._exit, keeps them (frozen), a process that lives on frees them."""
    root = write_tree(tmp_path, FILES)
    done = subprocess.run([sys.executable, "-c", _HOLDING, str(root), mode], capture_output=True, text=True,
                          timeout=120, check=False, cwd=Path(__file__).parent.parent)
    assert done.stdout.split("\n")[0] == expected, done.stderr


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as usual
    return subprocess.run([sys.executable, "-m", "perfsense.scanner.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False, env=env)


def test_the_command_exits_without_teardown_but_with_all_its_output(tmp_path: Path) -> None:
    """`run` leaves with os._exit after flushing: a piped report arrives whole (it is larger
    than a pipe buffer here) and the exit codes are main's."""
    files = dict(FILES)
    for index in range(150):
        files[f"app/m{index:03}.py"] = f"import time\n\n\nasync def job{index}():\n    time.sleep(1)\n"
    root = write_tree(tmp_path, files)
    result = _cli("scan", "--no-cache", "--format", "json", ".", cwd=root)
    assert result.returncode == 1, result.stderr
    assert len(result.stdout) > 65536
    report = json.loads(result.stdout)
    assert report["summary"]["findings"] == 152
    assert {(f["rule"], f["path"], f["line"]) for f in report["findings"]} >= EXPECTED
    rules = _cli("rules", "--format", "json", cwd=root)
    assert rules.returncode == 0
    assert "blocking-call-in-async" in {row["id"] for row in json.loads(rules.stdout)}
    explained = _cli("explain", "blocking-call-in-async", cwd=root)
    assert explained.returncode == 0 and "blocking-call-in-async" in explained.stdout
    assert _cli("--version", cwd=root).returncode == 0
    usage = _cli("scan", "--no-such-option", cwd=root)
    assert usage.returncode == 2 and "--no-such-option" in usage.stderr
