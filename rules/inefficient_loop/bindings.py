"""How names are bound in one scope (a function body or the module), without entering
nested functions: assignments, declarations, parameters, loop targets, imports."""
from __future__ import annotations

from typing import TYPE_CHECKING

import tree_sitter as ts

from perfsense.scanner.facts.jsvalues import FUNCTION_NODES

if TYPE_CHECKING:
    from perfsense.rules.inefficient_loop.scope import Scope, Site

PY_SKIP = frozenset({"function_definition", "class_definition", "lambda", "list_comprehension",
                     "set_comprehension", "dictionary_comprehension", "generator_expression"})
JS_SKIP = FUNCTION_NODES | {"class_declaration", "class"}
PY_SITES = frozenset({"assignment", "augmented_assignment", "for_statement", "with_item", "as_pattern",
                      "named_expression", "import_statement", "import_from_statement", "global_statement",
                      "nonlocal_statement", "except_clause"})
JS_SITES = frozenset({"variable_declarator", "assignment_expression", "augmented_assignment_expression",
                      "update_expression", "for_in_statement", "import_statement", "catch_clause"})


def collect_bindings(scope: Scope, root: ts.Node) -> dict[str, list[Site]]:
    from perfsense.rules.inefficient_loop.scope import Site

    table: dict[str, list[Site]] = {}

    def add(name: str, site: Site) -> None:
        table.setdefault(name, []).append(site)

    if root.parent is not None:
        _parameters(scope, root, add)
    body = root.child_by_field_name("body") if root.parent is not None else root
    if body is None:
        return table
    skip = PY_SKIP if scope.py else JS_SKIP
    end = -1
    for node in scope.find(body, skip | (PY_SITES if scope.py else JS_SITES)):
        if node.start_byte < end or node.id == body.id:
            continue
        if node.type in skip:
            name = node.child_by_field_name("name")
            if name is not None:
                add(scope.text(name), Site("def", node))
            end = node.end_byte
            continue
        if scope.py:
            _python_site(scope, node, add)
        else:
            _js_site(scope, node, add)
    return table


def _python_site(scope: Scope, node: ts.Node, add) -> None:
    from perfsense.rules.inefficient_loop.scope import Site

    kind = node.type
    if kind in ("assignment", "augmented_assignment"):
        left = node.child_by_field_name("left")
        value = node.child_by_field_name("right")
        label = "assign" if kind == "assignment" else "augmented"
        if left is not None and left.type == "identifier":
            add(scope.text(left), Site(label, node, value, node.child_by_field_name("type")))
        elif left is not None:
            for name in _names(scope, left):
                add(name, Site(label, node, None))
    elif kind == "for_statement":
        for name in _names(scope, node.child_by_field_name("left")):
            add(name, Site("for", node))
    elif kind in ("with_item", "as_pattern") and node.child_by_field_name("alias") is not None:
        for name in _names(scope, node.child_by_field_name("alias")):
            add(name, Site("with", node))
    elif kind == "named_expression":
        name = node.child_by_field_name("name")
        if name is not None:
            add(scope.text(name), Site("assign", node, node.child_by_field_name("value")))
    elif kind in ("import_statement", "import_from_statement"):
        for child in node.named_children:
            target = child.child_by_field_name("alias") if child.type == "aliased_import" else child
            if target is not None and target.type in ("identifier", "dotted_name"):
                add(scope.text(target).split(".", 1)[0], Site("import", node))
    elif kind == "global_statement" or kind == "nonlocal_statement":
        for child in node.named_children:
            add(scope.text(child), Site("global", node))
    elif kind == "except_clause":
        alias = node.child_by_field_name("alias")
        for child in ([alias] if alias is not None else []):
            add(scope.text(child), Site("with", node))


def _js_site(scope: Scope, node: ts.Node, add) -> None:
    from perfsense.rules.inefficient_loop.scope import Site

    kind = node.type
    if kind == "variable_declarator":
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        annotation = node.child_by_field_name("type")
        if name is not None and name.type == "identifier":
            add(scope.text(name), Site("declare", node, value, annotation))
        elif name is not None:
            for index, local in enumerate(_names(scope, name)):
                add(local, Site("destructure", node, value if index == 0 else None))
    elif kind in ("assignment_expression", "augmented_assignment_expression"):
        left = node.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            label = "assign" if kind == "assignment_expression" else "augmented"
            add(scope.text(left), Site(label, node, node.child_by_field_name("right")))
    elif kind == "update_expression":
        arg = node.child_by_field_name("argument")
        if arg is not None and arg.type == "identifier":
            add(scope.text(arg), Site("augmented", node))
    elif kind == "for_in_statement":
        for name in _names(scope, node.child_by_field_name("left")):
            add(name, Site("for", node))
    elif kind == "import_statement":
        for child in node.named_children:
            if child.type == "import_clause":
                for name in _names(scope, child):
                    add(name, Site("import", node))
    elif kind == "catch_clause":
        for name in _names(scope, node.child_by_field_name("parameter")):
            add(name, Site("with", node))


def _parameters(scope: Scope, func: ts.Node, add) -> None:
    from perfsense.rules.inefficient_loop.scope import Site

    params = func.child_by_field_name("parameters") or func.child_by_field_name("parameter")
    if params is None:
        return
    items = [params] if params.type == "identifier" else params.named_children
    for param in items:
        annotation = param.child_by_field_name("type")
        for name in scope.param_names_of(param):
            add(name, Site("param", param, param.child_by_field_name("value"), annotation))


def _names(scope: Scope, node: ts.Node | None) -> list[str]:
    if node is None:
        return []
    out = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in ("identifier", "shorthand_property_identifier_pattern"):
            out.append(scope.text(current))
        elif current.type in ("attribute", "subscript", "member_expression", "subscript_expression",
                              "type_annotation", "type"):
            continue
        elif current.type == "pair_pattern":
            value = current.child_by_field_name("value")
            if value is not None:
                stack.append(value)
        else:
            stack.extend(reversed(current.named_children))
    return out
