"""The per-file cache as the scan uses it: results travel from the workers pickled once,
a damaged entry is replaced, and the scan runs with the cyclic collector paused."""
from __future__ import annotations

import gc
import pickle
from pathlib import Path

import pytest

from perfsense.scanner.cache import Cache
from perfsense.scanner.discovery import discover
from perfsense.scanner.engine.rule import ProjectContext, ProjectRule
from perfsense.scanner.engine.runner import run_files
from perfsense.scanner.engine.worker import FileResult, Settings, _cache, analyse_file
from perfsense.scanner.model import Category
from tests.helpers import scan_tree, write_tree

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


def test_cold_scan_writes_entries_that_a_second_scan_reads(tmp_path: Path) -> None:
    root = write_tree(tmp_path, FILES)
    cold = scan_tree(root, use_cache=True, jobs=2)
    assert _found(cold) == EXPECTED
    files = _entries(root)
    assert len(files) >= 2
    (root / "app/extra.py").write_text("x = 1\n")  # a new file: no whole-scan cache hit
    warm = scan_tree(root, use_cache=True, jobs=2)
    assert _found(warm) == EXPECTED
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
    seen: list[bool] = []

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
