"""Parsing a document's next version from its previous tree (the language server) gives
the tree a fresh parse gives, including after edits that break and mend the syntax."""
from __future__ import annotations

import random
import re

import pytest

from perfsense.scanner.engine.worker import Settings, analyse_source
from perfsense.scanner.parse import Reuse, parse
from perfsense.scanner.source import SourceFile

PYTHON = '''import requests


class Repo:
    def get(self, key):
        for item in self.items:
            if item.key == key:
                return item
        return None


async def handler(request):
    data = requests.get("https://example.com/é")
    return data.json()
'''

JAVASCRIPT = '''import fs from "fs";

export async function load(path) {
  const text = fs.readFileSync(path, "utf8");
  return JSON.parse(text);
}

app.get("/x", (req, res) => { res.send(items.map((i) => i.name)); });
'''

KEYWORDS = {"import", "from", "class", "def", "for", "in", "if", "return", "None", "async", "await", "export",
            "function", "const"}


def _edits(text: str, seed: int, count: int) -> list[str]:
    """Versions as typing makes them: names growing inside (mostly still valid code), and
    now and then a bracket or quote typed and taken back (invalid, then valid again)."""
    rng = random.Random(seed)
    versions = []
    while len(versions) < count:
        inside = [m.start() + 1 for m in re.finditer(r"\w\w+", text) if m.group() not in KEYWORDS]
        at = rng.choice(inside)
        if rng.random() < 0.3:
            versions.append(text[:at] + rng.choice("('{[:") + text[at:])
        text = text[:at] + rng.choice(["x", "é", "_1"]) + text[at:]
        versions.append(text)
    return versions


@pytest.mark.parametrize(("lang", "text"), [("python", PYTHON), ("javascript", JAVASCRIPT)])
@pytest.mark.parametrize("seed", range(4))
def test_reused_parse_equals_fresh_parse(lang: str, text: str, seed: int) -> None:
    reuse = Reuse()
    parse(text.encode(), lang, None, reuse)
    started_from_old = 0
    for version in _edits(text, seed, 60):
        data = version.encode()
        started_from_old += reuse.edited(data, lang) is not None
        reused = parse(data, lang, 10**9, reuse)
        fresh = parse(data, lang)
        assert str(reused.root_node) == str(fresh.root_node), version
        assert reuse.data == data and reuse.tree is reused
    assert started_from_old >= 5  # the edits do exercise reuse (not only fresh parses)


def test_edit_in_the_middle_is_located_exactly() -> None:
    old, new = b"a = 1\nb = 2\nc = 3\n", b"a = 1\nb = 22\nc = 3\n"
    reuse = Reuse()
    parse(old, "python", None, reuse)
    tree = reuse.edited(new, "python")
    assert tree is not None
    changed = tree.root_node.named_children[1]  # `b = 2` grew by a byte: edited in place
    assert (changed.start_byte, changed.end_byte) == (6, 12)
    assert changed.end_point == (1, 6)
    assert tree.root_node.named_children[2].start_point == (2, 0)


def test_a_tree_with_errors_or_another_language_is_not_reused() -> None:
    reuse = Reuse()
    parse(b"def f(:\n", "python", None, reuse)
    assert reuse.edited(b"def f():\n    pass\n", "python") is None
    parse(b"x = 1\n", "python", None, reuse)
    assert reuse.edited(b"x = 2\n", "javascript") is None
    assert reuse.edited(b"x = 2\n", "python") is not None


def test_analysis_with_reuse_equals_analysis_without() -> None:
    reuse = Reuse()
    for version in [PYTHON, *_edits(PYTHON, 7, 25)]:
        source = SourceFile("t.py", version, "python")
        reused = analyse_source(source, "t", False, Settings(), "", reuse)
        fresh = analyse_source(SourceFile("t.py", version, "python"), "t", False, Settings())
        assert reused.facts == fresh.facts
        assert reused.findings == fresh.findings
        assert reused.skips == fresh.skips
