"""Where the handle of an acquisition goes: kept, released, handed over or lost.

Works on the tree of one file (per-file stage). Precision first: any use perfsense cannot
follow (an alias, a container, a call that may take ownership) counts as handed over.
"""
from __future__ import annotations

import re

import tree_sitter as ts

from perfsense.rules.memory_leak.catalog import Resource
from perfsense.rules.memory_leak.records import (
    CHAINED,
    DISCARDED,
    ESCAPED,
    LOCAL,
    MANAGED,
    MEMBER,
)
from perfsense.rules.memory_leak.syntax import Syntax, norm, text, up
from perfsense.rules.memory_leak.tree_index import FileIndex, outermost_function

TIMER_CHAIN = frozenset({"unref", "ref", "refresh"})  # return the same timer


def word(name: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w$.])" + re.escape(name) + r"(?![\w$])")


def classify(call: ts.Node, syntax: Syntax, res: Resource) -> tuple[str, list[str]]:
    """How the result of `call` is kept: (handle kind, names or member text). A JS name
    assigned without a declaration in the function is an outer variable: MEMBER."""
    node = call
    for _ in range(8):
        outer, parent = up(node, syntax)
        if parent is None:
            return ESCAPED, []
        kind = parent.type
        if kind in syntax.members and parent.child_by_field_name("object") == outer:
            grand = parent.parent
            _obj, prop = syntax.member_parts(parent)
            if grand is not None and grand.type in syntax.calls and syntax.callee(grand) == parent:
                if res.kind == "timer" and prop in TIMER_CHAIN:
                    node = grand
                    continue
                return CHAINED, [prop]
            return ESCAPED, []
        if kind == "expression_statement":
            return DISCARDED, []
        if kind in syntax.declarators:
            name = parent.child_by_field_name("name")
            if name is not None and name.type == "identifier":
                return LOCAL, [text(name)]
            return ESCAPED, []
        if kind in syntax.assignments and parent.child_by_field_name("right") == outer:
            kept, names = _target(parent.child_by_field_name("left"), syntax)
            if kept == LOCAL and syntax.declarators and not declared(parent, names[0], syntax):
                return MEMBER, names
            if kept == LOCAL and _module_variable(parent, names):
                return MEMBER, names
            return kept, names
        if kind == "as_pattern":  # Python `with x() as name`
            alias = parent.child_by_field_name("alias")
            return MANAGED, [text(n) for n in _names(alias)] if alias is not None else []
        if kind == "with_item":
            return MANAGED, []
        return ESCAPED, []
    return ESCAPED, []


def _target(left: ts.Node | None, syntax: Syntax) -> tuple[str, list[str]]:
    if left is None:
        return ESCAPED, []
    if left.type == "identifier":
        return LOCAL, [text(left)]
    if left.type in syntax.members or left.type in syntax.subscripts:
        return MEMBER, [norm(text(left))]
    if left.type in ("pattern_list", "tuple_pattern", "tuple", "list_pattern"):
        if any(n.type != "identifier" for n in left.named_children):
            return ESCAPED, []  # part of it is stored on an object
        names = [text(n) for n in left.named_children]
        return (LOCAL, names) if names else (ESCAPED, [])
    return ESCAPED, []


def _module_variable(node: ts.Node, names: list[str]) -> bool:
    """Python: a name the enclosing function declares `global` or `nonlocal` (the handle
    outlives the call, in module or closure state)."""
    function = node.parent
    while function is not None and function.type != "function_definition":
        function = function.parent
    if function is None:
        return False
    stack = [function.child_by_field_name("body")]
    while stack:
        current = stack.pop()
        if current is None or current.type in ("function_definition", "class_definition"):
            continue
        if current.type in ("global_statement", "nonlocal_statement") and \
                any(text(n) in names for n in current.named_children):
            return True
        stack.extend(current.named_children)
    return False


def declared(node: ts.Node, name: str, syntax: Syntax) -> bool:
    scope = outermost_function(node, syntax)
    if scope is None:
        return False
    stack = [scope]
    while stack:
        current = stack.pop()
        if current.type in syntax.declarators:
            target = current.child_by_field_name("name")
            if target is not None and text(target) == name:
                return True
        if current.type in ("formal_parameters", "required_parameter", "optional_parameter") and \
                any(text(n) == name for n in _names(current)):
            return True
        stack.extend(current.named_children)
    return False


def _names(node: ts.Node) -> list[ts.Node]:
    stack, out = [node], []
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            out.append(current)
        else:
            stack.extend(current.named_children)
    return out


def released(index: FileIndex, syntax: Syntax, res: Resource, names: list[str], start: int, end: int) -> bool:
    """A release of any of `names` between byte offsets start and end."""
    rel = index.releases
    if not names or rel is None:
        return False
    for name in names:
        pattern = word(name)
        handle = norm(name)
        for place in rel.candidates(name):
            if not (start <= place.start and place.end <= end):
                continue
            if place.kind == "callee":  # `unsubscribe()` returned by `.subscribe(...)` / `.on(...)`
                if place.subject == handle:
                    return True
                continue
            if place.kind == "fn" and place.name not in res.release:
                continue
            if place.kind in ("method", "member") and place.name not in res.release_methods:
                continue
            if place.kind == "with" and res.kind == "tempfile":
                continue
            if pattern.search(place.subject):
                return True
    return False


def escapes(index: FileIndex, syntax: Syntax, res: Resource, names: list[str], decl: ts.Node,
            depth: int = 0) -> bool:
    """Any reference to `names` (in the function around `decl`) that hands the handle over."""
    scope = outermost_function(decl, syntax) or decl.parent
    if scope is None or depth > 2:
        return True
    for name in names:
        for ref in index.refs(name, scope.start_byte, scope.end_byte):
            if decl.start_byte <= ref.start_byte and ref.end_byte <= decl.end_byte:
                continue
            if _hands_over(index, syntax, res, ref, depth):
                return True
    return False


def _hands_over(index: FileIndex, syntax: Syntax, res: Resource, ref: ts.Node, depth: int) -> bool:
    if ref.type == "shorthand_property_identifier":
        return True
    holder = ref.parent
    if holder is not None and (holder.child_by_field_name("name") == ref or (
            holder.type in syntax.assignments and holder.child_by_field_name("left") == ref)
            or holder.type in ("as_pattern_target", "pattern_list", "tuple_pattern")):
        return False  # the binding itself
    node = ref
    # climb `h.name`, `h[0]` (reads of the handle); a method call on it is a use
    for _ in range(16):
        outer, parent = up(node, syntax)
        if parent is None:
            return False
        if (parent.type in syntax.members or parent.type in syntax.subscripts) and (
                parent.child_by_field_name("object") == outer or parent.child_by_field_name("value") == outer):
            grand = parent.parent
            if grand is not None and grand.type in syntax.calls and syntax.callee(grand) == parent:
                return False
            node = parent
            continue
        return _position_escapes(index, syntax, res, outer, parent, depth)
    return False


def _position_escapes(index: FileIndex, syntax: Syntax, res: Resource, node: ts.Node, parent: ts.Node,
                      depth: int) -> bool:
    kind = parent.type
    if kind in syntax.returns or kind in syntax.containers:
        return True
    if kind == "arrow_function" and parent.child_by_field_name("body") == node:
        return True
    if kind in syntax.declarators:
        return True
    if kind in syntax.assignments:
        return parent.child_by_field_name("right") == node
    if kind in syntax.arguments:
        call = parent.parent if kind == "argument_list" or kind == "arguments" else parent.parent.parent \
            if parent.parent is not None else None
        if call is None or call.type not in syntax.calls:
            return True
        if res.passing == "escape":
            return True
        kept, names = classify(call, syntax, res)
        if kept in (ESCAPED,):
            return True
        if kept in (LOCAL,) and names:  # a wrapper (`HttpResponse(fh)`): closing it closes the handle
            scope = outermost_function(call, syntax)
            if scope is not None and released(index, syntax, res, names, scope.start_byte, scope.end_byte):
                return True
            return escapes(index, syntax, res, names, call, depth + 1)
        return kept in (MEMBER, MANAGED)
    return False
