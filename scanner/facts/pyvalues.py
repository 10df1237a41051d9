"""Python expressions -> raw values, compact argument texts, assignment targets."""
from __future__ import annotations

import sys

import tree_sitter as ts

from perfsense.scanner.facts.builder import RawValue
from perfsense.scanner.facts.memo import NodeMemo
from perfsense.scanner.facts.model import Step, Value
from perfsense.scanner.source import SourceFile

COMPREHENSIONS = frozenset({"list_comprehension", "set_comprehension", "dictionary_comprehension",
                            "generator_expression"})
LITERAL_KINDS = {
    "string": "<str>", "concatenated_string": "<str>", "integer": "<num>", "float": "<num>",
    "true": "<bool>", "false": "<bool>", "none": "<none>", "list": "<list>", "tuple": "<tuple>",
    "dictionary": "<dict>", "set": "<set>", "list_comprehension": "<listcomp>",
    "set_comprehension": "<setcomp>", "dictionary_comprehension": "<dictcomp>",
    "generator_expression": "<genexp>", "lambda": "<lambda>",
}
MAX_WALK = 64
SMALL = 10
VALUES: NodeMemo[Value] = NodeMemo()


def value_of(node: ts.Node, func: int, src: SourceFile) -> RawValue:
    """The raw value of an expression: root name (unresolved) and steps."""
    return RawValue(func, VALUES.get(node, src, lambda: _value(node, src)))


def _value(node: ts.Node, src: SourceFile) -> Value:
    steps: list[Step] = []
    current: ts.Node | None = node
    root = "<expr>"
    for _ in range(MAX_WALK):
        if current is None:
            break
        kind = current.type
        if kind == "call":
            function = current.child_by_field_name("function")
            args = call_args(current.child_by_field_name("arguments"), src)
            if function is not None and function.type == "attribute":
                attr = function.child_by_field_name("attribute")
                steps.append(Step(_text(attr, src), call=True, args=args))
                current = function.child_by_field_name("object")
                continue
            steps.append(Step(call=True, args=args))
            current = function
            continue
        if kind == "attribute":
            steps.append(Step(_text(current.child_by_field_name("attribute"), src)))
            current = current.child_by_field_name("object")
            continue
        if kind == "subscript":
            steps.append(Step(index=True))
            current = current.child_by_field_name("value")
            continue
        if kind in ("parenthesized_expression", "await", "expression_statement") and current.named_children:
            current = current.named_children[0]
            continue
        if kind == "identifier":
            root = _text(current, src)
        elif kind == "string" and _is_fstring(current):
            root = "<str>"
        else:
            root = LITERAL_KINDS.get(kind, "<expr>")
        break
    steps.reverse()
    return Value(root, tuple(steps))


def call_args(args: ts.Node | None, src: SourceFile) -> tuple[str, ...]:
    if args is None or args.type != "argument_list":
        return ()
    return tuple(compact(arg, src) for arg in args.named_children[:8])


def compact(node: ts.Node, src: SourceFile, depth: int = 0) -> str:
    """A short rendering of an argument: string literals and names kept, the rest elided."""
    kind = node.type
    if kind == "keyword_argument":
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        inner = compact(value, src, depth) if value is not None else "…"
        return f"{_text(name, src)}={inner}"
    literal = string_value(node, src)
    if literal is not None:
        return repr(literal[:60])
    if kind in ("identifier", "attribute", "integer", "float", "true", "false", "none"):
        text = _text(node, src)
        return text if len(text) <= 60 else "…"
    if kind == "call" and depth == 0:
        function = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        inner = [compact(a, src, 1) for a in (args.named_children[:6] if args is not None else [])]
        return f"{_text(function, src)[:60]}({', '.join(inner)})"
    if kind in ("list", "tuple") and depth == 0 and node.named_child_count <= 8:
        return "[" + ", ".join(compact(c, src, 1) for c in node.named_children) + "]"
    if kind in ("list_splat", "dictionary_splat"):
        return "*…"
    return "…"


def string_value(node: ts.Node | None, src: SourceFile) -> str | None:
    """The content of a plain string literal (no f-string, no concatenation)."""
    if node is None or node.type != "string" or _is_fstring(node):
        return None
    parts = [c for c in node.named_children if c.type == "string_content"]
    if len(parts) > 1:
        return None
    if not parts:
        return ""
    return _text(parts[0], src)


def _is_fstring(node: ts.Node) -> bool:
    return any(child.type == "interpolation" for child in node.named_children)


def target_names(node: ts.Node, src: SourceFile) -> list[str]:
    """Names bound by an assignment / loop target (`a`, `a, b`, `(a, [b, c])`)."""
    names: list[str] = []
    stack = [node]
    while stack and len(names) < 32:
        current = stack.pop()
        if current.type == "identifier":
            names.append(_text(current, src))
        elif current.type in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
                              "as_pattern_target", "parenthesized_expression", "list_splat_pattern"):
            stack.extend(reversed(current.named_children))
    return names


def is_small_literal(node: ts.Node, src: SourceFile) -> bool:
    """A literal collection of a few items, `range(n)` with a small constant, or `.items()`
    of a small dict literal: a loop over it cannot grow with the data."""
    if node.type in ("list", "tuple", "set"):
        return node.named_child_count <= SMALL
    if node.type == "dictionary":
        return node.named_child_count <= SMALL
    if node.type == "call":
        function = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if function is not None and _text(function, src) == "range" and args is not None:
            values = args.named_children
            if values and all(v.type == "integer" for v in values):
                numbers = [int(_text(v, src), 0) for v in values if _text(v, src).isdigit()]
                return bool(numbers) and max(numbers) <= SMALL
        if function is not None and function.type == "attribute":
            obj = function.child_by_field_name("object")
            return obj is not None and obj.type == "dictionary" and obj.named_child_count <= SMALL
    return False


def _text(node: ts.Node | None, src: SourceFile, limit: int = 200) -> str:
    """Source text of a node; short names are interned (they repeat, and pickle shares them)."""
    if node is None:
        return ""
    start, end = node.start_byte, node.end_byte
    if end - start <= 40:
        return sys.intern(src.data[start:end].decode("utf-8", "replace"))
    return src.byte_text(start, end, limit)
