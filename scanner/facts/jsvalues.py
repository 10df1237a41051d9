"""JavaScript/TypeScript expressions -> raw values, compact argument texts, patterns."""
from __future__ import annotations

import posixpath
import sys

import tree_sitter as ts

from perfsense.scanner.facts.builder import RawValue
from perfsense.scanner.facts.memo import NodeMemo
from perfsense.scanner.facts.model import Step, Value
from perfsense.scanner.source import SourceFile

FUNCTION_NODES = frozenset({"arrow_function", "function_expression", "function", "function_declaration",
                            "generator_function", "generator_function_declaration", "method_definition"})
TRANSPARENT = frozenset({"parenthesized_expression", "await_expression", "non_null_expression",
                         "as_expression", "satisfies_expression", "type_assertion"})
LITERAL_KINDS = {
    "string": "<str>", "template_string": "<template>", "number": "<num>", "true": "<bool>",
    "false": "<bool>", "null": "<none>", "undefined": "<none>", "object": "<object>", "array": "<array>",
    "regex": "<regex>", "class": "<class>", "arrow_function": "<function>",
    "function_expression": "<function>", "function": "<function>",
}
MAX_WALK = 64


VALUES: NodeMemo[Value] = NodeMemo()


def value_of(node: ts.Node, func: int, src: SourceFile) -> RawValue:
    return RawValue(func, VALUES.get(node, src, lambda: _value(node, src)))


def _value(node: ts.Node, src: SourceFile) -> Value:
    steps: list[Step] = []
    current: ts.Node | None = node
    root = "<expr>"
    for _ in range(MAX_WALK):
        if current is None:
            break
        kind = current.type
        if kind in ("call_expression", "new_expression"):
            function = current.child_by_field_name("function" if kind == "call_expression" else "constructor")
            args = call_args(current.child_by_field_name("arguments"), src)
            if function is not None and function.type == "member_expression":
                steps.append(Step(_prop(function, src), call=True, args=args))
                current = function.child_by_field_name("object")
                continue
            if function is not None and function.type == "import":
                root = "import"
                steps.append(Step(call=True, args=args))
                break
            steps.append(Step(call=True, args=args))
            current = function
            continue
        if kind == "member_expression":
            steps.append(Step(_prop(current, src)))
            current = current.child_by_field_name("object")
            continue
        if kind == "subscript_expression":
            index = current.child_by_field_name("index")
            literal = string_value(index, src)
            steps.append(Step(literal) if literal and literal.isidentifier() else Step(index=True))
            current = current.child_by_field_name("object")
            continue
        if kind in TRANSPARENT and current.named_children:
            current = current.named_children[0]
            continue
        if kind in ("identifier", "shorthand_property_identifier"):
            root = _text(current, src)
        elif kind == "this":
            root = "this"
        elif kind == "super":
            root = "super"
        else:
            root = LITERAL_KINDS.get(kind, "<expr>")
        break
    steps.reverse()
    return Value(root, tuple(steps))


def _prop(member: ts.Node, src: SourceFile) -> str:
    prop = member.child_by_field_name("property")
    return _text(prop, src).lstrip("#") if prop is not None else ""


def call_args(args: ts.Node | None, src: SourceFile) -> tuple[str, ...]:
    if args is None or args.type != "arguments":
        return ()
    return tuple(compact(arg, src) for arg in args.named_children[:8])


def compact(node: ts.Node, src: SourceFile, depth: int = 0) -> str:
    kind = node.type
    literal = string_value(node, src)
    if literal is not None:
        return repr(literal[:60])
    if kind in ("identifier", "member_expression", "number", "true", "false", "null", "this"):
        text = _text(node, src)
        return text if len(text) <= 60 else "…"
    if kind in ("call_expression", "new_expression") and depth == 0:
        function = node.child_by_field_name("function" if kind == "call_expression" else "constructor")
        args = node.child_by_field_name("arguments")
        inner = [compact(a, src, 1) for a in (args.named_children[:6] if args is not None else [])]
        prefix = "new " if kind == "new_expression" else ""
        return f"{prefix}{_text(function, src)[:60]}({', '.join(inner)})"
    if kind == "object" and depth < 2 and node.named_child_count <= 8:
        parts = []
        for child in node.named_children:
            if child.type == "pair":
                key = child.child_by_field_name("key")
                value = child.child_by_field_name("value")
                inner = compact(value, src, depth + 1) if value is not None else "…"
                parts.append(f"{_text(key, src)[:30]}: {inner}")
            elif child.type == "shorthand_property_identifier":
                parts.append(_text(child, src))
            else:
                parts.append("…")
        return "{" + ", ".join(parts) + "}"
    if kind == "array" and depth < 2 and node.named_child_count <= 8:
        return "[" + ", ".join(compact(c, src, depth + 1) for c in node.named_children) + "]"
    if kind in FUNCTION_NODES:
        return "<function>"
    if kind == "spread_element":
        return "...…"
    return "…"


def string_value(node: ts.Node | None, src: SourceFile) -> str | None:
    """Content of a plain string literal, or of a template string without substitutions."""
    if node is None:
        return None
    if node.type == "string":
        return "".join(_text(c, src, 400) for c in node.named_children if c.type in ("string_fragment",
                                                                                    "escape_sequence"))
    if node.type == "template_string" and not any(c.type == "template_substitution"
                                                  for c in node.named_children):
        return "".join(_text(c, src, 400) for c in node.named_children if c.type == "string_fragment")
    return None


def pattern_names(node: ts.Node, src: SourceFile) -> list[tuple[str, str | None]]:
    """(local name, source property) pairs bound by a binding pattern."""
    out: list[tuple[str, str | None]] = []
    stack: list[tuple[ts.Node, str | None]] = [(node, None)]
    while stack and len(out) < 64:
        current, prop = stack.pop()
        kind = current.type
        if kind in ("identifier", "shorthand_property_identifier_pattern"):
            name = _text(current, src)
            out.append((name, prop if prop is not None else (name if kind != "identifier" else None)))
        elif kind == "pair_pattern":
            key, value = current.child_by_field_name("key"), current.child_by_field_name("value")
            if value is not None:
                stack.append((value, _text(key, src) if key is not None else None))
        elif kind in ("object_assignment_pattern", "assignment_pattern"):
            left = current.child_by_field_name("left") or (current.named_children[0]
                                                            if current.named_children else None)
            if left is not None:
                stack.append((left, prop))
        elif kind in ("object_pattern", "array_pattern", "rest_pattern", "required_parameter",
                      "optional_parameter"):
            pattern = current.child_by_field_name("pattern")
            if pattern is not None:
                stack.append((pattern, prop))
            else:
                stack.extend((child, None) for child in reversed(current.named_children))
    return out


def resolve_specifier(spec: str, importer: str) -> str:
    """`../db` imported from `src/routes/orders.js` -> `./src/db`; packages stay as written
    (without a `node:` prefix)."""
    if spec.startswith("node:"):
        return spec[5:]
    if not spec.startswith((".", "/")):
        return spec
    base = posixpath.dirname(importer)
    joined = posixpath.normpath(posixpath.join(base, spec)) if not spec.startswith("/") else spec.lstrip("/")
    for suffix in (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts"):
        if joined.endswith(suffix):
            joined = joined[: -len(suffix)]
            break
    return joined if joined.startswith("..") else "./" + joined


def module_root(module: str, name: str | None) -> Value:
    """The value an imported name stands for."""
    if module.startswith(("./", "..")):
        return Value(f"{module}:{name or '*'}")
    if name in (None, "*", "default"):
        return Value(module)
    return Value(f"{module}.{name}")


def _text(node: ts.Node | None, src: SourceFile, limit: int = 200) -> str:
    """Source text of a node; short names are interned (they repeat, and pickle shares them)."""
    if node is None:
        return ""
    start, end = node.start_byte, node.end_byte
    if end - start <= 40:
        return sys.intern(src.data[start:end].decode("utf-8", "replace"))
    return src.byte_text(start, end, limit)
