"""Output is deterministic: the same bytes run after run, for `--jobs 1` and `--jobs N`,
cold or from the cache."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.sarif_schema import validate_sarif

REPO = Path(__file__).resolve().parent.parent


def _sarif(root: Path, out: Path, *args: str) -> bytes:
    proc = subprocess.run([sys.executable, "-m", "perfsense.scanner.cli", "scan", str(root), "--format", "sarif",
                           "--output", str(out), "--quiet", *args], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 1, proc.stderr[-2000:]
    return out.read_bytes()


def _runs(root: Path, tmp_path: Path) -> dict[str, bytes]:
    return {
        "jobs 1": _sarif(root, tmp_path / "a.sarif", "--jobs", "1", "--no-cache"),
        "jobs 2": _sarif(root, tmp_path / "b.sarif", "--jobs", "2", "--no-cache"),
        "jobs 2 again": _sarif(root, tmp_path / "c.sarif", "--jobs", "2", "--no-cache"),
        "cold cache": _sarif(root, tmp_path / "d.sarif", "--jobs", "2"),
        "warm cache": _sarif(root, tmp_path / "e.sarif", "--jobs", "1"),
    }


def test_example_shop_sarif_is_byte_identical(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(REPO / "examples" / "shop", root)
    runs = _runs(root, tmp_path)
    first = runs["jobs 1"]
    assert {name: data == first for name, data in runs.items()} == dict.fromkeys(runs, True)
    import json

    validate_sarif(json.loads(first))


def test_many_files_over_several_workers_are_byte_identical(tmp_path: Path) -> None:
    root = tmp_path / "big"
    shutil.copytree(REPO / "examples" / "shop", root)
    for index in range(60):  # several chunks per worker
        package = root / f"pkg{index % 5}"
        package.mkdir(exist_ok=True)
        (package / f"m{index}.py").write_text(
            f"import time\nfrom app.payments import charge_card\n\n\nasync def h{index}():\n"
            f"    time.sleep({index})\n    charge_card({index})\n")
        (package / f"w{index}.js").write_text(
            "const fs = require('fs');\nconst app = require('express')();\n"
            f"app.get('/{index}', (req, res) => {{\n  res.send(fs.readFileSync('{index}'));\n}});\n")
    runs = _runs(root, tmp_path)
    first = runs["jobs 1"]
    assert first.count(b'"ruleId"') == 3 + 60 * 3
    assert {name: data == first for name, data in runs.items()} == dict.fromkeys(runs, True)


def test_per_file_results_do_not_depend_on_memory_layout() -> None:
    """A query lists its captures in an order that follows memory addresses, which differ
    from one parse to the next: every consumer puts them in document order, so the facts
    (and what the rules collect) of one text are the same every time. Module-level
    collections growing in several places and nested attribute chains exercise the orders
    that once varied."""
    from perfsense.scanner.engine.worker import Settings, analyse_source
    from perfsense.scanner.parse import document_order, parse, query
    from perfsense.scanner.source import SourceFile

    lines = ["import threading", "HOLDER = {}", "SEEN = []", ""]
    for i in range(40):
        lines += [f"def handler_{i}(request, mail):", f"    HOLDER['k{i}'] = request.user.profile.name",
                  "    SEEN.append(mail.outbox[0].subject)", f"    return mail.outbox[{i}].to", ""]
    text = "\n".join(lines)
    orders = set()
    for _ in range(8):
        tree = parse(text.encode(), "python")
        import tree_sitter as ts

        found = ts.QueryCursor(query("python", "(attribute) @a (identifier) @i")).captures(tree.root_node)
        nodes = document_order([*found["a"], *found["i"]])
        orders.add(tuple((n.start_byte, n.end_byte) for n in nodes))
    assert len(orders) == 1
    starts = [start for start, _end in next(iter(orders))]
    assert starts == sorted(starts)
    results = [analyse_source(SourceFile("m.py", text, "python"), "m", False, Settings()) for _ in range(6)]
    for result in results[1:]:
        assert result.facts == results[0].facts
        assert result.findings == results[0].findings
