"""The server's project index without the protocol: policies on open buffers, paths,
closing, and the same findings as the CLI."""
from __future__ import annotations

from pathlib import Path

from perfsense.lsp.settings import ClientSettings
from perfsense.lsp.workspace import Buffer, Index
from perfsense.scanner.model import SkipReason
from tests.helpers import scan_tree
from tests.lsp_helpers import copy_shop


def test_size_and_depth_policies_apply_to_buffers():
    index = Index(None, ClientSettings())
    big = "x = 1\n" * 200_000  # 1.2 MB, over the 1 MiB default
    analysed = index.update(Buffer("untitled:big", 1, "big.py", big, "python"))
    assert [s.reason for s in analysed.result.skips] == [SkipReason.TOO_BIG] and analysed.result.facts is None
    deep = "x = " + "(" * 50_000 + "1" + ")" * 50_000 + "\n"
    analysed = index.update(Buffer("untitled:deep", 1, "deep.py", deep, "python"))
    assert analysed.result.facts is not None or analysed.result.skips  # analysed or skipped, never a crash
    minified = "var a=1;" + "function f(){return 1}" * 2000 + "\n"
    analysed = index.update(Buffer("untitled:min", 1, "min.js", minified, "javascript"))
    assert [s.reason for s in analysed.result.skips] == [SkipReason.MINIFIED]
    assert all(report.findings == () for report in index.reports())


def test_paths_inside_outside_and_excluded(tmp_path: Path):
    root = copy_shop(tmp_path)
    (root / "perfsense.toml").write_text('exclude = ["generated/"]\n', encoding="utf-8")
    index = Index(str(root), ClientSettings())
    assert index.config_error is None
    assert index.rel_of(str(root / "app" / "routes.py")) == "app/routes.py"
    assert index.rel_of(str(root / "node_modules" / "x" / "index.js")) is None
    assert index.rel_of(str(root / ".venv" / "lib" / "x.py")) is None
    assert index.rel_of(str(root / "generated" / "x.py")) is None
    assert index.rel_of(str(tmp_path / "elsewhere.py")) is None
    assert index.module_of("app/new_module.py", "python") == ("app.new_module", False)


def test_open_documents_get_the_same_findings_as_the_cli(tmp_path: Path):
    root = copy_shop(tmp_path)
    index = Index(str(root), ClientSettings(jobs=1))
    index.install(index.build(1, lambda: False, lambda done, total: None))
    for rel in ("app/routes.py", "web/server.js"):
        language = "python" if rel.endswith(".py") else "javascript"
        index.update(Buffer((root / rel).as_uri(), 1, rel, (root / rel).read_text(), language))
    served = {(f.rule_id, f.location.path, f.location.span.start.line, f.message, f.fingerprint)
              for report in index.reports() for f in report.findings}
    cli = {(f.rule_id, f.location.path, f.location.span.start.line, f.message, f.fingerprint)
           for f in scan_tree(root).findings if f.location.path in ("app/routes.py", "web/server.js")}
    assert served == cli and len(cli) >= 2
    index.close("app/routes.py")
    assert "app/routes.py" not in index.buffers and "app/routes.py" in index.project.files  # the disk version


def test_edits_inside_functions_give_what_a_fresh_index_gives(tmp_path: Path):
    """Typing inside one function takes every incremental path of the server (the tree
    parsed from the previous one, the call graph keeping the other functions' calls, the
    n-plus-one collector redoing only that function): after each edit, the findings equal
    those of a fresh index that opens the same text."""
    root = copy_shop(tmp_path)
    rel = "app/routes.py"
    original = (root / rel).read_text()
    edits = [  # each inside one function, on top of the one before
        ("    charge = payments.charge_card(token, amount)\n",
         "    charge = payments.charge_card(token, amount)\n    time.sleep(1)\n"),
        ("    return {}\n", "    for order in range(3):\n        time.sleep(order)\n    return {}\n"),
        ("    time.sleep(0.01)\n", "    # fast now\n"),
        ("    result = await asyncio.to_thread(payments.refund, charge_id)\n",
         "    result = payments.refund(charge_id)\n"),
        ("    charge = payments.charge_card(token, amount)\n    time.sleep(1)\n",
         "    charge = payments.charge_card(token, amount)\n"),
    ]
    steps = [original]
    for old, new in edits:
        assert old in steps[-1]
        steps.append(steps[-1].replace(old, new))
    steps = steps[1:]
    index = Index(str(root), ClientSettings(jobs=1))
    index.install(index.build(1, lambda: False, lambda done, total: None))
    index.update(Buffer((root / rel).as_uri(), 1, rel, original, "python"))

    def findings(idx: Index) -> list[tuple]:
        return sorted((f.rule_id, f.location.path, f.location.span, f.message, f.fingerprint,
                       tuple(step.location for step in f.chain))
                      for report in idx.reports() for f in report.findings)

    seen = set()
    for version, text in enumerate(steps, start=2):
        index.update(Buffer((root / rel).as_uri(), version, rel, text, "python"))
        fresh = Index(str(root), ClientSettings(jobs=1))
        fresh.install(fresh.build(1, lambda: False, lambda done, total: None))
        fresh.update(Buffer((root / rel).as_uri(), 1, rel, text, "python"))
        assert findings(index) == findings(fresh), version
        seen.add(len(findings(index)))
    assert len(seen) > 1  # the edits do change what is reported
