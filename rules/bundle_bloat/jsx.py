"""Where imported components are rendered: as a route, on demand (behind a toggle, in a
modal or tab), or always. Part of the per-file stage."""
from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from perfsense.rules.bundle_bloat.catalog import BundleCatalog
from perfsense.rules.bundle_bloat.usage import FUNCTIONS
from perfsense.scanner.model import Span
from perfsense.scanner.source import SourceFile

ELEMENTS = ("jsx_opening_element", "jsx_self_closing_element")
WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
MAX_UP = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class Render:
    """One place an imported component is rendered (or routed to)."""

    local: str
    kind: str  # "route" | "rare" | "plain"
    detail: str = ""  # the route path, the condition, or the container element
    index: bool = False  # an index / landing route
    span: Span


def _text(node: ts.Node | None, src: SourceFile, limit: int = 80) -> str:
    return src.byte_text(node.start_byte, node.end_byte, limit) if node is not None else ""


def _element_name(element: ts.Node, src: SourceFile) -> str:
    name = element.child_by_field_name("name")
    return _text(name, src) if name is not None else ""


def _attributes(element: ts.Node, src: SourceFile) -> dict[str, ts.Node | None]:
    out: dict[str, ts.Node | None] = {}
    for attr in element.named_children:
        if attr.type == "jsx_attribute" and attr.named_children:
            value = attr.named_children[1] if len(attr.named_children) > 1 else None
            out[_text(attr.named_children[0], src)] = value
    return out


def _string(node: ts.Node | None, src: SourceFile) -> str | None:
    if node is None:
        return None
    if node.type == "jsx_expression" and node.named_children:
        node = node.named_children[0]
    if node.type == "string":
        return _text(node, src, 200)[1:-1]
    if node.type == "template_string" \
            and not any(c.type == "template_substitution" for c in node.named_children):
        return _text(node, src, 200)[1:-1]
    return None


def _route(path: list[ts.Node], at: int, src: SourceFile, cat: BundleCatalog) -> tuple[str, bool] | None:
    """(route path, is index) when `path[at]` is the component of a route declaration
    (`path` holds the node's ancestors, outermost first)."""
    for i in range(at, max(0, at - MAX_UP), -1):
        current, parent = path[i], path[i - 1]
        if parent.type in FUNCTIONS or parent.type == "statement_block":
            return None
        if parent.type == "jsx_attribute" and parent.named_children:
            prop = _text(parent.named_children[0], src)
            owner = path[i - 2] if i > 1 else None
            if prop in cat.route_props and owner is not None and owner.type in ELEMENTS \
                    and cat.route_elements.match(_element_name(owner, src)):
                attrs = _attributes(owner, src)
                route = _string(attrs.get("path"), src)
                return (route or "", "index" in attrs or route is None or route in cat.index_paths)
            return None
        if parent.type == "jsx_element" and current.type != "jsx_opening_element":
            opening = parent.child_by_field_name("open_tag") or parent.named_children[0]
            if opening is not None and opening.type == "jsx_opening_element" and opening != current \
                    and cat.route_elements.match(_element_name(opening, src)):
                route = _string(_attributes(opening, src).get("path"), src)
                return (route or "", route is None or route in cat.index_paths)
        if parent.type == "pair":
            key = _text(parent.child_by_field_name("key"), src).strip("'\"")
            obj = path[i - 2] if i > 1 else None
            if key not in cat.route_props or obj is None or obj.type != "object":
                return None
            return _route_object(obj, src, cat)
    return None


def _route_object(obj: ts.Node, src: SourceFile, cat: BundleCatalog) -> tuple[str, bool] | None:
    route, index = None, False
    for pair in obj.named_children:
        if pair.type != "pair":
            continue
        key = _text(pair.child_by_field_name("key"), src).strip("'\"")
        if key == "path":
            route = _string(pair.child_by_field_name("value"), src)
        elif key == "index":
            index = _text(pair.child_by_field_name("value"), src) == "true"
    if route is None and not index:
        return None
    return (route or "", index or route is None or route in cat.index_paths)


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORDS.findall(text)}


def _rare(path: list[ts.Node], at: int, src: SourceFile, cat: BundleCatalog) -> str | None:
    """The condition or container that shows `path[at]` only on demand, if any."""
    for i in range(at, max(0, at - MAX_UP), -1):
        current, parent = path[i], path[i - 1]
        if parent.type in FUNCTIONS:
            return None
        condition: ts.Node | None = None
        if parent.type == "binary_expression" and parent.child_by_field_name("right") == current \
                and _text(parent.child_by_field_name("operator"), src) == "&&":
            condition = parent.child_by_field_name("left")
        elif parent.type == "ternary_expression" and parent.child_by_field_name("condition") != current or parent.type == "if_statement" and parent.child_by_field_name("condition") != current:
            condition = parent.child_by_field_name("condition")
        elif parent.type == "jsx_element" and current.type != "jsx_opening_element":
            opening = parent.named_children[0] if parent.named_children else None
            name = _element_name(opening, src) if opening is not None else ""
            if name in cat.panels or (name in cat.containers
                                      and cat.open_props.intersection(_attributes(opening, src))):
                return f"<{name}>"
        if condition is not None:
            text = _text(condition, src, 60)
            return text if _words(text).intersection(cat.condition_words) else None
    return None


def render_of(node: ts.Node, stack: list[ts.Node], src: SourceFile, cat: BundleCatalog) -> Render | None:
    """The render (or route) an identifier of an imported component stands for, if any."""
    parent = stack[-1] if stack else None
    if parent is None:
        return None
    path = stack + [node]
    if parent.type in ELEMENTS and parent.child_by_field_name("name") == node:
        at = len(stack) - 2 if parent.type == "jsx_opening_element" and len(stack) > 1 else len(stack) - 1
    elif parent.type in ("jsx_expression", "pair"):
        at = len(stack)
    else:
        return None
    use = path[at]
    local = _text(node, src)
    span = src.span(use.start_byte, use.end_byte)
    route = _route(path, at, src, cat)
    if route is not None:
        return Render(local=local, kind="route", detail=route[0], index=route[1], span=span)
    if use == node:
        return None
    rare = _rare(path, at, src, cat)
    return Render(local=local, kind="rare" if rare else "plain", detail=rare or "", span=span)
