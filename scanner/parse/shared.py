"""One walk of a file's tree for the node types several consumers want.

A tree-sitter query costs about as much as a walk of the whole tree whatever it matches
(Django: about 0.5 s of CPU per query over its 2,800 files), and the per-file stage ran
four of them per file. Rules declare the node types or patterns they will ask for (`want`, at import
time); fact extraction, which walks every tree first, adds those types to its own query
(`walk_query`) and hands the captures over (`remember`); a rule then gets its nodes from
that walk (`nodes`), or from a query of its own when the walk did not include them (a
tree the extraction did not walk, a type registered too late). Either way the nodes are
the same, in document order.
"""
from __future__ import annotations

import threading

import tree_sitter as ts

from perfsense.scanner.parse import document_order, language, query

PREFIX = "shared_"
# What a consumer wants: a set of node types, or a query pattern whose one capture is @node.
Wanted = frozenset[str] | str
_wanted: dict[str, dict[Wanted, str]] = {"python": {}, "javascript": {}}  # family -> wanted -> name
_sources: dict[tuple[str, Wanted], str | None] = {}  # (language, wanted) -> its query, None: not in the grammar
_last = threading.local()  # .root, .captures: this thread's last extraction walk


def family(lang: str) -> str:
    return "python" if lang == "python" else "javascript"


def want(lang_family: str, wanted: Wanted) -> None:
    """Declare that these nodes will be asked for in whole files of this family."""
    table = _wanted[lang_family]
    if wanted not in table:
        table[wanted] = f"{PREFIX}{lang_family[:2]}{len(table)}"


def walk_query(lang: str) -> tuple[str, tuple[str, ...]]:
    """Query patterns capturing everything wanted (what the grammar has), each under its
    name, and those names (for `remember`)."""
    groups = _groups(lang)
    return "\n".join(source.replace("@node", f"@{name}") for name, source in groups), tuple(n for n, _s in groups)


def remember(root: ts.Node, captures: dict[str, list[ts.Node]], names: tuple[str, ...]) -> None:
    """Keep the captures `names` of a walk over `root` (removed from `captures`)."""
    _last.root = root  # (holds the tree: its node ids cannot be reused meanwhile)
    _last.captures = {name: captures.pop(name, []) for name in names}


def nodes(lang: str, root: ts.Node, wanted: Wanted, ordered: bool = True) -> list[ts.Node]:
    """The nodes under `root` (the whole tree) that `wanted` names, in document order
    (`ordered=False`: in no particular order, for a caller that sorts them with others)."""
    name = _wanted[family(lang)].get(wanted)
    found = None
    if name is not None and getattr(_last, "root", None) == root:
        found = _last.captures.get(name)
    if found is None:
        source = _source(lang, wanted)
        if source is None:
            return []
        found = ts.QueryCursor(query(lang, source)).captures(root).get("node", [])
    return document_order(found) if ordered else list(found)


def _groups(lang: str) -> list[tuple[str, str]]:
    found = [(name, _source(lang, wanted)) for wanted, name in list(_wanted[family(lang)].items())]
    return [(name, source) for name, source in found if source is not None]


def _source(lang: str, wanted: Wanted) -> str | None:
    key = (lang, wanted)
    if key not in _sources:
        if isinstance(wanted, str):
            try:
                query(lang, wanted)
                _sources[key] = wanted
            except ts.QueryError:  # (a node type or field this grammar does not have)
                _sources[key] = None
        else:
            grammar = language(lang)
            known = [kind for kind in sorted(wanted) if grammar.id_for_node_kind(kind, True)]
            _sources[key] = "[" + " ".join(f"({kind})" for kind in known) + "] @node" if known else None
    return _sources[key]
