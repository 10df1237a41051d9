"""The primer's CI subset: a sample of the standard library and two small pinned packages,
scanned through the CLI; any crash, invalid SARIF or unaccounted file fails. The whole
primer runs on demand: `python bench/primer.py`."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _primer():
    spec = importlib.util.spec_from_file_location("perfsense_primer", BENCH / "primer.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.primer
def test_primer_ci_subset(capsys: pytest.CaptureFixture[str]) -> None:
    primer = _primer()
    chosen = primer.targets(None, "ci")
    assert [name for _, name, _ in chosen] == list(primer.CI_SUBSET)
    try:
        rows = primer.run(chosen, jobs=2)
    except primer.DownloadError as exc:
        pytest.skip(f"the package registry cannot be reached: {exc}")
    with capsys.disabled():
        print("\n" + primer.table(rows))
    assert {row.name: row.problems for row in rows} == {row.name: [] for row in rows}
    assert all(row.files > 0 for row in rows)
    sample = rows[0]
    assert sample.skips["parse-error"] >= 5 and sample.skips["encoding"] >= 2  # the nasty files are in it
