"""One walk of a file's tree for the node types several consumers want.

A tree-sitter query costs about as much as a walk of the whole tree whatever it matches
(Django: about 0.5 s of CPU per query over its 2,800 files), and the per-file stage ran
four of them per file. Rules declare the node types they will ask for (`want`, at import
time); fact extraction, which walks every tree first, adds those types to its own query
(`query_text`) and hands the captures over (`remember`); a rule then gets its nodes from
that walk (`nodes`), or from a query of its own when the walk did not include them (a
tree the extraction did not walk, a type registered too late). Either way the nodes are
the same, in document order.
"""
from __future__ import annotations

import threading

import tree_sitter as ts

from perfsense.scanner.parse import document_order, language, query

PREFIX = "shared_"
_wanted: dict[str, dict[frozenset[str], str]] = {"python": {}, "javascript": {}}  # family -> types -> name
_last = threading.local()  # .root, .captures: this thread's last extraction walk


def family(lang: str) -> str:
    return "python" if lang == "python" else "javascript"


def want(lang_family: str, types: frozenset[str]) -> None:
    """Declare that nodes of `types` will be asked for in files of this family."""
    table = _wanted[lang_family]
    if types not in table:
        table[types] = f"{PREFIX}{lang_family[:2]}{len(table)}"


def query_text(lang: str) -> str:
    """Query patterns capturing every wanted group of node types (those the grammar has)."""
    return "\n".join("[" + " ".join(f"({kind})" for kind in known) + f"] @{name}"
                     for name, known in _groups(lang))


def remember(lang: str, root: ts.Node, captures: dict[str, list[ts.Node]]) -> None:
    """Keep the shared captures of a walk over `root` with `query_text(lang)` (they are
    removed from `captures`)."""
    _last.root = root  # (holds the tree: its node ids cannot be reused meanwhile)
    _last.captures = {name: captures.pop(name, []) for name, _known in _groups(lang)}


def nodes(lang: str, root: ts.Node, types: frozenset[str]) -> list[ts.Node]:
    """Every node of `types` under `root` (the whole tree), in document order."""
    name = _wanted[family(lang)].get(types)
    if name is not None and getattr(_last, "root", None) == root:
        found = _last.captures.get(name)
        if found is not None:
            return document_order(found)
    known = _known(language(lang), types)
    if not known:
        return []
    source = "[" + " ".join(f"({kind})" for kind in known) + "] @node"
    return document_order(ts.QueryCursor(query(lang, source)).captures(root).get("node", []))


def _groups(lang: str) -> list[tuple[str, list[str]]]:
    grammar = language(lang)
    groups = [(name, _known(grammar, types)) for types, name in _wanted[family(lang)].items()]
    return [(name, known) for name, known in groups if known]


def _known(grammar: ts.Language, types: frozenset[str]) -> list[str]:
    return [kind for kind in sorted(types) if grammar.id_for_node_kind(kind, True)]
