"""Every example of every rule, run through the whole scan: the docs are the tests."""
from __future__ import annotations

import re

import pytest

from perfsense.scanner.engine.docs import render_markdown
from perfsense.scanner.engine.registry import rule_classes
from perfsense.scanner.engine.rule import RULE_ID
from perfsense.scanner.model import Category
from tests.helpers import expected_lines, reported_lines, scan_tree, write_tree

CASES = [
    pytest.param(cls, kind, index, id=f"{cls.id}-{kind}-{index}")
    for cls in rule_classes()
    for kind, examples in (("valid", cls.valid), ("invalid", cls.invalid))
    for index in range(len(examples))
]


@pytest.mark.parametrize(("cls", "kind", "index"), CASES)
def test_example(tmp_path, cls, kind, index):
    example = (cls.valid if kind == "valid" else cls.invalid)[index]
    files = example.sources()
    write_tree(tmp_path, files)
    result = scan_tree(tmp_path)
    assert not [s for s in result.skips if not s.reason.is_partial], result.skips
    expected = expected_lines(files, cls.id) if kind == "invalid" else set()
    assert reported_lines(result.findings, cls.id) == expected
    if kind == "invalid":
        assert expected, "an invalid example must mark at least one line with `expect`"


def test_rule_ids_are_unique_kebab_case():
    ids = [cls.id for cls in rule_classes()]
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert RULE_ID.match(rule_id), rule_id


@pytest.mark.parametrize("cls", rule_classes(), ids=lambda c: c.id)
def test_rule_docs_are_complete(cls):
    assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", cls.name), cls.name
    assert cls.summary.endswith(".") and len(cls.summary) <= 200
    for section in ("what", "why", "instead", "options"):
        assert cls.docs.section(section), section
    assert isinstance(cls.category, Category)
    assert cls.invalid and cls.valid
    page = render_markdown(cls)
    for heading in ("What it does", "Why is this bad", "Example", "Use instead", "Options"):
        assert f"### {heading}" in page


def test_loading_the_rules_does_not_import_the_quick_fix_machinery():
    """libcst takes ~0.15 s to import: fixes load on demand, not on every scan and worker."""
    import subprocess
    import sys

    code = ("import sys\nfrom perfsense.scanner.engine.registry import rule_classes\nrule_classes()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'libcst' or m.endswith('.fixes')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
