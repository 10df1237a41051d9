"""parse.shared: the node types rules ask for come from the extraction's walk of the tree,
and are the same nodes, in the same order, as a query of their own would give."""
from __future__ import annotations

import time

import pytest
import tree_sitter as ts

from perfsense.scanner.facts import extract
from perfsense.scanner.parse import document_order, parse, query, shared
from perfsense.scanner.source import SourceFile

PY = """
import requests

def load(ids):
    total = [x.price for x in ids if x]
    for i in ids:
        print(f"{i.name}", requests.get(i.url).json())
    return sorted(ids, key=lambda o: o.when)
"""
TS = """
import { db } from './db';
export async function f(ids: number[]) {
  for (const id of ids) { await db.user.find({ where: { id } }); }
  return ids.map((id) => new Item(id).name);
}
"""


def _own_query(lang: str, root: ts.Node, types: frozenset[str]) -> list[ts.Node]:
    source = "[" + " ".join(f"({kind})" for kind in sorted(types)) + "] @node"
    return document_order(ts.QueryCursor(query(lang, source)).captures(root).get("node", []))


def _extracted(lang: str, text: str) -> tuple[SourceFile, ts.Node]:
    source = SourceFile("m.py" if lang == "python" else "m.ts", text, lang)
    tree = parse(source.data, lang, time.monotonic() + 30)
    extract(source, tree.root_node, "m", False)
    return source, tree.root_node


@pytest.mark.parametrize(("lang", "text", "types"), [
    ("python", PY, frozenset({"call", "attribute", "interpolation"})),
    ("python", PY, frozenset({"for_statement", "lambda", "list_comprehension"})),
    ("typescript", TS, frozenset({"call_expression", "new_expression", "member_expression"})),
    ("typescript", TS, frozenset({"for_in_statement", "arrow_function"})),
])
def test_wanted_nodes_come_from_the_extraction_walk_and_equal_a_query_of_their_own(
        lang: str, text: str, types: frozenset[str], monkeypatch: pytest.MonkeyPatch) -> None:
    shared.want(shared.family(lang), types)
    _source, root = _extracted(lang, text)
    expected = _own_query(lang, root, types)
    assert len(expected) >= 2

    def no_query(*_args: object) -> None:
        raise AssertionError("queried again")

    monkeypatch.setattr(shared, "query", no_query)
    got = shared.nodes(lang, root, types)
    assert [(n.type, n.start_byte, n.end_byte) for n in got] == [(n.type, n.start_byte, n.end_byte) for n in expected]


def test_a_tree_the_extraction_did_not_walk_or_types_wanted_late_are_queried_afresh() -> None:
    types = frozenset({"call"})
    shared.want("python", types)
    _extracted("python", PY)
    other = parse(b"f(1)\ng(h(2))\n", "python", time.monotonic() + 30).root_node
    assert [n.start_byte for n in shared.nodes("python", other, types)] == [0, 5, 7]
    late = frozenset({"return_statement", "await"})
    _source, root = _extracted("python", PY)
    shared.want("python", late)  # registered after the walk
    assert [n.type for n in shared.nodes("python", root, late)] == ["return_statement"]
    assert shared.nodes("python", root, frozenset({"no_such_node"})) == []


def test_a_wanted_pattern_comes_from_the_walk_and_one_the_grammar_lacks_is_left_out() -> None:
    jsx = "(jsx_element open_tag: (jsx_opening_element) @node)"
    shared.want("javascript", jsx)  # TSX has JSX; plain TypeScript does not
    text = "export const A = () => <div><b>x</b></div>;\n"
    _source, root = _extracted("tsx", text)
    assert [n.start_byte for n in shared.nodes("tsx", root, jsx)] == [23, 28]
    assert shared.walk_query("tsx")[0].count("jsx_element") == 1
    assert "jsx_element" not in shared.walk_query("typescript")[0]
    _source, root = _extracted("typescript", TS)  # the walk still runs without it
    assert shared.nodes("typescript", root, jsx) == []
