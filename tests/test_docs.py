"""The documentation is generated from the rules: README catalog, docs/rules.md, `explain`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from perfsense.scanner.cli import main
from perfsense.scanner.engine.docs import rules_page, with_catalog
from perfsense.scanner.engine.registry import rule_classes

REPO = Path(__file__).resolve().parent.parent
REGENERATE = "run `python -m perfsense.scanner.engine.docs --write`"


def test_readme_catalog_is_current():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme == with_catalog(readme, list(rule_classes())), REGENERATE


def test_rules_page_is_current():
    page = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == rules_page(list(rule_classes())), REGENERATE


def test_readme_starts_with_install_and_test_commands():
    blocks = (REPO / "README.md").read_text(encoding="utf-8").split("```sh\n")
    assert blocks[1].startswith("python3 -m venv .venv") and "perfsense scan examples/shop" in blocks[1]
    test_command = blocks[2].split("\n", 1)[0]
    assert test_command.endswith("python -m pytest -q")
    assert "python -m pytest -q" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_explain_renders_every_rule(capsys):
    for cls in rule_classes():
        assert main(["explain", cls.id]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"# {cls.id}\n") and "## Why is this bad" in out


def test_explain_rejects_unknown_ids_and_rules_lists_json():
    bad = subprocess.run([sys.executable, "-m", "perfsense.scanner.cli", "explain", "no-such-rule"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown rule 'no-such-rule'" in bad.stderr
    listed = subprocess.run([sys.executable, "-m", "perfsense.scanner.cli", "rules", "--format", "json"],
                            capture_output=True, text=True, check=True)
    ids = [row["id"] for row in json.loads(listed.stdout)]
    assert ids == [cls.id for cls in rule_classes()]
