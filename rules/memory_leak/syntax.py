"""Per-language node kinds the memory-leak collectors need, and small tree helpers."""
from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts


@dataclass(frozen=True, slots=True)
class Syntax:
    calls: frozenset[str]
    functions: frozenset[str]
    transparent: frozenset[str]
    assignments: frozenset[str]
    declarators: frozenset[str]
    members: frozenset[str]  # attribute access
    subscripts: frozenset[str]
    arguments: frozenset[str]
    returns: frozenset[str]
    containers: frozenset[str]
    identifiers: frozenset[str]
    self_names: frozenset[str]

    def callee(self, call: ts.Node) -> ts.Node | None:
        return call.child_by_field_name("function") or call.child_by_field_name("constructor")

    def member_parts(self, node: ts.Node) -> tuple[ts.Node | None, str]:
        obj = node.child_by_field_name("object")
        prop = node.child_by_field_name("property") or node.child_by_field_name("attribute")
        return obj, text(prop) if prop is not None else ""


JS = Syntax(
    calls=frozenset({"call_expression", "new_expression"}),
    functions=frozenset({"arrow_function", "function_expression", "function", "function_declaration",
                         "generator_function", "generator_function_declaration", "method_definition"}),
    transparent=frozenset({"parenthesized_expression", "await_expression", "non_null_expression",
                           "as_expression", "satisfies_expression", "type_assertion"}),
    assignments=frozenset({"assignment_expression"}),
    declarators=frozenset({"variable_declarator"}),
    members=frozenset({"member_expression"}),
    subscripts=frozenset({"subscript_expression"}),
    arguments=frozenset({"arguments"}),
    returns=frozenset({"return_statement", "yield_expression"}),
    containers=frozenset({"array", "pair", "object", "spread_element", "shorthand_property_identifier"}),
    identifiers=frozenset({"identifier", "shorthand_property_identifier"}),
    self_names=frozenset({"this"}),
)

PY = Syntax(
    calls=frozenset({"call"}),
    functions=frozenset({"function_definition", "lambda"}),
    transparent=frozenset({"parenthesized_expression", "await"}),
    assignments=frozenset({"assignment"}),
    declarators=frozenset(),
    members=frozenset({"attribute"}),
    subscripts=frozenset({"subscript"}),
    arguments=frozenset({"argument_list", "keyword_argument"}),
    returns=frozenset({"return_statement", "yield"}),
    containers=frozenset({"list", "tuple", "set", "dictionary", "pair", "list_splat", "dictionary_splat"}),
    identifiers=frozenset({"identifier"}),
    self_names=frozenset({"self", "cls"}),
)


def syntax_for(language: str) -> Syntax:
    return PY if language == "python" else JS


_source: list[bytes] = [b""]  # the file being collected (per-file stage, one file at a time)


def use_source(data: bytes) -> None:
    """Make `text()` read node texts from `data` (slicing is much cheaper than `Node.text`)."""
    _source[0] = data


def text(node: ts.Node | None) -> str:
    if node is None:
        return ""
    return _source[0][node.start_byte:node.end_byte].decode("utf-8", "replace")


_NOISE = re.compile(r"\s+|!(?!=)")


def norm(value: str) -> str:
    """Expression text with whitespace, `?.` and `!` normalised, for comparing places."""
    return _NOISE.sub("", value.replace("?.", "."))


def up(node: ts.Node, syntax: Syntax) -> tuple[ts.Node, ts.Node | None]:
    """The outermost node of `node` through transparent wrappers, and its parent."""
    current = node
    parent = current.parent
    while parent is not None and parent.type in syntax.transparent:
        current = parent
        parent = current.parent
    return current, parent


def root_name(node: ts.Node, syntax: Syntax) -> str:
    """The identifier (or this/self) an expression starts from: `a` for `a.b(c).d`."""
    current: ts.Node | None = node
    for _ in range(64):
        if current is None:
            return ""
        if current.type in syntax.identifiers or current.type in ("this", "super"):
            return text(current)
        if current.type in syntax.members:
            current = current.child_by_field_name("object")
        elif current.type in syntax.subscripts:
            current = current.child_by_field_name("object") or current.child_by_field_name("value")
        elif current.type in syntax.calls:
            current = syntax.callee(current)
        elif current.type in syntax.transparent and current.named_children:
            current = current.named_children[0]
        else:
            return ""
    return ""


_bound: list[object] = [None, frozenset()]  # (facts, {(function id, name)}) of the current file


def bound_names(facts) -> frozenset[tuple[int, str]]:
    """(function, name) of every binding in the file, computed once per file."""
    if _bound[0] is not facts:
        _bound[0], _bound[1] = facts, frozenset((b.func, b.name) for b in facts.bindings)
    return _bound[1]  # type: ignore[return-value]
