"""Shared pieces of the per-file checks: hits, loop descriptions, small helpers."""
from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from perfsense.rules.inefficient_loop.scope import LoopCtx, Scope
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.facts.model import Call
from perfsense.scanner.facts.pyvalues import is_small_literal
from perfsense.scanner.model import Span
from perfsense.scanner.parse.walk import iter_nodes
from perfsense.scanner.patterns import PatternSet

SMALL = 10
PY_STRINGS = frozenset({"string", "concatenated_string"})
JS_STRINGS = frozenset({"string", "template_string"})


@dataclass(frozen=True, slots=True)
class Hit:
    """One finding of a per-file check, as plain data (it may be cached and pickled)."""

    rule: str
    span: Span
    message: str
    key: str = ""  # hits of one rule with the same key are one problem: the first is kept


def outermost(scope: Scope, node: ts.Node) -> int:
    """Start of the outermost loop repeating `node` (a key for one problem per loop nest)."""
    loops = scope.loops(node)
    return loops[-1].node.start_byte if loops else -1


def short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def code(scope: Scope, node: ts.Node | None, limit: int = 60) -> str:
    return short(scope.text(node, 400), limit)


def describe(scope: Scope, loop: LoopCtx) -> str:
    """How a message names a loop: "the loop over `orders`", "the `.map` callback over `rows`"."""
    node = loop.node
    if loop.kind == "callback":
        call = node.parent.parent if node.parent is not None else None
        callee = call.child_by_field_name("function") if call is not None else None
        if callee is not None and callee.type in ("member_expression", "attribute"):
            receiver = callee.child_by_field_name("object")
            method = scope.text(callee).rsplit(".", 1)[-1]
            return f"the `.{method}` callback over `{code(scope, receiver, 40)}`"
        name = scope.text(callee) if callee is not None else "the callback"
        return f"the `{name}` callback"
    if loop.kind == "comprehension":
        clause = next((c for c in node.named_children if c.type == "for_in_clause"), None)
        right = clause.child_by_field_name("right") if clause is not None else None
        return f"the comprehension over `{code(scope, right, 40)}`"
    if loop.kind in ("while", "do"):
        cond = node.child_by_field_name("condition")
        return f"the `while {code(scope, cond, 40)}` loop"
    if loop.kind == "for" and not scope.py:
        return "the `for` loop"
    right = node.child_by_field_name("right")
    return f"the loop over `{code(scope, right, 40)}`"


def is_small(scope: Scope, loop: LoopCtx) -> bool:
    """A loop over a literal of a few items (or range(<= 10)): its cost cannot grow."""
    node = loop.node
    if scope.py:
        if loop.kind == "comprehension":
            clause = next((c for c in node.named_children if c.type == "for_in_clause"), None)
            right = clause.child_by_field_name("right") if clause is not None else None
        else:
            right = node.child_by_field_name("right")
        return right is not None and is_small_literal(right, scope.ctx.source)
    if loop.kind in ("for-of", "for-in"):
        right = node.child_by_field_name("right")
        return right is not None and right.type in ("array", "object") and right.named_child_count <= SMALL
    if loop.kind == "callback":
        call = node.parent.parent if node.parent is not None else None
        callee = call.child_by_field_name("function") if call is not None else None
        receiver = callee.child_by_field_name("object") if callee is not None and \
            callee.type == "member_expression" else None
        return receiver is not None and receiver.type == "array" and receiver.named_child_count <= SMALL
    return False


def repeating(scope: Scope, node: ts.Node) -> LoopCtx | None:
    """The innermost loop repeating `node`, unless it is over a small literal."""
    loops = scope.loops(node)
    if not loops or is_small(scope, loops[0]):
        return None
    return loops[0]


def unwrap(node: ts.Node | None) -> ts.Node | None:
    while node is not None and node.type in ("parenthesized_expression", "non_null_expression",
                                             "as_expression", "satisfies_expression"):
        node = node.named_children[0] if node.named_children else None
    return node


def is_string(scope: Scope, node: ts.Node | None) -> bool:
    node = unwrap(node)
    return node is not None and node.type in (PY_STRINGS if scope.py else JS_STRINGS)


def contains(node: ts.Node, types: frozenset[str] | set[str]) -> bool:
    return any(n.type in types for n in iter_nodes(node) if n.id != node.id)


def inside(node: ts.Node, outer: ts.Node) -> bool:
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


class Calls:
    """Tree call nodes -> the file's Call facts (resolved callees), memoised per node."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.by_span: dict[Span, Call] = {}
        for call in scope.ctx.facts.calls:
            self.by_span.setdefault(call.span, call)
        self._memo: dict[int, Call | None] = {}
        self._texts: dict[int, str] = {}

    def fact(self, node: ts.Node) -> Call | None:
        found = self._memo.get(node.id, False)
        if found is False:  # the node's span as the facts were given theirs
            found = self._memo[node.id] = self.by_span.get(self.scope.ctx.source.node_span(node))
        return found

    def callee(self, node: ts.Node) -> str:
        """The resolved callee text of a call node (`re.compile`, `pandas.concat`), or ''."""
        fact = self.fact(node)
        if fact is None:
            return ""
        text = self._texts.get(fact.id)
        if text is None:
            text = self._texts[fact.id] = fact.callee.text
        return text


def family(language: str) -> str:
    return "python" if language == "python" else "javascript"


def catalog(catalogs: Catalogs, language: str) -> dict:
    return catalogs.get("loops").get(family(language), {}) or {}


def pattern_set(catalogs: Catalogs, language: str, key: str) -> PatternSet:
    """The catalog's patterns for `key` (a list, or the keys of a table), compiled once."""
    sets = catalogs.derived("loops:patterns", _pattern_sets)
    return sets[(family(language), key)]


def _pattern_sets(catalogs: Catalogs) -> dict[tuple[str, str], PatternSet]:
    out: dict[tuple[str, str], PatternSet] = {}
    for fam in ("python", "javascript"):
        for key in ("compile", "clone", "accumulate", "http", "memoize", "pause"):
            entry = catalog(catalogs, fam).get(key, []) or []
            out[(fam, key)] = PatternSet(list(entry))
    return out


def last_names(catalogs: Catalogs, language: str, keys: tuple[str, ...], extra: tuple[str, ...] = ()) \
        -> frozenset[str] | None:
    """The last names (`compile` for `re.compile`) of the catalog's patterns under `keys`:
    a call whose callee ends otherwise cannot match. None when a pattern ends in `*`."""
    def build(cats: Catalogs) -> frozenset[str] | None:
        names = set(extra)
        for key in keys:
            for pattern in catalog(cats, language).get(key, []) or []:
                last = str(pattern).rsplit(".", 1)[-1].rsplit("/", 1)[-1].rstrip("()")
                if "*" in last:
                    return None
                names.add(last)
        return frozenset(names)

    return catalogs.derived(f"loops:last:{family(language)}:{','.join(keys)}:{','.join(extra)}", build)


def callee_name(scope: Scope, call: ts.Node) -> str:
    """The last name of a call's callee as written (`compile` in `re.compile(…)`)."""
    function = call.child_by_field_name("function") or call.child_by_field_name("constructor")
    if function is None:
        return ""
    if function.type in ("attribute", "member_expression"):
        function = function.child_by_field_name("attribute") or function.child_by_field_name("property")
    return scope.text(function, 80) if function is not None else ""
